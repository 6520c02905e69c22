//! Readings benchmark: dynamic data for many batteries into a fresh SQLite store through a real server on
//! loopback, over REST NDJSON (concurrent clients, `POST /api/v1/readings`) and over MQTT (Mosquitto on this
//! machine, one topic per battery), against the physical baseline: the same rows inserted into a bare table
//! with 500-row INSERT statements in one transaction (as fast as sqlx writes them).

use anyhow::Context;
use clap::Args as ClapArgs;
use serde_json::json;
use server::auth::{generate_key, key_hash};
use server::{AppState, Config};
use sqlx::Connection;
use std::time::{Duration, Instant};
use store::{Actor, Role};

use super::resolve::{ServerTask, seeded_ids};
use crate::cmd::open_store;

#[derive(ClapArgs)]
pub struct Args {
    /// Batteries (passports) the readings are spread over.
    #[arg(long, default_value_t = 10_000)]
    batteries: usize,
    /// Readings per battery sent over REST NDJSON.
    #[arg(long, default_value_t = 50)]
    per_battery: usize,
    /// Readings per battery sent over MQTT (10 per message).
    #[arg(long, default_value_t = 10)]
    mqtt_per_battery: usize,
    /// NDJSON lines per request.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Concurrent REST clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// MQTT broker (skip MQTT with an empty value).
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    mqtt: String,
}

const METRICS: [&str; 5] =
    ["stateOfCharge", "stateOfCertifiedEnergy", "numberOfFullCycles", "energyThroughput", "capacityFade"];
/// 2026-01-01T00:00:00Z: readings are one minute apart from here.
const START_MS: i64 = 1_767_225_600_000;

/// Reading `j` of a battery: metrics in turn, one minute apart, counters growing with `j`.
fn reading(passport: &str, j: usize, source: &str) -> serde_json::Value {
    let metric = METRICS[j % METRICS.len()];
    let value = match metric {
        "stateOfCharge" => 20.0 + (j * 7 % 60) as f64,
        "stateOfCertifiedEnergy" => 100.0 - j as f64 * 0.001,
        "numberOfFullCycles" => j as f64,
        "energyThroughput" => j as f64 * 75.0,
        _ => j as f64 * 0.001,
    };
    json!({"passportId": passport, "metric": metric, "atMs": START_MS + j as i64 * 60_000, "value": value, "source": source})
}

async fn bare_baseline(path: &std::path::Path, ids: &[String], per_battery: usize) -> anyhow::Result<Duration> {
    let mut conn = super::bare_sqlite(path).await?;
    sqlx::query(
        "CREATE TABLE bare (passport_id TEXT, metric TEXT, at_ms INTEGER, source TEXT, value REAL,
         PRIMARY KEY (passport_id, metric, at_ms, source)) WITHOUT ROWID",
    )
    .execute(&mut conn)
    .await?;
    // Multi-row INSERTs of 500 rows, as the store does: the fastest way sqlx writes these rows.
    let rows: Vec<serde_json::Value> =
        (0..per_battery).flat_map(|j| ids.iter().map(move |id| reading(id, j, "bench"))).collect();
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    for chunk in rows.chunks(500) {
        let mut insert =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO bare (passport_id, metric, at_ms, source, value) ");
        insert.push_values(chunk, |mut row, r| {
            row.push_bind(r["passportId"].as_str().unwrap_or_default().to_string())
                .push_bind(r["metric"].as_str().unwrap_or_default().to_string())
                .push_bind(r["atMs"].as_i64())
                .push_bind("bench")
                .push_bind(r["value"].as_f64());
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

/// NDJSON bodies of `batch` lines, round-robin over batteries so each request touches many passports.
fn rest_bodies(ids: &[String], per_battery: usize, batch: usize) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut body = String::new();
    let mut lines = 0;
    for j in 0..per_battery {
        for id in ids {
            body.push_str(&reading(id, j, "bms").to_string());
            body.push('\n');
            lines += 1;
            if lines == batch {
                bodies.push(std::mem::take(&mut body));
                lines = 0;
            }
        }
    }
    if !body.is_empty() {
        bodies.push(body);
    }
    bodies
}

async fn rest_run(
    base: &str,
    key: &str,
    bodies: Vec<String>,
    clients: usize,
) -> anyhow::Result<(Duration, u64, Vec<f64>)> {
    let client = reqwest::Client::new();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (client, queue, url, key) =
            (client.clone(), queue.clone(), format!("{base}/api/v1/readings"), key.to_string());
        tasks.push(tokio::spawn(async move {
            let (mut accepted, mut latencies) = (0u64, Vec::new());
            loop {
                let Some(body) = queue.lock().expect("queue").pop() else { break };
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                let outcome: serde_json::Value = response.json().await?;
                anyhow::ensure!(status == 200 && outcome["rejected"] == 0, "readings refused ({status}): {outcome}");
                accepted += outcome["accepted"].as_u64().unwrap_or(0);
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok((accepted, latencies))
        }));
    }
    let (mut accepted, mut latencies) = (0, Vec::new());
    for task in tasks {
        let (a, l) = task.await??;
        accepted += a;
        latencies.extend(l);
    }
    Ok((started.elapsed(), accepted, latencies))
}

/// Publishes `per_battery` readings per battery over MQTT (10 per message, QoS 1) and waits until the server
/// has stored them all.
async fn mqtt_run(
    url: &str,
    service: &server::PassportService,
    ids: &[String],
    per_battery: usize,
    already: (i64, usize),
) -> anyhow::Result<Duration> {
    let (already, offset) = already;
    let prefix = format!("voltpass-bench/{}", uuid::Uuid::now_v7().simple());
    let actor = crate::cmd::mqtt_actor(service.store()).await?;
    let config = server::mqtt::MqttConfig {
        url: url.to_string(),
        topic_prefix: prefix.clone(),
        trace_topic_prefix: server::mqtt::DEFAULT_TRACE_TOPIC_PREFIX.into(),
        client_id: format!("voltpass-bench-{}", uuid::Uuid::now_v7().simple()),
        actor,
    };
    let subscriber = server::mqtt::spawn(service.clone(), config)?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (host, port) = server::mqtt::host_port(url)?;
    let mut options = rumqttc::MqttOptions::new(format!("bench-pub-{}", uuid::Uuid::now_v7().simple()), host, port);
    options.set_inflight(1000);
    let (publisher, mut events) = rumqttc::AsyncClient::new(options, 10_000);
    let poller = tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let expected = already + (ids.len() * per_battery) as i64;
    let started = Instant::now();
    // Readings after the REST ones in time (counters keep growing): `offset` is how many each battery had.
    // The publisher keeps at most WINDOW messages ahead of what the server has stored: a broker queues a limited
    // number of messages per subscriber (Mosquitto: 1000 by default) and drops the rest.
    const WINDOW: usize = 500;
    let mut sent = 0usize;
    for chunk in 0..per_battery.div_ceil(10) {
        for id in ids {
            let range = chunk * 10..((chunk + 1) * 10).min(per_battery);
            let last = reading(id, offset + range.end - 1, "bms-mqtt");
            let items: Vec<serde_json::Value> = range
                .map(|j| {
                    let mut r = reading(id, offset + j, "bms-mqtt");
                    r.as_object_mut().expect("object").remove("passportId");
                    r
                })
                .collect();
            publisher
                .publish(format!("{prefix}/{id}"), rumqttc::QoS::AtLeastOnce, false, serde_json::to_vec(&items)?)
                .await?;
            sent += 1;
            if sent.is_multiple_of(WINDOW) {
                wait_for(service, id, &last).await?;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while service.store().count_readings().await? < expected {
        anyhow::ensure!(Instant::now() < deadline, "MQTT readings did not all arrive within 10 minutes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    subscriber.abort();
    poller.abort();
    Ok(elapsed)
}

/// Waits until `reading` of passport `id` is stored (a primary-key look-up, cheap to repeat).
async fn wait_for(service: &server::PassportService, id: &str, reading: &serde_json::Value) -> anyhow::Result<()> {
    let at = reading["atMs"].as_i64().unwrap_or_default();
    let query = store::ReadingQuery {
        passport_id: id.to_string(),
        metric: reading["metric"].as_str().unwrap_or_default().to_string(),
        from_ms: at,
        to_ms: at,
        limit: 1,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while service.store().readings(&query).await?.is_empty() {
        anyhow::ensure!(Instant::now() < deadline, "MQTT reading of {id} at {at} did not arrive within 60 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("voltpass-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let (n, per) = (args.batteries, args.per_battery);
    let total = n * per;
    println!(
        "readings benchmark: {n} batteries, {per} readings each over REST NDJSON ({total}), SQLite synchronous=FULL"
    );

    let store = open_store(&format!("sqlite://{}", dir.join("voltpass.db").display())).await?;
    let state = AppState::new(store.clone(), Config::default());
    let service = state.service.clone();
    let ids = seeded_ids(&service, n).await?;
    let operator =
        Actor { id: "actor:bench".into(), name: "bench".into(), role: Role::Admin, organisation: None, subrole: None };
    store.create_actor(&operator).await?;
    let key = generate_key();
    store.add_key(&operator.id, &key_hash(&key)).await?;

    let base = bare_baseline(&dir.join("bare.db"), &ids, per).await?;
    let base_rate = (total as f64 / base.as_secs_f64()).round();
    println!(
        "  baseline  sqlite bare insert (500-row INSERTs, 1 tx): {base_rate:>10} rows/s ({:.2} s)",
        base.as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let _server = ServerTask(tokio::spawn(server::serve(listener, state)));
    let bodies = rest_bodies(&ids, per, args.batch);
    let (elapsed, accepted, mut latencies) = rest_run(&format!("http://{addr}"), &key, bodies, args.clients).await?;
    anyhow::ensure!(accepted == total as u64, "{accepted} of {total} readings were accepted");
    latencies.sort_by(f64::total_cmp);
    let rest_rate = (total as f64 / elapsed.as_secs_f64()).round();
    let (p50, p99) = (super::percentile(&latencies, 0.5), super::percentile(&latencies, 0.99));
    println!(
        "  voltpass  REST NDJSON, {} clients x {} lines: {rest_rate:>10} readings/s ({:.2} s; request p50 {p50:.0} ms, p99 {p99:.0} ms)",
        args.clients,
        args.batch,
        elapsed.as_secs_f64()
    );
    let ratio = rest_rate / base_rate;
    println!("  ratio voltpass REST / bare insert: {:.1} % (target >= 50,000 readings/s)", ratio * 100.0);

    let mut figures = json!({
        "bench": "readings",
        "batteries": n,
        "rest_readings": total,
        "rest_readings_per_s": rest_rate,
        "rest_request_p50_ms": (p50 * 10.0).round() / 10.0,
        "rest_request_p99_ms": (p99 * 10.0).round() / 10.0,
        "baseline_sqlite_bare_insert_rows_per_s": base_rate,
        "ratio_rest_to_bare": (ratio * 1000.0).round() / 1000.0,
    });
    if !args.mqtt.is_empty() && args.mqtt_per_battery > 0 {
        let mqtt_total = n * args.mqtt_per_battery;
        let elapsed = mqtt_run(&args.mqtt, &service, &ids, args.mqtt_per_battery, (total as i64, per))
            .await
            .with_context(|| format!("MQTT via {}", args.mqtt))?;
        let rate = (mqtt_total as f64 / elapsed.as_secs_f64()).round();
        println!(
            "  voltpass  MQTT QoS 1, 10 readings/message, one topic per battery: {rate:>10} readings/s ({mqtt_total} in {:.2} s)",
            elapsed.as_secs_f64()
        );
        figures["mqtt_readings"] = json!(mqtt_total);
        figures["mqtt_readings_per_s"] = json!(rate);
        figures["ratio_mqtt_to_bare"] = json!((rate / base_rate * 1000.0).round() / 1000.0);
    }
    let peak = super::peak_rss_mib().unwrap_or(f64::NAN);
    println!("  peak memory (whole process): {peak:.1} MiB");
    figures["peak_rss_mib"] = json!((peak * 10.0).round() / 10.0);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{figures}");
    Ok(())
}
