//! Registered AAS shell descriptors: upsert, discovery by asset ids (AND), paging, createdAfter, audit.

use serde_json::json;
use std::sync::Arc;
use store::*;

fn descriptor(id: &str, asset_ids: &[(&str, &str)], at: time::OffsetDateTime) -> StoredDescriptor {
    let body = json!({
        "id": id,
        "specificAssetIds": asset_ids.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
    });
    StoredDescriptor { id: id.into(), owner: "ORG-1".into(), body, created_at: at, updated_at: at }
}

fn event(id: &str, action: &str) -> AuditEvent {
    AuditEvent::new("actor:test", action, id, json!({"id": id}))
}

pub async fn registry_descriptors_and_discovery(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", Role::Admin)).await.unwrap();
    let t0 = time::macros::datetime!(2026-11-01 00:00 UTC);
    let t1 = time::macros::datetime!(2026-11-02 00:00 UTC);
    let a = descriptor("urn:aas:a", &[("manufacturerPartId", "M1"), ("partInstanceId", "SN-1")], t0);
    let b = descriptor("urn:aas:b", &[("manufacturerPartId", "M1"), ("partInstanceId", "SN-2")], t1);
    assert!(store.put_descriptor(&a, event("urn:aas:a", "aas.descriptor.put")).await.unwrap(), "new");
    assert!(store.put_descriptor(&b, event("urn:aas:b", "aas.descriptor.put")).await.unwrap());

    // Replacing keeps the creation time and re-indexes the asset ids.
    let mut a2 = descriptor("urn:aas:a", &[("manufacturerPartId", "M1"), ("partInstanceId", "SN-9")], t1);
    a2.created_at = t1;
    assert!(!store.put_descriptor(&a2, event("urn:aas:a", "aas.descriptor.put")).await.unwrap(), "replaced");
    let stored = store.descriptor("urn:aas:a").await.unwrap().unwrap();
    assert_eq!(stored.created_at, t0);
    assert_eq!(stored.updated_at, t1);
    assert_eq!(stored.body, a2.body);

    let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
    let ids = |found: Vec<StoredDescriptor>| found.into_iter().map(|d| d.id).collect::<Vec<_>>();
    let both = [pair("manufacturerPartId", "M1")];
    assert_eq!(ids(store.descriptors(&both, None, None, 10).await.unwrap()), ["urn:aas:a", "urn:aas:b"]);
    let and = [pair("manufacturerPartId", "M1"), pair("partInstanceId", "SN-2")];
    assert_eq!(ids(store.descriptors(&and, None, None, 10).await.unwrap()), ["urn:aas:b"]);
    let stale = [pair("partInstanceId", "SN-1")];
    assert!(store.descriptors(&stale, None, None, 10).await.unwrap().is_empty(), "old asset ids are gone");
    assert_eq!(ids(store.descriptors(&[], None, Some("urn:aas:a"), 10).await.unwrap()), ["urn:aas:b"], "paging");
    assert_eq!(ids(store.descriptors(&[], Some(t0), None, 10).await.unwrap()), ["urn:aas:b"], "createdAfter");
    assert_eq!(store.descriptors(&[], None, None, 1).await.unwrap().len(), 1, "limit");

    assert!(store.delete_descriptor("urn:aas:a", event("urn:aas:a", "aas.descriptor.delete")).await.unwrap());
    assert!(!store.delete_descriptor("urn:aas:a", event("urn:aas:a", "aas.descriptor.delete")).await.unwrap());
    assert!(store.descriptor("urn:aas:a").await.unwrap().is_none());
    assert!(store.descriptors(&[pair("partInstanceId", "SN-9")], None, None, 10).await.unwrap().is_empty());

    // Every write is in the audit chain: three puts and one delete (the refused delete wrote nothing).
    let actions: Vec<String> = store
        .audit_entries(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("aas."))
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["aas.descriptor.put", "aas.descriptor.put", "aas.descriptor.put", "aas.descriptor.delete"]);
}

pub async fn model_ids_page_in_order(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", Role::Admin)).await.unwrap();
    for id in ["M-B", "M-A", "M-C"] {
        store.append_model(super::new_model(id, 1.0, None)).await.unwrap();
    }
    store.append_model(super::new_model("M-A", 2.0, Some(1))).await.unwrap();
    let page = store.model_ids_page(None, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["M-A", "M-B"], "one entry per model");
    let rest = store.model_ids_page(None, Some("M-B"), 2).await.unwrap();
    assert_eq!(rest.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["M-C"]);
    let later = store.model_ids_page(Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1)), None, 9);
    assert!(later.await.unwrap().is_empty());
}
