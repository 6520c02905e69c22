//! Supplier-quality fixtures: a supplier's key and a series of NMC811 lots whose D50 shifts after the
//! Phase I baseline.

use super::TestServer;
use serde_json::{Value, json};
use server::auth::{generate_key, key_hash};
use std::sync::Arc;
use store::{Actor, Role, Store};

/// The supplier the fixture CoA is from.
pub const CAM: &str = "BPNL000000000CAM";

/// Lots in the Phase I baseline (the server's).
pub const BASELINE: usize = server::service::spc::BASELINE_LOTS;

/// D50 of baseline lot `i`: spread evenly over 10.95..11.05 µm in a scrambled order (fixed, so tests are
/// repeatable).
pub fn baseline_d50(i: usize) -> f64 {
    11.0 + 0.1 * (((i * 37) % 50) as f64 / 49.0 - 0.5)
}

/// D50 of the lot after the baseline: far beyond the control limits, inside the specification (9-13 µm).
pub const SHIFTED_D50: f64 = 12.6;

/// The fixture CoA as lot `n`, manufactured `n` weeks after 2025-01-06, with a single D50 value.
pub fn lot(n: usize, value: f64) -> String {
    let path = format!("{}/../quality/tests/fixtures/ecoa-nmc811-good.json", env!("CARGO_MANIFEST_DIR"));
    let mut coa: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let made = time::Date::from_calendar_date(2025, time::Month::January, 6).unwrap() + time::Duration::weeks(n as i64);
    coa["lot"]["number"] = json!(format!("L-{n:03}"));
    coa["lot"]["manufacturedOn"] = json!(made.to_string());
    coa["lot"]["expiresOn"] = json!("2099-01-01");
    coa["issuedOn"] = json!(made.to_string());
    coa["documentId"] = json!(format!("COA-{n:03}"));
    let d50 = coa["characteristics"].as_array_mut().unwrap().iter_mut().find(|c| c["name"] == "D50").unwrap();
    d50["result"] = json!({ "value": value });
    coa.to_string()
}

/// A supplier key for `organisation`.
pub async fn supplier_key(store: &Arc<dyn Store>, organisation: &str) -> String {
    let actor = Actor {
        id: format!("actor:{}", uuid::Uuid::now_v7()),
        name: format!("supplier {organisation}"),
        role: Role::Supplier,
        organisation: Some(organisation.into()),
        subrole: None,
    };
    store.create_actor(&actor).await.unwrap();
    let key = generate_key();
    store.add_key(&actor.id, &key_hash(&key)).await.unwrap();
    key
}

/// POSTs an eCoA; it must be stored.
pub async fn post_coa(s: &TestServer, key: &str, body: String) -> Value {
    let response =
        s.post("/api/v1/coas", Some(key)).header("content-type", "application/json").body(body).send().await.unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

/// The baseline lots 1..=[`BASELINE`] (each accepted) and the next with [`SHIFTED_D50`], returned as stored.
pub async fn baseline_and_shift(s: &TestServer, key: &str) -> Value {
    for i in 1..=BASELINE {
        let stored = post_coa(s, key, lot(i, baseline_d50(i))).await;
        assert_eq!(stored["decision"]["outcome"], "accepted", "baseline lot {i}: {stored}");
    }
    post_coa(s, key, lot(BASELINE + 1, SHIFTED_D50)).await
}
