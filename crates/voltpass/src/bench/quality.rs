//! Supplier-quality benchmark (issue 6): ingest and decide N CoAs of 20 characteristics each through the same
//! path as `voltpass coa import` (parse, check, SPC on every characteristic, decide, store with the original
//! bytes and the audit entry), then recompute all SPC state from the store. Baseline in the same run: the same
//! CoA bytes inserted into a bare SQLite table with one prepared statement.

use anyhow::Context;
use clap::Args as ClapArgs;
use serde_json::json;
use server::PassportService;
use server::service::coa_pipeline::{CoaPipeline, Outcomes};
use server::service::quality::{CoaFormat, CoaSubmission};
use sqlx::Connection;
use std::time::{Duration, Instant};
use time::Date;

use crate::cmd::local_actor;

const SEED: u64 = 2027;
/// CoAs per transaction (as `coa import` batches them).
const BATCH: usize = 500;

#[derive(ClapArgs)]
pub struct Args {
    /// Number of CoAs.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Number of suppliers they come from.
    #[arg(long, default_value_t = 20)]
    suppliers: usize,
}

fn end_date() -> Date {
    Date::from_calendar_date(2026, time::Month::November, 1).expect("a valid date")
}

/// One batch of serialized CoAs with their receipt three days after manufacture (so no lot is expired on
/// arrival), generated outside the timed sections.
fn batches(count: usize, suppliers: usize) -> impl Iterator<Item = Vec<CoaSubmission>> {
    let mut coas = quality::demo::bench_coas(count, suppliers, end_date(), SEED);
    std::iter::from_fn(move || {
        let batch: Vec<CoaSubmission> = coas
            .by_ref()
            .take(BATCH)
            .map(|coa| {
                let received = (coa.lot.manufactured_on + time::Duration::days(3)).midnight().assume_utc();
                CoaSubmission {
                    bytes: serde_json::to_vec(&coa).expect("a CoA serializes"),
                    format: CoaFormat::Json,
                    received_at: Some(received),
                }
            })
            .collect();
        (!batch.is_empty()).then_some(batch)
    })
}

struct Run {
    ingest: Duration,
    recompute: Duration,
    accepted: usize,
    hold: usize,
    rejected: usize,
    alarms: usize,
    series: usize,
    points: usize,
    store_mib: f64,
}

/// Decisions counted by outcome.
#[derive(Default)]
struct Tally {
    accepted: usize,
    hold: usize,
    rejected: usize,
}

impl Tally {
    fn add(&mut self, outcomes: Option<Outcomes>) -> anyhow::Result<()> {
        for outcome in outcomes.into_iter().flatten() {
            let coa = outcome.context("bench CoA refused")?;
            match coa.decision.as_ref().map(|d| d.outcome.as_str()) {
                Some("accepted") => self.accepted += 1,
                Some("rejected") => self.rejected += 1,
                _ => self.hold += 1,
            }
        }
        Ok(())
    }
}

async fn voltpass_run(dir: &std::path::Path, count: usize, suppliers: usize) -> anyhow::Result<Run> {
    let path = dir.join("voltpass.db");
    let store = store::open(&format!("sqlite://{}", path.display())).await?;
    let service = PassportService::new(store);
    let actor = local_actor(service.store()).await?;
    service.put_spec(&actor, quality::demo::bench_spec()).await.context("bench specification")?;
    // As `coa import` does: each batch is checked while the one before is stored.
    let (mut ingest, mut tally) = (Duration::ZERO, Tally::default());
    let mut pipeline = CoaPipeline::new(&service, &actor);
    for batch in batches(count, suppliers) {
        let started = Instant::now();
        let outcomes = pipeline.push(batch).await?;
        ingest += started.elapsed();
        tally.add(outcomes)?;
    }
    let started = Instant::now();
    let outcomes = pipeline.finish().await?;
    ingest += started.elapsed();
    tally.add(outcomes)?;
    let Tally { accepted, hold, rejected } = tally;
    let started = Instant::now();
    let report = service.recompute_spc(&actor).await?;
    let recompute = started.elapsed();
    let store_mib = ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / 1024.0
        / 1024.0;
    Ok(Run {
        ingest,
        recompute,
        accepted,
        hold,
        rejected,
        alarms: report.alarms_found,
        series: report.series,
        points: report.points,
        store_mib,
    })
}

async fn sqlite_baseline(path: &std::path::Path, count: usize, suppliers: usize) -> anyhow::Result<Duration> {
    let mut conn = super::bare_sqlite(path).await?;
    sqlx::query("CREATE TABLE bare (id INTEGER PRIMARY KEY, original BLOB NOT NULL)").execute(&mut conn).await?;
    let mut elapsed = Duration::ZERO;
    let mut n = 0i64;
    for batch in batches(count, suppliers) {
        let started = Instant::now();
        let mut tx = conn.begin().await?;
        for submission in &batch {
            n += 1;
            sqlx::query("INSERT INTO bare (id, original) VALUES (?1, ?2)")
                .bind(n)
                .bind(&submission.bytes)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        elapsed += started.elapsed();
    }
    Ok(elapsed)
}

fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("voltpass-bench-quality-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let (n, characteristics) = (args.count, quality::demo::bench_spec().characteristics.len());
    println!(
        "quality benchmark: {n} CoAs x {characteristics} characteristics from {} suppliers, batches of {BATCH}, SQLite",
        args.suppliers
    );
    let base = sqlite_baseline(&dir.join("bare.db"), n, args.suppliers).await?;
    let base_rate = n as f64 / base.as_secs_f64();
    println!(
        "  baseline  bare insert of the same bytes (1 prepared stmt): {base_rate:>9.0} CoAs/s ({:.2} s)",
        base.as_secs_f64()
    );
    let run = voltpass_run(&dir, n, args.suppliers).await;
    let _ = std::fs::remove_dir_all(&dir);
    let run = run?;
    let rate = n as f64 / run.ingest.as_secs_f64();
    let total = run.ingest + run.recompute;
    println!(
        "  voltpass  ingest (parse+check+SPC+decide+store): {rate:>9.0} CoAs/s ({:.2} s); {} accepted, {} hold, {} rejected",
        run.ingest.as_secs_f64(),
        run.accepted,
        run.hold,
        run.rejected
    );
    println!(
        "  voltpass  recompute all SPC state: {:.2} s ({} series, {} points, {} alarms)",
        run.recompute.as_secs_f64(),
        run.series,
        run.points,
        run.alarms
    );
    println!("  ratio voltpass ingest / bare insert: {:.1} %", rate / base_rate * 100.0);
    println!("  all of it: {:.2} s (target < 20 s); store {:.1} MiB", total.as_secs_f64(), run.store_mib);
    let peak = super::peak_rss_mib().unwrap_or(f64::NAN);
    println!("  peak memory (whole process): {peak:.1} MiB (target < 500 MiB)");
    let figures = json!({
        "bench": "quality",
        "coas": n,
        "characteristics_per_coa": characteristics,
        "results": n * characteristics,
        "suppliers": args.suppliers,
        "ingest_s": round(run.ingest.as_secs_f64(), 3),
        "coas_per_s": rate.round(),
        "recompute_s": round(run.recompute.as_secs_f64(), 3),
        "total_s": round(total.as_secs_f64(), 3),
        "accepted": run.accepted,
        "hold": run.hold,
        "rejected": run.rejected,
        "series": run.series,
        "points": run.points,
        "alarms": run.alarms,
        "store_mib": round(run.store_mib, 1),
        "baseline_sqlite_bare_insert_coas_per_s": base_rate.round(),
        "ratio_sqlite": round(rate / base_rate, 3),
        "peak_rss_mib": round(peak, 1),
    });
    println!("{figures}");
    Ok(())
}
