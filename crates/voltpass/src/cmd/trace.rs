//! `voltpass trace import FILE...`: production events from NDJSON files, through the same service as
//! `POST /api/v1/trace/events`, a batch of lines per transaction. A batch with a refused event stores nothing
//! of that batch; the command names every refused line and stops.
//! `voltpass trace recall LOT --out affected.csv`: every cell, module and pack holding material of a lot
//! or batch, with its share and passport.

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use server::PassportService;
use server::service::ServiceError;
use server::service::trace::{Affected, TraceReceipt};
use server::service::trace_pipeline::TracePipeline;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use super::{local_actor, open_store};
use crate::progress;

/// Events per transaction.
const BATCH: usize = 5_000;
/// Cells per page when writing a recall.
const CELL_PAGE: i64 = 10_000;

#[derive(Subcommand)]
pub enum TraceCommand {
    /// Import production events from NDJSON files (one event per line).
    Import(ImportArgs),
    /// Write every unit holding material of a lot or batch (cells, modules, packs) as CSV.
    Recall(RecallArgs),
}

#[derive(ClapArgs)]
pub struct ImportArgs {
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Record the units for this economic operator (its keys then see and build on them); without it they
    /// belong to no operator, like an administrator's.
    #[arg(long)]
    operator: Option<String>,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
}

#[derive(ClapArgs)]
pub struct RecallArgs {
    /// The lot (or batch) id.
    lot: String,
    /// Where to write the CSV (`-` for standard output).
    #[arg(long, default_value = "-")]
    out: PathBuf,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
}

pub async fn run(command: TraceCommand) -> anyhow::Result<()> {
    match command {
        TraceCommand::Import(args) => import(args).await,
        TraceCommand::Recall(args) => recall(args).await,
    }
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let mut actor = local_actor(&store).await?;
    if let Some(operator) = &args.operator {
        // The local administrator, acting for the operator: attributed to it, recorded for the operator.
        actor.role = store::Role::EconomicOperator;
        actor.organisation = Some(operator.clone());
    }
    let service = PassportService::new(store);
    let total: u64 = args.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = progress::bar(Some(total), "importing events");
    let mut sum = TraceReceipt::default();
    // Each batch is checked while the one before it is written; whatever stops the import, the batches before
    // the one it stopped in are stored.
    let mut pipeline = TracePipeline::new(&service, &actor).await?;
    let read = read_batches(&args.files, &bar, &mut pipeline, &mut sum).await;
    let last = pipeline.finish().await;
    bar.finish_and_clear();
    read?;
    add(&mut sum, last?);
    println!("{}", serde_json::to_string(&sum)?);
    Ok(())
}

/// Adds a batch's receipt to the import's.
fn add(sum: &mut TraceReceipt, receipt: Option<TraceReceipt>) {
    if let Some(r) = receipt {
        sum.applied += r.applied;
        sum.duplicates += r.duplicates;
        sum.released += r.released;
        sum.failed += r.failed;
        sum.held = r.held;
    }
}

/// Reads the files' events and pushes them in batches of [`BATCH`].
async fn read_batches(
    files: &[PathBuf],
    bar: &indicatif::ProgressBar,
    pipeline: &mut TracePipeline<'_>,
    sum: &mut TraceReceipt,
) -> anyhow::Result<()> {
    for file in files {
        let place = file.display().to_string();
        let reader = BufReader::new(std::fs::File::open(file).with_context(|| format!("cannot open {place}"))?);
        let mut batch = Vec::with_capacity(BATCH);
        let mut lines = reader.lines().enumerate().peekable();
        while let Some((index, line)) = lines.next() {
            let line = line.with_context(|| format!("{place}:{}: cannot read", index + 1))?;
            bar.inc(line.len() as u64 + 1);
            if !line.trim().is_empty() {
                match trace::event::read_one(line.as_bytes()) {
                    Ok(event) => batch.push((index + 1, event)),
                    Err((id, message)) => {
                        bail!("{place}:{}: event {id}: {message}; nothing of this batch stored", index + 1)
                    }
                }
            }
            if batch.len() == BATCH || (lines.peek().is_none() && !batch.is_empty()) {
                match pipeline.push(std::mem::take(&mut batch)).await {
                    Ok(r) => add(sum, r),
                    Err(ServiceError::Trace(errors)) => {
                        bar.finish_and_clear();
                        for e in &errors {
                            eprintln!("{place}:{}: event {}: {}", e.position, e.event_id, e.message);
                        }
                        bail!("{} event(s) refused in {place}; nothing of their batch stored", errors.len());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(())
}

async fn recall(args: RecallArgs) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let actor = local_actor(&store).await?;
    let service = PassportService::new(store);
    let down = service.trace_downstream(&actor, &args.lot).await?;
    let mut out: Box<dyn Write> = if args.out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&args.out).with_context(|| format!("cannot write {}", args.out.display()))?)
    };
    let mut csv = csv::Writer::from_writer(&mut out);
    csv.write_record(["kind", "id", "model", "passport", "share", "quantity", "uom", "cells"])?;
    let uom = down.unit.base_uom.clone().unwrap_or_default();
    let mut row = |a: &Affected| {
        csv.write_record([
            a.unit.kind.as_str(),
            &a.unit.id,
            a.unit.model.as_deref().unwrap_or(""),
            a.unit.passport_id.as_deref().unwrap_or(""),
            &format!("{:.9}", a.share),
            &format!("{:.6}", a.quantity),
            &uom,
            &a.cells.map(|c| c.to_string()).unwrap_or_default(),
        ])
    };
    for pack in &down.packs {
        row(pack)?;
    }
    for module in &down.modules {
        row(module)?;
    }
    let mut after: Option<String> = None;
    let mut cells = 0usize;
    loop {
        let page = service.trace_downstream_cells(&actor, &args.lot, after.as_deref(), CELL_PAGE).await?;
        for cell in &page {
            row(cell)?;
        }
        cells += page.len();
        match page.last() {
            Some(last) if page.len() as i64 == CELL_PAGE => after = Some(last.unit.id.clone()),
            _ => break,
        }
    }
    csv.flush()?;
    drop(csv);
    eprintln!(
        "{}: {} pack(s), {} module(s), {cells} cell(s), {} passport(s)",
        args.lot,
        down.packs.len(),
        down.modules.len(),
        down.passports.len()
    );
    Ok(())
}
