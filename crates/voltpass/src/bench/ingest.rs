//! Ingest benchmark: N realistic item passports (model-referencing, as NDJSON lines) through the same path
//! as `voltpass import` into a fresh store, against the physical baseline: the same canonical JSON bodies
//! inserted into a bare table with one prepared statement in one transaction.

use anyhow::Context;
use clap::Args as ClapArgs;
use passport::demo::{self, DemoModel};
use passport::hash::canonical_json;
use serde_json::{Value, json};
use server::PassportService;
use server::import::BATCH_LINES as CHUNK;
use server::import::Importer;
use server::service::{BulkLine, LineOutcome};
use sqlx::Connection;
use std::time::{Duration, Instant};

use crate::cmd::local_actor;
use passport::fixtures::{item_body, model_body};

const SEED: u64 = 2027;

#[derive(ClapArgs)]
pub struct Args {
    /// Number of passports.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Also measure PostgreSQL (a fresh database is created on this server and dropped after).
    #[arg(long, env = "VOLTPASS_BENCH_PG_URL")]
    pg: Option<String>,
    /// Also measure SQLite with every operator holding an issuer key (each version signed with Ed25519).
    #[arg(long)]
    sign: bool,
}

/// One chunk of NDJSON lines, generated outside the timed sections.
fn chunks(count: usize) -> impl Iterator<Item = Vec<String>> {
    let mut docs = demo::passports(count, SEED);
    std::iter::from_fn(move || {
        let chunk: Vec<String> = docs.by_ref().take(CHUNK).map(|d| item_body(&d).to_string()).collect();
        (!chunk.is_empty()).then_some(chunk)
    })
}

/// voltpass: parse, validate, hash and append, exactly as `voltpass import` does.
async fn voltpass_run(url: &str, count: usize, sign: bool) -> anyhow::Result<Duration> {
    let store = store::open(url).await?;
    let service = PassportService::new(store);
    let actor = local_actor(service.store()).await?;
    for model in DemoModel::ALL {
        service.create_model(&actor, model_body(model)).await.context("bench model")?;
    }
    if sign {
        let mut operators: Vec<String> = demo::passports(300, SEED)
            .filter_map(|d| {
                d["generalProductInformation"]["operatorInformation"]["identifier"].as_str().map(str::to_string)
            })
            .collect();
        operators.sort();
        operators.dedup();
        for operator in operators {
            service.create_issuer_key(&actor, Some(&operator)).await.context("bench issuer key")?;
        }
    }
    let mut importer = Importer::new(service, actor);
    let mut elapsed = Duration::ZERO;
    let mut outcomes = Vec::with_capacity(count);
    for lines in chunks(count) {
        let started = Instant::now();
        outcomes.extend(importer.push(lines.into_iter().map(BulkLine::Text).collect()).await);
        elapsed += started.elapsed();
    }
    let started = Instant::now();
    outcomes.extend(importer.finish().await);
    elapsed += started.elapsed();
    let created = outcomes.iter().filter(|o| matches!(o, LineOutcome::Created { .. })).count();
    if let Some(LineOutcome::Failed(e)) = outcomes.iter().find(|o| !matches!(o, LineOutcome::Created { .. })) {
        anyhow::bail!("bench passport rejected: {e:?}");
    }
    anyhow::ensure!(created == count, "only {created} of {count} passports were written");
    Ok(elapsed)
}

/// The canonical bodies for the baseline (same text the store writes), generated untimed.
fn canonical_chunks(count: usize) -> impl Iterator<Item = Vec<(String, String)>> {
    let mut n = 0usize;
    chunks(count).map(move |lines| {
        lines
            .into_iter()
            .map(|l| {
                n += 1;
                let v: Value = serde_json::from_str(&l).expect("generated JSON");
                (format!("urn:bench:{n:09}"), canonical_json(&v))
            })
            .collect()
    })
}

async fn sqlite_baseline(path: &std::path::Path, count: usize) -> anyhow::Result<Duration> {
    let mut conn = super::bare_sqlite(path).await?;
    sqlx::query("CREATE TABLE bare (id TEXT PRIMARY KEY, body TEXT NOT NULL)").execute(&mut conn).await?;
    let mut elapsed = Duration::ZERO;
    let mut tx = conn.begin().await?;
    for rows in canonical_chunks(count) {
        let started = Instant::now();
        for (id, body) in &rows {
            sqlx::query("INSERT INTO bare (id, body) VALUES (?1, ?2)").bind(id).bind(body).execute(&mut *tx).await?;
        }
        elapsed += started.elapsed();
    }
    let started = Instant::now();
    tx.commit().await?;
    Ok(elapsed + started.elapsed())
}

async fn postgres_baseline(url: &str, count: usize) -> anyhow::Result<Duration> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE TABLE bare (id TEXT PRIMARY KEY, body JSONB NOT NULL)").execute(&mut conn).await?;
    let mut elapsed = Duration::ZERO;
    let mut tx = conn.begin().await?;
    for rows in canonical_chunks(count) {
        let started = Instant::now();
        for (id, body) in &rows {
            sqlx::query("INSERT INTO bare (id, body) VALUES ($1, $2::jsonb)")
                .bind(id)
                .bind(body)
                .execute(&mut *tx)
                .await?;
        }
        elapsed += started.elapsed();
    }
    let started = Instant::now();
    tx.commit().await?;
    Ok(elapsed + started.elapsed())
}

/// Creates a scratch database next to `base` and returns its URL and name.
pub(super) async fn scratch_pg(base: &str, tag: &str) -> anyhow::Result<(String, String)> {
    let mut admin =
        sqlx::PgConnection::connect(base).await.with_context(|| format!("cannot reach PostgreSQL at {base}"))?;
    let name = format!("voltpass_bench_{tag}_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
    let (prefix, _) = base.rsplit_once('/').context("a PostgreSQL URL ends in /DATABASE")?;
    Ok((format!("{prefix}/{name}"), name))
}

pub(super) async fn drop_pg(base: &str, name: &str) {
    if let Ok(mut admin) = sqlx::PgConnection::connect(base).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut admin)
            .await;
    }
}

fn per_s(count: usize, d: Duration) -> f64 {
    (count as f64 / d.as_secs_f64()).round()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("voltpass-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let n = args.count;
    println!("ingest benchmark: {n} item passports (model-referencing), chunks of {CHUNK}, SQLite synchronous=FULL");

    let base = sqlite_baseline(&dir.join("bare.db"), n).await?;
    let base_rate = per_s(n, base);
    println!(
        "  baseline  sqlite bare insert (1 prepared stmt, 1 tx): {base_rate:>10} rows/s  ({:.2} s)",
        base.as_secs_f64()
    );
    let ours = voltpass_run(&format!("sqlite://{}", dir.join("voltpass.db").display()), n, false).await?;
    let our_rate = per_s(n, ours);
    let ratio = our_rate / base_rate;
    println!(
        "  voltpass  sqlite import (parse+validate+hash+append): {our_rate:>10} passports/s ({:.2} s)",
        ours.as_secs_f64()
    );
    println!("  ratio voltpass / bare insert: {:.1} % (target >= 50 %)", ratio * 100.0);
    let signed_rate = if args.sign {
        let signed = voltpass_run(&format!("sqlite://{}", dir.join("signed.db").display()), n, true).await?;
        let rate = per_s(n, signed);
        println!(
            "  voltpass  sqlite import, every version signed (Ed25519): {rate:>10} passports/s ({:.2} s)",
            signed.as_secs_f64()
        );
        Some(rate)
    } else {
        None
    };
    let _ = std::fs::remove_dir_all(&dir);

    let mut figures = json!({
        "bench": "ingest",
        "count": n,
        "voltpass_sqlite_passports_per_s": our_rate,
        "baseline_sqlite_bare_insert_rows_per_s": base_rate,
        "ratio_sqlite": (ratio * 1000.0).round() / 1000.0,
    });
    if let Some(rate) = signed_rate {
        figures["voltpass_sqlite_signed_passports_per_s"] = json!(rate);
    }
    if let Some(pg) = args.pg.as_deref() {
        let (bare_url, bare_name) = scratch_pg(pg, "bare").await?;
        let pg_base = postgres_baseline(&bare_url, n).await;
        drop_pg(pg, &bare_name).await;
        let (url, name) = scratch_pg(pg, "voltpass").await?;
        let pg_ours = voltpass_run(&url, n, false).await;
        drop_pg(pg, &name).await;
        let (pg_base, pg_ours) = (pg_base?, pg_ours?);
        let (b, o) = (per_s(n, pg_base), per_s(n, pg_ours));
        println!(
            "  baseline  postgres bare insert: {b:>10} rows/s; voltpass postgres import: {o:>10} passports/s; ratio {:.1} %",
            o / b * 100.0
        );
        figures["voltpass_postgres_passports_per_s"] = json!(o);
        figures["baseline_postgres_bare_insert_rows_per_s"] = json!(b);
        figures["ratio_postgres"] = json!((o / b * 1000.0).round() / 1000.0);
    }
    let peak = super::peak_rss_mib().unwrap_or(f64::NAN);
    println!("  peak memory (whole process): {peak:.1} MiB (target < 200 MiB)");
    figures["peak_rss_mib"] = json!((peak * 10.0).round() / 10.0);
    println!("{figures}");
    Ok(())
}
