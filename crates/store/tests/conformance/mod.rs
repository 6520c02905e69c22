//! One conformance suite for every Store implementation. `tests/sqlite.rs` and `tests/postgres.rs` run it.

use serde_json::json;
use std::sync::Arc;
use store::*;

pub fn actor(id: &str, role: Role) -> Actor {
    Actor { id: id.into(), name: format!("{id} name"), role, organisation: Some("ORG-1".into()), subrole: None }
}

async fn with_actor(store: &Arc<dyn Store>) -> Actor {
    let a = actor("actor:test", Role::Admin);
    store.create_actor(&a).await.unwrap();
    a
}

fn new_model(id: &str, mass: f64, expected: Option<i64>) -> NewModelVersion {
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
    let written =
        store.append_passports(vec![new_passport("urn:t:1", "SN-1"), new_passport("urn:t:2", "SN-2")]).await.unwrap();
    assert_eq!(written.len(), 2);
    assert_eq!(written[0].meta.version, 1);
    let expected_hash = record_hash(&canonical_record("M1", 1, &passport::hash::canonical_json(&written[0].item)));
    assert_eq!(written[0].meta.content_hash, expected_hash, "the hash is over the RFC 8785 record");

    let mut update = new_passport("urn:t:1", "SN-1");
    update.head.status = "Repurposed".into();
    update.item["generalProductInformation"]["batteryStatus"] = json!("Repurposed");
    update.expected_version = 1;
    update.reason = Some("repurposed".into());
    let v2 = store.append_passports(vec![update.clone()]).await.unwrap().remove(0);
    assert_eq!(v2.meta.version, 2);
    assert_eq!(v2.meta.prev_hash.as_deref(), Some(expected_hash.as_str()));

    // stale update: refused, nothing changes
    let err = store.append_passports(vec![update.clone()]).await.unwrap_err();
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
    assert!(matches!(store.append_passports(vec![missing]).await, Err(StoreError::NotFound { .. })));
}

pub async fn duplicate_battery_ids_write_nothing(store: Arc<dyn Store>) {
    with_actor(&store).await;
    store.append_passports(vec![new_passport("urn:t:1", "SN-1")]).await.unwrap();
    let err = store
        .append_passports(vec![new_passport("urn:t:2", "SN-2"), new_passport("urn:t:3", "SN-1")])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateBattery { ref battery_id, .. } if battery_id == "SN-1"), "{err}");
    assert!(store.passport_head("urn:t:2").await.unwrap().is_none(), "the batch is all or nothing");
    let err = store
        .append_passports(vec![new_passport("urn:t:4", "SN-4"), new_passport("urn:t:5", "SN-4")])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateBattery { .. }), "{err}");
    assert!(store.passport_head("urn:t:4").await.unwrap().is_none());
    // A successor may take over its predecessor's battery identifier.
    let mut successor = new_passport("urn:t:6", "SN-1");
    successor.predecessors = vec!["urn:t:1".into()];
    store.append_passports(vec![successor]).await.unwrap();
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
    store.append_passports(batch).await.unwrap();
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
    assert_eq!(store.append_passports(batch).await.unwrap().len(), 1500);
    let all = store.list_passports(&PassportFilter::default(), None, 5000).await.unwrap();
    assert_eq!(all.len(), 1500);
}
