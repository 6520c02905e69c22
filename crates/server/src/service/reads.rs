//! Reads. Every path that returns passport data (REST, resolver, pages, exports) asks [`audience`] who the
//! reader is for this passport and lets `passport::access::visible` prune the document, so no route can
//! disagree about who sees what. Summaries and histories are pruned by the same rules.

use passport::access::{self, Audience};
use passport::document::compose;
use serde::Serialize;
use serde_json::{Value, json};
use store::{Actor, PassportFilter, PassportHead, Role, VersionMeta};
use time::OffsetDateTime;

use super::{GPI, Page, Passport, PassportService, Result, ServiceError};

/// Head status of a passport that has ended because its battery was recycled (Art. 77(6)). Not a value of the
/// document's `batteryStatus` (which stays `Waste`): it marks the end of the passport, not a battery state.
pub const CEASED: &str = "Recycled";

/// The access group a reader belongs to for one passport: the one place roles meet Annex XIII.
/// Economic operators see everything of the passports they are responsible for, and what the public
/// sees of the others; suppliers see what the public sees.
pub fn audience(reader: Option<&Actor>, head: &PassportHead) -> Audience {
    match reader.map(|a| (a.role, a.organisation.as_deref())) {
        Some((Role::Admin, _)) => Audience::Operator,
        Some((Role::EconomicOperator, Some(org))) if org == head.responsible => Audience::Operator,
        Some((Role::LegitimateInterest, _)) => Audience::LegitimateInterest,
        Some((Role::Authority, _)) => Audience::Authority,
        _ => Audience::Public,
    }
}

/// What the public may know of an ended passport: which battery, when and why it ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    pub passport_id: String,
    pub battery_id: String,
    pub model_id: String,
    pub manufacturer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub ceased_at: OffsetDateTime,
    pub reason: String,
    pub successor_id: Option<String>,
}

/// One entry of a version history as a reader may see it. Who wrote it, why, and the hash chain are for the
/// responsible operator and authorities (auditors); a hash over the full record would let others confirm
/// guesses of attributes they may not read.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    /// The issuer key and Ed25519 signature over the content hash (auditors only, like the hash it signs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<store::VersionSignature>,
}

impl HistoryEntry {
    fn new(meta: VersionMeta, audience: Audience) -> HistoryEntry {
        let audited = matches!(audience, Audience::Operator | Audience::Authority);
        let keep = |v: Option<String>| if audited { v } else { None };
        HistoryEntry {
            version: meta.version,
            created_at: meta.created_at,
            actor_id: keep(Some(meta.actor_id)),
            reason: keep(meta.reason),
            content_hash: keep(Some(meta.content_hash)),
            prev_hash: keep(meta.prev_hash),
            signature: None,
        }
    }
}

/// Audiences that still read an ended passport's record (the history stays available to authorities).
fn reads_ended(audience: Audience) -> bool {
    matches!(audience, Audience::Operator | Audience::Authority)
}

impl PassportService {
    pub async fn head(&self, id: &str) -> Result<PassportHead> {
        self.store.passport_head(id).await?.ok_or_else(|| ServiceError::NotFound(format!("passport {id} not found")))
    }

    /// A passport, composed, at a version (latest when `None`), as `reader` may see it (`None` = the public).
    /// An ended passport is a tombstone (`Gone`) for everyone but its operator and authorities.
    pub async fn passport(&self, id: &str, version: Option<i64>, reader: Option<&Actor>) -> Result<Passport> {
        let head = self.head(id).await?;
        let audience = audience(reader, &head);
        self.passport_as(head, version, audience).await
    }

    /// A passport as one access group sees it (exports name the group instead of an actor).
    pub async fn passport_for(&self, id: &str, version: Option<i64>, audience: Audience) -> Result<Passport> {
        let head = self.head(id).await?;
        self.passport_as(head, version, audience).await
    }

    async fn passport_as(&self, head: PassportHead, version: Option<i64>, audience: Audience) -> Result<Passport> {
        if head.status == CEASED && !reads_ended(audience) {
            return Err(ServiceError::Gone(Box::new(self.tombstone(&head).await?)));
        }
        let id = head.id.as_str();
        let stored = self.store.passport_version(id, version).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("passport {id} has no version {}", version.unwrap_or_default()))
        })?;
        let model = self.model(&stored.model_id, Some(stored.model_version)).await?;
        let mut document = compose(&model.document, &stored.item);
        // The current passport shows the latest readings; a past version shows what it held then. The public
        // sees no dynamic data, so it is spared the query.
        if stored.meta.version == head.version && audience != Audience::Public {
            self.overlay_readings(id, &mut document).await?;
        }
        let document = access::visible(&document, audience);
        Ok(Passport { head, version: stored, document })
    }

    /// Puts the latest reading of each metric (and every accident) into the document's `batteryCondition`.
    async fn overlay_readings(&self, id: &str, document: &mut Value) -> Result<()> {
        let latest = self.store.latest_readings(id).await?;
        if latest.is_empty() {
            return Ok(());
        }
        let mut values: Vec<(String, i64, f64, Option<String>)> = Vec::with_capacity(latest.len());
        for r in latest {
            if r.metric == "accident" {
                let all = store::ReadingQuery {
                    passport_id: id.to_string(),
                    metric: r.metric.clone(),
                    from_ms: i64::MIN,
                    to_ms: i64::MAX,
                    limit: 1000,
                };
                values
                    .extend(self.store.readings(&all).await?.into_iter().map(|a| (a.metric, a.at_ms, a.value, a.note)));
            } else {
                values.push((r.metric, r.at_ms, r.value, r.note));
            }
        }
        passport::readings::overlay(document, &values);
        Ok(())
    }

    /// The public notice of an ended passport, from its last version.
    async fn tombstone(&self, head: &PassportHead) -> Result<Tombstone> {
        // The last version says when and why the passport ended.
        let last = self
            .store
            .passport_version(&head.id, None)
            .await?
            .map(|v| v.meta)
            .ok_or_else(|| ServiceError::Internal(format!("ended passport {} has no versions", head.id)))?;
        Ok(Tombstone {
            passport_id: head.id.clone(),
            battery_id: head.battery_id.clone(),
            model_id: head.model_id.clone(),
            manufacturer: head.manufacturer.clone(),
            ceased_at: last.created_at,
            reason: last.reason.unwrap_or_default(),
            successor_id: head.successor_id.clone(),
        })
    }

    /// The passport a battery identifier currently leads to (the newest in a chain of successors).
    pub async fn active_by_battery_id(&self, battery_id: &str) -> Result<Option<PassportHead>> {
        Ok(self.store.active_by_battery_ids(&[battery_id.to_string()]).await?.pop())
    }

    /// The version history as `reader` may see it.
    pub async fn history(&self, id: &str, reader: Option<&Actor>) -> Result<Vec<HistoryEntry>> {
        let head = self.head(id).await?;
        let audience = audience(reader, &head);
        if head.status == CEASED && !reads_ended(audience) {
            return Err(ServiceError::Gone(Box::new(self.tombstone(&head).await?)));
        }
        let history = self.store.passport_history(id).await?;
        let mut entries: Vec<HistoryEntry> =
            history.into_iter().map(|meta| HistoryEntry::new(meta, audience)).collect();
        if matches!(audience, Audience::Operator | Audience::Authority) {
            for (version, signature) in self.store.version_signatures(id).await? {
                if let Some(entry) = entries.iter_mut().find(|e| e.version == version) {
                    entry.signature = Some(signature);
                }
            }
        }
        Ok(entries)
    }

    /// Passport index entries, unfiltered: for the command line, which acts as an administrator.
    pub async fn list(&self, filter: &PassportFilter, after: Option<&str>, limit: i64) -> Result<Page> {
        let mut items = self.store.list_passports(filter, after, limit + 1).await?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        let next_after = if more { items.last().map(|h| h.id.clone()) } else { None };
        Ok(Page { items, next_after })
    }

    /// A page of passport summaries as `reader` may see them. Searching by an attribute the reader may not
    /// read would reveal it, so such a filter is narrowed to the passports the reader sees it on, or refused.
    pub async fn search(
        &self,
        reader: &Actor,
        mut filter: PassportFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Value>, Option<String>)> {
        if filter.status.is_some() {
            match reader.role {
                Role::Admin | Role::LegitimateInterest => {}
                Role::EconomicOperator => filter.responsible = reader.organisation.clone(),
                role => {
                    return Err(ServiceError::Forbidden(format!(
                        "role {role} may not read the battery status, so it cannot search by it"
                    )));
                }
            }
        }
        let page = self.list(&filter, after, limit).await?;
        let items = page.items.iter().map(|head| summary(head, audience(Some(reader), head))).collect();
        Ok((items, page.next_after))
    }
}

/// A passport's index entry as a small canonical document pruned by the access filter, plus the
/// voltpass bookkeeping (model, version, successor) that is not a passport attribute.
fn summary(head: &PassportHead, audience: Audience) -> Value {
    let facts = json!({
        "generalProductInformation": {
            "batteryPassportIdentifier": head.id,
            "productIdentifier": head.battery_id,
            "batteryCategory": head.category,
            "batteryStatus": head.status,
            "manufacturerInformation": { "identifier": head.manufacturer },
            "operatorInformation": { "identifier": head.responsible },
        }
    });
    let seen = access::visible(&facts, audience);
    let gpi = |field: &str| seen.pointer(&format!("{GPI}/{field}")).cloned();
    let mut out = json!({ "id": head.id, "modelId": head.model_id, "version": head.version });
    for (key, value) in [
        ("batteryId", gpi("productIdentifier")),
        ("category", gpi("batteryCategory")),
        ("status", gpi("batteryStatus")),
        ("manufacturer", gpi("manufacturerInformation/identifier")),
        ("responsible", gpi("operatorInformation/identifier")),
        ("successorId", head.successor_id.clone().map(Value::String)),
    ] {
        if let Some(value) = value {
            out[key] = value;
        }
    }
    if head.status == CEASED {
        // That a passport ended is public (its tombstone is); only the battery status detail is not.
        out["ended"] = Value::Bool(true);
    }
    out
}

/// A model record as a reader may see it: the document pruned to the reader's access group, and who wrote each
/// version (`meta`) only for the operator and authorities, as with passport histories.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelView {
    pub model_id: String,
    pub version: i64,
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<VersionMeta>,
    pub document: Value,
}

impl PassportService {
    /// The access group a reader belongs to for a model: as for its passports. An economic operator sees all
    /// of a model it owns, or of an administrator-managed model it issues passports for; the public part of
    /// others.
    pub async fn model_audience(&self, reader: Option<&Actor>, model: &store::ModelVersion) -> Result<Audience> {
        let Some(reader) = reader else { return Ok(Audience::Public) };
        let audience = match (reader.role, reader.organisation.as_deref(), model.owner.as_deref()) {
            (Role::Admin, _, _) => Audience::Operator,
            (Role::Authority, _, _) => Audience::Authority,
            (Role::LegitimateInterest, _, _) => Audience::LegitimateInterest,
            (Role::EconomicOperator, Some(org), Some(owner)) if org == owner => Audience::Operator,
            (Role::EconomicOperator, Some(org), None) => {
                let filter = PassportFilter {
                    model_id: Some(model.model_id.clone()),
                    responsible: Some(org.to_string()),
                    ..PassportFilter::default()
                };
                match self.store.list_passports(&filter, None, 1).await?.is_empty() {
                    true => Audience::Public,
                    false => Audience::Operator,
                }
            }
            _ => Audience::Public,
        };
        Ok(audience)
    }

    /// A model version (the latest without `version`) as `reader` may see it.
    pub async fn model_for(&self, reader: &Actor, id: &str, version: Option<i64>) -> Result<ModelView> {
        let model = self.model(id, version).await?;
        let audience = self.model_audience(Some(reader), &model).await?;
        let auditor = matches!(audience, Audience::Operator | Audience::Authority);
        Ok(ModelView {
            model_id: model.model_id.clone(),
            version: model.meta.version,
            owner: model.owner.clone(),
            meta: auditor.then(|| model.meta.clone()),
            document: access::visible(&model.document, audience),
        })
    }
}

impl PassportService {
    /// A model's versions as `reader` may see them (who wrote them and why for auditors only).
    pub async fn model_history_for(&self, reader: &Actor, id: &str) -> Result<Vec<HistoryEntry>> {
        let model = self.model(id, None).await?;
        let audience = self.model_audience(Some(reader), &model).await?;
        Ok(self.model_history(id).await?.into_iter().map(|meta| HistoryEntry::new(meta, audience)).collect())
    }
}
