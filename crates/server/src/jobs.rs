//! Background jobs that several servers sharing a store run once, not once per server: at each tick a server
//! runs a job only while it holds the job's lease in the store (taken or renewed for three intervals), so when
//! the server holding it stops, another one takes the job over within three intervals.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use store::Store;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

/// Intervals a lease outlives its last renewal.
const LEASE_INTERVALS: u32 = 3;

/// A name for this server process among those sharing a store.
pub fn holder_id() -> String {
    format!("server-{}", uuid::Uuid::now_v7())
}

/// How long a lease renewed every `every` lasts.
fn lease_ttl(every: Duration) -> time::Duration {
    time::Duration::try_from(every * LEASE_INTERVALS).unwrap_or(time::Duration::MINUTE)
}

/// Runs `run` every `every` (the first time after one interval) while `holder` holds the lease on `job`.
pub fn spawn_leased<F, Fut>(
    store: Arc<dyn Store>,
    job: &'static str,
    holder: String,
    every: Duration,
    mut run: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let ttl = lease_ttl(every);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            match store.acquire_lease(job, &holder, OffsetDateTime::now_utc(), ttl).await {
                Ok(true) => run().await,
                Ok(false) => tracing::debug!(job, "another server holds the lease"),
                Err(e) => tracing::warn!(job, "cannot take the job's lease: {e}"),
            }
        }
    })
}

/// Keeps a long-running task (a subscription, say) alive on one server at a time: the task is started when
/// `holder` takes the lease on `job`, and stopped when another server holds it or when the lease could not be
/// renewed before it ran out (the store is away and another server may take over). The lease is tried at
/// once, then renewed every `every`.
pub fn spawn_while_leased<F>(
    store: Arc<dyn Store>,
    job: &'static str,
    holder: String,
    every: Duration,
    mut start: F,
) -> JoinHandle<()>
where
    F: FnMut() -> JoinHandle<()> + Send + 'static,
{
    let ttl = lease_ttl(every);
    tokio::spawn(async move {
        // Dropped with this supervisor too: an aborted supervisor takes its task down with it.
        let mut running = RunningTask(None);
        let mut held_until: Option<tokio::time::Instant> = None;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let asked = tokio::time::Instant::now();
            match store.acquire_lease(job, &holder, OffsetDateTime::now_utc(), ttl).await {
                Ok(true) => {
                    held_until = Some(asked + every * LEASE_INTERVALS);
                    if running.0.as_ref().is_none_or(JoinHandle::is_finished) {
                        tracing::info!(job, %holder, "lease taken; starting the job");
                        running.0 = Some(start());
                    }
                }
                Ok(false) => {
                    held_until = None;
                    if running.stop() {
                        tracing::warn!(job, "another server holds the lease; the job stops here");
                    }
                }
                Err(e) => {
                    tracing::warn!(job, "cannot renew the job's lease: {e}");
                    if held_until.is_none_or(|until| tokio::time::Instant::now() >= until) && running.stop() {
                        tracing::warn!(job, "the lease ran out; the job stops here");
                    }
                }
            }
        }
    })
}

/// The task a lease keeps alive; aborted when dropped.
struct RunningTask(Option<JoinHandle<()>>);

impl RunningTask {
    /// Aborts the task; `true` if one was running.
    fn stop(&mut self) -> bool {
        match self.0.take() {
            Some(task) => {
                task.abort();
                true
            }
            None => false,
        }
    }
}

impl Drop for RunningTask {
    fn drop(&mut self) {
        self.stop();
    }
}
