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
