//! Authentication and authorisation on every route of the OpenAPI document (so a new route cannot escape):
//! without a key every route that declares the API key answers 401, except the public reads listed here; a
//! person with a legitimate interest writes nothing anywhere; routes without the key requirement are exactly
//! the public ones listed here. Every answer carries the security headers.

mod common;

use common::TestServer;
use reqwest::Method;
use server::Config;
use std::collections::BTreeSet;

/// Routes that declare no key: the public resolver, the QR images, public documents and health.
const PUBLIC: [&str; 9] = [
    "GET /healthz",
    "GET /api/v1/schemas/ecoa.json",
    "GET /.well-known/did.json",
    "GET /p/{id}",
    "GET /01/{gtin}/21/{serial}",
    "GET /p/{id}/qr.svg",
    "GET /p/{id}/qr.png",
    "GET /api/v1/passports/{id}/rollup",
    "GET /api/v1/passports/{id}/analytics",
];

/// Routes that declare the key but also answer the public, with what the public may see (a passport's public
/// part and its versions; reading histories, which the service refuses to the public with 403).
const OPTIONAL_KEY: [&str; 4] = [
    "GET /api/v1/passports/{id}",
    "GET /api/v1/passports/{id}/versions/{version}",
    "GET /api/v1/passports/{id}/versions/{version}/credential",
    "GET /api/v1/passports/{id}/readings",
];

/// Every operation of the OpenAPI document as (method, path template, declares the key).
fn operations() -> Vec<(Method, String, bool)> {
    let doc = serde_json::to_value(server::openapi_document()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            let secured = op.get("security").and_then(|s| s.as_array()).is_some_and(|s| !s.is_empty());
            out.push((method, path.clone(), secured));
        }
    }
    out
}

/// The template with every `{param}` filled with a value that names nothing.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        let value = match &rest[start + 1..end] {
            "id" | "passportId" => "urn:voltpass:00000000000000000000000000000000",
            "gtin" => "04260712341013",
            "serial" => "NOPE",
            "version" => "1",
            _ => "nothing-here",
        };
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_route_demands_its_key_and_role() {
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store, Config { public_rate_limit: None, ..Config::default() }).await;
    let operations = operations();
    assert!(operations.len() > 60, "the OpenAPI document lists the routes: {}", operations.len());
    let unsecured: BTreeSet<String> =
        operations.iter().filter(|(_, _, secured)| !secured).map(|(m, p, _)| format!("{m} {p}")).collect();
    assert_eq!(unsecured, PUBLIC.iter().map(|s| s.to_string()).collect(), "routes without the key requirement");

    let mut failures = Vec::new();
    for (method, template, secured) in &operations {
        let name = format!("{method} {template}");
        let url = format!("{}{}", s.base, concrete(template));
        let body = serde_json::json!({});
        let anonymous = s.client.request(method.clone(), &url).json(&body).send().await.unwrap();
        let status = anonymous.status().as_u16();
        for header in ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"] {
            if !anonymous.headers().contains_key(header) {
                failures.push(format!("{name}: no {header}"));
            }
        }
        let public = PUBLIC.contains(&name.as_str()) || OPTIONAL_KEY.contains(&name.as_str());
        match (secured, public) {
            (true, false) if status != 401 => failures.push(format!("{name}: {status} without a key, not 401")),
            (_, true) if status == 401 || status >= 500 => failures.push(format!("{name}: {status} for the public")),
            _ => {}
        }
        if *secured && *method != Method::GET {
            let response =
                s.client.request(method.clone(), &url).bearer_auth(&s.legitimate).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            if (200..300).contains(&status) || status >= 500 {
                failures.push(format!("{name}: {status} for a legitimate-interest key"));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// A request whose body does not arrive in time is answered 408 (a slow client cannot hold a connection and a
/// task); bulk writes have their own, longer limit.
#[tokio::test]
async fn a_request_that_takes_too_long_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let limit = std::time::Duration::from_millis(300);
    let config = Config { request_timeout: limit, public_rate_limit: None, ..Config::default() };
    let s = TestServer::start(store, config).await;
    let send_slowly = |path: &str, first: &str, rest: &str| {
        let (address, key) = (s.base.trim_start_matches("http://").to_string(), s.admin.clone());
        let (path, first, rest) = (path.to_string(), first.to_string(), rest.to_string());
        async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
                first.len() + rest.len()
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
            let _ = stream.write_all(rest.as_bytes()).await;
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
            String::from_utf8_lossy(&answer).to_string()
        }
    };
    let cut = send_slowly("/api/v1/models", "{\"modelId\": \"M-SLOW\",", " \"reason\": \"x\"}").await;
    assert!(cut.starts_with("HTTP/1.1 408"), "{cut}");
    // Bulk production events may take longer than the single-request limit.
    let line = r#"{"eventId":"slow-lot","type":"produced","unit":{"id":"LOT-SLOW","kind":"lot","quantity":{"value":1,"unit":"kg"}}}"#;
    let (first, rest) = line.split_at(40);
    let bulk = send_slowly("/api/v1/trace/events", first, &format!("{rest}\n")).await;
    assert!(bulk.starts_with("HTTP/1.1 200"), "{bulk}");
}
