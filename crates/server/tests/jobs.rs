//! Background jobs on several servers sharing a store: one server runs a job while it holds the job's lease;
//! when it stops, another takes the job over.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use store::Store;

on_both_backends!(a_leased_job_runs_on_one_server_at_a_time);

async fn a_leased_job_runs_on_one_server_at_a_time(store: Arc<dyn Store>) {
    let every = Duration::from_millis(40);
    let runs: Vec<Arc<AtomicUsize>> = (0..2).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let spawn = |i: usize| {
        let counter = runs[i].clone();
        server::jobs::spawn_leased(store.clone(), "test-job", server::jobs::holder_id(), every, move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let handles = [spawn(0), spawn(1)];
    let count = |i: usize| runs[i].load(Ordering::SeqCst);
    // Until one server has run the job five times (however loaded the machine is), the other never has.
    let winner = wait_until(|| (0..2).find(|&i| count(i) >= 5)).await.expect("one server runs the job");
    let loser = 1 - winner;
    assert_eq!(count(loser), 0, "the other server never ran it while the holder lived");

    // The holder stops; within three intervals of its last renewal the other takes over.
    handles[winner].abort();
    let moved = wait_until(|| (count(loser) >= 3).then_some(())).await;
    assert!(moved.is_some(), "the job moved on: {} runs", count(loser));
    handles[loser].abort();
}

/// Polls `check` every 10 ms for up to 20 s.
async fn wait_until<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        if let Some(found) = check() {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}
