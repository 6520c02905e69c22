//! The store conformance suite on SQLite (a fresh file per test).

mod conformance;

use std::sync::Arc;
use store::{AppendOptions, SqliteStore, Store, testing};

async fn fresh() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&testing::fresh_sqlite_url()).await.expect("open sqlite"))
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            conformance::$name(fresh().await).await;
        }
    )*};
}

conformance!(
    actors_and_keys,
    keys_expire_and_are_revoked,
    models_are_versioned_and_chained,
    passports_append_and_chain,
    duplicate_battery_ids_write_nothing,
    listing_filters_and_pages,
    bulk_insert_many,
    readings_are_idempotent_and_queryable,
    grants_are_revocable_and_kept,
    signatures_keys_and_audit_chain,
    restore_round_trips_raw_rows,
    restore_round_trips_quality_rows,
    registry_descriptors_and_discovery,
    model_ids_page_in_order,
    quality_coas_revisions_and_decisions,
    quality_specs_are_versioned,
    quality_spc_state_and_alarms,
    quality_sampling_and_lab_results,
    trace_genealogy_round_trip,
    trace_upstream_closure_follows_batches_to_lots,
    job_leases_go_to_one_holder,
);

#[tokio::test]
async fn history_tables_refuse_update_and_delete() {
    let url = testing::fresh_sqlite_url();
    let store = fresh_at(&url).await;
    store.create_actor(&conformance::actor("actor:test", store::Role::Admin)).await.unwrap();
    store.append_passports(vec![conformance::new_passport("urn:t:1", "SN-1")], AppendOptions::default()).await.unwrap();
    use sqlx::Connection;
    let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for sql in ["UPDATE passport_versions SET reason = 'x'", "DELETE FROM passport_versions", "DELETE FROM passports"] {
        let err = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
        assert!(err.to_string().contains("append-only") || err.to_string().contains("never deleted"), "{sql}: {err}");
    }
}

async fn fresh_at(url: &str) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(url).await.unwrap())
}

#[tokio::test]
async fn analytics_records_round_trip() {
    conformance::analytics_records_round_trip(fresh().await, fresh().await).await;
}

/// A CoA's original and parsed JSON are stored packed (migration 0011), and rows written before, as received,
/// read back the same through every reader: the CoA, its original bytes, the SPC recompute's reads and backups.
#[tokio::test]
async fn coas_are_stored_packed_and_rows_from_before_still_read() {
    use serde_json::json;
    use sqlx::{Connection, Row};
    use store::{AuditEvent, CoaWrite, JsonText, NewCoa, NewDecision, QualityStore, RestoreStore, SpcWrite};
    let url = testing::fresh_sqlite_url();
    let store = SqliteStore::open(&url).await.unwrap();
    store.create_actor(&conformance::actor("actor:test", store::Role::Admin)).await.unwrap();
    let at = time::macros::datetime!(2026-11-01 00:00 UTC);
    let characteristics: Vec<_> = (0..20)
        .map(|i| json!({"name": format!("C{i}"), "unit": "µm", "result": {"value": 10.0 + f64::from(i) / 7.0}}))
        .collect();
    let coa_json =
        |lot: &str| json!({"lot": {"number": lot, "manufacturedOn": "2026-10-01"}, "characteristics": characteristics});
    let original = serde_json::to_vec_pretty(&coa_json("L-new")).unwrap();
    let parsed = JsonText::of(&coa_json("L-new")).unwrap();
    let coa = NewCoa {
        id: "coa:new".into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        lot_number: "L-new".into(),
        content_hash: "hash-new".into(),
        media_type: "application/json".into(),
        original: original.clone(),
        parsed: Some(parsed.clone()),
        actor_id: "actor:test".into(),
        received_at: at,
    };
    let decision = NewDecision {
        outcome: "accepted".into(),
        reasons: json!([]),
        spec_material: None,
        spec_version: None,
        decided_by: "actor:test".into(),
        decided_at: at,
        override_reason: None,
    };
    let event = AuditEvent::new("actor:test", "coa.receive", "coa:new", json!({}));
    store.insert_coas(vec![CoaWrite { coa, decision, event }], SpcWrite::default()).await.unwrap();

    // On disk: packed, and much smaller than what was received.
    let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let row = sqlx::query("SELECT packing, length(original) AS o, length(parsed) AS p FROM coas WHERE id = 'coa:new'")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(row.get::<Option<String>, _>("packing").as_deref(), Some("lz4"));
    assert!(row.get::<i64, _>("o") * 2 < original.len() as i64, "original packed: {} bytes", row.get::<i64, _>("o"));
    assert!(row.get::<i64, _>("p") * 2 < parsed.get().len() as i64, "parsed packed: {} bytes", row.get::<i64, _>("p"));

    // A row as an earlier version wrote it: original and parsed as received, no packing.
    let old_original = b"{\"lot\":{\"number\":\"L-old\"}}".to_vec();
    let old_parsed = coa_json("L-old").to_string();
    sqlx::query(
        "INSERT INTO coas (id, supplier_id, material_id, lot_number, revision, content_hash, media_type, original, \
         parsed, actor_id, received_at) VALUES ('coa:old', 'BPNL000000000CAM', 'NMC811', 'L-old', 1, 'hash-old', \
         'application/json', ?1, ?2, 'actor:test', ?3)",
    )
    .bind(&old_original)
    .bind(&old_parsed)
    .bind(at)
    .execute(&mut raw)
    .await
    .unwrap();

    assert_eq!(store.coa_original("coa:new").await.unwrap().unwrap().1, original);
    assert_eq!(store.coa_original("coa:old").await.unwrap().unwrap().1, old_original);
    assert_eq!(store.coa("coa:new").await.unwrap().unwrap().parsed, Some(parsed.clone()));
    let old = store.coa("coa:old").await.unwrap().unwrap().parsed.unwrap();
    assert_eq!(old, JsonText::from_text(old_parsed.clone()).unwrap());
    let bulk = store.parsed_coas(None, Some("NMC811"), None, 10).await.unwrap();
    let texts: Vec<_> = bulk.iter().map(|c| (c.id.as_str(), c.parsed.clone().unwrap())).collect();
    assert_eq!(texts, [("coa:new", parsed.get().to_string()), ("coa:old", old_parsed.clone())]);
    let rows = store.coa_rows_after(None, 10).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.original.clone()).collect::<Vec<_>>(), [original, old_original]);
    assert_eq!(rows[1].parsed, Some(coa_json("L-old")), "a backup carries the parsed JSON unpacked");
}
