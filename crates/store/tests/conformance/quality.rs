//! Supplier quality: CoA revisions per lot (never overwritten), decisions and overrides (append-only),
//! listing by the latest decision, specifications, and the audit entries written with each.

use serde_json::json;
use std::sync::Arc;
use store::*;

fn new_coa(id: &str, lot: &str, bytes: &[u8], at: time::OffsetDateTime) -> NewCoa {
    NewCoa {
        id: id.into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        lot_number: lot.into(),
        content_hash: format!("hash-of-{}", String::from_utf8_lossy(bytes)),
        media_type: "application/json".into(),
        original: bytes.to_vec(),
        parsed: Some(json!({"lot": {"number": lot}})),
        actor_id: "actor:test".into(),
        received_at: at,
    }
}

fn decision(outcome: &str, at: time::OffsetDateTime, override_reason: Option<&str>) -> NewDecision {
    NewDecision {
        outcome: outcome.into(),
        reasons: json!([{"kind": "missing_required", "characteristic": "D50"}]),
        spec_material: Some("NMC811".into()),
        spec_version: Some(1),
        decided_by: "actor:test".into(),
        decided_at: at,
        override_reason: override_reason.map(Into::into),
    }
}

fn received(id: &str) -> AuditEvent {
    AuditEvent::new("actor:test", "coa.receive", id, json!({"id": id}))
}

pub async fn quality_coas_revisions_and_decisions(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", Role::Admin)).await.unwrap();
    let t0 = time::macros::datetime!(2026-11-01 00:00 UTC);
    let t1 = time::macros::datetime!(2026-11-02 00:00 UTC);

    let first = store
        .insert_coa(new_coa("coa:01", "L1", b"{\"a\":1}", t0), decision("accepted", t0, None), received("coa:01"))
        .await
        .unwrap();
    assert_eq!(first.revision, 1);
    assert_eq!(first.decision.as_ref().unwrap().outcome, "accepted");
    assert_eq!(first.decision.as_ref().unwrap().seq, 1);
    assert_eq!(first.received_at, t0);
    let second = store
        .insert_coa(new_coa("coa:02", "L1", b"{\"a\":2}", t1), decision("hold", t1, None), received("coa:02"))
        .await
        .unwrap();
    assert_eq!(second.revision, 2, "a re-sent CoA for the lot is the next revision");
    let other = store
        .insert_coa(new_coa("coa:03", "L2", b"x", t1), decision("rejected", t1, None), received("coa:03"))
        .await
        .unwrap();
    assert_eq!(other.revision, 1);

    // Both revisions are kept, with their original bytes.
    let revisions = store.coa_revisions("BPNL000000000CAM", "NMC811", "L1").await.unwrap();
    assert_eq!(revisions.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["coa:01", "coa:02"]);
    assert_eq!(
        store.coa_original("coa:01").await.unwrap().unwrap(),
        ("application/json".into(), b"{\"a\":1}".to_vec())
    );
    assert_eq!(store.coa_original("coa:02").await.unwrap().unwrap().1, b"{\"a\":2}".to_vec());
    assert!(store.coa_original("coa:nope").await.unwrap().is_none());
    assert_eq!(store.coa("coa:01").await.unwrap().unwrap().parsed, Some(json!({"lot": {"number": "L1"}})));

    // An override is a new decision; the first stays.
    let overridden = store
        .add_decision(
            "coa:02",
            decision("accepted", t1, Some("deviation approved")),
            AuditEvent::new("actor:test", "coa.override", "coa:02", json!({})),
        )
        .await
        .unwrap();
    assert_eq!(overridden.seq, 2);
    let history = store.coa_decisions("coa:02").await.unwrap();
    assert_eq!(history.iter().map(|d| d.outcome.as_str()).collect::<Vec<_>>(), ["hold", "accepted"]);
    assert_eq!(history[1].override_reason.as_deref(), Some("deviation approved"));
    assert_eq!(history[0].reasons, json!([{"kind": "missing_required", "characteristic": "D50"}]));
    assert_eq!(store.coa("coa:02").await.unwrap().unwrap().decision.unwrap().outcome, "accepted");
    let missing = store.add_decision("coa:nope", decision("accepted", t1, Some("x")), received("coa:nope")).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");

    // Listing filters by the latest decision, lot, material, supplier; pages by id.
    let ids = |found: Vec<StoredCoa>| found.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let all = CoaFilter::default();
    assert_eq!(ids(store.coas(&all, None, 10).await.unwrap()), ["coa:01", "coa:02", "coa:03"]);
    assert_eq!(ids(store.coas(&all, Some("coa:01"), 1).await.unwrap()), ["coa:02"]);
    let accepted = CoaFilter { outcome: Some("accepted".into()), ..Default::default() };
    assert_eq!(ids(store.coas(&accepted, None, 10).await.unwrap()), ["coa:01", "coa:02"]);
    let hold = CoaFilter { outcome: Some("hold".into()), ..Default::default() };
    assert!(store.coas(&hold, None, 10).await.unwrap().is_empty(), "the override is in force");
    let lot = CoaFilter { lot: Some("L2".into()), material: Some("NMC811".into()), ..Default::default() };
    assert_eq!(ids(store.coas(&lot, None, 10).await.unwrap()), ["coa:03"]);
    let stranger = CoaFilter { supplier: Some("BPNL000000000XXX".into()), ..Default::default() };
    assert!(store.coas(&stranger, None, 10).await.unwrap().is_empty());

    // Every write is in the audit chain, the receipt with its revision.
    let audit: Vec<_> =
        store.audit_entries(0, 100).await.unwrap().into_iter().filter(|e| e.action.starts_with("coa.")).collect();
    let actions: Vec<_> = audit.iter().map(|e| (e.action.as_str(), e.subject.as_str())).collect();
    assert_eq!(
        actions,
        [("coa.receive", "coa:01"), ("coa.receive", "coa:02"), ("coa.receive", "coa:03"), ("coa.override", "coa:02")]
    );
    assert_eq!(serde_json::from_str::<serde_json::Value>(&audit[1].detail).unwrap()["revision"], 2);
}

pub async fn quality_specs_are_versioned(store: Arc<dyn Store>) {
    let at = time::macros::datetime!(2026-11-01 00:00 UTC);
    let spec = |supplier: Option<&str>, version: i64| StoredSpec {
        material_id: "NMC811".into(),
        supplier_id: supplier.map(Into::into),
        version,
        spec: json!({"material": "NMC811", "version": version}),
        created_by: "system".into(),
        created_at: at,
    };
    let event = || AuditEvent::new("system", "spec.put", "NMC811", json!({}));
    assert!(store.put_spec(&spec(None, 1), event()).await.unwrap());
    assert!(!store.put_spec(&spec(None, 1), event()).await.unwrap(), "an existing version is kept");
    assert!(store.put_spec(&spec(None, 2), event()).await.unwrap());
    assert!(store.put_spec(&spec(Some("BPNL000000000CAM"), 1), event()).await.unwrap());
    let mut lfp = spec(None, 1);
    lfp.material_id = "LFP".into();
    assert!(store.put_spec(&lfp, event()).await.unwrap());
    let stored = store.specs(Some("NMC811")).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0], spec(None, 1));
    assert!(stored.contains(&spec(Some("BPNL000000000CAM"), 1)));
    assert_eq!(store.specs(None).await.unwrap().len(), 4);
    assert_eq!(store.audit_entries(0, 100).await.unwrap().len(), 4, "one entry per stored version");
    assert!(!store.is_empty().await.unwrap(), "quality data makes a store non-empty");
}
