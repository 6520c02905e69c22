//! Soak (issue 9): a mixed workload on loopback for many minutes, as fast as the machine goes: public resolves,
//! signed-in reads, passport updates with If-Match, NDJSON readings and CoAs, each a closed loop of clients.
//! Every minute it prints each kind's rate and p99 and the process's memory, so a creeping p99 or a growing
//! heap shows; any error (an unexpected status) is counted and named.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use passport::demo::{self, DemoModel};
use passport::fixtures::item_body;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use server::auth::{generate_key, key_hash};
use server::{AppState, Config};
use store::{Actor, Role};

use super::resolve::{ServerTask, seeded_ids};

#[derive(ClapArgs)]
pub struct Args {
    /// Minutes to run.
    #[arg(long, default_value_t = 10)]
    minutes: u64,
    /// Passports in the store (public resolves and reads pick among them).
    #[arg(long, default_value_t = 10_000)]
    passports: usize,
}

/// Request kinds and how many closed-loop clients each has.
const KINDS: [(&str, usize); 5] = [("resolve", 3), ("read", 2), ("write", 1), ("readings", 1), ("coa", 1)];

#[derive(Default)]
struct Minute {
    latencies_ms: BTreeMap<&'static str, Vec<f64>>,
    errors: Vec<String>,
}

type Log = Arc<Mutex<Vec<Minute>>>;

fn record(log: &Log, started: Instant, kind: &'static str, took: Duration, error: Option<String>) {
    let minute = (started.elapsed().as_secs() / 60) as usize;
    let mut log = log.lock().expect("log");
    while log.len() <= minute {
        log.push(Minute::default());
    }
    let m = &mut log[minute];
    m.latencies_ms.entry(kind).or_default().push(took.as_secs_f64() * 1000.0);
    if let Some(e) = error {
        m.errors.push(format!("{kind}: {e}"));
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

/// One request of `kind`; `Err` with what was wrong when the answer was not the expected one.
async fn request(
    c: &Client,
    kind: &str,
    rng: &mut StdRng,
    ids: &[String],
    own: &[(String, Value)],
) -> Result<(), String> {
    let status = |r: &reqwest::Response| r.status().as_u16();
    let check = |got: u16, want: &[u16]| if want.contains(&got) { Ok(()) } else { Err(format!("status {got}")) };
    let send = |r: reqwest::RequestBuilder| async move { r.send().await.map_err(|e| e.to_string()) };
    match kind {
        "resolve" => {
            let id = &ids[rng.random_range(0..ids.len())];
            let r = send(c.http.get(format!("{}/p/{id}", c.base)).header("accept", "application/json")).await?;
            check(status(&r), &[200])
        }
        "read" => {
            let id = &ids[rng.random_range(0..ids.len())];
            let r = send(c.http.get(format!("{}/api/v1/passports/{id}", c.base)).bearer_auth(&c.key)).await?;
            check(status(&r), &[200])
        }
        "write" => {
            let (id, body) = &own[rng.random_range(0..own.len())];
            let url = format!("{}/api/v1/passports/{id}", c.base);
            let current = send(c.http.get(&url).bearer_auth(&c.key)).await?;
            check(status(&current), &[200])?;
            let etag = current.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or("\"0\"").to_string();
            let mut body = body.clone();
            body["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"] =
                json!(rng.random_range(10..90));
            body["reason"] = json!("soak");
            let r = send(c.http.put(&url).bearer_auth(&c.key).header("if-match", etag).json(&body)).await?;
            check(status(&r), &[200, 412])
        }
        "readings" => {
            // Somewhere in 2024-2025: readings from the future are refused.
            let at = 1_704_067_200_000 + rng.random_range(0..60_000_000i64) * 1_000;
            let lines: String = (0..100)
                .map(|j| {
                    let id = &ids[rng.random_range(0..ids.len())];
                    let reading = json!({"passportId": id, "metric": "stateOfCharge", "atMs": at + j * 1_000,
                        "value": rng.random_range(5..95), "source": "soak"});
                    format!("{reading}\n")
                })
                .collect();
            let r = send(
                c.http
                    .post(format!("{}/api/v1/readings", c.base))
                    .bearer_auth(&c.key)
                    .header("content-type", "application/x-ndjson")
                    .body(lines),
            )
            .await?;
            check(status(&r), &[200])
        }
        _ => {
            let end = time::Date::from_calendar_date(2026, time::Month::November, 1).expect("a date");
            let coa = quality::demo::bench_coas(1, 20, end, rng.random()).next().expect("one CoA");
            let r = send(c.http.post(format!("{}/api/v1/coas", c.base)).bearer_auth(&c.key).json(&coa)).await?;
            check(status(&r), &[201])
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("voltpass-soak-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    println!("soak: {} minutes of mixed load on loopback, {} passports, SQLite", args.minutes, args.passports);
    let store = crate::cmd::open_store(&format!("sqlite://{}", dir.join("voltpass.db").display())).await?;
    let config = Config { public_rate_limit: None, ..Config::default() };
    let state = AppState::new(store.clone(), config);
    let service = state.service.clone();
    let ids = seeded_ids(&service, args.passports).await?;
    let admin =
        Actor { id: "actor:soak".into(), name: "soak".into(), role: Role::Admin, organisation: None, subrole: None };
    store.create_actor(&admin).await?;
    let key = generate_key();
    store.add_key(&admin.id, &key_hash(&key)).await?;
    service.put_spec(&admin, quality::demo::bench_spec()).await?;
    // Passports of its own for the writer, with the bodies it sends back.
    let mut own = Vec::new();
    for doc in demo::passports(100, 77).filter(|d| passport::fixtures::model_of(d) == DemoModel::EvNmc811Pack) {
        let created = service.create_passport(&admin, item_body(&doc)).await?;
        own.push((created.head.id.clone(), item_body(&doc)));
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let _server = ServerTask(tokio::spawn(server::serve(listener, state)));
    let (ids, own) = (Arc::new(ids), Arc::new(own));
    let log: Log = Arc::default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.minutes * 60);
    let mut tasks = Vec::new();
    for (kind, clients) in KINDS {
        for n in 0..clients {
            let client = Client { http: reqwest::Client::new(), base: base.clone(), key: key.clone() };
            let (ids, own, log) = (ids.clone(), own.clone(), log.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(n as u64 * 31 + kind.len() as u64);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let outcome = request(&client, kind, &mut rng, &ids, &own).await;
                    record(&log, started, kind, sent.elapsed(), outcome.err());
                }
            }));
        }
    }
    // Each minute: the minute that just ended.
    let mut per_minute = Vec::new();
    let (mut total, mut errors) = (0usize, 0usize);
    for minute in 0..args.minutes as usize {
        tokio::time::sleep_until((started + Duration::from_secs(60 * (minute as u64 + 1) + 1)).into()).await;
        let rss = super::peak_rss_mib();
        let current = current_rss_mib().unwrap_or(f64::NAN);
        let mut line = format!("  minute {:>2}:", minute + 1);
        let mut figures = json!({"minute": minute + 1, "rss_mib": (current * 10.0).round() / 10.0});
        let mut log = log.lock().expect("log");
        let Some(m) = log.get_mut(minute) else { continue };
        total += m.latencies_ms.values().map(Vec::len).sum::<usize>();
        errors += m.errors.len();
        for (kind, _) in KINDS {
            let latencies = m.latencies_ms.entry(kind).or_default();
            latencies.sort_by(f64::total_cmp);
            let (rate, p99) = (latencies.len() as f64 / 60.0, super::percentile(latencies, 0.99));
            line += &format!(" {kind} {rate:.0}/s p99 {p99:.1} ms |");
            figures[format!("{kind}_per_s")] = json!((rate * 10.0).round() / 10.0);
            figures[format!("{kind}_p99_ms")] = json!((p99 * 100.0).round() / 100.0);
        }
        line += &format!(" errors {} | memory {current:.0} MiB (peak {:.0})", m.errors.len(), rss.unwrap_or(f64::NAN));
        figures["errors"] = json!(m.errors.len());
        // The minute's latencies are summed up: free them, so the memory shown is the server's, not this log's.
        m.latencies_ms = m.latencies_ms.keys().map(|k| (*k, vec![0.0; 0])).collect();
        m.errors.truncate(3);
        println!("{line}");
        for e in m.errors.iter().take(3) {
            println!("    {e}");
        }
        per_minute.push(figures);
    }
    for task in tasks {
        task.await?;
    }
    // Requests that ended after the last minute's summary.
    if let Some(late) = log.lock().expect("log").get(args.minutes as usize) {
        total += late.latencies_ms.values().map(Vec::len).sum::<usize>();
        errors += late.errors.len();
    }
    let first = per_minute.first().cloned().unwrap_or_default();
    let last = per_minute.last().cloned().unwrap_or_default();
    println!(
        "  {total} requests, {errors} errors; memory {} MiB after the first minute, {} MiB after the last",
        first["rss_mib"], last["rss_mib"]
    );
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{}",
        json!({
            "bench": "soak",
            "minutes": args.minutes,
            "passports": args.passports,
            "requests": total,
            "errors": errors,
            "rss_mib_first_minute": first["rss_mib"],
            "rss_mib_last_minute": last["rss_mib"],
            "per_minute": per_minute,
        })
    );
    anyhow::ensure!(errors == 0, "{errors} requests failed");
    Ok(())
}

/// Resident memory of this process now, in MiB (Linux `VmRSS`).
fn current_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
