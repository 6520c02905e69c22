//! API keys over their life through the server: administrators list them by fingerprint and revoke them (the
//! key stops working at once on this server, and within the recheck time when revoked elsewhere), and a key
//! with an expiry stops working when it expires, cached or not.

mod common;

use common::{TestServer, problem};
use serde_json::{Value, json};
use server::Config;
use server::auth::{generate_key, key_hash};
use std::sync::Arc;
use std::time::Duration;
use store::{KeySelector, Store};

on_both_backends!(keys_are_listed_revoked_and_expire);

async fn actor_of(s: &TestServer, key: &str) -> String {
    s.store.actor_by_key_hash(&key_hash(key)).await.unwrap().unwrap().id
}

async fn status(s: &TestServer, key: &str) -> u16 {
    s.get("/api/v1/passports?limit=1", Some(key)).send().await.unwrap().status().as_u16()
}

async fn keys_are_listed_revoked_and_expire(store: Arc<dyn Store>) {
    let recheck = Duration::from_millis(300);
    let s = TestServer::start(store.clone(), Config { key_recheck: recheck, ..Config::default() }).await;

    // Listed by fingerprint, for administrators only; neither keys nor their hashes appear.
    let listed = s.get("/api/v1/keys", Some(&s.admin)).send().await.unwrap();
    assert_eq!(listed.status(), 200);
    let text = listed.text().await.unwrap();
    for key in [&s.admin, &s.operator, &s.other_operator, &s.legitimate, &s.authority, &s.supplier] {
        assert!(!text.contains(key.as_str()) && !text.contains(&key_hash(key)), "no key or hash in the list");
    }
    let listed: Value = serde_json::from_str(&text).unwrap();
    let operator = actor_of(&s, &s.operator).await;
    let fingerprint = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["actorId"] == operator.as_str())
        .map(|k| k["fingerprint"].as_str().unwrap().to_string())
        .unwrap();
    assert!(key_hash(&s.operator).starts_with(&fingerprint));
    problem(s.get("/api/v1/keys", Some(&s.operator)).send().await.unwrap(), 403).await;

    // Revoked through this server: refused at once, even though the server had the holder cached.
    let revoke = |key: &str, body: Value| s.post("/api/v1/keys/revoke", Some(key)).json(&body).send();
    assert_eq!(status(&s, &s.operator).await, 200);
    problem(revoke(&s.operator, json!({"fingerprint": fingerprint})).await.unwrap(), 403).await;
    problem(revoke(&s.admin, json!({"fingerprint": fingerprint, "actorId": operator})).await.unwrap(), 400).await;
    problem(revoke(&s.admin, json!({"fingerprint": "0123"})).await.unwrap(), 422).await;
    problem(revoke(&s.admin, json!({"fingerprint": "ffffffffffffffff"})).await.unwrap(), 404).await;
    let response = revoke(&s.admin, json!({"fingerprint": fingerprint})).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["revoked"], 1);
    assert_eq!(status(&s, &s.operator).await, 401, "revoked at once");
    let listed = s.get_json("/api/v1/keys", Some(&s.admin)).await;
    let entry = listed["items"].as_array().unwrap().iter().find(|k| k["fingerprint"] == fingerprint.as_str()).unwrap();
    assert_eq!(entry["revokedBy"], actor_of(&s, &s.admin).await.as_str());

    // Revoked elsewhere (another server or the CLI, straight in the store): refused once the recheck time passed.
    assert_eq!(status(&s, &s.other_operator).await, 200);
    let other = actor_of(&s, &s.other_operator).await;
    assert_eq!(store.revoke_keys(&KeySelector::Actor(other), "actor:elsewhere").await.unwrap(), 1);
    tokio::time::sleep(recheck + Duration::from_millis(200)).await;
    assert_eq!(status(&s, &s.other_operator).await, 401, "revoked on another server");

    // A key valid for 0.8 s, on a server that trusts looked-up holders for 30 s: it stops at its expiry.
    let trusting = TestServer::start(store.clone(), Config::default()).await;
    let admin = store.actor_by_key_hash(&key_hash(&s.admin)).await.unwrap().unwrap();
    let short = generate_key();
    let until = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(800);
    store.add_key_until(&admin.id, &key_hash(&short), Some(until)).await.unwrap();
    assert_eq!(status(&trusting, &short).await, 200);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(status(&trusting, &short).await, 401, "expired");

    let log = store.audit_entries(0, 10_000).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "key.revoke").count(), 2);
}
