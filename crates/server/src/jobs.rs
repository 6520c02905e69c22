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
    let ttl = time::Duration::try_from(every * LEASE_INTERVALS).unwrap_or(time::Duration::MINUTE);
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
