//! `voltpass bench NAME`: figures against a baseline measured in the same run, ending with one JSON line.

mod aas;
mod analytics;
mod ingest;
mod quality;
mod readings;
mod resolve;
mod soak;
mod trace;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Bulk-import item passports into a fresh store vs. bare inserts of the same JSON bodies.
    Ingest(ingest::Args),
    /// Serve `GET /p/{id}` (JSON and HTML) on random ids under wrk vs. nginx serving the same JSON as files.
    Resolve(resolve::Args),
    /// AAS lookup, shell descriptor and submodel `$value` on random passports under wrk vs. the BaSyx Python server.
    Aas(aas::Args),
    /// Readings of many batteries over REST NDJSON and MQTT vs. bare inserts of the same rows.
    Readings(readings::Args),
    /// Ingest and decide CoAs of 20 characteristics with SPC, then recompute all SPC state, vs. bare inserts.
    Quality(quality::Args),
    /// A factory year of genealogy events (lots to packs), then recall and upstream traces vs. one recursive
    /// SQL query per trace.
    Trace(trace::Args),
    /// End-of-line anomaly screening, cycle-life prediction, remaining useful life and line-yield forecasts on
    /// the reference datasets, each against its baseline; screening and prediction speed.
    Analytics(analytics::Args),
    /// Minutes of mixed load on loopback (public resolves, reads, If-Match updates, readings, CoAs): rate, p99 and
    /// memory every minute, no errors allowed.
    Soak(soak::Args),
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ingest(args) => ingest::run(args).await,
        BenchCommand::Resolve(args) => resolve::run(args).await,
        BenchCommand::Readings(args) => readings::run(args).await,
        BenchCommand::Aas(args) => aas::run(args).await,
        BenchCommand::Quality(args) => quality::run(args).await,
        BenchCommand::Trace(args) => trace::run(args).await,
        BenchCommand::Analytics(args) => analytics::run(args).await,
        BenchCommand::Soak(args) => soak::run(args).await,
    }
}

/// A new SQLite file for a bare baseline, with the durability voltpass's own store has (WAL, `synchronous=FULL`),
/// so the baseline pays for the same fsyncs.
pub async fn bare_sqlite(path: &std::path::Path) -> anyhow::Result<sqlx::SqliteConnection> {
    use sqlx::Connection;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    Ok(sqlx::SqliteConnection::connect_with(&options).await?)
}

/// CPU time this process (every thread) has used so far, in seconds (Linux `/proc/self/stat`, user and system,
/// in clock ticks of 1/100 s).
pub fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start with the state, field 3.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// Peak resident memory of this process so far, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The `p` quantile (0..=1) of sorted samples, by nearest rank; NaN without samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
