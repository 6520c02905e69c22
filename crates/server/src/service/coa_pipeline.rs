//! Receiving eCoAs batch after batch (`voltpass coa import`, the benchmark): each batch is checked while the
//! one before it is decided and stored, so parsing on the cores overlaps the database write.

use store::{Actor, StoredCoa};

use super::quality::{CheckedCoas, CoaSubmission};
use super::{PassportService, Result};

/// Outcomes of one batch, in submission order (a refused CoA is an `Err` in its place).
pub type Outcomes = Vec<Result<StoredCoa>>;

/// Batches in, the outcomes of the batch before out. An error ends it: the batches before it are stored,
/// the one checked meanwhile is not.
pub struct CoaPipeline<'a> {
    service: &'a PassportService,
    actor: &'a Actor,
    checked: Option<CheckedCoas>,
}

impl<'a> CoaPipeline<'a> {
    pub fn new(service: &'a PassportService, actor: &'a Actor) -> Self {
        CoaPipeline { service, actor, checked: None }
    }

    /// Checks `submissions` while storing the batch pushed before; returns that batch's outcomes (`None` on
    /// the first push).
    pub async fn push(&mut self, submissions: Vec<CoaSubmission>) -> Result<Option<Outcomes>> {
        let previous = self.checked.take();
        let store = async {
            match previous {
                Some(previous) => self.service.store_coas(self.actor, previous).await.map(Some),
                None => Ok(None),
            }
        };
        let (checked, stored) = tokio::join!(self.service.check_coas(self.actor, submissions), store);
        let stored = stored?;
        self.checked = Some(checked?);
        Ok(stored)
    }

    /// Stores the last batch pushed; its outcomes (`None` when nothing was pushed).
    pub async fn finish(mut self) -> Result<Option<Outcomes>> {
        match self.checked.take() {
            Some(last) => self.service.store_coas(self.actor, last).await.map(Some),
            None => Ok(None),
        }
    }
}
