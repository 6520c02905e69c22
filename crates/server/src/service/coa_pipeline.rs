//! Receiving eCoAs batch after batch (`voltpass coa import`, the benchmark) in three overlapping stages: a
//! batch is checked (parsed on every core) and then decided while the batch before it is written, so the
//! cores parse and decide while the database writes.
//!
//! Deciding a batch needs the SPC and sampling states the batches before it leave. The pipeline holds them
//! ([`Held`]) as they will be once the batch in flight is written, so the next batch need not wait for
//! that write. Should another writer move one of those states meanwhile, the write finds the stored version
//! changed and stores nothing: the batch is decided and written again from fresh state, and so is the batch
//! decided after it.

use store::{Actor, StoredCoa};

use super::quality::{CheckedCoas, CoaSubmission, Decided, Held, Written, by_slot};
use super::{PassportService, Result};

/// Outcomes of one batch, in submission order (a refused CoA is an `Err` in its place).
pub type Outcomes = Vec<Result<StoredCoa>>;

/// A decided batch waiting for its write, with the places of its submissions.
struct InFlight {
    slots: Vec<Result<usize>>,
    decided: Decided,
}

/// Batches in, the outcomes of the batch before out. An error ends it: the batches before it are stored,
/// the one decided meanwhile is not.
pub struct CoaPipeline<'a> {
    service: &'a PassportService,
    actor: &'a Actor,
    in_flight: Option<InFlight>,
    /// The states as they will be once `in_flight` is written.
    held: Held,
    /// Batches written from fresh state after another writer moved a state they were decided from.
    redecided: usize,
}

impl<'a> CoaPipeline<'a> {
    pub fn new(service: &'a PassportService, actor: &'a Actor) -> Self {
        CoaPipeline { service, actor, in_flight: None, held: Held::default(), redecided: 0 }
    }

    /// Checks and decides `submissions` while writing the batch pushed before; returns that batch's outcomes
    /// (`None` on the first push).
    pub async fn push(&mut self, submissions: Vec<CoaSubmission>) -> Result<Option<Outcomes>> {
        let CoaPipeline { service, actor, in_flight, held, redecided } = self;
        let previous = in_flight.take();
        let next = async {
            let CheckedCoas { slots, batch } = service.check_coas(actor, submissions).await?;
            let decided = service.decide_coas(actor, batch, held).await?;
            Ok(InFlight { slots, decided })
        };
        let write = async {
            match previous {
                Some(previous) => service.write_decided(previous.decided).await.map(|w| Some((previous.slots, w))),
                None => Ok(None),
            }
        };
        let (next, written): (Result<InFlight>, _) = tokio::join!(next, write);
        let outcomes = match written? {
            None => None,
            Some((slots, Written::Stored(stored))) => Some(by_slot(slots, stored)),
            Some((slots, Written::Conflict(batch, _))) => {
                // `next` was decided from the states the failed write would have left: store the batch from
                // fresh state, then decide `next` again after it.
                let stored = service.commit_coas(actor, batch).await?;
                *redecided += 1;
                *held = Held::default();
                let mut next = next?;
                next.decided = service.decide_coas(actor, next.decided.into_batch(), held).await?;
                self.in_flight = Some(next);
                return Ok(Some(by_slot(slots, stored)));
            }
        };
        self.in_flight = Some(next?);
        Ok(outcomes)
    }

    /// How many batches so far were decided again because another writer moved a state meanwhile.
    pub fn redecided(&self) -> usize {
        self.redecided
    }

    /// Writes the last batch pushed; its outcomes (`None` when nothing was pushed).
    pub async fn finish(self) -> Result<Option<Outcomes>> {
        let Some(InFlight { slots, decided }) = self.in_flight else { return Ok(None) };
        let stored = match self.service.write_decided(decided).await? {
            Written::Stored(stored) => stored,
            Written::Conflict(batch, _) => self.service.commit_coas(self.actor, batch).await?,
        };
        Ok(Some(by_slot(slots, stored)))
    }
}
