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
        parsed: Some(store::JsonText::of(&json!({"lot": {"number": lot}})).unwrap()),
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

/// One CoA through the batch write, without SPC state.
async fn insert_one(
    store: &Arc<dyn Store>,
    coa: NewCoa,
    decision: NewDecision,
    event: AuditEvent,
) -> Result<StoredCoa> {
    let stored = store.insert_coas(vec![CoaWrite { coa, decision, event }], SpcWrite::default()).await?;
    Ok(stored.into_iter().next().expect("one CoA stored"))
}

pub async fn quality_coas_revisions_and_decisions(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", Role::Admin)).await.unwrap();
    let t0 = time::macros::datetime!(2026-11-01 00:00 UTC);
    let t1 = time::macros::datetime!(2026-11-02 00:00 UTC);

    let first = insert_one(
        &store,
        new_coa("coa:01", "L1", b"{\"a\":1}", t0),
        decision("accepted", t0, None),
        received("coa:01"),
    )
    .await
    .unwrap();
    assert_eq!(first.revision, 1);
    assert_eq!(first.decision.as_ref().unwrap().outcome, "accepted");
    assert_eq!(first.decision.as_ref().unwrap().seq, 1);
    assert_eq!(first.received_at, t0);
    let second =
        insert_one(&store, new_coa("coa:02", "L1", b"{\"a\":2}", t1), decision("hold", t1, None), received("coa:02"))
            .await
            .unwrap();
    assert_eq!(second.revision, 2, "a re-sent CoA for the lot is the next revision");
    let other =
        insert_one(&store, new_coa("coa:03", "L2", b"x", t1), decision("rejected", t1, None), received("coa:03"))
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
    let parsed = store.coa("coa:01").await.unwrap().unwrap().parsed.expect("a parsed CoA");
    assert_eq!(parsed.parse::<serde_json::Value>().unwrap(), json!({"lot": {"number": "L1"}}));

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

    // What a trace shows of its lots: each lot's latest revision with the decision in force, in one read.
    let key = |supplier: &str, lot: &str| LotKey {
        supplier_id: supplier.into(),
        material_id: "NMC811".into(),
        lot_number: lot.into(),
    };
    let wanted = [
        key("BPNL000000000CAM", "L2"),
        key("BPNL000000000CAM", "L1"),
        key("BPNL000000000CAM", "L9"),
        key("BPNL000000000XXX", "L1"),
    ];
    let mut heads = store.latest_lot_coas(&wanted).await.unwrap();
    heads.sort_by(|a, b| a.lot.cmp(&b.lot));
    let seen: Vec<_> = heads
        .iter()
        .map(|h| (h.lot.lot_number.as_str(), h.coa_id.as_str(), h.revision, h.outcome.as_deref()))
        .collect();
    assert_eq!(seen, [("L1", "coa:02", 2, Some("accepted")), ("L2", "coa:03", 1, Some("rejected"))]);
    assert!(store.latest_lot_coas(&[]).await.unwrap().is_empty());

    // The lean listing for rebuilding SPC: the same CoAs in the same order, parsed CoA as JSON text.
    let parsed = store.parsed_coas(None, None, None, 10).await.unwrap();
    assert_eq!(parsed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["coa:01", "coa:02", "coa:03"]);
    assert_eq!((parsed[1].lot_number.as_str(), parsed[1].revision, parsed[1].received_at), ("L1", 2, t1));
    let text = parsed[0].parsed.as_deref().expect("a parsed CoA");
    assert_eq!(serde_json::from_str::<serde_json::Value>(text).unwrap(), json!({"lot": {"number": "L1"}}));
    let page = store.parsed_coas(Some("BPNL000000000CAM"), Some("NMC811"), Some("coa:01"), 1).await.unwrap();
    assert_eq!(page.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["coa:02"]);
    assert!(store.parsed_coas(Some("BPNL000000000XXX"), None, None, 10).await.unwrap().is_empty());
    assert!(store.parsed_coas(None, Some("LFP"), None, 10).await.unwrap().is_empty());

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

fn series_id(characteristic: &str) -> SeriesId {
    SeriesId {
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        characteristic: characteristic.into(),
    }
}

fn alarm(id: &str, coa_id: &str, characteristic: &str, rule: &str) -> NewAlarm {
    NewAlarm {
        id: id.into(),
        series: series_id(characteristic),
        coa_id: coa_id.into(),
        lot_number: "L1".into(),
        manufactured_on: time::macros::date!(2026 - 10 - 30),
        rule: rule.into(),
        detail: "value 12.9 above UCL 11.6".into(),
        value: 12.9,
        raised_at: time::macros::datetime!(2026-11-01 00:00 UTC),
    }
}

/// SPC state: a series is written at the version it was read (a stale writer conflicts and writes nothing of
/// its batch), alarms are kept once per (CoA, characteristic, rule) and closed once, and a recompute
/// replaces every series while versions continue.
pub async fn quality_spc_state_and_alarms(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", Role::Admin)).await.unwrap();
    let t0 = time::macros::datetime!(2026-11-01 00:00 UTC);
    let state = |n: i64| StoredSeries { id: series_id("D50"), state: json!({"n": n}), version: 0, updated_at: t0 };
    let write = |id: &str, lot: &str| CoaWrite {
        coa: new_coa(id, lot, id.as_bytes(), t0),
        decision: decision("hold", t0, None),
        event: received(id),
    };

    let spc = SpcWrite {
        series: vec![state(1)],
        alarms: vec![alarm("alarm:1", "coa:1", "D50", "beyond-ucl")],
        ..SpcWrite::default()
    };
    store.insert_coas(vec![write("coa:1", "L1")], spc).await.unwrap();
    let series = store.series(Some("BPNL000000000CAM"), Some("NMC811")).await.unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!((series[0].version, &series[0].state), (1, &json!({"n": 1})));

    // Written again from version 0 (a writer that read before the first): conflict, and its CoA is not stored.
    let stale = SpcWrite { series: vec![state(2)], ..SpcWrite::default() };
    let err = store.insert_coas(vec![write("coa:2", "L2")], stale).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict { expected: 0, current: 1, .. }), "{err}");
    assert!(store.coa("coa:2").await.unwrap().is_none());
    // From version 1: stored, version 2; the same alarm again (same CoA, characteristic, rule) is kept once.
    let fresh = SpcWrite {
        series: vec![StoredSeries { version: 1, ..state(2) }],
        alarms: vec![alarm("alarm:dup", "coa:1", "D50", "beyond-ucl"), alarm("alarm:2", "coa:2", "D50", "we-2")],
        ..SpcWrite::default()
    };
    store.insert_coas(vec![write("coa:2", "L2")], fresh).await.unwrap();
    assert_eq!(store.series(None, None).await.unwrap()[0].version, 2);
    let all = store.alarms(&AlarmFilter::default(), None, 100).await.unwrap();
    assert_eq!(all.iter().map(|a| a.alarm.id.as_str()).collect::<Vec<_>>(), ["alarm:1", "alarm:2"]);
    assert_eq!(all[0].alarm.manufactured_on, time::macros::date!(2026 - 10 - 30));
    assert_eq!(store.coa_suppliers().await.unwrap(), vec![("BPNL000000000CAM".to_string(), 2)]);

    // Closing an alarm: once; then it is no longer open.
    let ack = AlarmAck { actor_id: "actor:test".into(), reason: "retested".into(), acknowledged_at: t0 };
    let event = || AuditEvent::new("actor:test", "spc.acknowledge", "alarm:1", json!({}));
    let closed = store.acknowledge_alarm("alarm:1", ack.clone(), event()).await.unwrap();
    assert_eq!(closed.acknowledged.as_ref().map(|a| a.reason.as_str()), Some("retested"));
    let again = store.acknowledge_alarm("alarm:1", ack.clone(), event()).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again}");
    let missing = store.acknowledge_alarm("alarm:none", ack, event()).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }), "{missing}");
    let open = AlarmFilter { open: Some(true), ..AlarmFilter::default() };
    let open_ids: Vec<String> = store.alarms(&open, None, 100).await.unwrap().into_iter().map(|a| a.alarm.id).collect();
    assert_eq!(open_ids, ["alarm:2"]);
    let by_rule = AlarmFilter { characteristic: Some("Moisture".into()), ..AlarmFilter::default() };
    assert!(store.alarms(&by_rule, None, 100).await.unwrap().is_empty());
    assert_eq!(store.alarms(&AlarmFilter::default(), Some("alarm:1"), 100).await.unwrap().len(), 1);

    // A recompute replaces every series (versions continue) and adds only alarms not raised before.
    let rebuilt = vec![state(7), StoredSeries { id: series_id("Moisture"), ..state(8) }];
    let recompute = AuditEvent::new("actor:test", "spc.recompute", "spc", json!({}));
    store.replace_spc(rebuilt, vec![alarm("alarm:3", "coa:1", "D50", "beyond-ucl")], recompute).await.unwrap();
    let series = store.series(None, None).await.unwrap();
    assert_eq!(
        series.iter().map(|s| (s.id.characteristic.as_str(), s.version)).collect::<Vec<_>>(),
        [("D50", 3), ("Moisture", 1)]
    );
    assert_eq!(series[0].state, json!({"n": 7}));
    assert_eq!(store.alarms(&AlarmFilter::default(), None, 100).await.unwrap().len(), 2);

    let actions: Vec<String> = store.audit_entries(0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "spc.acknowledge").count(), 1);
    assert!(actions.contains(&"spc.recompute".to_string()));
}

/// Sampling: the skip-lot state is written at the version it was read, with CoAs or with lab results; lab
/// results are kept per CoA and need the CoA.
pub async fn quality_sampling_and_lab_results(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", Role::Admin)).await.unwrap();
    let t0 = time::macros::datetime!(2026-11-01 00:00 UTC);
    let sampling = |version: i64, n: i64| StoredSampling {
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        state: json!({"next": n}),
        version,
        updated_at: t0,
    };
    let write = CoaWrite {
        coa: new_coa("coa:1", "L1", b"one", t0),
        decision: decision("accepted", t0, None),
        event: received("coa:1"),
    };
    store.insert_coas(vec![write], SpcWrite { sampling: vec![sampling(0, 1)], ..SpcWrite::default() }).await.unwrap();
    let states = store.sampling(Some("BPNL000000000CAM"), None).await.unwrap();
    assert_eq!((states.len(), states[0].version, &states[0].state), (1, 1, &json!({"next": 1})));
    assert!(store.sampling(None, Some("LFP")).await.unwrap().is_empty());

    let lab = |id: &str, coa: &str| LabResultRecord {
        id: id.into(),
        coa_id: coa.into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        lot_number: "L1".into(),
        results: json!([{"characteristic": "D50", "unit": "µm", "result": {"value": 11.0}}]),
        agreement: json!({"characteristics": []}),
        agrees: false,
        entered_by: "actor:test".into(),
        entered_at: t0,
    };
    let event = || AuditEvent::new("actor:test", "coa.lab_result", "coa:1", json!({}));
    // A stale state (read at version 0) refuses the whole write, lab result included.
    let stale = store.add_lab_result(lab("lab:0", "coa:1"), Some(sampling(0, 2)), event()).await.unwrap_err();
    assert!(matches!(stale, StoreError::VersionConflict { expected: 0, current: 1, .. }), "{stale}");
    assert!(store.lab_results("coa:1").await.unwrap().is_empty());
    store.add_lab_result(lab("lab:1", "coa:1"), Some(sampling(1, 2)), event()).await.unwrap();
    store.add_lab_result(lab("lab:2", "coa:1"), None, event()).await.unwrap();
    let results = store.lab_results("coa:1").await.unwrap();
    assert_eq!(results.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["lab:1", "lab:2"]);
    assert_eq!(results[0], lab("lab:1", "coa:1"));
    // CoAs without lab results, with their first decision's reasons: coa:1 has results now.
    let note = json!([{"kind": "lab_test_required", "sequence": 1}]);
    let mut noted = decision("accepted", t0, None);
    noted.reasons = note.clone();
    let second = CoaWrite { coa: new_coa("coa:2", "L2", b"two", t0), decision: noted, event: received("coa:2") };
    store.insert_coas(vec![second], SpcWrite::default()).await.unwrap();
    store
        .add_decision(
            "coa:2",
            decision("hold", t0, Some("held")),
            AuditEvent::new("actor:test", "coa.override", "coa:2", json!({})),
        )
        .await
        .unwrap();
    let untested = store.untested_lots("BPNL000000000CAM", "NMC811").await.unwrap();
    assert_eq!(
        untested,
        [UntestedLot { coa_id: "coa:2".into(), lot_number: "L2".into(), first_reasons: note }],
        "the first decision's reasons, not the override's"
    );
    assert!(store.untested_lots("BPNL000000000CAM", "LFP").await.unwrap().is_empty());
    let missing = store.add_lab_result(lab("lab:3", "coa:none"), None, event()).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }), "{missing}");
    // Requalifying writes the state alone.
    let requalify = AuditEvent::new("actor:test", "sampling.requalify", "x", json!({}));
    store.put_sampling(sampling(2, 0), requalify).await.unwrap();
    assert_eq!(store.sampling(None, None).await.unwrap()[0].version, 3);
}
