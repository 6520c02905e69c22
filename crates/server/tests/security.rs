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

/// What one economic operator owns in [`every_route_keeps_an_operators_data_from_others`].
struct World {
    passport: String,
    doc: serde_json::Value,
    model: String,
    unit: String,
    held: String,
    grant: String,
}

/// Route prefixes of the supplier-quality domain: CoAs, SPC alarms and scorecards belong to the maker running
/// the server and its suppliers, not to one of several economic operators (suppliers' own-data rules are tested
/// in `coas.rs`), so no operator owns them here.
const NOT_OPERATOR_OWNED: [&str; 3] = ["/api/v1/coas/", "/api/v1/spc/", "/api/v1/suppliers/"];

impl World {
    /// The template filled with this operator's resources; `None` for routes naming no operator's resource.
    fn path(&self, template: &str) -> Option<String> {
        if !template.contains('{')
            || template.starts_with("/01/")
            || NOT_OPERATOR_OWNED.iter().any(|p| template.starts_with(p))
        {
            return None;
        }
        let id = if template.starts_with("/api/v1/passports/") || template.starts_with("/p/") {
            &self.passport
        } else if template.starts_with("/api/v1/models/") {
            &self.model
        } else if template.starts_with("/api/v1/trace/") {
            &self.unit
        } else if template == "/api/v1/analytics/holds/{unitId}/release" {
            &self.held
        } else if template.starts_with("/api/v1/analytics/holds/") {
            &self.unit
        } else if template.starts_with("/api/v1/grants/") {
            &self.grant
        } else {
            panic!("{template}: say whose resource it names");
        };
        let path = template.replace("{id}", id).replace("{unitId}", id).replace("{version}", "1");
        Some(path)
    }

    /// A body the owner could send (well-formed, so refusing others is about access, not about the body).
    fn body(&self, method: &Method, template: &str) -> serde_json::Value {
        use passport::fixtures::{item_body, model_body};
        use serde_json::json;
        let mut changed = self.doc.clone();
        changed["reason"] = json!("changed by someone else");
        match (method.as_str(), template) {
            ("PUT", "/api/v1/passports/{id}") | ("POST", "/api/v1/passports/{id}/successor") => item_body(&changed),
            ("PUT", "/api/v1/models/{id}") => model_body(passport::demo::DemoModel::EvNmc811Pack),
            ("POST", "/api/v1/passports/{id}/status") => json!({"status": "Waste", "reason": "intrusion"}),
            ("POST", "/api/v1/passports/{id}/readings") => {
                json!([{"metric": "stateOfCharge", "at": "2026-01-01T00:00:00Z", "value": 50, "source": "intruder"}])
            }
            _ => json!({"reason": "intrusion"}),
        }
    }
}

/// An actor of `role` and a key for it.
async fn key_for(store: &std::sync::Arc<dyn store::Store>, role: store::Role) -> (String, String) {
    let actor = store::Actor {
        id: format!("actor:{}", uuid::Uuid::now_v7()),
        name: "intruder".into(),
        role,
        organisation: None,
        subrole: None,
    };
    store.create_actor(&actor).await.unwrap();
    let key = server::auth::generate_key();
    store.add_key(&actor.id, &server::auth::key_hash(&key)).await.unwrap();
    (actor.id, key)
}

/// Every text value of a JSON document.
fn texts(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items.iter().flat_map(texts).collect(),
        serde_json::Value::Object(map) => map.values().flat_map(texts).collect(),
        _ => vec![],
    }
}

/// Every route of the OpenAPI document that names an economic operator's resource (passport, model, unit,
/// hold, grant), called with well-formed requests by another operator and by a repairer whose grant for all of
/// that operator's passports has expired: no write succeeds (403 or 404), no answer shows a value the caller's
/// access group may not read (the passport's restricted attributes, model part included, and who wrote it),
/// and afterwards nothing of the operator's has changed.
#[tokio::test]
async fn every_route_keeps_an_operators_data_from_others() {
    use common::documents;
    use passport::access::{Audience, visible};
    use passport::demo::DemoModel;
    use passport::fixtures::item_body;
    use serde_json::json;
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store.clone(), Config { public_rate_limit: None, ..Config::default() }).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 5).remove(0);
    let created = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let passport = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    let events = json!([
        {"eventId": "sec-lot", "type": "produced", "unit": {"id": "SEC-LOT", "kind": "lot", "quantity": {"value": 10, "unit": "kg"}}},
        {"eventId": "sec-held", "type": "produced", "unit": {"id": "SEC-HELD", "kind": "lot", "quantity": {"value": 10, "unit": "kg"}}},
    ]);
    let sent = s.post("/api/v1/trace/events", Some(&s.operator)).json(&events).send().await.unwrap();
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    let hold = s.post("/api/v1/analytics/holds/SEC-HELD", Some(&s.operator)).json(&json!({"reason": "check"}));
    assert!(hold.send().await.unwrap().status().is_success());
    let (repairer, expired_key) = key_for(&store, store::Role::LegitimateInterest).await;
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    // A grant in force for someone else (the test's legitimate-interest key), so there is one to revoke.
    let holder = store.actor_by_key_hash(&server::auth::key_hash(&s.legitimate)).await.unwrap().unwrap().id;
    let grant = json!({"grantee": holder, "groups": ["performance", "readings"], "validUntil": until});
    let grant: serde_json::Value =
        s.post("/api/v1/grants", Some(&s.operator)).json(&grant).send().await.unwrap().json().await.unwrap();
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let groups = ["generalProductInformation", "carbonFootprint", "circularity", "materialComposition", "performance"];
    let expired = store::Grant {
        id: "grant:expired-everything".into(),
        grantor: common::operator_of(DemoModel::EvNmc811Pack),
        grantee: repairer.clone(),
        passports: vec![],
        groups: groups
            .iter()
            .chain(&["labels", "supplyChainDueDiligence", "readings"])
            .map(|g| g.to_string())
            .collect(),
        valid_until: now - time::Duration::seconds(1),
        created_by: repairer.clone(),
        created_at: now - time::Duration::days(2),
        revoked_at: None,
        revoked_by: None,
    };
    store.create_grant(&expired).await.unwrap();
    let world = World {
        passport: passport.clone(),
        doc: doc.clone(),
        model: DemoModel::EvNmc811Pack.model_id().to_string(),
        unit: "SEC-LOT".into(),
        held: "SEC-HELD".into(),
        grant: grant["id"].as_str().unwrap().to_string(),
    };
    let snapshot = |key: String| {
        let (s, passport) = (&s, passport.clone());
        async move {
            let mut out = Vec::new();
            for path in [
                format!("/api/v1/passports/{passport}"),
                format!("/api/v1/passports/{passport}/versions"),
                format!("/api/v1/passports/{passport}/readings?metric=stateOfCharge"),
                format!("/api/v1/passports/{passport}/analytics"),
                "/api/v1/models/VOLTA-EV-NMC811-P96/versions".to_string(),
                "/api/v1/analytics/holds".to_string(),
                "/api/v1/grants".to_string(),
                "/api/v1/trace/SEC-LOT/downstream".to_string(),
            ] {
                out.push((path.clone(), s.get(&path, Some(&key)).send().await.unwrap().text().await.unwrap()));
            }
            out
        }
    };
    let before = snapshot(s.admin.clone()).await;

    // What each intruder may not see: every text value of the full passport (model part included) that its
    // access group does not see, and the operator-only history (who wrote, why).
    let full = s.get_json(&format!("/api/v1/passports/{passport}"), Some(&s.admin)).await;
    let history = s.get(&format!("/api/v1/passports/{passport}/versions"), Some(&s.admin)).send().await.unwrap();
    let operator_only: Vec<String> = texts(&history.json().await.unwrap())
        .into_iter()
        .filter(|t| t.starts_with("actor:") || t.len() == 64)
        .collect();
    let hidden_from = |audience: Audience| -> Vec<String> {
        let seen = visible(&full, audience).to_string();
        let mut hidden: Vec<String> =
            texts(&full).into_iter().filter(|t| t.len() >= 8 && !seen.contains(t.as_str())).collect();
        hidden.extend(operator_only.iter().cloned());
        hidden
    };
    let intruders = [
        ("another operator", s.other_operator.clone(), hidden_from(Audience::Public)),
        ("an expired grant's holder", expired_key.clone(), hidden_from(Audience::LegitimateInterest)),
    ];
    let counts: Vec<usize> = intruders.iter().map(|(_, _, hidden)| hidden.len()).collect();
    assert!(counts[0] >= 20 && counts[1] >= 2, "the passport has values to keep: {counts:?}");

    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, template, _) in operations() {
        let Some(path) = world.path(&template) else { continue };
        let name = format!("{method} {template}");
        let url = format!("{}{path}", s.base);
        for (who, key, hidden) in &intruders {
            let mut request =
                s.client.request(method.clone(), &url).bearer_auth(key).header("accept", "application/json");
            if method != Method::GET {
                request = request.json(&world.body(&method, &template));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            let leaked: Vec<&String> = hidden.iter().filter(|t| body.contains(t.as_str())).collect();
            if !leaked.is_empty() {
                failures.push(format!("{name} by {who}: {status} shows {leaked:?}"));
            }
            let refused = status == 403 || status == 404;
            // Readings are judged line by line: a 200 that accepted nothing refuses them all.
            let no_line_accepted = template.ends_with("/readings")
                && serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|v| v["accepted"] == 0);
            if method != Method::GET && !(refused || no_line_accepted) {
                failures.push(format!("{name} by {who}: {status} {}", &body[..body.len().min(300)]));
            }
            if status >= 500 {
                failures.push(format!("{name} by {who}: {status}"));
            }
        }
        checked += 1;
    }
    assert!(checked >= 25, "routes naming an operator's resource: {checked}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(snapshot(s.admin.clone()).await, before, "nothing of the operator's changed");
}
