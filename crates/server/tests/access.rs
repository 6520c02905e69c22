//! Property: for random valid passports, no read route shows any reader more than its access group may see
//! (Art. 77(2), Annex XIII), including version histories, search results and error bodies. The expected
//! view is computed from the operator's view with the same catalogue-driven filter, so the test also fails
//! when a route shows less than it should.

mod common;

use common::{TestServer, documents, urlencode};
use passport::access::{Audience, visible};
use passport::demo::DemoModel;
use proptest::prelude::*;
use serde_json::Value;
use server::Config;
use std::sync::OnceLock;
use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}

/// One server for all cases (a fresh SQLite store), without rate limits: the test sends many requests.
fn test_server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        runtime().block_on(async {
            let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
            let s = TestServer::start(store, Config { public_rate_limit: None, ..Config::default() }).await;
            s.create_demo_models().await;
            // Every operator of the demo data signs, so every version exports as a credential.
            for model in DemoModel::ALL {
                for seed in 0..4 {
                    let doc = &documents(model, 1, seed)[0];
                    let operator = &doc["generalProductInformation"]["operatorInformation"]["identifier"];
                    let body = serde_json::json!({"operator": operator});
                    s.post("/api/v1/issuer-keys", Some(&s.admin)).json(&body).send().await.unwrap();
                }
            }
            s
        })
    })
}

/// Each reader, and the access group it must get for a passport of `model`.
fn readers(s: &TestServer, model: DemoModel) -> Vec<(&'static str, Option<String>, Audience)> {
    let own = if model == DemoModel::EvNmc811Pack { Audience::Operator } else { Audience::Public };
    vec![
        ("public", None, Audience::Public),
        ("admin", Some(s.admin.clone()), Audience::Operator),
        ("responsible operator", Some(s.operator.clone()), own),
        ("other operator", Some(s.other_operator.clone()), Audience::Public),
        ("legitimate interest", Some(s.legitimate.clone()), Audience::LegitimateInterest),
        ("authority", Some(s.authority.clone()), Audience::Authority),
        ("supplier", Some(s.supplier.clone()), Audience::Public),
    ]
}

/// Distinctive string values of `full` that `seen` does not contain anywhere: long, and with a digit or a
/// space (single enum words such as `Original` also occur in page labels like "Original power capability").
fn restricted_strings(full: &Value, seen: &Value) -> Vec<String> {
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    let (mut all, mut allowed) = (Vec::new(), Vec::new());
    strings(full, &mut all);
    strings(seen, &mut allowed);
    let distinctive = |s: &str| s.len() >= 8 && s.chars().any(|c| c.is_ascii_digit() || c == ' ');
    all.retain(|s| distinctive(s) && !allowed.iter().any(|a| a.contains(s)));
    all.sort();
    all.dedup();
    all
}

fn assert_no_leak(route: &str, reader: &str, body: &str, secrets: &[String]) {
    for secret in secrets {
        let escaped = secret.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        assert!(
            !body.contains(secret.as_str()) && !body.contains(&escaped),
            "{route} shows {reader} the restricted value {secret:?}"
        );
    }
}

async fn text(s: &TestServer, path: &str, key: Option<&str>, accept: &str) -> (u16, String) {
    let response = s.get(path, key).header("accept", accept).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn check(s: &TestServer, model: DemoModel, seed: u64) {
    // Random passports: the seed varies every per-battery value; the counter keeps batteries distinct when
    // proptest repeats a seed (serials stay short enough for GS1's 20 characters).
    static CASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let unique = seed * 100 + CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 100;
    let doc = documents(model, 1, unique).remove(0);
    let created = s.post("/api/v1/passports", Some(&s.admin)).json(&doc).send().await.unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let full: Value = created.json().await.unwrap();
    let id = full["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    let battery = full["generalProductInformation"]["productIdentifier"].as_str().unwrap().to_string();
    let mut second = full.clone();
    second["generalProductInformation"]["batteryMass"] =
        serde_json::json!(full["generalProductInformation"]["batteryMass"].as_f64().unwrap_or(1.0) + 1.0);
    let mut body = second.clone();
    body["reason"] = Value::String("remeasured".into());
    let updated = s.put(&format!("/api/v1/passports/{id}"), Some(&s.admin)).json(&body).send().await.unwrap();
    assert_eq!(updated.status(), 200, "{}", updated.text().await.unwrap());
    let latest: Value = updated.json().await.unwrap();

    for (reader, key, audience) in readers(s, model) {
        let key = key.as_deref();
        let expected = visible(&latest, audience);
        let secrets = restricted_strings(&latest, &expected);
        // Documents: exactly the access group's view, on every route that returns one.
        for path in [format!("/api/v1/passports/{id}"), format!("/p/{id}")] {
            let (status, body) = text(s, &path, key, "application/json").await;
            assert_eq!(status, 200, "{path} for {reader}: {body}");
            assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), expected, "{path} for {reader}");
        }
        let (status, body) = text(s, &format!("/api/v1/passports/{id}/versions/1"), key, "application/json").await;
        assert_eq!(status, 200);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), visible(&full, audience), "version 1 for {reader}");
        // Credentials carry the same view as their subject.
        let (status, body) =
            text(s, &format!("/api/v1/passports/{id}/versions/2/credential"), key, "application/json").await;
        assert_eq!(status, 200, "credential for {reader}: {body}");
        let credential: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(credential["credentialSubject"]["batteryPassport"], expected, "credential for {reader}");
        let (_, body) = text(s, &format!("/p/{id}"), key, "application/ld+json").await;
        let mut node: Value = serde_json::from_str(&body).unwrap();
        for k in ["@context", "@id", "@type"] {
            node.as_object_mut().unwrap().remove(k);
        }
        assert_eq!(node, expected, "JSON-LD for {reader}");
        let (status, page) = text(s, &format!("/p/{id}"), key, "text/html").await;
        assert_eq!(status, 200);
        assert_no_leak("the page", reader, &page, &secrets);
        if let Some(path) = gs1_path(&battery) {
            let (status, body) = text(s, &path, key, "application/json").await;
            assert_eq!(status, 200, "{path}: {body}");
            assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), expected, "{path} for {reader}");
        }
        // Histories: who, why and the hash chain only for operators and authorities.
        let (status, body) = text(s, &format!("/api/v1/passports/{id}/versions"), key, "application/json").await;
        assert_no_leak("the history", reader, &body, &secrets);
        if status == 200 {
            let items: Value = serde_json::from_str(&body).unwrap();
            let audited = matches!(audience, Audience::Operator | Audience::Authority);
            for entry in items["items"].as_array().unwrap() {
                assert_eq!(entry.get("contentHash").is_some(), audited, "history hashes for {reader}");
                assert_eq!(entry.get("signature").is_some(), audited, "history signatures for {reader}");
                let has_reason = entry.get("reason").is_some();
                assert_eq!(has_reason, audited && entry["version"] == 2, "history reasons for {reader}");
            }
        } else {
            assert!(key.is_none() || reader == "supplier", "{reader} may read histories: {status}");
        }
        // Search results: the battery status only where the reader may read it; searching by it likewise.
        let (status, body) =
            text(s, &format!("/api/v1/passports?batteryId={}", urlencode(&battery)), key, "application/json").await;
        if status == 200 {
            let items: Value = serde_json::from_str(&body).unwrap();
            let item = &items["items"][0];
            assert_eq!(item["id"], id.as_str());
            assert_eq!(
                item.get("status").is_some(),
                expected.pointer("/generalProductInformation/batteryStatus").is_some()
            );
        }
        assert_no_leak("search", reader, &body, &secrets);
        let status_value = latest["generalProductInformation"]["batteryStatus"].as_str().unwrap();
        let (status, body) =
            text(s, &format!("/api/v1/passports?status={status_value}&limit=1000"), key, "application/json").await;
        if status == 200 {
            let items: Value = serde_json::from_str(&body).unwrap();
            let found = items["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str());
            assert_eq!(
                found,
                expected.pointer("/generalProductInformation/batteryStatus").is_some(),
                "search by status for {reader}"
            );
        }
        // Error bodies.
        for path in [format!("/api/v1/passports/{id}/versions/99"), format!("/p/{id}/nothing-here")] {
            let (_, body) = text(s, &path, key, "application/json").await;
            assert_no_leak(&path, reader, &body, &secrets);
        }
        let response =
            s.put(&format!("/api/v1/passports/{id}"), key).json(&serde_json::json!({"x": 1})).send().await.unwrap();
        assert_no_leak("a refused write", reader, &response.text().await.unwrap(), &secrets);
    }
}

/// `/01/{gtin}/21/{serial}` for GS1 product identifiers `(01)…(21)…`.
fn gs1_path(battery: &str) -> Option<String> {
    let link = passport::gs1::parse_element_string(battery).ok()?;
    link.serial.as_ref()?;
    Some(link.digital_link_path())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_read_route_shows_a_reader_more_than_its_access_group(model in 0..3usize, seed in 1..10_000u64) {
        let s = test_server();
        runtime().block_on(check(s, DemoModel::ALL[model], seed));
    }
}
