//! The store conformance suite on PostgreSQL (a fresh database per test). Needs VOLTPASS_TEST_PG_URL.

mod conformance;

use std::sync::Arc;
use store::{AppendOptions, PostgresStore, Store, testing};

async fn fresh() -> Option<Arc<dyn Store>> {
    let url = testing::fresh_postgres_url().await?;
    Some(Arc::new(PostgresStore::open(&url).await.expect("open postgres")))
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            if let Some(store) = fresh().await {
                conformance::$name(store).await;
            }
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
    let Some(url) = testing::fresh_postgres_url().await else {
        return;
    };
    let store = PostgresStore::open(&url).await.unwrap();
    store.create_actor(&conformance::actor("actor:test", store::Role::Admin)).await.unwrap();
    store.append_passports(vec![conformance::new_passport("urn:t:1", "SN-1")], AppendOptions::default()).await.unwrap();
    use sqlx::Connection;
    let mut raw = sqlx::PgConnection::connect(&url).await.unwrap();
    for sql in ["UPDATE passport_versions SET reason = 'x'", "DELETE FROM passport_versions", "DELETE FROM passports"] {
        let err = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn analytics_records_round_trip() {
    if let (Some(store), Some(empty)) = (fresh().await, fresh().await) {
        conformance::analytics_records_round_trip(store, empty).await;
    }
}
