//! RestoreStore: a hand-built set of rows goes in raw and reads back exactly through the ordinary reads.

use passport::hash::canonical_json;
use serde_json::json;
use std::sync::Arc;
use store::*;
use time::OffsetDateTime;
use time::macros::datetime;

fn meta(version: i64, content_hash: String, prev_hash: Option<String>, at: OffsetDateTime) -> VersionMeta {
    VersionMeta {
        version,
        actor_id: "actor:r".into(),
        created_at: at,
        reason: Some("restored".into()),
        content_hash,
        prev_hash,
    }
}

fn passport_version(version: i64, prev_hash: Option<String>, at: OffsetDateTime) -> PassportVersion {
    let item = json!({"generalProductInformation": {"productIdentifier": "SN-R", "batteryMass": 410.5, "v": version}});
    let hash = record_hash(&canonical_record("M-R", 1, &canonical_json(&item)));
    PassportVersion {
        passport_id: "urn:r:1".into(),
        model_id: "M-R".into(),
        model_version: 1,
        item,
        meta: meta(version, hash, prev_hash, at),
    }
}

fn audit_entry(seq: i64, prev_hash: Option<String>) -> AuditEntry {
    let mut entry = AuditEntry {
        seq,
        at: datetime!(2026-01-02 03:04:05.123456 UTC),
        actor_id: "actor:r".into(),
        action: "passport.append".into(),
        subject: "urn:r:1".into(),
        detail: format!(r#"{{"version":{seq}}}"#),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    entry
}

pub async fn restore_round_trips_raw_rows(store: Arc<dyn Store>) {
    assert!(store.is_empty().await.unwrap(), "a fresh store is empty");
    let t1 = datetime!(2026-01-02 03:04:05.123456 UTC);
    let t2 = datetime!(2026-02-03 04:05:06.654321 UTC);

    let actor = ActorRecord {
        actor: Actor {
            id: "actor:r".into(),
            name: "restorer".into(),
            role: Role::EconomicOperator,
            organisation: Some("ORG-R".into()),
            subrole: None,
        },
        created_at: t1,
    };
    store.restore_actors(std::slice::from_ref(&actor)).await.unwrap();
    assert!(!store.is_empty().await.unwrap());
    assert_eq!(store.actor_records().await.unwrap(), vec![actor.clone()]);

    let keys = vec![
        IssuerKeyRecord {
            key_id: "ORG-R-key-1".into(),
            operator: "ORG-R".into(),
            public_multibase: "z6MkOld".into(),
            secret_hex: String::new(),
            created_at: t1,
            retired_at: Some(t2),
        },
        IssuerKeyRecord {
            key_id: "ORG-R-key-2".into(),
            operator: "ORG-R".into(),
            public_multibase: "z6MkNew".into(),
            secret_hex: String::new(),
            created_at: t2,
            retired_at: None,
        },
    ];
    store.restore_issuer_keys(&keys).await.unwrap();
    assert_eq!(store.issuer_keys().await.unwrap(), keys);

    let document = json!({"generalProductInformation": {"batteryCategory": "ev", "ratedCapacity": 96.5}});
    let model = ModelVersion {
        model_id: "M-R".into(),
        document: document.clone(),
        owner: Some("ORG-R".into()),
        meta: meta(1, record_hash(&canonical_json(&document)), None, t1),
    };
    store.restore_models(std::slice::from_ref(&model)).await.unwrap();
    assert_eq!(store.model("M-R", Some(1)).await.unwrap(), Some(model.clone()));
    assert_eq!(store.model_ids().await.unwrap(), vec!["M-R".to_string()]);

    let v1 = passport_version(1, None, t1);
    let v2 = passport_version(2, Some(v1.meta.content_hash.clone()), t2);
    let signature = VersionSignature { key_id: "ORG-R-key-2".into(), signature: "zSig".into() };
    let versions = vec![
        SignedVersion { version: v1.clone(), signature: None },
        SignedVersion { version: v2.clone(), signature: Some(signature.clone()) },
    ];
    store.restore_passport_versions(&versions).await.unwrap();
    assert_eq!(store.passport_versions("urn:r:1").await.unwrap(), vec![v1, v2.clone()]);
    assert_eq!(store.version_signatures("urn:r:1").await.unwrap(), vec![(2, signature)]);

    let head = PassportHead {
        id: "urn:r:1".into(),
        battery_id: "SN-R".into(),
        model_id: "M-R".into(),
        model_version: 1,
        category: "ev".into(),
        status: "Repurposed".into(),
        manufacturer: "MFR-R".into(),
        responsible: "ORG-R".into(),
        version: 2,
        successor_id: None,
    };
    let mut orphan = head.clone();
    orphan.id = "urn:r:404".into();
    assert!(store.restore_heads(&[orphan]).await.is_err(), "a head needs its versions");
    store.restore_heads(std::slice::from_ref(&head)).await.unwrap();
    assert_eq!(store.passport_head("urn:r:1").await.unwrap(), Some(head.clone()));
    assert_eq!(store.list_passports(&PassportFilter::default(), None, 10).await.unwrap(), vec![head]);
    assert_eq!(store.passport_version("urn:r:1", None).await.unwrap(), Some(v2));

    let reading = |metric: &str, at_ms: i64, value: f64| Reading {
        passport_id: "urn:r:1".into(),
        metric: metric.into(),
        at_ms,
        source: "bms".into(),
        value,
        note: None,
        actor_id: "actor:r".into(),
    };
    let readings = vec![reading("soh", 1000, 0.1 + 0.2), reading("soh", 2000, 97.25), reading("temp", 1000, -3.5)];
    store.restore_readings(&readings).await.unwrap();
    assert_eq!(store.readings_after(None, 10).await.unwrap(), readings);
    assert_eq!(store.readings_after(Some(&readings[0]), 1).await.unwrap(), vec![readings[1].clone()]);
    assert!(store.readings_after(Some(&readings[2]), 10).await.unwrap().is_empty());
    assert_eq!(store.count_readings().await.unwrap(), 3);

    let grant = Grant {
        id: "grant:r".into(),
        grantor: "ORG-R".into(),
        grantee: "actor:r".into(),
        passports: vec!["urn:r:1".into()],
        groups: vec!["readings".into()],
        valid_until: t2,
        created_by: "actor:r".into(),
        created_at: t1,
        revoked_at: Some(t2),
        revoked_by: Some("actor:r".into()),
    };
    store.restore_grants(std::slice::from_ref(&grant)).await.unwrap();
    assert_eq!(store.grant("grant:r").await.unwrap(), Some(grant));

    let first = audit_entry(1, None);
    let second = audit_entry(2, Some(first.hash.clone()));
    let entries = vec![first, second.clone()];
    store.restore_audit(&entries).await.unwrap();
    assert_eq!(store.audit_entries(0, 10).await.unwrap(), entries);
    let checkpoint = AuditCheckpoint {
        seq: 2,
        hash: second.hash.clone(),
        at: t2,
        key_id: "voltpass-server-key-1".into(),
        signature: "zC".into(),
    };
    store.restore_checkpoints(std::slice::from_ref(&checkpoint)).await.unwrap();
    assert_eq!(store.checkpoints().await.unwrap(), vec![checkpoint]);

    // The chain continues from the restored head.
    store.append_audit(vec![AuditEvent::new("actor:r", "auth.failure", "login", json!({}))]).await.unwrap();
    let next = store.audit_entries(2, 10).await.unwrap();
    assert_eq!((next[0].seq, next[0].prev_hash.as_deref()), (3, Some(second.hash.as_str())));

    assert!(store.restore_actors(&[actor]).await.is_err(), "raw inserts do not overwrite");
}

fn coa_row(id: &str, lot: &str, revision: i64, media_type: &str, original: &[u8], at: OffsetDateTime) -> CoaRow {
    use sha2::Digest;
    CoaRow {
        id: id.into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        lot_number: lot.into(),
        revision,
        content_hash: hex::encode(sha2::Sha256::digest(original)),
        media_type: media_type.into(),
        original: original.to_vec(),
        parsed: (media_type != "application/pdf").then(|| json!({"lot": {"number": lot}, "d50": 0.1 + 0.2})),
        actor_id: "actor:r".into(),
        received_at: at,
    }
}

fn decision_row(
    coa_id: &str,
    seq: i64,
    outcome: &str,
    at: OffsetDateTime,
    override_reason: Option<&str>,
) -> CoaDecisionRow {
    CoaDecisionRow {
        coa_id: coa_id.into(),
        seq,
        outcome: outcome.into(),
        reasons: json!([{"kind": "out_of_spec", "characteristic": "D50", "value": 12.5}]),
        spec_material: Some("NMC811".into()),
        spec_version: Some(2),
        decided_by: "actor:r".into(),
        decided_at: at,
        override_reason: override_reason.map(Into::into),
    }
}

fn series_row(characteristic: &str, version: i64, at: OffsetDateTime) -> SpcSeriesRow {
    SpcSeriesRow {
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        characteristic: characteristic.into(),
        state: json!({"phase": "II", "limits": {"lcl": 9.75, "ucl": 12.25}, "window": [10.5, 11.0]}),
        version,
        updated_at: at,
    }
}

fn alarm_row(id: &str, coa_id: &str, characteristic: &str, at: OffsetDateTime) -> SpcAlarmRow {
    SpcAlarmRow {
        id: id.into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        characteristic: characteristic.into(),
        coa_id: coa_id.into(),
        lot_number: "L1".into(),
        manufactured_on: time::macros::date!(2026 - 01 - 15),
        rule: "beyond-ucl".into(),
        detail: "above the upper control limit".into(),
        value: 0.1 + 0.2,
        raised_at: at,
    }
}

fn lab_result_row(id: &str, coa_id: &str, lot: &str, agrees: bool, at: OffsetDateTime) -> LabResultRow {
    LabResultRow {
        id: id.into(),
        coa_id: coa_id.into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        lot_number: lot.into(),
        results: json!([{"characteristic": "D50", "unit": "µm", "result": {"value": 0.1 + 0.2}}]),
        agreement: json!({"characteristics": [{"characteristic": "D50", "verdict": if agrees { "agrees" } else { "disagrees" }}]}),
        agrees,
        entered_by: "actor:r".into(),
        entered_at: at,
    }
}

/// Every page of a keyed table read `limit` rows at a time.
async fn all_pages<T: Clone, F, Fut>(limit: i64, mut next: F) -> Vec<T>
where
    F: FnMut(Option<T>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>>>,
{
    let mut rows: Vec<T> = Vec::new();
    loop {
        let page = next(rows.last().cloned()).await.unwrap();
        assert!(page.len() as i64 <= limit);
        if page.is_empty() {
            return rows;
        }
        rows.extend(page);
    }
}

/// Supplier-quality rows go in raw (no audit events), page out in key order exactly as given, read back
/// through the ordinary quality reads, and later writes continue their revisions and decision numbers.
pub async fn restore_round_trips_quality_rows(store: Arc<dyn Store>) {
    let t1 = datetime!(2026-01-02 03:04:05.123456 UTC);
    let t2 = datetime!(2026-02-03 04:05:06.654321 UTC);

    // Derived SPC state alone makes a store non-empty: a restore would collide with it.
    let series = vec![series_row("D50", 7, t2), series_row("moisture", 1, t1)];
    store.restore_spc_series(&series).await.unwrap();
    assert!(!store.is_empty().await.unwrap(), "quality rows make a store non-empty");

    let pdf = [0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x0a, 0x80];
    let coas = vec![
        coa_row("coa:01", "L1", 1, "application/json", b"{\"lot\":\"L1\"}", t1),
        coa_row("coa:02", "L1", 2, "application/json", b"{\"lot\":\"L1\",\"re\":1}", t2),
        coa_row("coa:03", "L2", 1, "application/pdf", &pdf, t2),
    ];
    let mut altered = coas[0].clone();
    altered.id = "coa:00".into();
    altered.original.push(b' ');
    let refused = store.restore_coas(&[altered]).await.unwrap_err();
    assert!(matches!(refused, StoreError::Invalid(_)), "an original must match its hash: {refused}");
    assert!(store.coa("coa:00").await.unwrap().is_none());
    store.restore_coas(&coas).await.unwrap();

    let decisions = vec![
        decision_row("coa:01", 1, "accepted", t1, None),
        decision_row("coa:02", 1, "rejected", t2, None),
        decision_row("coa:02", 2, "accepted", t2, Some("agreed deviation")),
        decision_row("coa:03", 1, "hold", t2, None),
    ];
    store.restore_coa_decisions(&decisions).await.unwrap();
    let specs = vec![
        MaterialSpecRow {
            material_id: "NMC811".into(),
            supplier_key: String::new(),
            version: 1,
            spec: json!({"characteristics": [{"name": "D50", "min": 9.5, "max": 12.5}]}),
            created_by: "actor:r".into(),
            created_at: t1,
        },
        MaterialSpecRow {
            material_id: "NMC811".into(),
            supplier_key: "BPNL000000000CAM".into(),
            version: 2,
            spec: json!({"characteristics": [{"name": "D50", "min": 10.0, "max": 12.0}]}),
            created_by: "actor:r".into(),
            created_at: t2,
        },
    ];
    store.restore_specs(&specs).await.unwrap();
    let alarms = vec![alarm_row("alarm:01", "coa:01", "D50", t1), alarm_row("alarm:02", "coa:02", "moisture", t2)];
    store.restore_alarms(&alarms).await.unwrap();
    let acks = vec![SpcAlarmAckRow {
        alarm_id: "alarm:01".into(),
        actor_id: "actor:r".into(),
        reason: "supplier changed the mill".into(),
        acknowledged_at: t2,
    }];
    store.restore_alarm_acks(&acks).await.unwrap();
    let lab_results =
        vec![lab_result_row("lab:01", "coa:01", "L1", true, t1), lab_result_row("lab:02", "coa:03", "L2", false, t2)];
    store.restore_lab_results(&lab_results).await.unwrap();
    let sampling = vec![
        SamplingStateRow {
            supplier_id: "BPNL000000000CAM".into(),
            material_id: "LFP".into(),
            state: json!({"nextSequence": 1, "pending": []}),
            version: 1,
            updated_at: t1,
        },
        SamplingStateRow {
            supplier_id: "BPNL000000000CAM".into(),
            material_id: "NMC811".into(),
            state: json!({"skipLot": {"state": {"qualification": {"acceptedInRow": 2}}}, "nextSequence": 3,
                "pending": [{"coaId": "coa:03", "lot": "L2", "sequence": 2}]}),
            version: 4,
            updated_at: t2,
        },
    ];
    store.restore_sampling_states(&sampling).await.unwrap();
    assert!(store.audit_entries(0, 10).await.unwrap().is_empty(), "a restore records no audit events");

    // Paged one row at a time, every table reads back exactly, in key order.
    let s = &store;
    assert_eq!(all_pages(1, |after| async move { s.coa_rows_after(after.as_ref(), 1).await }).await, coas);
    assert_eq!(all_pages(1, |after| async move { s.decision_rows_after(after.as_ref(), 1).await }).await, decisions);
    assert_eq!(all_pages(1, |after| async move { s.spec_rows_after(after.as_ref(), 1).await }).await, specs);
    assert_eq!(all_pages(1, |after| async move { s.series_rows_after(after.as_ref(), 1).await }).await, series);
    assert_eq!(all_pages(1, |after| async move { s.alarm_rows_after(after.as_ref(), 1).await }).await, alarms);
    assert_eq!(all_pages(1, |after| async move { s.alarm_ack_rows_after(after.as_ref(), 1).await }).await, acks);
    assert_eq!(
        all_pages(1, |after| async move { s.lab_result_rows_after(after.as_ref(), 1).await }).await,
        lab_results
    );
    assert_eq!(
        all_pages(1, |after| async move { s.sampling_state_rows_after(after.as_ref(), 1).await }).await,
        sampling
    );
    assert_eq!(store.coa_rows_after(None, 10).await.unwrap(), coas, "a larger page reads the same rows");

    // The ordinary reads see them as written by the service.
    assert_eq!(store.coa_original("coa:03").await.unwrap(), Some(("application/pdf".into(), pdf.to_vec())));
    let coa = store.coa("coa:02").await.unwrap().unwrap();
    let parsed = coa.parsed.as_ref().map(|p| p.parse::<serde_json::Value>().unwrap());
    assert_eq!((coa.revision, coa.received_at, parsed), (2, t2, coas[1].parsed.clone()));
    let latest = coa.decision.unwrap();
    assert_eq!((latest.seq, latest.override_reason.as_deref()), (2, Some("agreed deviation")));
    assert_eq!(store.coa_decisions("coa:02").await.unwrap().len(), 2);
    let read_specs = store.specs(Some("NMC811")).await.unwrap();
    assert_eq!(
        read_specs.iter().map(|s| (s.supplier_id.clone(), s.version)).collect::<Vec<_>>(),
        [(None, 1), (Some("BPNL000000000CAM".to_string()), 2)]
    );
    let read_series = store.series(None, None).await.unwrap();
    assert_eq!(read_series.iter().map(|s| (s.version, s.updated_at)).collect::<Vec<_>>(), [(7, t2), (1, t1)]);
    let read_alarms = store.alarms(&AlarmFilter::default(), None, 10).await.unwrap();
    assert_eq!(read_alarms.len(), 2);
    assert_eq!(read_alarms[0].alarm.value, 0.1 + 0.2);
    assert_eq!(read_alarms[0].acknowledged.as_ref().map(|a| a.acknowledged_at), Some(t2));
    assert!(read_alarms[1].acknowledged.is_none());
    let read_labs = store.lab_results("coa:03").await.unwrap();
    assert_eq!(read_labs.len(), 1);
    assert_eq!((read_labs[0].agrees, read_labs[0].entered_at), (false, t2));
    assert_eq!(read_labs[0].results, lab_results[1].results);
    let read_sampling = store.sampling(Some("BPNL000000000CAM"), Some("NMC811")).await.unwrap();
    assert_eq!(
        read_sampling.iter().map(|s| (s.version, s.updated_at, s.state.clone())).collect::<Vec<_>>(),
        [(4, t2, sampling[1].state.clone())]
    );

    // Writers continue after the restored rows: the next decision is 3, the next revision of L1 is 3.
    let event = AuditEvent::new("actor:r", "coa.override", "coa:02", json!({}));
    let next = NewDecision {
        outcome: "rejected".into(),
        reasons: json!([]),
        spec_material: None,
        spec_version: None,
        decided_by: "actor:r".into(),
        decided_at: t2,
        override_reason: Some("recalled".into()),
    };
    assert_eq!(store.add_decision("coa:02", next.clone(), event).await.unwrap().seq, 3);
    let resent = NewCoa {
        id: "coa:04".into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        lot_number: "L1".into(),
        content_hash: coas[0].content_hash.clone(),
        media_type: "application/json".into(),
        original: coas[0].original.clone(),
        parsed: None,
        actor_id: "actor:r".into(),
        received_at: t2,
    };
    let write =
        CoaWrite { coa: resent, decision: next, event: AuditEvent::new("actor:r", "coa.receive", "coa:04", json!({})) };
    let stored = store.insert_coas(vec![write], SpcWrite::default()).await.unwrap();
    assert_eq!(stored[0].revision, 3);

    assert!(store.restore_coas(&coas[..1]).await.is_err(), "raw inserts do not overwrite");
    assert!(store.restore_alarm_acks(&acks).await.is_err(), "an alarm is acknowledged once");
    assert!(store.restore_lab_results(&lab_results[..1]).await.is_err(), "raw inserts do not overwrite");
    assert!(store.restore_sampling_states(&sampling[..1]).await.is_err(), "a supplier-material has one state");
    let orphan = lab_result_row("lab:03", "coa:404", "L9", true, t2);
    assert!(store.restore_lab_results(&[orphan]).await.is_err(), "a lab result needs its CoA");
}
