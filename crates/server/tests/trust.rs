//! Signed versions, the did:web document, verifiable credentials and the audit chain, end to end.

mod common;

use common::{TestServer, documents, problem};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use serde_json::{Value, json};
use server::Config;
use std::sync::Arc;
use store::Store;

on_both_backends!(versions_are_signed_and_export_as_credentials, the_audit_log_is_a_hash_chain);

async fn versions_are_signed_and_export_as_credentials(store: Arc<dyn Store>) {
    let s = TestServer::start(store.clone(), Config::default()).await;
    s.create_demo_models().await;

    // Without an issuer key a version is not signed, and no credential can be made of it.
    let doc = documents(DemoModel::EvNmc811Pack, 1, 61).remove(0);
    let created: Value = s
        .post("/api/v1/passports", Some(&s.operator))
        .json(&item_body(&doc))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let unsigned = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    problem(s.get(&format!("/api/v1/passports/{unsigned}/versions/1/credential"), None).send().await.unwrap(), 409)
        .await;

    // The operator creates its key; other operators may not create keys for it.
    let response = s.post("/api/v1/issuer-keys", Some(&s.operator)).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let key1: Value = response.json().await.unwrap();
    assert!(key1.get("secretHex").is_none(), "the secret never leaves the server: {key1}");
    let operator = key1["operator"].as_str().unwrap().to_string();
    problem(
        s.post("/api/v1/issuer-keys", Some(&s.other_operator))
            .json(&json!({"operator": operator}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;

    let doc = documents(DemoModel::EvNmc811Pack, 1, 62).remove(0);
    let created: Value = s
        .post("/api/v1/passports", Some(&s.operator))
        .json(&item_body(&doc))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    let signatures = store.version_signatures(&id).await.unwrap();
    assert_eq!(signatures.len(), 1);
    assert_eq!(signatures[0].1.key_id, key1["keyId"].as_str().unwrap());

    // The credential verifies against the published DID document, for the public as for authorities.
    let did: Value = s.get_json("/.well-known/did.json", None).await;
    assert!(did["id"].as_str().unwrap().starts_with("did:web:localhost"), "{did}");
    let public: Value = s.get_json(&format!("/api/v1/passports/{id}/versions/1/credential"), None).await;
    let verified = interop::verify_credential(&public, &did).unwrap();
    assert!(verified.verification_method.ends_with(key1["keyId"].as_str().unwrap()));
    assert!(public["credentialSubject"].get("contentHash").is_none(), "no record hash for the public");
    assert!(public["credentialSubject"]["batteryPassport"]["performance"].get("batteryCondition").is_none());
    let audited: Value = s.get_json(&format!("/api/v1/passports/{id}/versions/1/credential"), Some(&s.authority)).await;
    interop::verify_credential(&audited, &did).unwrap();
    let history = s.get_json(&format!("/api/v1/passports/{id}/versions"), Some(&s.authority)).await;
    assert_eq!(audited["credentialSubject"]["contentHash"], history["items"][0]["contentHash"]);
    // Auditors see each version's signature in the history; others do not.
    assert_eq!(history["items"][0]["signature"]["keyId"], key1["keyId"]);
    assert_eq!(
        audited["credentialSubject"]["versionSignature"]["signature"],
        history["items"][0]["signature"]["signature"]
    );
    let seen = s.get_json(&format!("/api/v1/passports/{id}/versions"), Some(&s.legitimate)).await;
    assert!(seen["items"][0].get("signature").is_none(), "{seen}");
    // The same request gives the same credential (deterministic proof).
    assert_eq!(public, s.get_json(&format!("/api/v1/passports/{id}/versions/1/credential"), None).await);

    // A changed subject no longer verifies, and says so.
    let mut forged = public.clone();
    forged["credentialSubject"]["batteryPassport"]["generalProductInformation"]["productIdentifier"] = json!("FAKE-1");
    let error = interop::verify_credential(&forged, &did).unwrap_err().to_string();
    assert!(error.to_lowercase().contains("signature"), "{error}");

    // Rotation: new versions are signed with the new key; the old credential still verifies.
    let key2: Value =
        s.post("/api/v1/issuer-keys", Some(&s.operator)).json(&json!({})).send().await.unwrap().json().await.unwrap();
    assert_ne!(key1["keyId"], key2["keyId"]);
    let mut update = s.get_json(&format!("/api/v1/passports/{id}"), Some(&s.operator)).await;
    update["reason"] = json!("after rotation");
    assert_eq!(
        s.put(&format!("/api/v1/passports/{id}"), Some(&s.operator)).json(&update).send().await.unwrap().status(),
        200
    );
    let signatures = store.version_signatures(&id).await.unwrap();
    assert_eq!(signatures[1].1.key_id, key2["keyId"].as_str().unwrap());
    let did: Value = s.get_json("/.well-known/did.json", None).await;
    assert_eq!(did["verificationMethod"].as_array().unwrap().len(), 2);
    interop::verify_credential(&public, &did).expect("credentials signed before the rotation still verify");
    let v2: Value = s.get_json(&format!("/api/v1/passports/{id}/versions/2/credential"), None).await;
    assert!(
        interop::verify_credential(&v2, &did).unwrap().verification_method.ends_with(key2["keyId"].as_str().unwrap())
    );
}

async fn the_audit_log_is_a_hash_chain(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 71).remove(0);
    assert_eq!(
        s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap().status(),
        201
    );
    assert_eq!(s.get("/api/v1/passports", Some("vpk_wrong")).send().await.unwrap().status(), 401);
    problem(s.get("/api/v1/audit", Some(&s.operator)).send().await.unwrap(), 403).await;

    let entries = s.get_json("/api/v1/audit", Some(&s.authority)).await;
    let entries = entries["items"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for wanted in ["actor.create", "key.create", "model.append", "passport.append", "auth.failure"] {
        assert!(actions.contains(&wanted), "{wanted} missing from {actions:?}");
    }
    for pair in entries.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"], "entry {} links to {}", pair[1]["seq"], pair[0]["seq"]);
        assert_eq!(pair[1]["seq"].as_i64().unwrap(), pair[0]["seq"].as_i64().unwrap() + 1);
    }
    let logged = serde_json::to_string(&entries).unwrap();
    assert!(!logged.contains(&s.operator) && !logged.contains("vpk_wrong"), "keys never reach the audit log");
}
