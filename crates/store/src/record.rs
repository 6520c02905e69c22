//! The canonical form of stored records and their hashes.

use crate::audit::{AuditEvent, versions_digest};
use crate::{NewPassportVersion, StoreError, VersionSignature, VersionSigner};
use passport::hash::{canonical_json, sha256_hex};
use rayon::prelude::*;
use serde_json::Value;

/// A passport version ready to insert: canonical text and hash computed before the transaction.
pub(crate) struct Prepared {
    pub new: NewPassportVersion,
    pub item_text: String,
    pub content_hash: String,
    pub signature: Option<VersionSignature>,
}

/// Canonicalises, hashes and signs a batch on all cores, off the async runtime (it is CPU-bound).
pub(crate) async fn prepare_records(
    batch: Vec<NewPassportVersion>,
    signer: Option<std::sync::Arc<dyn VersionSigner>>,
) -> Result<Vec<Prepared>, StoreError> {
    let prepare = move |new: NewPassportVersion| {
        let item_text = canonical_json(&new.item);
        let content_hash = record_hash(&canonical_record(&new.head.model_id, new.head.model_version, &item_text));
        let signature = signer.as_ref().and_then(|s| s.sign(&new.head.responsible, &content_hash));
        Prepared { new, item_text, content_hash, signature }
    };
    if batch.len() < 64 {
        return Ok(batch.into_iter().map(prepare).collect());
    }
    tokio::task::spawn_blocking(move || batch.into_par_iter().map(prepare).collect())
        .await
        .map_err(|e| StoreError::Database(format!("hashing task failed: {e}")))
}

/// The audit event that records a committed batch of passport versions.
pub(crate) fn append_event(prepared: &[Prepared]) -> AuditEvent {
    let first = &prepared[0].new;
    let detail = if prepared.len() == 1 {
        serde_json::json!({
            "version": first.expected_version + 1, "status": first.head.status,
            "responsible": first.head.responsible, "contentHash": prepared[0].content_hash,
            "reason": first.reason, "predecessors": first.predecessors,
        })
    } else {
        let digest = versions_digest(
            prepared.iter().map(|p| (p.new.head.id.as_str(), p.new.expected_version + 1, p.content_hash.as_str())),
        );
        serde_json::json!({"versions": prepared.len(), "digest": digest})
    };
    let subject = if prepared.len() == 1 { first.head.id.clone() } else { format!("{} passports", prepared.len()) };
    AuditEvent::new(first.actor_id.clone(), "passport.append", subject, detail)
}

/// RFC 8785 canonical JSON of `{"item": item, "modelId": .., "modelVersion": ..}`, built from the item's
/// canonical text without canonicalising twice (the bulk path writes 100k of these a second).
pub fn canonical_record(model_id: &str, model_version: i64, item_canonical: &str) -> String {
    // JCS orders keys by UTF-16 code units: "item" < "modelId" < "modelVersion".
    let model_id = canonical_json(&Value::String(model_id.to_string()));
    format!(r#"{{"item":{item_canonical},"modelId":{model_id},"modelVersion":{model_version}}}"#)
}

/// SHA-256 (hex) of a canonical record.
pub fn record_hash(canonical: &str) -> String {
    sha256_hex(canonical.as_bytes())
}

/// The current time at the precision both databases keep (microseconds), so what a write returns
/// equals what a later read gives.
pub(crate) fn now() -> time::OffsetDateTime {
    let t = time::OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// Fails if a battery identifier appears twice among new passports of one batch.
pub(crate) fn repeated_battery_ids(creates: &[&Prepared]) -> Result<(), StoreError> {
    let mut seen = std::collections::HashMap::new();
    for p in creates {
        if let Some(first) = seen.insert(p.new.head.battery_id.as_str(), p.new.head.id.as_str()) {
            return Err(StoreError::DuplicateBattery {
                battery_id: p.new.head.battery_id.clone(),
                existing: first.to_string(),
            });
        }
    }
    Ok(())
}

/// What a committed batch wrote, as the store will read it back.
pub(crate) fn written_versions(
    prepared: Vec<Prepared>,
    mut prev_hashes: std::collections::HashMap<String, String>,
    now: time::OffsetDateTime,
) -> Vec<crate::PassportVersion> {
    prepared
        .into_iter()
        .map(|p| {
            let prev_hash = prev_hashes.remove(&p.new.head.id);
            crate::PassportVersion {
                passport_id: p.new.head.id,
                model_id: p.new.head.model_id,
                model_version: p.new.head.model_version,
                item: p.new.item,
                meta: crate::VersionMeta {
                    version: p.new.expected_version + 1,
                    actor_id: p.new.actor_id,
                    created_at: now,
                    reason: p.new.reason,
                    content_hash: p.content_hash,
                    prev_hash,
                },
            }
        })
        .collect()
}

/// The migrator for a backend's schema scripts, in order.
pub(crate) fn migrator<const N: usize>(scripts: [(&'static str, &'static str); N]) -> sqlx::migrate::Migrator {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use std::borrow::Cow;
    let migration = |version, name, sql| {
        Migration::new(version, Cow::Borrowed(name), MigrationType::Simple, sqlx::SqlStr::from_static(sql), false)
    };
    Migrator {
        migrations: Cow::Owned(
            scripts.into_iter().zip(1..).map(|((name, sql), version)| migration(version, name, sql)).collect(),
        ),
        ..Migrator::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passport_record;
    use serde_json::json;

    #[test]
    fn hand_built_record_equals_the_canonicaliser_output() {
        let item = json!({"generalProductInformation": {"productIdentifier": "SN-\"1\"", "z": 1.5, "a": [true, null]}});
        let built = canonical_record("M-1:é", 7, &canonical_json(&item));
        assert_eq!(built, canonical_json(&passport_record("M-1:é", 7, &item)));
    }
}
