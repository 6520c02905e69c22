//! Pipelined bulk import: while one batch commits, the next is parsed and validated, so validation (all
//! cores) and the database write overlap. Batches still commit one after the other, in input order, and
//! each commit checks battery identifiers against everything committed before it.

use store::Actor;
use tokio::task::JoinHandle;

use crate::service::{BulkLine, IdPolicy, LineOutcome, PassportService, ServiceError};

/// Lines per batch: one transaction (one fsync) each. 4,000 was measured 7 % faster on SQLite but nearly
/// doubled peak memory; 1,000 keeps an import well under 100 MB.
pub const BATCH_LINES: usize = 1000;

pub struct Importer {
    service: PassportService,
    actor: Actor,
    ids: IdPolicy,
    in_flight: Option<JoinHandle<Vec<LineOutcome>>>,
}

impl Importer {
    pub fn new(service: PassportService, actor: Actor) -> Self {
        Importer { service, actor, ids: IdPolicy::Assign, in_flight: None }
    }

    /// Keep the passport identifiers the documents carry (migrating between stores).
    pub fn keeping_ids(mut self) -> Self {
        self.ids = IdPolicy::Keep;
        self
    }

    /// Prepares `lines` and starts committing them; returns the outcomes of the batch pushed before
    /// (empty on the first push), in the order its lines were given.
    pub async fn push(&mut self, lines: Vec<BulkLine>) -> Vec<LineOutcome> {
        let batch = self.service.prepare_batch(&self.actor, lines, self.ids).await;
        let previous = self.wait().await;
        let service = self.service.clone();
        self.in_flight = Some(tokio::spawn(async move { service.commit_batch(batch, false).await }));
        previous
    }

    /// Waits for the last batch and returns its outcomes.
    pub async fn finish(mut self) -> Vec<LineOutcome> {
        self.wait().await
    }

    async fn wait(&mut self) -> Vec<LineOutcome> {
        match self.in_flight.take() {
            None => Vec::new(),
            Some(handle) => handle.await.unwrap_or_else(|e| {
                vec![LineOutcome::Failed(ServiceError::Internal(format!("commit task failed: {e}")))]
            }),
        }
    }
}
