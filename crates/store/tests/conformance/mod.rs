//! One conformance suite for every Store implementation. `tests/sqlite.rs` and `tests/postgres.rs` run it.

use serde_json::json;
use std::sync::Arc;
use store::*;

pub mod analytics;
pub mod genealogy;
pub mod quality;
pub mod registry;
pub mod restore;
pub use analytics::{analytics_records_round_trip, job_leases_go_to_one_holder};
#[allow(unused_imports)] // SQLite's own tests write batches with them.
pub use genealogy::{LINES, events, write_of};
pub use genealogy::{trace_genealogy_round_trip, trace_upstream_closure_follows_batches_to_lots};
pub use quality::{
    quality_coas_revisions_and_decisions, quality_sampling_and_lab_results, quality_spc_state_and_alarms,
    quality_specs_are_versioned,
};
pub use registry::{model_ids_page_in_order, registry_descriptors_and_discovery};
pub use restore::{restore_round_trips_quality_rows, restore_round_trips_raw_rows};

pub fn actor(id: &str, role: Role) -> Actor {
    Actor { id: id.into(), name: format!("{id} name"), role, organisation: Some("ORG-1".into()), subrole: None }
}

async fn with_actor(store: &Arc<dyn Store>) -> Actor {
    let a = actor("actor:test", Role::Admin);
    store.create_actor(&a).await.unwrap();
    a
}

pub fn new_model(id: &str, mass: f64, expected: Option<i64>) -> NewModelVersion {
    NewModelVersion {
        model_id: id.into(),
        document: json!({"generalProductInformation": {"batteryMass": mass, "batteryCategory": "ev"}}),
        owner: Some("ORG-1".into()),
        actor_id: "actor:test".into(),
        reason: Some("test".into()),
        expected_version: expected,
    }
}

pub fn new_passport(id: &str, battery: &str) -> NewPassportVersion {
    NewPassportVersion {
        head: PassportHead {
            id: id.into(),
            battery_id: battery.into(),
            model_id: "M1".into(),
            model_version: 1,
            category: "ev".into(),
            status: "Original".into(),
            manufacturer: "MFR-1".into(),
            responsible: "ORG-1".into(),
            version: 1,
            successor_id: None,
        },
        item: json!({"generalProductInformation": {"productIdentifier": battery, "batteryStatus": "Original"}}),
        actor_id: "actor:test".into(),
        reason: None,
        predecessors: vec![],
        expected_version: 0,
    }
}

pub async fn actors_and_keys(store: Arc<dyn Store>) {
    let a = with_actor(&store).await;
    store.add_key(&a.id, "hash-1").await.unwrap();
    assert_eq!(store.actor_by_key_hash("hash-1").await.unwrap(), Some(a.clone()));
    assert_eq!(store.actor_by_key_hash("hash-2").await.unwrap(), None);
    assert_eq!(store.actor(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.list_actors().await.unwrap(), vec![a]);
    assert!(store.add_key("actor:nobody", "hash-3").await.is_err(), "a key must belong to an existing actor");
    store.ping().await.unwrap();
}

/// Keys expire and are revoked (by fingerprint or by actor); the rows stay, listed by fingerprint only, and
/// every revocation is in the audit log.
pub async fn keys_expire_and_are_revoked(store: Arc<dyn Store>) {
    use store::{KeySelector, StoreError};
    let a = with_actor(&store).await;
    let now = time::OffsetDateTime::now_utc();
    let hashes: Vec<String> = (0..4).map(|i| format!("{i}{}", "ab".repeat(31) + "c")).collect();
    store.add_key_until(&a.id, &hashes[0], Some(now - time::Duration::seconds(1))).await.unwrap();
    store.add_key_until(&a.id, &hashes[1], Some(now + time::Duration::hours(1))).await.unwrap();
    store.add_key(&a.id, &hashes[2]).await.unwrap();
    store.add_key(&a.id, &hashes[3]).await.unwrap();
    assert_eq!(store.key_in_force(&hashes[0]).await.unwrap(), None, "expired");
    let holder = store.key_in_force(&hashes[1]).await.unwrap().unwrap();
    assert_eq!(holder.actor, a);
    assert!(holder.expires_at.is_some_and(|t| t > now));
    assert_eq!(store.actor_by_key_hash(&hashes[0]).await.unwrap(), None);
    assert_eq!(store.actor_by_key_hash(&hashes[2]).await.unwrap(), Some(a.clone()));

    let short = store.revoke_keys(&KeySelector::Fingerprint("2ab".into()), "actor:admin").await;
    assert!(matches!(short, Err(StoreError::Invalid(_))), "{short:?}");
    let nothing = store.revoke_keys(&KeySelector::Fingerprint("ffffffff".into()), "actor:admin").await;
    assert!(matches!(nothing, Err(StoreError::NotFound { .. })), "{nothing:?}");
    let fingerprint: String = hashes[2].chars().take(store::FINGERPRINT_LEN).collect();
    assert_eq!(store.revoke_keys(&KeySelector::Fingerprint(fingerprint.clone()), "actor:admin").await.unwrap(), 1);
    assert_eq!(store.actor_by_key_hash(&hashes[2]).await.unwrap(), None, "revoked");
    assert_eq!(store.actor_by_key_hash(&hashes[3]).await.unwrap(), Some(a.clone()), "the other key still works");
    let again = store.revoke_keys(&KeySelector::Fingerprint(fingerprint.clone()), "actor:admin").await;
    assert!(matches!(again, Err(StoreError::NotFound { .. })), "revoked once only: {again:?}");
    // The actor's keys still in force (the expired one counts: it is not revoked).
    assert_eq!(store.revoke_keys(&KeySelector::Actor(a.id.clone()), "actor:admin").await.unwrap(), 3);
    assert_eq!(store.key_in_force(&hashes[1]).await.unwrap(), None);
    assert_eq!(store.key_in_force(&hashes[3]).await.unwrap(), None);

    let listed = store.list_keys().await.unwrap();
    assert_eq!(listed.len(), 4);
    assert!(
        listed
            .iter()
            .all(|k| k.fingerprint.len() == store::FINGERPRINT_LEN && k.revoked_by.as_deref() == Some("actor:admin"))
    );
    assert!(listed.iter().any(|k| k.fingerprint == fingerprint));
    let log = store.audit_entries(0, 1000).await.unwrap();
    let revocations = log.iter().filter(|e| e.action == "key.revoke").count();
    assert_eq!(revocations, 4);
    assert!(log.iter().all(|e| !e.detail.contains(&hashes[2])), "the log never holds a key hash");
}

pub async fn models_are_versioned_and_chained(store: Arc<dyn Store>) {
    with_actor(&store).await;
    let v1 = store.append_model(new_model("M1", 400.0, Some(0))).await.unwrap();
    assert_eq!(v1.meta.version, 1);
    assert_eq!(v1.meta.prev_hash, None);
    assert_eq!(v1.meta.content_hash.len(), 64);
    let v2 = store.append_model(new_model("M1", 410.0, Some(1))).await.unwrap();
    assert_eq!(v2.meta.version, 2);
    assert_eq!(v2.meta.prev_hash.as_deref(), Some(v1.meta.content_hash.as_str()));
    // A stale writer is refused and nothing is written.
    let err = store.append_model(new_model("M1", 420.0, Some(1))).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict { expected: 1, current: 2, .. }), "{err}");
    assert!(matches!(store.append_model(new_model("M1", 1.0, Some(0))).await, Err(StoreError::VersionConflict { .. })));
    assert_eq!(
        // Stored JSON is canonical (RFC 8785): 410.0 and 410 are the same number.
        store.model("M1", None).await.unwrap().unwrap().document["generalProductInformation"]["batteryMass"].as_f64(),
        Some(410.0)
    );
    assert_eq!(store.model("M1", Some(1)).await.unwrap().unwrap(), v1);
    assert!(store.model("M1", Some(3)).await.unwrap().is_none());
    assert!(store.model("nope", None).await.unwrap().is_none());
    let history = store.model_history("M1").await.unwrap();
    assert_eq!(history.iter().map(|m| m.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(store.model_by_hash(&v1.meta.content_hash).await.unwrap().unwrap().meta.version, 1);
}

pub async fn passports_append_and_chain(store: Arc<dyn Store>) {
    with_actor(&store).await;
    let written = store
        .append_passports(
            vec![new_passport("urn:t:1", "SN-1"), new_passport("urn:t:2", "SN-2")],
            AppendOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(written.len(), 2);
    assert_eq!(written[0].meta.version, 1);
    let expected_hash = record_hash(&canonical_record("M1", 1, &passport::hash::canonical_json(&written[0].item)));
    assert_eq!(written[0].meta.content_hash, expected_hash, "the hash is over the RFC 8785 record");

    let mut update = new_passport("urn:t:1", "SN-1");
    update.head.status = "Repurposed".into();
    update.item["generalProductInformation"]["batteryStatus"] = json!("Repurposed");
    update.expected_version = 1;
    update.reason = Some("repurposed".into());
    let v2 = store.append_passports(vec![update.clone()], AppendOptions::default()).await.unwrap().remove(0);
    assert_eq!(v2.meta.version, 2);
    assert_eq!(v2.meta.prev_hash.as_deref(), Some(expected_hash.as_str()));

    // stale update: refused, nothing changes
    let err = store.append_passports(vec![update.clone()], AppendOptions::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict { expected: 1, current: 2, .. }), "{err}");
    let head = store.passport_head("urn:t:1").await.unwrap().unwrap();
    assert_eq!((head.version, head.status.as_str()), (2, "Repurposed"));

    let v1 = store.passport_version("urn:t:1", Some(1)).await.unwrap().unwrap();
    assert_eq!(
        v1.item["generalProductInformation"]["batteryStatus"],
        json!("Original"),
        "old versions stay as written"
    );
    let latest = store.passport_version("urn:t:1", None).await.unwrap().unwrap();
    assert_eq!(latest.meta.version, 2);
    assert_eq!(latest.meta.reason.as_deref(), Some("repurposed"));
    let history = store.passport_history("urn:t:1").await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].prev_hash.as_deref(), Some(history[0].content_hash.as_str()));
    assert!(store.passport_head("urn:t:404").await.unwrap().is_none());
    let mut missing = new_passport("urn:t:404", "SN-404");
    missing.expected_version = 3;
    assert!(matches!(
        store.append_passports(vec![missing], AppendOptions::default()).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn duplicate_battery_ids_write_nothing(store: Arc<dyn Store>) {
    with_actor(&store).await;
    store.append_passports(vec![new_passport("urn:t:1", "SN-1")], AppendOptions::default()).await.unwrap();
    let err = store
        .append_passports(
            vec![new_passport("urn:t:2", "SN-2"), new_passport("urn:t:3", "SN-1")],
            AppendOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateBattery { ref battery_id, .. } if battery_id == "SN-1"), "{err}");
    assert!(store.passport_head("urn:t:2").await.unwrap().is_none(), "the batch is all or nothing");
    let err = store
        .append_passports(
            vec![new_passport("urn:t:4", "SN-4"), new_passport("urn:t:5", "SN-4")],
            AppendOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateBattery { .. }), "{err}");
    assert!(store.passport_head("urn:t:4").await.unwrap().is_none());
    // A successor may take over its predecessor's battery identifier.
    let mut successor = new_passport("urn:t:6", "SN-1");
    successor.predecessors = vec!["urn:t:1".into()];
    store.append_passports(vec![successor], AppendOptions::default()).await.unwrap();
    assert_eq!(store.passport_head("urn:t:1").await.unwrap().unwrap().successor_id.as_deref(), Some("urn:t:6"));
    let active = store.active_by_battery_ids(&["SN-1".into(), "SN-9".into()]).await.unwrap();
    assert_eq!(active.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["urn:t:6"]);
}

pub async fn listing_filters_and_pages(store: Arc<dyn Store>) {
    with_actor(&store).await;
    let batch: Vec<_> = (0..25)
        .map(|i| {
            let mut p = new_passport(&format!("urn:t:{i:03}"), &format!("SN-{i}"));
            p.head.category = if i % 2 == 0 { "ev" } else { "lmt" }.into();
            p
        })
        .collect();
    store.append_passports(batch, AppendOptions::default()).await.unwrap();
    let filter = PassportFilter { category: Some("lmt".into()), ..Default::default() };
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_passports(&filter, after.as_deref(), 5).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|h| h.id.clone());
        seen.extend(page.into_iter().map(|h| h.id));
    }
    assert_eq!(seen.len(), 12);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "pages are ordered and disjoint");
    let one = PassportFilter { battery_id: Some("SN-7".into()), ..Default::default() };
    assert_eq!(store.list_passports(&one, None, 10).await.unwrap()[0].id, "urn:t:007");
    let none = PassportFilter { manufacturer: Some("other".into()), ..Default::default() };
    assert!(store.list_passports(&none, None, 10).await.unwrap().is_empty());
}

pub async fn bulk_insert_many(store: Arc<dyn Store>) {
    with_actor(&store).await;
    let batch: Vec<_> = (0..1500).map(|i| new_passport(&format!("urn:b:{i:05}"), &format!("B-{i}"))).collect();
    assert_eq!(store.append_passports(batch, AppendOptions::default()).await.unwrap().len(), 1500);
    let all = store.list_passports(&PassportFilter::default(), None, 5000).await.unwrap();
    assert_eq!(all.len(), 1500);
}

fn reading(passport: &str, metric: &str, at_ms: i64, source: &str, value: f64) -> Reading {
    Reading {
        passport_id: passport.into(),
        metric: metric.into(),
        at_ms,
        source: source.into(),
        value,
        note: None,
        actor_id: "actor:test".into(),
    }
}

pub async fn readings_are_idempotent_and_queryable(store: Arc<dyn Store>) {
    with_actor(&store).await;
    let batch = vec![
        reading("urn:t:1", "stateOfCharge", 3_000, "bms-1", 80.0),
        reading("urn:t:1", "stateOfCharge", 1_000, "bms-1", 90.0), // out of order: placed in time
        reading("urn:t:1", "stateOfCharge", 2_000, "bms-1", 85.0),
        reading("urn:t:1", "fullCycles", 2_000, "bms-1", 12.0),
        reading("urn:t:2", "stateOfCharge", 1_000, "bms-2", 50.0),
    ];
    let written = store.insert_readings(&batch, "actor:test").await.unwrap();
    assert_eq!(written, ReadingsWritten { inserted: 5, duplicates: 0 });
    // The same readings again (a redelivery) plus one new: only the new one is stored.
    let mut again = batch.clone();
    again.push(reading("urn:t:1", "stateOfCharge", 4_000, "bms-1", 79.0));
    let written = store.insert_readings(&again, "actor:test").await.unwrap();
    assert_eq!(written, ReadingsWritten { inserted: 1, duplicates: 5 });
    assert_eq!(store.count_readings().await.unwrap(), 6);

    let latest = store.latest_readings("urn:t:1").await.unwrap();
    let latest: Vec<(&str, i64, f64)> = latest.iter().map(|r| (r.metric.as_str(), r.at_ms, r.value)).collect();
    assert_eq!(latest, vec![("fullCycles", 2_000, 12.0), ("stateOfCharge", 4_000, 79.0)]);

    let query = ReadingQuery {
        passport_id: "urn:t:1".into(),
        metric: "stateOfCharge".into(),
        from_ms: 1_500,
        to_ms: 4_000,
        limit: 10,
    };
    let window: Vec<i64> = store.readings(&query).await.unwrap().iter().map(|r| r.at_ms).collect();
    assert_eq!(window, vec![2_000, 3_000, 4_000]);
    let buckets = store.reading_buckets(&ReadingQuery { from_ms: 0, ..query }, 2).await.unwrap();
    assert_eq!(buckets.len(), 2, "{buckets:?}");
    // Buckets of 2 s over [0, 4000]: 1000 in the first; 2000, 3000 and 4000 (the closed end) in the second.
    assert_eq!((buckets[0].count, buckets[0].mean), (1, 90.0));
    assert_eq!(
        (buckets[1].count, buckets[1].mean, buckets[1].min, buckets[1].last),
        (3, (85.0 + 80.0 + 79.0) / 3.0, 79.0, 79.0)
    );

    let refused = RejectedReading {
        passport_id: Some("urn:t:1".into()),
        channel: "rest".into(),
        payload: r#"{"metric":"stateOfCharge","value":140}"#.into(),
        reason: "stateOfCharge 140 is outside 0..=100 %".into(),
        actor_id: "actor:test".into(),
    };
    store.reject_readings(std::slice::from_ref(&refused)).await.unwrap();
    assert_eq!(store.rejected_readings(Some("urn:t:1"), 10).await.unwrap(), vec![refused]);
    assert!(store.rejected_readings(Some("urn:t:2"), 10).await.unwrap().is_empty());
}

pub async fn grants_are_revocable_and_kept(store: Arc<dyn Store>) {
    let a = with_actor(&store).await;
    let grantee = actor("actor:repairer", Role::EconomicOperator);
    store.create_actor(&grantee).await.unwrap();
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let grant = Grant {
        id: "grant:1".into(),
        grantor: "ORG-1".into(),
        grantee: grantee.id.clone(),
        passports: vec!["urn:t:1".into()],
        groups: vec!["performance".into(), "readings".into()],
        valid_until: now + time::Duration::days(30),
        created_by: a.id.clone(),
        created_at: now,
        revoked_at: None,
        revoked_by: None,
    };
    store.create_grant(&grant).await.unwrap();
    assert_eq!(store.grant("grant:1").await.unwrap().as_ref(), Some(&grant));
    assert_eq!(store.grants_for(Some(&grantee.id), None).await.unwrap(), vec![grant.clone()]);
    assert_eq!(store.grants_for(None, Some("ORG-1")).await.unwrap().len(), 1);
    assert!(store.grants_for(None, Some("ORG-2")).await.unwrap().is_empty());
    assert!(grant.in_force(now) && grant.covers_passport("urn:t:1") && !grant.covers_passport("urn:t:2"));

    let revoked = store.revoke_grant("grant:1", &a.id).await.unwrap();
    assert_eq!(revoked.revoked_by.as_deref(), Some(a.id.as_str()));
    assert!(!revoked.in_force(now));
    assert!(matches!(store.revoke_grant("grant:1", &a.id).await, Err(StoreError::Invalid(_))));
    assert!(matches!(store.revoke_grant("grant:404", &a.id).await, Err(StoreError::NotFound { .. })));
    assert!(
        store.create_grant(&Grant { id: "grant:2".into(), grantee: "actor:nobody".into(), ..grant }).await.is_err()
    );
}

/// Signs with a fixed fake signature per operator: enough to see the store keeps what the signer gives.
struct NamedSigner;

impl VersionSigner for NamedSigner {
    fn sign(&self, responsible: &str, content_hash: &str) -> Option<VersionSignature> {
        (responsible == "ORG-1")
            .then(|| VersionSignature { key_id: "ORG-1-key-1".into(), signature: format!("sig-of-{content_hash}") })
    }
}

pub async fn signatures_keys_and_audit_chain(store: Arc<dyn Store>) {
    let a = with_actor(&store).await;
    store.append_model(new_model("M1", 1.0, Some(0))).await.unwrap();
    let options = AppendOptions {
        signer: Some(Arc::new(NamedSigner)),
        audit: vec![AuditEvent::new(&a.id, "grant.use", "grant:9", json!({"passport": "urn:t:1"}))],
    };
    let mut other = new_passport("urn:t:2", "SN-2");
    other.head.responsible = "ORG-2".into();
    let written = store.append_passports(vec![new_passport("urn:t:1", "SN-1"), other], options).await.unwrap();
    let signatures = store.version_signatures("urn:t:1").await.unwrap();
    assert_eq!(signatures.len(), 1);
    assert_eq!(signatures[0].1.signature, format!("sig-of-{}", written[0].meta.content_hash));
    assert!(store.version_signatures("urn:t:2").await.unwrap().is_empty(), "ORG-2 has no key: unsigned");
    assert_eq!(store.passport_versions("urn:t:1").await.unwrap(), vec![written[0].clone()]);
    let heads = store.passport_heads(&["urn:t:2".into(), "urn:t:404".into()]).await.unwrap();
    assert_eq!(heads.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["urn:t:2"]);

    let key = |id: &str| IssuerKeyRecord {
        key_id: id.into(),
        operator: "ORG-1".into(),
        public_multibase: format!("z{id}"),
        secret_hex: "00".repeat(32),
        created_at: time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
        retired_at: None,
    };
    store.add_issuer_key(&key("ORG-1-key-1"), &a.id).await.unwrap();
    store.add_issuer_key(&key("ORG-1-key-2"), &a.id).await.unwrap();
    assert!(store.add_issuer_key(&key("ORG-1-key-2"), &a.id).await.is_err(), "key ids are unique");
    let keys = store.issuer_keys().await.unwrap();
    let active: Vec<&str> = keys.iter().filter(|k| k.retired_at.is_none()).map(|k| k.key_id.as_str()).collect();
    assert_eq!((keys.len(), active), (2, vec!["ORG-1-key-2"]), "rotation retires the old key, keeps it");
    assert!(!format!("{:?}", keys[0]).contains(&"00".repeat(32)), "Debug never shows the secret");

    store
        .append_audit(vec![AuditEvent::new("anonymous", "auth.failure", "login", json!({"ip": "127.0.0.1"}))])
        .await
        .unwrap();
    let entries = store.audit_entries(0, 1000).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "actor.create",
            "model.append",
            "passport.append",
            "grant.use",
            "issuer-key.create",
            "issuer-key.create",
            "auth.failure"
        ]
    );
    let mut prev: Option<String> = None;
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1);
        assert_eq!(e.prev_hash, prev, "entry {} links to the one before", e.seq);
        assert_eq!(e.hash, e.expected_hash(), "entry {} hash recomputes", e.seq);
        prev = Some(e.hash.clone());
    }
    assert_eq!(store.audit_entries(5, 1).await.unwrap()[0].seq, 6);

    let last = entries.last().unwrap();
    let checkpoint = AuditCheckpoint {
        seq: last.seq,
        hash: last.hash.clone(),
        at: time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
        key_id: "server-key-1".into(),
        signature: "zsig".into(),
    };
    store.add_checkpoint(&checkpoint).await.unwrap();
    assert_eq!(store.checkpoints().await.unwrap(), vec![checkpoint]);
}
