//! Written authorisations (Art. 77(4)): the responsible economic operator lets another actor update given
//! attribute groups of given passports until a date. A grant is revocable, never deleted, and every write made
//! under it is recorded in the audit log (`grant.use`) in the same transaction as the write.

use serde::Deserialize;
use serde_json::{Value, json};
use store::{Actor, AuditEvent, Grant, NewPassportVersion, PassportHead, Role};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{PassportService, Result, ServiceError, may_write_for};

/// What a grant can cover: the document's sections, `readings` (dynamic data, Annex VII), and `twin` (seeing the
/// passport twin's asset ids in the AAS registry; the only group a Catena-X partner's BPN can be granted).
pub const GRANT_GROUPS: [&str; 9] = [
    "generalProductInformation",
    "carbonFootprint",
    "circularity",
    "materialComposition",
    "performance",
    "labels",
    "supplyChainDueDiligence",
    "readings",
    super::aas::TWIN_GROUP,
];

/// A grant as asked for over the API.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantRequest {
    /// The actor (`actor:...`) allowed to write, or a Catena-X partner's BPN (`BPNL...`, group `twin` only).
    pub grantee: String,
    /// Passports covered; leave out (or empty) for every passport of the grantor.
    #[serde(default)]
    pub passports: Vec<String>,
    /// Attribute groups: generalProductInformation, carbonFootprint, circularity, materialComposition,
    /// performance, labels, supplyChainDueDiligence, readings.
    pub groups: Vec<String>,
    /// RFC 3339 time the grant ends.
    pub valid_until: String,
    /// The operator giving the grant: only administrators name it; an operator's own key gives its own.
    pub grantor: Option<String>,
}

impl PassportService {
    pub async fn create_grant(&self, actor: &Actor, request: GrantRequest) -> Result<Grant> {
        let grantor = match (actor.role, &actor.organisation, request.grantor) {
            (Role::Admin, _, Some(grantor)) => grantor,
            (Role::Admin, _, None) => return Err(ServiceError::BadRequest("name the `grantor` operator".into())),
            (Role::EconomicOperator, Some(org), None) => org.clone(),
            (Role::EconomicOperator, Some(org), Some(named)) if &named == org => named,
            (Role::EconomicOperator, _, Some(named)) => {
                return Err(ServiceError::Forbidden(format!(
                    "you may only give grants for your own operator, not `{named}`"
                )));
            }
            (role, _, _) => return Err(ServiceError::Forbidden(format!("role {role} may not give grants"))),
        };
        let valid_until = OffsetDateTime::parse(&request.valid_until, &Rfc3339)
            .map_err(|e| ServiceError::BadRequest(format!("`validUntil` is not an RFC 3339 time: {e}")))?;
        let now = OffsetDateTime::now_utc();
        if valid_until <= now {
            return Err(ServiceError::BadRequest("`validUntil` lies in the past".into()));
        }
        if request.groups.is_empty() {
            return Err(ServiceError::BadRequest(format!("name at least one group of {}", GRANT_GROUPS.join(", "))));
        }
        if let Some(unknown) = request.groups.iter().find(|g| !GRANT_GROUPS.contains(&g.as_str())) {
            return Err(ServiceError::BadRequest(format!(
                "unknown attribute group `{unknown}` (one of {})",
                GRANT_GROUPS.join(", ")
            )));
        }
        let grantee = if super::aas::is_bpn(&request.grantee) {
            self.partner_actor(&request.grantee, &request.groups).await?
        } else if self.store.actor(&request.grantee).await?.is_none() {
            return Err(ServiceError::BadRequest(format!("grantee {} is not a known actor", request.grantee)));
        } else {
            request.grantee
        };
        for id in &request.passports {
            let head = self.head(id).await?;
            if head.responsible != grantor {
                return Err(ServiceError::Forbidden(format!(
                    "passport {id} is the responsibility of `{}`, not `{grantor}`",
                    head.responsible
                )));
            }
        }
        let grant = Grant {
            id: format!("grant:{}", uuid::Uuid::now_v7().simple()),
            grantor,
            grantee,
            passports: request.passports,
            groups: request.groups,
            valid_until: valid_until.replace_nanosecond(0).unwrap_or(valid_until),
            created_by: actor.id.clone(),
            created_at: now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now),
            revoked_at: None,
            revoked_by: None,
        };
        self.store.create_grant(&grant).await?;
        Ok(grant)
    }

    /// The actor standing for a partner's BPN (created on first use: it holds no key and only ever reads through
    /// a trusted connector). A BPN may be granted only the `twin` group: it cannot write.
    async fn partner_actor(&self, bpn: &str, groups: &[String]) -> Result<String> {
        if let Some(other) = groups.iter().find(|g| g.as_str() != super::aas::TWIN_GROUP) {
            return Err(ServiceError::BadRequest(format!(
                "a BPN grantee can only be granted `{}`, not `{other}`",
                super::aas::TWIN_GROUP
            )));
        }
        let id = super::aas::bpn_actor_id(bpn);
        if self.store.actor(&id).await?.is_none() {
            let partner = Actor {
                id: id.clone(),
                name: format!("Catena-X partner {bpn}"),
                role: Role::LegitimateInterest,
                organisation: Some(bpn.to_string()),
                subrole: None,
            };
            self.store.create_actor(&partner).await?;
        }
        Ok(id)
    }

    pub async fn revoke_grant(&self, actor: &Actor, id: &str) -> Result<Grant> {
        let grant =
            self.store.grant(id).await?.ok_or_else(|| ServiceError::NotFound(format!("grant {id} not found")))?;
        may_write_for(actor, &grant.grantor)?;
        match self.store.revoke_grant(id, &actor.id).await {
            Err(store::StoreError::Invalid(msg)) => Err(ServiceError::Lifecycle(msg)),
            other => Ok(other?),
        }
    }

    /// Grants the actor gave (as an operator) or holds, newest first; administrators see all.
    pub async fn grants(&self, actor: &Actor) -> Result<Vec<Grant>> {
        let mut grants = match (actor.role, &actor.organisation) {
            (Role::Admin, _) => self.store.grants_for(None, None).await?,
            (Role::EconomicOperator, Some(org)) => self.store.grants_for(None, Some(org)).await?,
            _ => Vec::new(),
        };
        for held in self.store.grants_for(Some(&actor.id), None).await? {
            if !grants.iter().any(|g| g.id == held.id) {
                grants.push(held);
            }
        }
        Ok(grants)
    }

    /// The grant in force that lets `actor` write all of `groups` of the passport `head`, if any.
    pub(super) async fn grant_for(
        &self,
        actor: &Actor,
        head: &PassportHead,
        groups: &[String],
    ) -> Result<Option<Grant>> {
        let held = self.store.grants_for(Some(&actor.id), Some(&head.responsible)).await?;
        Ok(grant_covering(&held, head, groups, OffsetDateTime::now_utc()).cloned())
    }

    /// May `actor` write this new version of `head`? The responsible operator (and admins) may write anything,
    /// including a handover to another operator; a grantee only the groups its grant covers. Returns the
    /// audit events that commit with the write.
    pub(super) async fn authorise_update(
        &self,
        actor: &Actor,
        head: &PassportHead,
        new: &NewPassportVersion,
    ) -> Result<Vec<AuditEvent>> {
        if may_write_for(actor, &head.responsible).is_ok() {
            if new.head.responsible != head.responsible {
                let detail = json!({"from": head.responsible, "to": new.head.responsible, "version": new.head.version});
                return Ok(vec![AuditEvent::new(&actor.id, "passport.handover", &head.id, detail)]);
            }
            return Ok(Vec::new());
        }
        let refused = |why: String| ServiceError::Forbidden(why);
        if new.head.responsible != head.responsible {
            return Err(refused(format!(
                "only the responsible operator `{}` can hand the passport over",
                head.responsible
            )));
        }
        let current = self
            .store
            .passport_version(&head.id, None)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("passport {} has a head but no version", head.id)))?;
        if current.model_id != new.head.model_id || current.model_version != new.head.model_version {
            return Err(refused("a grant does not cover changing the battery model".into()));
        }
        let groups = changed_groups(&current.item, &new.item);
        let Some(grant) = self.grant_for(actor, head, &groups).await? else {
            return Err(refused(format!(
                "{} is neither the responsible operator of passport {} nor holds a grant in force for {}",
                actor.id,
                head.id,
                if groups.is_empty() { "it".to_string() } else { groups.join(", ") }
            )));
        };
        let detail = json!({"passport": head.id, "version": new.head.version, "groups": groups});
        Ok(vec![AuditEvent::new(&actor.id, "grant.use", &grant.id, detail)])
    }
}

/// Of the grants an actor holds, one in force at `now` from the passport's responsible operator that covers the
/// passport and all of `groups`.
pub(super) fn grant_covering<'a>(
    held: &'a [Grant],
    head: &PassportHead,
    groups: &[String],
    now: OffsetDateTime,
) -> Option<&'a Grant> {
    held.iter().find(|g| {
        g.grantor == head.responsible
            && g.in_force(now)
            && g.covers_passport(&head.id)
            && groups.iter().all(|group| g.covers_group(group))
    })
}

/// Top-level sections whose content differs between two items.
pub(super) fn changed_groups(old: &Value, new: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (old, new) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| old.get(*k) != new.get(*k)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_groups_names_sections_that_differ() {
        let old = json!({"performance": {"a": 1}, "labels": {"x": 1}, "circularity": {}});
        let new = json!({"performance": {"a": 2}, "labels": {"x": 1}, "carbonFootprint": {}});
        assert_eq!(changed_groups(&old, &new), vec!["carbonFootprint", "circularity", "performance"]);
        assert!(changed_groups(&old, &old).is_empty());
    }
}
