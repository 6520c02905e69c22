//! Lifecycle changes of a passport, following `passport::lifecycle` (the state machine):
//! - becoming waste appends a version with the new status, and may hand responsibility to the producer or a
//!   waste-management operator (Art. 77(6)): no new passport;
//! - re-use, repurposing and remanufacturing create a NEW passport linked to its predecessors (Art. 77(7));
//!   the operator placing the battery back on the market becomes responsible, and the battery category may
//!   change (its mandatory attributes follow the new category's model);
//! - recycling ends the passport (Art. 77(6), Annex XIII point 4): the resolver then answers with a tombstone,
//!   and the record stays readable by authorities and the responsible operator.

use passport::lifecycle::{Change, Status, transition};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Actor, AuditEvent, NewPassportVersion, PassportHead};

use super::reads::CEASED;
use super::{GPI, Passport, PassportService, Result, ServiceError, ensure_expected, may_write_for};

/// A status change as asked for over the API.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusChange {
    /// `Waste`, or `Recycled` to end the passport (second-life statuses need a successor passport).
    pub status: String,
    /// Why: e.g. the collection point and date, or the recycler and its certificate.
    pub reason: String,
    /// New `operatorInformation` when responsibility moves (to the producer or a waste-management operator).
    pub operator_information: Option<Value>,
}

/// Writes to an ended passport are refused: it is a closed record.
pub(super) fn ensure_open(head: &PassportHead) -> Result<()> {
    if head.status == CEASED {
        return Err(ServiceError::Lifecycle(format!(
            "passport {} has ended (battery recycled); it is read-only",
            head.id
        )));
    }
    Ok(())
}

fn status_of(head: &PassportHead) -> Result<Status> {
    Status::parse(&head.status).ok_or_else(|| {
        ServiceError::Lifecycle(format!("passport {} has no lifecycle status (`{}`)", head.id, head.status))
    })
}

/// A passport that has a successor is history: the battery lives on in the successor.
fn ensure_current(head: &PassportHead) -> Result<()> {
    match &head.successor_id {
        Some(successor) => Err(ServiceError::Lifecycle(format!(
            "passport {} was succeeded by {successor}; the battery's current passport is that one",
            head.id
        ))),
        None => Ok(()),
    }
}

impl PassportService {
    /// Moves a passport along the lifecycle in place (Waste) or ends it (Recycled).
    pub async fn change_status(
        &self,
        actor: &Actor,
        id: &str,
        change: StatusChange,
        expected: Option<i64>,
    ) -> Result<Passport> {
        let reason = change.reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::BadRequest("say why the status changes: `reason`".into()));
        }
        let to = Status::parse(&change.status).ok_or_else(|| {
            ServiceError::BadRequest(format!(
                "unknown status `{}` (one of {})",
                change.status,
                Status::ALL.map(Status::as_str).join(", ")
            ))
        })?;
        let head = self.head(id).await?;
        may_write_for(actor, &head.responsible)?;
        ensure_current(&head)?;
        let from = status_of(&head)?;
        let kind = transition(from, to).map_err(|e| ServiceError::Lifecycle(format!("{from} → {to}: {e}")))?;
        ensure_expected(&head, expected)?;
        match kind {
            Change::Successor => Err(ServiceError::Lifecycle(format!(
                "{from} → {to} gives the battery a new passport: POST /api/v1/passports/{id}/successor with it"
            ))),
            Change::End => self.end(actor, head, reason).await,
            Change::InPlace => self.become_waste(actor, head, reason, change.operator_information).await,
        }
    }

    /// Ends the passport of a recycled battery (the old `/cease`).
    pub async fn cease(&self, actor: &Actor, id: &str, reason: &str, expected: Option<i64>) -> Result<Passport> {
        let change = StatusChange { status: CEASED.into(), reason: reason.into(), operator_information: None };
        self.change_status(actor, id, change, expected).await
    }

    async fn become_waste(
        &self,
        actor: &Actor,
        head: PassportHead,
        reason: &str,
        operator: Option<Value>,
    ) -> Result<Passport> {
        let current = self.latest_version(&head.id).await?;
        let mut item = current.item;
        let gpi = item
            .as_object_mut()
            .and_then(|o| o.entry("generalProductInformation").or_insert_with(|| json!({})).as_object_mut())
            .ok_or_else(|| ServiceError::Internal(format!("passport {} item is not an object", head.id)))?;
        gpi.insert("batteryStatus".into(), Value::String(Status::Waste.as_str().into()));
        if let Some(operator) = operator {
            gpi.insert("operatorInformation".into(), operator);
        }
        let model = self.model(&current.model_id, Some(current.model_version)).await?;
        passport::validate::validate_item(&item, &model.document).map_err(ServiceError::Invalid)?;
        let responsible = item
            .pointer(&format!("{GPI}/operatorInformation/identifier"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if responsible.is_empty() {
            return Err(ServiceError::BadRequest("`operatorInformation.identifier` names no operator".into()));
        }
        let mut audit = vec![AuditEvent::new(
            &actor.id,
            "passport.status",
            &head.id,
            json!({"from": head.status, "to": Status::Waste.as_str(), "reason": reason}),
        )];
        if responsible != head.responsible {
            audit.push(AuditEvent::new(
                &actor.id,
                "passport.handover",
                &head.id,
                json!({"from": head.responsible, "to": responsible, "reason": reason}),
            ));
        }
        let new_head = PassportHead {
            status: Status::Waste.as_str().into(),
            responsible,
            version: head.version + 1,
            ..head.clone()
        };
        self.append_version(actor, head, new_head, item, reason, audit).await
    }

    async fn end(&self, actor: &Actor, head: PassportHead, reason: &str) -> Result<Passport> {
        let current = self.latest_version(&head.id).await?;
        let audit = vec![AuditEvent::new(
            &actor.id,
            "passport.status",
            &head.id,
            json!({"from": head.status, "to": CEASED, "reason": reason}),
        )];
        let ended = PassportHead { status: CEASED.to_string(), version: head.version + 1, ..head.clone() };
        self.append_version(actor, head, ended, current.item, reason, audit).await
    }

    async fn append_version(
        &self,
        actor: &Actor,
        head: PassportHead,
        new_head: PassportHead,
        item: Value,
        reason: &str,
        audit: Vec<AuditEvent>,
    ) -> Result<Passport> {
        let new = NewPassportVersion {
            head: new_head.clone(),
            item,
            actor_id: actor.id.clone(),
            reason: Some(reason.to_string()),
            predecessors: Vec::new(),
            expected_version: head.version,
        };
        let version = self.append(vec![new], audit).await?.remove(0);
        let model = self.model(&version.model_id, Some(version.model_version)).await?;
        let document = passport::document::compose(&model.document, &version.item);
        Ok(Passport { head: new_head, version, document })
    }

    async fn latest_version(&self, id: &str) -> Result<store::PassportVersion> {
        self.store
            .passport_version(id, None)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("passport {id} has a head but no version")))
    }

    /// A new passport for a battery placed back on the market after re-use, repurposing or remanufacturing:
    /// `body` is the new passport (any model, so the category may change), linked to `predecessor`.
    pub async fn create_successor(&self, actor: &Actor, predecessor: &str, mut body: Value) -> Result<Passport> {
        let gpi = body
            .as_object_mut()
            .map(|o| o.entry("generalProductInformation").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| ServiceError::BadRequest("the successor passport must be a JSON object".into()))?;
        let list = gpi.entry("predecessorPassports").or_insert_with(|| json!([]));
        match list.as_array_mut() {
            Some(list) if !list.iter().any(|p| p == predecessor) => list.insert(0, Value::String(predecessor.into())),
            Some(_) => {}
            None => {
                return Err(ServiceError::BadRequest("`predecessorPassports` must be a list of passport ids".into()));
            }
        }
        self.create_passport(actor, body).await
    }

    /// A new passport that names predecessors must be a second life of each of them (the state machine says
    /// which), and they must be current (no successor yet, not ended).
    pub(super) async fn check_successor(&self, new: &NewPassportVersion) -> Result<()> {
        if new.predecessors.is_empty() {
            return Ok(());
        }
        let to = Status::parse(&new.head.status).ok_or_else(|| {
            ServiceError::Lifecycle(format!("a successor passport needs a batteryStatus, not `{}`", new.head.status))
        })?;
        for id in &new.predecessors {
            let head = self
                .head(id)
                .await
                .map_err(|_| ServiceError::Lifecycle(format!("predecessor passport {id} does not exist")))?;
            ensure_current(&head)?;
            let from = status_of(&head)?;
            match transition(from, to) {
                Ok(Change::Successor) => {}
                Ok(_) => {
                    return Err(ServiceError::Lifecycle(format!(
                        "{from} → {to} is not a second life: a successor passport is for Reused, Repurposed or Remanufactured batteries"
                    )));
                }
                Err(e) => return Err(ServiceError::Lifecycle(format!("predecessor {id}: {from} → {to}: {e}"))),
            }
        }
        Ok(())
    }
}
