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
    tokio::time::sleep(Duration::from_millis(600)).await;
    let counts = [runs[0].load(Ordering::SeqCst), runs[1].load(Ordering::SeqCst)];
    let (winner, loser) = if counts[0] > 0 { (0, 1) } else { (1, 0) };
    assert!(counts[winner] >= 5, "the holder ran the job every interval: {counts:?}");
    assert_eq!(counts[loser], 0, "the other server never ran it while the holder lived: {counts:?}");

    // The holder stops; within three intervals of its last renewal the other takes over.
    handles[winner].abort();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(runs[loser].load(Ordering::SeqCst) >= 3, "the job moved on: {:?}", runs);
    handles[loser].abort();
}
