//! Importing production events batch after batch (`voltpass trace import`, the benchmark) with two stages
//! overlapping: a batch is read and checked while the batch before it is written, so one core checks while
//! the database writes on the other.
//!
//! Checking a batch needs what the batch before it writes. Reads made during that write may or may not see it,
//! so the check lays that batch's [`Overlay`] over them: its units and events as they are once it is written.
//! A batch with `consumed` events (inputs into units that existed) changes what the overlay does not follow, so
//! it is never checked during another write, nor is the batch after it. The pipeline holds the genealogy
//! writer's locks from start to finish: no other writer can change what the overlay stands for.
//!
//! Each batch is committed on its own, and all of them are made durable together when the pipeline finishes
//! ([`store::TraceStore::write_trace_batch`]): an import waits for the disk once, not once a batch.

use std::sync::Arc;

use store::{Actor, TraceWrite, WriterLock};
use tokio::sync::OwnedMutexGuard;
use trace::TraceEvent;
use trace::overlay::Overlay;

use super::trace::{CheckedTrace, TraceReceipt, trace_writer};
use super::{PassportService, Result, ServiceError};

/// A checked batch being written: what became of its events, and what it changes for the next batch.
struct InFlight {
    receipt: TraceReceipt,
    write: tokio::task::JoinHandle<store::Result<()>>,
    overlay: Option<Overlay>,
}

/// Batches in, the receipt of the batch before out, once it is stored. An error ends it: the batches before it
/// are stored, the one checked meanwhile is not.
pub struct TracePipeline<'a> {
    service: &'a PassportService,
    actor: &'a Actor,
    operator: Option<String>,
    in_flight: Option<InFlight>,
    /// The genealogy writer's locks, held by the pipeline and by each write it starts until that write ends: a
    /// pipeline dropped with a write in flight lets no other writer in before the write is done.
    writers: Arc<(OwnedMutexGuard<()>, WriterLock)>,
    /// Batches checked while the batch before them was written.
    overlapped: usize,
}

impl<'a> TracePipeline<'a> {
    /// Takes the genealogy writer's locks (this server's and, on PostgreSQL, every server's) until it is finished.
    pub async fn new(service: &'a PassportService, actor: &'a Actor) -> Result<TracePipeline<'a>> {
        let operator = trace_writer(actor)?;
        let one_writer = service.trace_lock.clone().lock_owned().await;
        let of_all_servers = service.store.lock_trace_writer().await?;
        Ok(TracePipeline {
            service,
            actor,
            operator,
            in_flight: None,
            writers: Arc::new((one_writer, of_all_servers)),
            overlapped: 0,
        })
    }

    /// Checks `events` while the batch pushed before is written; returns that batch's receipt (`None` on the
    /// first push). A batch with an event that breaks a rule is refused whole.
    pub async fn push(&mut self, events: Vec<(usize, TraceEvent)>) -> Result<Option<TraceReceipt>> {
        let previous = self.in_flight.take();
        let consumes = events.iter().any(|(_, e)| matches!(e, TraceEvent::Consumed { .. }));
        let (checked, written) = match previous {
            Some(previous) if !consumes && previous.overlay.as_ref().is_some_and(Overlay::complete) => {
                self.overlapped += 1;
                let InFlight { receipt, write, overlay } = previous;
                let check = self.service.check_trace(self.actor, self.operator.clone(), events, overlay, true);
                let started = std::time::Instant::now();
                let (checked, written) = tokio::join!(
                    async {
                        let checked = check.await;
                        tracing::debug!(took = ?started.elapsed(), "trace batch checked during a write");
                        checked
                    },
                    finished(write)
                );
                tracing::debug!(took = ?started.elapsed(), "trace batch checked and the one before written");
                (checked, written.map(|()| Some(receipt)))
            }
            previous => {
                let written = match previous {
                    Some(InFlight { receipt, write, .. }) => finished(write).await.map(|()| Some(receipt)),
                    None => Ok(None),
                };
                // Nothing is in flight now: the read sees everything before this batch.
                let checked = self.service.check_trace(self.actor, self.operator.clone(), events, None, true).await;
                (checked, written)
            }
        };
        let receipt = written?;
        let CheckedTrace { receipt: next, write, overlay } = checked?;
        self.in_flight = Some(InFlight { receipt: next, write: self.spawn_write(write), overlay });
        Ok(receipt)
    }

    /// Waits for the last batch's write, and makes every batch written durable; the last receipt (`None` when
    /// nothing was pushed).
    pub async fn finish(mut self) -> Result<Option<TraceReceipt>> {
        let last = match self.in_flight.take() {
            Some(InFlight { receipt, write, .. }) => finished(write).await.map(|()| Some(receipt)),
            None => Ok(None),
        };
        // Whatever became of the last batch, those before it are stored: they reach the disk here, together.
        let synced = self.service.store.sync_trace_writes().await;
        // The last write's error says more than the sync's after it.
        let last = last?;
        synced?;
        Ok(last)
    }

    /// How many batches so far were checked while the batch before them was written.
    pub fn overlapped(&self) -> usize {
        self.overlapped
    }

    /// Writes on a task of its own, so the write goes on while this task checks the next batch.
    fn spawn_write(&self, write: Option<TraceWrite>) -> tokio::task::JoinHandle<store::Result<()>> {
        let store = self.service.store.clone();
        let writers = self.writers.clone();
        tokio::spawn(async move {
            let _writers = writers;
            let started = std::time::Instant::now();
            let Some(write) = write else { return Ok(()) };
            let written = store.write_trace_batch(write).await;
            tracing::debug!(took = ?started.elapsed(), "trace batch written");
            written
        })
    }
}

async fn finished(write: tokio::task::JoinHandle<store::Result<()>>) -> Result<()> {
    write.await.map_err(|e| ServiceError::Internal(format!("genealogy write stopped: {e}")))??;
    Ok(())
}
