//! Genealogy benchmark (issue 7): a factory year of production events through the same path as
//! `voltpass trace import` (check, plan, one transaction per batch), then recall (lot to every affected
//! passport) and upstream traces (pack to its lots, CoAs and suppliers) on random units. Baselines in the same
//! run: for the ingest, the rows of the naive layout (a unit row, an edge row per input, an applied-event row)
//! inserted into bare SQLite tables (`bare`); for the traces, the naive way, one recursive SQL query per trace
//! over that edge table (on SQLite the bare file, whose store keeps cells in one row each; on PostgreSQL its own).
//!
//! The factory scales with `--cells` (the year is the default): one electrode batch per 5,000 cells
//! (half cathode, half anode), one lot per 10 batches, 100 cells per module, 4 modules per pack, each pack with
//! its passport. A cell takes one cathode and one anode batch; lots go into batches by quantity. Serials and
//! event ids are zero-padded, so they sort in production order as a line's time-ordered ids do.

use anyhow::Context;
use clap::Args as ClapArgs;
use passport::demo;
use passport::fixtures::{item_body, model_body};
use rand::{Rng, SeedableRng};
use serde_json::json;
use server::PassportService;
use server::import::Importer;
use server::service::trace::TraceReceipt;
use server::service::trace_pipeline::TracePipeline;
use server::service::{BulkLine, LineOutcome};
use std::time::{Duration, Instant};
use trace::{Input, Quantity, TraceEvent, UnitKind, UnitSpec};

use crate::cmd::local_actor;

mod bare;

const SEED: u64 = 2027;
/// Events per transaction (as `trace import` batches them).
const BATCH: usize = 5_000;

#[derive(ClapArgs)]
pub struct Args {
    /// Cells in the factory year.
    #[arg(long, default_value_t = 10_000_000)]
    cells: usize,
    /// Random traces timed per kind.
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Also run on PostgreSQL (a scratch database next to this URL).
    #[arg(long, env = "VOLTPASS_BENCH_PG_URL")]
    pg: Option<String>,
}

/// The factory's shape for a number of cells.
#[derive(Debug, Clone, Copy)]
struct Factory {
    cells: usize,
    batches: usize,
    lots: usize,
    modules: usize,
    packs: usize,
}

impl Factory {
    fn new(cells: usize) -> Factory {
        let cells = cells.max(400).div_ceil(400) * 400;
        let batches = (cells / 5_000).max(4) / 2 * 2;
        let lots = (batches / 10).max(2) / 2 * 2;
        Factory { cells, batches, lots, modules: cells / 100, packs: cells / 400 }
    }

    fn cells_per_batch(&self) -> usize {
        (self.cells / (self.batches / 2)).max(1)
    }

    /// Every event in production order: lots, batches, then cells module by module, each module and, every
    /// fourth, a pack.
    fn events(self, passports: Vec<String>) -> impl Iterator<Item = TraceEvent> {
        let at = time::macros::datetime!(2026-01-05 06:00 UTC);
        let half = self.lots / 2;
        let lot = move |i: usize| TraceEvent::Produced {
            event_id: format!("ev-lot-{i:04}"),
            unit: Box::new(UnitSpec {
                material: Some(if i < half { "NMC811" } else { "GRAPHITE" }.into()),
                supplier: Some(format!("BPNL00000000{:04}", i % 8)),
                quantity: Some(Quantity::new(1_000.0, "t")),
                ..unit(format!("LOT-{i:04}"), UnitKind::Lot, at)
            }),
            inputs: Vec::new(),
        };
        let batches_per_kind = self.batches / 2;
        let batch = move |i: usize| {
            let cathode = i < batches_per_kind;
            let j = if cathode { i } else { i - batches_per_kind };
            let lot = if cathode { j % half } else { half + j % half };
            TraceEvent::Produced {
                event_id: format!("ev-batch-{i:05}"),
                unit: Box::new(UnitSpec {
                    unit_type: Some(if cathode { "cathode coating" } else { "anode coating" }.into()),
                    line: Some(format!("E{}", i % 4)),
                    ..unit(batch_id(i), UnitKind::Batch, at)
                }),
                inputs: vec![Input { id: format!("LOT-{lot:04}"), quantity: Some(Quantity::new(450.0, "kg")) }],
            }
        };
        let per_batch = self.cells_per_batch();
        let module = move |m: usize| {
            let cells = (m * 100..(m + 1) * 100).map(move |c| {
                let cathode = (c / per_batch).min(batches_per_kind - 1);
                TraceEvent::Produced {
                    event_id: format!("ev-cell-{c:09}"),
                    unit: Box::new(UnitSpec {
                        model: Some("VP-C50".into()),
                        line: Some(format!("A{}", c % 6)),
                        ..unit(cell_id(c), UnitKind::Cell, at)
                    }),
                    inputs: vec![
                        Input { id: batch_id(cathode), quantity: None },
                        Input { id: batch_id(batches_per_kind + cathode), quantity: None },
                    ],
                }
            });
            let assembled = TraceEvent::Produced {
                event_id: format!("ev-module-{m:07}"),
                unit: Box::new(UnitSpec {
                    model: Some("VP-M100".into()),
                    ..unit(format!("M-{m:07}"), UnitKind::Module, at)
                }),
                inputs: (m * 100..(m + 1) * 100).map(|c| Input { id: cell_id(c), quantity: None }).collect(),
            };
            cells.chain(std::iter::once(assembled))
        };
        let pack = move |p: usize, passport: String| TraceEvent::Produced {
            event_id: format!("ev-pack-{p:06}"),
            unit: Box::new(UnitSpec {
                model: Some("VP-P400".into()),
                passport: Some(passport),
                ..unit(pack_id(p), UnitKind::Pack, at)
            }),
            inputs: (p * 4..p * 4 + 4).map(|m| Input { id: format!("M-{m:07}"), quantity: None }).collect(),
        };
        let mut passports = passports.into_iter();
        (0..self.lots).map(lot).chain((0..self.batches).map(batch)).chain((0..self.modules).flat_map(move |m| {
            let packed = (m % 4 == 3).then(|| pack(m / 4, passports.next().expect("a passport per pack")));
            module(m).chain(packed)
        }))
    }
}

fn unit(id: String, kind: UnitKind, at: time::OffsetDateTime) -> UnitSpec {
    UnitSpec {
        id,
        kind,
        unit_type: None,
        model: None,
        line: None,
        station: None,
        at: Some(at),
        quantity: None,
        supplier: None,
        material: None,
        lot_number: None,
        passport: None,
        attributes: None,
    }
}

fn batch_id(i: usize) -> String {
    format!("B-{i:05}")
}

fn cell_id(c: usize) -> String {
    format!("C-{c:09}")
}

fn pack_id(p: usize) -> String {
    format!("P-{p:06}")
}

struct Run {
    ingest: Duration,
    events: usize,
    recall: Percentiles,
    upstream: Percentiles,
    naive_recall: Percentiles,
    naive_upstream: Percentiles,
    /// Passports a recall of the first lot reaches (the fast and the naive way agree).
    recalled_passports: usize,
    store_mib: f64,
    /// Cores busy on average while the events went in (CPU time of the process over the ingest loop's time).
    ingest_cores: f64,
}

#[derive(Debug, Clone, Copy)]
struct Percentiles {
    p50_ms: f64,
    p99_ms: f64,
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    Percentiles { p50_ms: at(0.5), p99_ms: at(0.99) }
}

/// One recursive query per trace, the way a schema without the shortcut would do it.
const NAIVE_RECALL: &str = "WITH RECURSIVE down(id) AS (SELECT $1 UNION SELECT e.output_id FROM trace_edges e \
    JOIN down d ON e.input_id = d.id) SELECT u.passport_id FROM down JOIN trace_units u ON u.id = down.id \
    WHERE u.kind = 'pack'";
const NAIVE_UPSTREAM: &str = "WITH RECURSIVE up(id) AS (SELECT $1 UNION SELECT e.input_id FROM trace_edges e \
    JOIN up ON e.output_id = up.id) SELECT u.id, u.supplier_id FROM up JOIN trace_units u ON u.id = up.id \
    WHERE u.kind = 'lot'";

async fn passports_for(service: &PassportService, actor: &store::Actor, count: usize) -> anyhow::Result<Vec<String>> {
    for model in demo::DemoModel::ALL {
        service.create_model(actor, model_body(model)).await.context("bench model")?;
    }
    let mut importer = Importer::new(service.clone(), actor.clone());
    let mut outcomes = Vec::with_capacity(count);
    let mut docs = demo::passports(count, SEED);
    loop {
        let lines: Vec<BulkLine> =
            docs.by_ref().take(1_000).map(|d| BulkLine::Text(item_body(&d).to_string())).collect();
        if lines.is_empty() {
            break;
        }
        outcomes.extend(importer.push(lines).await);
    }
    outcomes.extend(importer.finish().await);
    outcomes
        .into_iter()
        .map(|o| match o {
            LineOutcome::Created { id } => Ok(id),
            other => Err(anyhow::anyhow!("bench passport not written: {other:?}")),
        })
        .collect()
}

/// Ingests the factory into the store at `url` and times traces; the naive traces run on `naive_url` (the store
/// itself on PostgreSQL, the bare baseline's file on SQLite).
async fn voltpass_run(url: &str, naive_url: &str, factory: Factory, queries: usize) -> anyhow::Result<Run> {
    let store = store::open(url).await?;
    let service = PassportService::new(store);
    let actor = local_actor(service.store()).await?;
    let passports = passports_for(&service, &actor, factory.packs).await?;
    let mut events = factory.events(passports);
    let (mut ingest, mut count) = (Duration::ZERO, 0usize);
    // As `trace import` does: each batch is checked while the one before it is written. The time counted is
    // the pushes' (making up the next batch's events overlaps a write, as reading a file does).
    let mut pipeline = TracePipeline::new(&service, &actor).await?;
    let (cpu_before, loop_started) = (super::process_cpu_s(), Instant::now());
    let all_applied = |receipt: Option<TraceReceipt>| match receipt {
        Some(r) if r.held > 0 => Err(anyhow::anyhow!("bench events held: {r:?}")),
        _ => Ok(()),
    };
    loop {
        let batch: Vec<(usize, TraceEvent)> = events.by_ref().take(BATCH).map(|e| (0, e)).collect();
        if batch.is_empty() {
            break;
        }
        count += batch.len();
        let started = Instant::now();
        let receipt = pipeline.push(batch).await?;
        ingest += started.elapsed();
        all_applied(receipt)?;
    }
    let overlapped = pipeline.overlapped();
    let started = Instant::now();
    let receipt = pipeline.finish().await?;
    ingest += started.elapsed();
    all_applied(receipt)?;
    let ingest_cores = match (cpu_before, super::process_cpu_s()) {
        (Some(before), Some(after)) => (after - before) / loop_started.elapsed().as_secs_f64(),
        _ => f64::NAN,
    };
    tracing::info!(overlapped, "trace bench batches checked while the one before was written");
    let mut rng = rand::rngs::SmallRng::seed_from_u64(SEED);
    let (mut recall, mut upstream) = (Vec::new(), Vec::new());
    let mut recalled_passports = 0;
    for i in 0..queries {
        let lot = format!("LOT-{:04}", if i == 0 { 0 } else { rng.random_range(0..factory.lots) });
        let started = Instant::now();
        let down = service.trace_downstream(&actor, &lot).await?;
        recall.push(started.elapsed());
        if i == 0 {
            recalled_passports = down.passports.len();
        }
        let pack = pack_id(rng.random_range(0..factory.packs));
        let started = Instant::now();
        let up = service.trace_upstream(&actor, &pack).await?;
        upstream.push(started.elapsed());
        anyhow::ensure!(up.lots.len() == 2, "a pack is made of one cathode and one anode lot, not {}", up.lots.len());
    }
    let (naive_recall, naive_upstream, naive_first) = naive(naive_url, factory, queries).await?;
    anyhow::ensure!(
        naive_first == recalled_passports,
        "the naive recall found {naive_first} passports, voltpass {recalled_passports}"
    );
    Ok(Run {
        ingest,
        events: count,
        recall: percentiles(recall),
        upstream: percentiles(upstream),
        naive_recall,
        naive_upstream,
        recalled_passports,
        store_mib: store_mib(url).await?,
        ingest_cores,
    })
}

/// A plain connection to the bench store for the naive queries.
enum Plain {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Plain {
    /// Without sqlx's slow-statement warnings: a naive trace is slow by design, and would log every time.
    async fn open(url: &str) -> anyhow::Result<Plain> {
        use sqlx::ConnectOptions;
        use std::str::FromStr;
        Ok(if url.starts_with("sqlite:") {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.disable_statement_logging();
            Plain::Sqlite(sqlx::SqlitePool::connect_with(options).await?)
        } else {
            let options = sqlx::postgres::PgConnectOptions::from_str(url)?.disable_statement_logging();
            Plain::Postgres(sqlx::PgPool::connect_with(options).await?)
        })
    }

    /// Runs `sql` with one text parameter (`$1`); the number of rows.
    async fn rows(&self, sql: &str, id: &str) -> anyhow::Result<usize> {
        Ok(match self {
            Plain::Sqlite(pool) => {
                let sql = sql.replace("$1", "?1");
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(pool).await?.len()
            }
            Plain::Postgres(pool) => {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(id).fetch_all(pool).await?.len()
            }
        })
    }
}

/// The naive traces, timed on the same random units.
async fn naive(url: &str, factory: Factory, queries: usize) -> anyhow::Result<(Percentiles, Percentiles, usize)> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(SEED);
    let (mut recall, mut upstream, mut first) = (Vec::new(), Vec::new(), 0);
    let plain = Plain::open(url).await?;
    // Fewer naive recalls: each walks every cell of the lot.
    let naive_recalls = queries.min(20);
    for i in 0..queries {
        let lot = format!("LOT-{:04}", if i == 0 { 0 } else { rng.random_range(0..factory.lots) });
        if i < naive_recalls {
            let started = Instant::now();
            let rows = plain.rows(NAIVE_RECALL, &lot).await?;
            recall.push(started.elapsed());
            if i == 0 {
                first = rows;
            }
        }
        let pack = pack_id(rng.random_range(0..factory.packs));
        let started = Instant::now();
        plain.rows(NAIVE_UPSTREAM, &pack).await?;
        upstream.push(started.elapsed());
    }
    Ok((percentiles(recall), percentiles(upstream), first))
}

async fn store_mib(url: &str) -> anyhow::Result<f64> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let bytes: u64 =
            ["", "-wal"].iter().filter_map(|s| std::fs::metadata(format!("{path}{s}")).ok()).map(|m| m.len()).sum();
        return Ok(bytes as f64 / 1024.0 / 1024.0);
    }
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut conn).await?;
    Ok(bytes as f64 / 1024.0 / 1024.0)
}

fn report(backend: &str, factory: Factory, run: &Run) -> serde_json::Value {
    let secs = run.ingest.as_secs_f64();
    let cells_per_s = factory.cells as f64 / secs;
    println!(
        "  {backend:<8} ingest {} events in {secs:.1} s: {:.0} events/s, {cells_per_s:.0} cells/s (target >= 200,000 on SQLite), {:.2} cores busy",
        run.events,
        run.events as f64 / secs,
        run.ingest_cores
    );
    println!(
        "  {backend:<8} recall lot -> passports: p50 {:.2} ms, p99 {:.2} ms (target p99 < 100 ms); naive recursive SQL p50 {:.1} ms, p99 {:.1} ms",
        run.recall.p50_ms, run.recall.p99_ms, run.naive_recall.p50_ms, run.naive_recall.p99_ms
    );
    println!(
        "  {backend:<8} upstream pack -> lots: p50 {:.2} ms, p99 {:.2} ms (target p99 < 5 ms); naive recursive SQL p50 {:.1} ms, p99 {:.1} ms",
        run.upstream.p50_ms, run.upstream.p99_ms, run.naive_upstream.p50_ms, run.naive_upstream.p99_ms
    );
    let per_million = run.store_mib / (factory.cells as f64 / 1e6);
    println!(
        "  {backend:<8} store {:.0} MiB, {per_million:.0} MiB per million cells; first lot reaches {} passports",
        run.store_mib, run.recalled_passports
    );
    let r = |x: f64| (x * 1000.0).round() / 1000.0;
    json!({
        format!("{backend}_ingest_s"): r(secs),
        format!("{backend}_events_per_s"): (run.events as f64 / secs).round(),
        format!("{backend}_cells_per_s"): cells_per_s.round(),
        format!("{backend}_ingest_cpu_cores"): (run.ingest_cores * 100.0).round() / 100.0,
        format!("{backend}_recall_p50_ms"): r(run.recall.p50_ms),
        format!("{backend}_recall_p99_ms"): r(run.recall.p99_ms),
        format!("{backend}_upstream_p50_ms"): r(run.upstream.p50_ms),
        format!("{backend}_upstream_p99_ms"): r(run.upstream.p99_ms),
        format!("{backend}_baseline_naive_recall_p50_ms"): r(run.naive_recall.p50_ms),
        format!("{backend}_baseline_naive_recall_p99_ms"): r(run.naive_recall.p99_ms),
        format!("{backend}_baseline_naive_upstream_p50_ms"): r(run.naive_upstream.p50_ms),
        format!("{backend}_baseline_naive_upstream_p99_ms"): r(run.naive_upstream.p99_ms),
        format!("{backend}_recall_speedup_p99"): r(run.naive_recall.p99_ms / run.recall.p99_ms),
        format!("{backend}_upstream_speedup_p99"): r(run.naive_upstream.p99_ms / run.upstream.p99_ms),
        format!("{backend}_store_mib"): r(run.store_mib),
        format!("{backend}_store_mib_per_million_cells"): r(per_million),
        format!("{backend}_recalled_passports"): run.recalled_passports,
    })
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let factory = Factory::new(args.cells);
    println!(
        "trace benchmark: {} lots, {} electrode batches, {} cells, {} modules, {} packs with passports; batches of {BATCH} events",
        factory.lots, factory.batches, factory.cells, factory.modules, factory.packs
    );
    let dir = std::env::temp_dir().join(format!("voltpass-bench-trace-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("voltpass.db").display());
    let runs = async {
        let bare_db = dir.join("bare.db");
        let bare = bare::same_rows(&bare_db, factory).await.context("bare SQLite baseline")?;
        let naive_url = format!("sqlite://{}", bare_db.display());
        anyhow::Ok((bare, voltpass_run(&url, &naive_url, factory, args.queries).await?))
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let (bare, sqlite) = runs?;
    let bare_cells_per_s = factory.cells as f64 / bare.as_secs_f64();
    println!(
        "  baseline bare insert of the naive layout's rows (a unit row, an edge row per input, an event row; multi-row INSERTs): {bare_cells_per_s:.0} cells/s"
    );
    let mut figures = json!({
        "bench": "trace",
        "lots": factory.lots,
        "batches": factory.batches,
        "cells": factory.cells,
        "modules": factory.modules,
        "packs": factory.packs,
        "queries": args.queries,
    });
    let merge = |figures: &mut serde_json::Value, more: serde_json::Value| {
        if let (Some(into), serde_json::Value::Object(more)) = (figures.as_object_mut(), more) {
            into.extend(more);
        }
    };
    let ratio = factory.cells as f64 / sqlite.ingest.as_secs_f64() / bare_cells_per_s;
    println!(
        "  sqlite   ratio voltpass ingest (checked, one row a cell) / bare insert of the naive rows: {:.1} %",
        ratio * 100.0
    );
    merge(&mut figures, report("sqlite", factory, &sqlite));
    merge(
        &mut figures,
        json!({
            "sqlite_baseline_bare_insert_cells_per_s": bare_cells_per_s.round(),
            "sqlite_ratio_bare": (ratio * 1000.0).round() / 1000.0,
        }),
    );
    if let Some(base) = &args.pg {
        let (url, name) = super::ingest::scratch_pg(base, "trace").await?;
        let pg = voltpass_run(&url, &url, factory, args.queries).await;
        super::ingest::drop_pg(base, &name).await;
        merge(&mut figures, report("postgres", factory, &pg?));
    }
    let peak = super::peak_rss_mib().unwrap_or(f64::NAN);
    println!("  peak memory (whole process): {peak:.1} MiB");
    merge(&mut figures, json!({ "peak_rss_mib": (peak * 10.0).round() / 10.0 }));
    println!("{figures}");
    Ok(())
}
