//! Two servers on one PostgreSQL database, as behind a load balancer: writers hammer the same passports through
//! both with optimistic concurrency (read the ETag, write with If-Match, retry on 412). No update is lost, every
//! version number is taken once, and the hash chains and the audit log stay linear.

mod common;

use common::{TestServer, documents};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use serde_json::{Value, json};
use server::Config;
use std::collections::BTreeSet;

const WRITERS_PER_SERVER: usize = 3;
const WRITES_EACH: usize = 8;

/// Writes `WRITES_EACH` versions of `path` through the server at `base`, retrying each on 412; returns the
/// versions it got.
async fn writer(
    client: reqwest::Client,
    base: String,
    key: String,
    path: String,
    body: Value,
    name: String,
) -> Vec<i64> {
    let url = format!("{base}{path}");
    let mut versions = Vec::new();
    for step in 0..WRITES_EACH {
        loop {
            let current = client.get(&url).bearer_auth(&key).send().await.unwrap();
            let etag = current.headers()["etag"].to_str().unwrap().to_string();
            let mut body = body.clone();
            body["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"] = json!(step as f64);
            body["reason"] = json!(format!("{name} step {step}"));
            let response =
                client.put(&url).bearer_auth(&key).header("if-match", &etag).json(&body).send().await.unwrap();
            match response.status().as_u16() {
                200 => {
                    let etag = response.headers()["etag"].to_str().unwrap().trim_matches('"').to_string();
                    versions.push(etag.parse().unwrap());
                    break;
                }
                412 | 409 => continue,
                other => panic!("{name} step {step}: {other} {}", response.text().await.unwrap()),
            }
        }
    }
    versions
}

#[tokio::test]
async fn two_servers_on_one_postgres_lose_no_update() {
    let Some(url) = store::testing::fresh_postgres_url().await else { return };
    let a = TestServer::start(store::open(&url).await.unwrap(), Config::default()).await;
    let b = TestServer::start(store::open(&url).await.unwrap(), Config::default()).await;
    a.create_demo_models().await;
    let docs = documents(DemoModel::EvNmc811Pack, 2, 11);
    let mut passports = Vec::new();
    for doc in &docs {
        let response = a.post("/api/v1/passports", Some(&a.operator)).json(&item_body(doc)).send().await.unwrap();
        assert_eq!(response.status(), 201);
        passports.push((response.headers()["location"].to_str().unwrap().to_string(), item_body(doc)));
    }

    // Writers on both servers, on both passports at once.
    let mut tasks = Vec::new();
    for (p, (path, body)) in passports.iter().enumerate() {
        for (server, s) in [("a", &a), ("b", &b)] {
            for w in 0..WRITERS_PER_SERVER {
                let (client, base, key) = (s.client.clone(), s.base.clone(), a.operator.clone());
                let (path, body, name) = (path.clone(), body.clone(), format!("p{p}-{server}{w}"));
                tasks.push(tokio::spawn(async move {
                    let versions = writer(client, base, key, path.clone(), body, name).await;
                    (path, versions)
                }));
            }
        }
    }
    let mut taken: Vec<(String, i64)> = Vec::new();
    for task in tasks {
        let (path, versions) = task.await.unwrap();
        taken.extend(versions.into_iter().map(|v| (path.clone(), v)));
    }

    let per_passport = 2 * WRITERS_PER_SERVER * WRITES_EACH;
    for (path, _) in &passports {
        let mine: BTreeSet<i64> = taken.iter().filter(|(p, _)| p == path).map(|(_, v)| *v).collect();
        assert_eq!(mine.len(), per_passport, "every acknowledged write got its own version");
        assert_eq!(mine, (2..=per_passport as i64 + 1).collect(), "versions 2.. with no gap");
        // Every writer's every step is in the history once.
        let history = b.get_json(&format!("{path}/versions"), Some(&b.admin)).await;
        let reasons: BTreeSet<String> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["reason"].as_str().map(str::to_string))
            .filter(|r| r.contains(" step "))
            .collect();
        assert_eq!(reasons.len(), per_passport, "no update lost");
    }
    // Model records too: the same version written through both servers at once, ten times over: one of each pair
    // wins, the other is told its version is stale, never an error.
    let model = format!("/api/v1/models/{}", DemoModel::EvNmc811Pack.model_id());
    for round in 0..10 {
        let current = a.get_json(&model, Some(&a.admin)).await;
        let version = current["version"].as_i64().unwrap();
        let mut body = current["document"].clone();
        body["modelId"] = current["modelId"].clone();
        let send = |s: &TestServer, who: &str| {
            let mut body = body.clone();
            body["reason"] = json!(format!("round {round} by {who}"));
            s.put(&model, Some(&a.admin)).header("if-match", format!("\"{version}\"")).json(&body).send()
        };
        let (first, second) = tokio::join!(send(&a, "a"), send(&b, "b"));
        let mut statuses = [first.unwrap().status().as_u16(), second.unwrap().status().as_u16()];
        statuses.sort();
        assert_eq!(statuses[0], 200, "round {round}: {statuses:?}");
        assert!([200, 409, 412].contains(&statuses[1]) && statuses != [200, 200], "round {round}: {statuses:?}");
    }

    // The hash chains and the audit log, written through two servers, verify.
    let report = server::service::audit::verify_store(&a.store, |_| {}).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.passport_versions as usize, passports.len() * (per_passport + 1));
}

/// Two servers take material from the same lot at the same moment, each within what the lot has but together
/// beyond it: one batch goes through, the other is refused, every time.
#[tokio::test]
async fn two_servers_never_take_more_than_a_lot_had() {
    let Some(url) = store::testing::fresh_postgres_url().await else { return };
    let (first, second) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
    let operator = store::Actor {
        id: "actor:line".into(),
        name: "line".into(),
        role: store::Role::EconomicOperator,
        organisation: Some("BPNL-MAKER".into()),
        subrole: None,
    };
    first.create_actor(&operator).await.unwrap();
    let (a, b) = (server::PassportService::new(first), server::PassportService::new(second));
    let events = |line: &str| trace::event::read_ndjson(line).unwrap();
    for round in 0..8 {
        let lot = format!(
            r#"{{"eventId":"lot-{round}","type":"produced","unit":{{"id":"LOT-{round}","kind":"lot","quantity":{{"value":1000,"unit":"kg"}}}}}}"#
        );
        a.ingest_trace(&operator, events(&lot)).await.unwrap();
        let take = |side: &str| {
            format!(
                r#"{{"eventId":"b-{round}-{side}","type":"produced","unit":{{"id":"B-{round}-{side}","kind":"batch"}},"inputs":[{{"id":"LOT-{round}","quantity":{{"value":600,"unit":"kg"}}}}]}}"#
            )
        };
        let (x, y) =
            tokio::join!(a.ingest_trace(&operator, events(&take("a"))), b.ingest_trace(&operator, events(&take("b"))));
        let refused = match (x, y) {
            (Ok(_), Err(refused)) | (Err(refused), Ok(_)) => refused,
            (x, y) => panic!("round {round}: exactly one batch goes through: {x:?} / {y:?}"),
        };
        assert!(refused.to_string().contains("LOT-"), "round {round}: {refused}");
    }
}
