//! PostgreSQL goes away under load (every connection of the server's database is terminated and new ones are
//! refused for a while, as in a restart): requests fail cleanly with 503 and Retry-After, never 500, and the
//! server recovers by itself once the database is back.

mod common;

use common::{TestServer, documents};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use server::Config;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn requests_fail_cleanly_while_postgres_is_away_and_recover() {
    let Some(url) = store::testing::fresh_postgres_url().await else { return };
    let s = TestServer::start(store::open(&url).await.unwrap(), Config::default()).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 2).remove(0);
    let created = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap();
    let path = created.headers()["location"].to_str().unwrap().to_string();

    // Signed-in reads (never from the public cache) and writes, all the time.
    let (client, base, key) = (s.client.clone(), s.base.clone(), s.operator.clone());
    let load = tokio::spawn(async move {
        let mut seen = Vec::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(6) {
            let response = client.get(format!("{base}{path}")).bearer_auth(&key).send().await.unwrap();
            let retry_after = response.headers().get("retry-after").is_some();
            seen.push((started.elapsed(), response.status().as_u16(), retry_after));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seen
    });

    // After a second of normal service: close the database to connections, end every session, reopen later.
    tokio::time::sleep(Duration::from_secs(1)).await;
    store::testing::interrupt_postgres(&url, Duration::from_millis(1500)).await;

    let seen = load.await.unwrap();
    let unclean: Vec<_> = seen.iter().filter(|(_, status, _)| ![200, 503].contains(status)).collect();
    assert!(unclean.is_empty(), "only 200 or 503 while the database was away: {unclean:?}");
    let refused: Vec<_> = seen.iter().filter(|(_, status, _)| *status == 503).collect();
    assert!(!refused.is_empty(), "the outage was seen: {seen:?}");
    assert!(refused.iter().all(|(_, _, retry_after)| *retry_after), "every 503 says when to retry");
    let recovered = seen.iter().filter(|(at, _, _)| *at > Duration::from_millis(4_000)).collect::<Vec<_>>();
    assert!(!recovered.is_empty() && recovered.iter().all(|(_, status, _)| *status == 200), "recovered: {recovered:?}");
}
