//! Analytics records: a model registers once per version (a different training hash for the same version is
//! refused), results filter and come newest first, holds in force follow the latest hold event of each unit,
//! every table pages in key order and restores into an empty store, and nothing can be rewritten.

use std::sync::Arc;

use serde_json::json;
use store::{AnalyticsModelRow, AnalyticsResult, AuditEvent, ResultFilter, Store, StoreError, UnitHold};
use time::macros::datetime;

fn result(id: &str, subject: &str, flagged: bool, at: time::OffsetDateTime) -> AnalyticsResult {
    AnalyticsResult {
        id: id.into(),
        kind: "eol-screening".into(),
        subject: subject.into(),
        line: Some("L1".into()),
        run_id: "run-1".into(),
        model_name: "screen".into(),
        model_version: "1".into(),
        input_sha256: "ab".repeat(32),
        output: json!({"score": if flagged { 2.5 } else { 0.3 }}),
        flagged,
        actor_id: "actor:test".into(),
        created_at: at,
    }
}

fn hold(unit: &str, action: &str, at: time::OffsetDateTime) -> UnitHold {
    UnitHold {
        seq: 0,
        unit_id: unit.into(),
        action: action.into(),
        reason: format!("{action} {unit}"),
        result_id: None,
        actor_id: "actor:test".into(),
        at,
    }
}

pub async fn analytics_records_round_trip(store: Arc<dyn Store>, empty: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", store::Role::Admin)).await.unwrap();
    let t0 = datetime!(2026-11-01 00:00 UTC);
    let model = AnalyticsModelRow {
        name: "cycle-life".into(),
        version: "1.2.0".into(),
        training_data_sha256: "cd".repeat(32),
        model: json!({"coefficients": [1.5, -0.25]}),
        registered_at: t0,
    };
    store.register_analytics_model(&model).await.unwrap();
    store.register_analytics_model(&model).await.unwrap();
    let other = AnalyticsModelRow { training_data_sha256: "ef".repeat(32), ..model.clone() };
    assert!(matches!(store.register_analytics_model(&other).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.analytics_model("cycle-life", "1.2.0").await.unwrap(), Some(model.clone()));
    assert_eq!(store.analytics_models().await.unwrap(), vec![model.clone()]);

    let results = vec![
        result("r1", "C-1", false, t0),
        result("r2", "C-2", true, t0 + time::Duration::hours(1)),
        result("r3", "C-3", true, t0 + time::Duration::hours(2)),
    ];
    let holds = vec![hold("C-2", "hold", t0), hold("C-3", "hold", t0)];
    let audit = vec![AuditEvent::new("actor:test", "analytics.screen", "L1", json!({}))];
    store.write_analytics(&results, &holds, audit, t0).await.unwrap();
    store.write_analytics(&[], &[hold("C-3", "release", t0)], Vec::new(), t0).await.unwrap();

    let flagged = ResultFilter { flagged_only: true, ..ResultFilter::default() };
    let ids: Vec<String> = store.analytics_results(&flagged, 10).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["r3", "r2"], "flagged ones, newest first");
    let of_c1 = ResultFilter { subject: Some("C-1".into()), ..ResultFilter::default() };
    assert_eq!(store.analytics_results(&of_c1, 10).await.unwrap(), vec![results[0].clone()]);
    let in_force = store.holds_in_force(None).await.unwrap();
    assert_eq!(in_force.iter().map(|h| h.unit_id.as_str()).collect::<Vec<_>>(), ["C-2"], "C-3 was released");
    assert!(store.holds_in_force(Some(&["C-3".to_string()])).await.unwrap().is_empty());
    assert!(store.holds_in_force(Some(&[])).await.unwrap().is_empty());

    // Paged in key order, and restored into an empty store the same.
    let first = store.analytics_result_rows_after(None, 2).await.unwrap();
    let rest = store.analytics_result_rows_after(first.last(), 10).await.unwrap();
    assert_eq!([first, rest].concat(), results);
    let hold_rows = store.unit_hold_rows_after(None, 10).await.unwrap();
    assert_eq!(
        hold_rows.iter().map(|h| (h.unit_id.as_str(), h.action.as_str())).collect::<Vec<_>>(),
        [("C-2", "hold"), ("C-3", "hold"), ("C-3", "release")]
    );
    let model_rows = store.analytics_model_rows_after(None, 10).await.unwrap();
    empty.restore_analytics_models(&model_rows).await.unwrap();
    empty.restore_analytics_results(&results).await.unwrap();
    empty.restore_unit_holds(&hold_rows).await.unwrap();
    assert_eq!(empty.analytics_models().await.unwrap(), vec![model]);
    assert_eq!(empty.analytics_result_rows_after(None, 10).await.unwrap(), results);
    let restored: Vec<(String, String)> =
        empty.holds_in_force(None).await.unwrap().into_iter().map(|h| (h.unit_id, h.reason)).collect();
    assert_eq!(restored, [("C-2".to_string(), "hold C-2".to_string())]);

    // Append-only: an existing id cannot be written again.
    assert!(store.write_analytics(&results[..1], &[], Vec::new(), t0).await.is_err());
}

/// A job's lease: the first holder gets it and renews it, another holder waits until it expires, then takes it.
pub async fn job_leases_go_to_one_holder(store: Arc<dyn Store>) {
    let t0 = datetime!(2026-11-01 00:00 UTC);
    let ttl = time::Duration::seconds(60);
    assert!(store.acquire_lease("rollup-refresh", "server-a", t0, ttl).await.unwrap());
    assert!(!store.acquire_lease("rollup-refresh", "server-b", t0 + time::Duration::seconds(30), ttl).await.unwrap());
    assert!(store.acquire_lease("checkpoints", "server-b", t0, ttl).await.unwrap(), "leases are per job");
    // Renewed by its holder, the lease runs on: b still waits past the first expiry.
    assert!(store.acquire_lease("rollup-refresh", "server-a", t0 + time::Duration::seconds(50), ttl).await.unwrap());
    assert!(!store.acquire_lease("rollup-refresh", "server-b", t0 + time::Duration::seconds(70), ttl).await.unwrap());
    // a stops renewing (it died): once the lease has expired, b takes it, and a no longer holds it.
    assert!(store.acquire_lease("rollup-refresh", "server-b", t0 + time::Duration::seconds(111), ttl).await.unwrap());
    assert!(!store.acquire_lease("rollup-refresh", "server-a", t0 + time::Duration::seconds(112), ttl).await.unwrap());
}
