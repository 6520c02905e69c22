//! The end of a passport. Recycling a waste battery ends its passport (Art. 77(6) and Annex XIII point 4):
//! the resolver then answers with a tombstone, and the record stays readable by authorities and the
//! responsible operator. The full state machine (re-use, repurposing, handover) builds on this.

use store::{Actor, NewPassportVersion, PassportHead};

use super::reads::CEASED;
use super::{Passport, PassportService, Result, ServiceError, ensure_expected, may_write_for};

/// Status a battery must have before recycling can end its passport.
const WASTE: &str = "Waste";

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

impl PassportService {
    /// Ends the passport of a recycled battery: one more version, same content, status [`CEASED`], with the
    /// reason (e.g. the recycler and the recycling certificate) kept in the history.
    pub async fn cease(&self, actor: &Actor, id: &str, reason: &str, expected: Option<i64>) -> Result<Passport> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::BadRequest(
                "say why the passport ends: `reason` (e.g. recycler and certificate)".into(),
            ));
        }
        let head = self.head(id).await?;
        may_write_for(actor, &head.responsible)?;
        ensure_open(&head)?;
        if head.status != WASTE {
            return Err(ServiceError::Lifecycle(format!(
                "only a waste battery's passport can end by recycling; passport {id} has status {}",
                if head.status.is_empty() { "(none)" } else { head.status.as_str() }
            )));
        }
        ensure_expected(&head, expected)?;
        let current = self
            .store
            .passport_version(id, None)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("passport {id} has a head but no version")))?;
        let ended = PassportHead { status: CEASED.to_string(), version: head.version + 1, ..head.clone() };
        let new = NewPassportVersion {
            head: ended.clone(),
            item: current.item,
            actor_id: actor.id.clone(),
            reason: Some(reason.to_string()),
            predecessors: Vec::new(),
            expected_version: head.version,
        };
        let version = self.append(vec![new], Vec::new()).await?.remove(0);
        let model = self.model(&version.model_id, Some(version.model_version)).await?;
        let document = passport::document::compose(&model.document, &version.item);
        Ok(Passport { head: ended, version, document })
    }
}
