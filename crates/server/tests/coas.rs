//! Supplier quality over REST: receiving eCoAs (JSON, CSV, PDF) with revisions and decisions, who may submit,
//! read and override, bad input as problem+json with where the error is, listing filters, the schema.

mod common;

use common::quality::supplier_key;
use common::{TestServer, problem};
use serde_json::{Value, json};
use server::Config;
use std::sync::Arc;
use store::Store;

on_both_backends!(receive_revise_and_read, refusals_store_nothing, decisions_overrides_and_listing);

/// The supplier the fixtures are from.
const CAM: &str = "BPNL000000000CAM";

fn fixture(name: &str) -> String {
    let path = format!("{}/../quality/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    // The fixtures' lot expires on 2026-04-10: move it into the future so the decision does not depend on today.
    std::fs::read_to_string(path).unwrap().replace("2026-04-10", "2099-04-10")
}

fn detail(entry: &store::AuditEntry) -> Value {
    serde_json::from_str(&entry.detail).unwrap()
}

async fn post_coa(s: &TestServer, key: &str, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    s.post("/api/v1/coas", Some(key)).header("content-type", content_type).body(body).send().await.unwrap()
}

async fn created(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn coa_count(s: &TestServer) -> usize {
    let listing = s.get_json("/api/v1/coas?limit=1000", Some(&s.admin)).await;
    listing["items"].as_array().unwrap().len()
}

async fn receive_revise_and_read(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let cam = supplier_key(&s.store, CAM).await;
    let json_coa = fixture("ecoa-nmc811-good.json");

    let first = created(post_coa(&s, &cam, "application/json", json_coa.clone()).await).await;
    assert_eq!(first["revision"], 1);
    assert_eq!(first["decision"]["outcome"], "accepted", "{first}");
    assert_eq!(first["supplierId"], CAM);
    assert_eq!(first["materialId"], "NMC811");
    assert_eq!(first["lotNumber"], "L2504-0173");
    assert_eq!(first["contentHash"], quality::ecoa::content_hash(json_coa.as_bytes()));
    let id = first["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("coa:"));

    // The same lot again, as CSV: revision 2; both are kept.
    let csv_coa = fixture("ecoa-nmc811-good.csv");
    let second = created(post_coa(&s, &cam, "text/csv; charset=utf-8", csv_coa.clone()).await).await;
    assert_eq!(second["revision"], 2);
    assert_eq!(second["decision"]["outcome"], "accepted", "{second}");
    let second_id = second["id"].as_str().unwrap();

    let record = s.get_json(&format!("/api/v1/coas/{id}"), Some(&s.operator)).await;
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["parsed"]["documentId"], "COA-2025-04-0173");
    assert_eq!(record["decisions"].as_array().unwrap().len(), 1);
    let revisions: Vec<_> = record["revisions"].as_array().unwrap().iter().map(|r| r["revision"].clone()).collect();
    assert_eq!(revisions, [json!(1), json!(2)]);

    // The originals, byte for byte, with their hash.
    for (coa_id, bytes, media) in [(id.as_str(), &json_coa, "application/json"), (second_id, &csv_coa, "text/csv")] {
        let response = s.get(&format!("/api/v1/coas/{coa_id}/original"), Some(&cam)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], media);
        let hash = quality::ecoa::content_hash(bytes.as_bytes());
        assert_eq!(response.headers()["etag"].to_str().unwrap(), format!("\"{hash}\""));
        assert!(response.headers()["repr-digest"].to_str().unwrap().starts_with("sha-256=:"));
        assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_bytes());
    }

    // A PDF is kept by hash and held, for the lot the request names.
    let pdf = b"%PDF-1.7\n% supplier's own certificate\n".to_vec();
    problem(post_coa(&s, &cam, "application/pdf", pdf.clone()).await, 400).await;
    problem(post_coa(&s, &cam, "application/pdf", "not a pdf").await, 400).await;
    let response = s
        .post("/api/v1/coas?material=NMC811&lot=L2504-0173", Some(&cam))
        .header("content-type", "application/pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    let body = created(response).await;
    assert_eq!(body["revision"], 3);
    assert_eq!(body["decision"]["outcome"], "hold");
    assert_eq!(body["decision"]["reasons"][0]["kind"], "not_machine_readable");
    // The eCoAs of this lot state another document hash than this PDF's.
    let pdf_hash = quality::ecoa::content_hash(&pdf);
    let mismatch = &body["decision"]["reasons"][1];
    assert_eq!(mismatch["kind"], "document_hash_mismatch", "{body}");
    assert_eq!(mismatch["actual"], pdf_hash.as_str());
    // An eCoA stating that other hash now that the document is here: held for the mismatch; stating the
    // received document's hash: accepted.
    let stale = created(post_coa(&s, &cam, "application/json", json_coa.clone()).await).await;
    assert_eq!(stale["decision"]["outcome"], "hold", "{stale}");
    let reasons = stale["decision"]["reasons"].as_array().unwrap();
    let reason = reasons.iter().find(|r| r["kind"] == "document_hash_mismatch").expect("a hash mismatch");
    assert_eq!(reason["actual"], pdf_hash.as_str());
    let stated = json_coa.replace("3b4c1f0e9a2d7c5b8e6f4a3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a098", &pdf_hash);
    let matching = created(post_coa(&s, &cam, "application/json", stated).await).await;
    assert_eq!(matching["decision"]["outcome"], "accepted", "{matching}");
    let original =
        s.get(&format!("/api/v1/coas/{}/original", body["id"].as_str().unwrap()), Some(&s.admin)).send().await.unwrap();
    assert_eq!(original.headers()["content-type"], "application/pdf");
    assert_eq!(original.bytes().await.unwrap().as_ref(), pdf.as_slice());

    // Other suppliers do not see it; the schema is public.
    let stranger = supplier_key(&s.store, "BPNL000000000XYZ").await;
    problem(s.get(&format!("/api/v1/coas/{id}"), Some(&stranger)).send().await.unwrap(), 404).await;
    problem(s.get(&format!("/api/v1/coas/{id}"), Some(&s.legitimate)).send().await.unwrap(), 403).await;
    let schema = s.get("/api/v1/schemas/ecoa.json", None).send().await.unwrap();
    assert_eq!(schema.status(), 200);
    let schema: Value = schema.json().await.unwrap();
    assert_eq!(schema, serde_json::from_str::<Value>(quality::ecoa::SCHEMA).unwrap());

    // Every receipt is in the audit log with its revision.
    let audit = s.store.audit_entries(0, 1000).await.unwrap();
    let receipts: Vec<_> = audit.iter().filter(|e| e.action == "coa.receive").collect();
    assert_eq!(receipts.len(), 5);
    assert_eq!(detail(receipts[1])["revision"], 2);
    assert!(audit.iter().any(|e| e.action == "spec.seed" && e.subject == "NMC811" && e.actor_id == "system"));
}

async fn refusals_store_nothing(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let cam = supplier_key(&s.store, CAM).await;
    let good = fixture("ecoa-nmc811-good.json");

    // Another supplier's key: 403, with where the supplier is named.
    let other = supplier_key(&s.store, "BPNL000000000XYZ").await;
    let body = problem(post_coa(&s, &other, "application/json", good.clone()).await, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("wrong supplier"), "{body}");
    assert_eq!(body["pointer"], "/supplier/id");
    // Roles that do not submit.
    problem(post_coa(&s, &s.operator, "application/json", good.clone()).await, 403).await;
    problem(post_coa(&s, &s.supplier, "application/json", good.clone()).await, 403).await;
    problem(post_coa(&s, &cam, "application/xml", good.clone()).await, 415).await;

    // Malformed JSON: line and column.
    let body =
        problem(post_coa(&s, &cam, "application/json", "{\n  \"ecoaVersion\": \"1.0\",\n  oops\n}").await, 422).await;
    assert_eq!(body["kind"], "text");
    assert_eq!(body["line"], 3);
    assert!(body["column"].as_u64().unwrap() >= 1);
    assert!(body["detail"].as_str().unwrap().contains("malformed JSON"), "{body}");

    // Unknown material: where.
    let unknown = good.replace("\"id\": \"NMC811\"", "\"id\": \"UNOBTAINIUM\"");
    let body = problem(post_coa(&s, &cam, "application/json", unknown).await, 422).await;
    assert_eq!(body["pointer"], "/material/id");
    assert!(body["detail"].as_str().unwrap().contains("UNOBTAINIUM"));

    // Impossible value, duplicated characteristic, CSV with line and column.
    let negative = good.replace("\"result\": { \"value\": 180 }", "\"result\": { \"value\": -5 }");
    let body = problem(post_coa(&s, &cam, "application/json", negative).await, 422).await;
    assert!(body["pointer"].as_str().unwrap().starts_with("/characteristics/5"), "{body}");
    let csv = fixture("ecoa-nmc811-good.csv");
    let duplicated = csv.replace(",Zn,ICP-OES,", ",Fe,ICP-OES,");
    let body = problem(post_coa(&s, &cam, "text/csv", duplicated).await, 422).await;
    assert_eq!(body["kind"], "text");
    assert!(body["line"].as_u64().unwrap() > 3, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("duplicates"), "{body}");

    assert_eq!(coa_count(&s).await, 0, "nothing stored");
    assert!(!s.store.audit_entries(0, 1000).await.unwrap().iter().any(|e| e.action == "coa.receive"));
}

async fn decisions_overrides_and_listing(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let cam = supplier_key(&s.store, CAM).await;
    let good = fixture("ecoa-nmc811-good.json");

    // Li2CO3 is critical: above 0.4 % rejects. Moisture is not: above 300 ppm holds.
    let critical = good
        .replace("\"number\": \"L2504-0173\"", "\"number\": \"L-CRIT\"")
        .replace("\"result\": { \"value\": 0.21 }", "\"result\": { \"value\": 0.55 }");
    let rejected = created(post_coa(&s, &cam, "application/json", critical).await).await;
    assert_eq!(rejected["decision"]["outcome"], "rejected", "{rejected}");
    let reasons = rejected["decision"]["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r["kind"] == "out_of_spec" && r["characteristic"] == "Li2CO3" && r["critical"] == true)
    );
    let wet = good
        .replace("\"number\": \"L2504-0173\"", "\"number\": \"L-WET\"")
        .replace("\"result\": { \"value\": 180 }", "\"result\": { \"value\": 350 }");
    let held = created(post_coa(&s, &cam, "application/json", wet).await).await;
    assert_eq!(held["decision"]["outcome"], "hold", "{held}");
    assert!(held["decision"]["reasons"].as_array().unwrap().iter().any(|r| r["characteristic"] == "Moisture"));
    let fine = created(post_coa(&s, &cam, "application/json", good.clone()).await).await;
    assert_eq!(fine["decision"]["outcome"], "accepted");
    let held_id = held["id"].as_str().unwrap();

    // Overrides: not by the supplier, not without a reason; by an operator, as a new decision.
    let path = format!("/api/v1/coas/{held_id}/decision");
    let body = json!({"outcome": "accepted", "reason": "deviation DEV-7 approved by material review"});
    problem(s.post(&path, Some(&cam)).json(&body).send().await.unwrap(), 403).await;
    problem(
        s.post(&path, Some(&s.operator)).json(&json!({"outcome": "accepted", "reason": " "})).send().await.unwrap(),
        400,
    )
    .await;
    problem(
        s.post(&path, Some(&s.operator)).json(&json!({"outcome": "maybe", "reason": "x"})).send().await.unwrap(),
        400,
    )
    .await;
    problem(s.post("/api/v1/coas/coa:nope/decision", Some(&s.operator)).json(&body).send().await.unwrap(), 404).await;
    let response = s.post(&path, Some(&s.operator)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let decision: Value = response.json().await.unwrap();
    assert_eq!(decision["seq"], 2);
    assert_eq!(decision["outcome"], "accepted");
    assert_eq!(decision["overrideReason"], "deviation DEV-7 approved by material review");
    let record = s.get_json(&format!("/api/v1/coas/{held_id}"), Some(&s.admin)).await;
    let outcomes: Vec<_> = record["decisions"].as_array().unwrap().iter().map(|d| d["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("hold"), json!("accepted")]);
    assert_eq!(record["decision"]["outcome"], "accepted");
    let audit = s.store.audit_entries(0, 1000).await.unwrap();
    let entry = audit.iter().find(|e| e.action == "coa.override").expect("override audited");
    assert_eq!(entry.subject, held_id);
    assert_eq!(detail(entry)["from"], "hold");
    assert_eq!(detail(entry)["reason"], "deviation DEV-7 approved by material review");

    // Listing by the decision in force, material, supplier; suppliers see their own only; paging.
    let ids = |listing: &Value| -> Vec<String> {
        listing["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
    };
    let accepted = s.get_json("/api/v1/coas?outcome=accepted", Some(&s.authority)).await;
    assert_eq!(ids(&accepted), [held_id.to_string(), fine["id"].as_str().unwrap().to_string()]);
    let rejected_only = s.get_json("/api/v1/coas?outcome=rejected&material=NMC811", Some(&s.admin)).await;
    assert_eq!(ids(&rejected_only), [rejected["id"].as_str().unwrap().to_string()]);
    assert_eq!(ids(&s.get_json("/api/v1/coas?material=LFP", Some(&s.admin)).await).len(), 0);
    assert_eq!(ids(&s.get_json("/api/v1/coas?lot=L-WET", Some(&s.admin)).await), [held_id.to_string()]);
    assert_eq!(ids(&s.get_json("/api/v1/coas", Some(&cam)).await).len(), 3);
    let stranger = supplier_key(&s.store, "BPNL000000000XYZ").await;
    assert_eq!(ids(&s.get_json("/api/v1/coas", Some(&stranger)).await).len(), 0);
    assert_eq!(ids(&s.get_json(&format!("/api/v1/coas?supplier={CAM}"), Some(&stranger)).await).len(), 0);
    problem(s.get("/api/v1/coas", Some(&s.legitimate)).send().await.unwrap(), 403).await;
    problem(s.get("/api/v1/coas?outcome=maybe", Some(&s.admin)).send().await.unwrap(), 400).await;
    let page = s.get_json("/api/v1/coas?limit=2", Some(&s.admin)).await;
    assert_eq!(ids(&page).len(), 2);
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest = s.get_json(&format!("/api/v1/coas?limit=2&cursor={cursor}"), Some(&s.admin)).await;
    assert_eq!(ids(&rest).len(), 1);
    assert!(rest.get("nextCursor").is_none());
}
