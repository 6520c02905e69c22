//! `voltpass coa import FILE...`: receive electronic Certificates of Analysis from files, as the local
//! administrator, through the same service the REST API uses (parse, check, decide, store with the audit entry).
//! eCoAs are stored in batches (one transaction each); a refused file stores nothing and the others go on.
//! `voltpass spc recompute` rebuilds the SPC state; `voltpass spec put FILE` stores a specification version.

use anyhow::bail;
use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;
use server::PassportService;
use server::service::ServiceError;
use server::service::coa_pipeline::{CoaPipeline, Outcomes};
use server::service::quality::{CoaFormat, CoaSubmission, PdfLot};
use server::service::scorecard::ScorecardQuery;
use std::collections::VecDeque;
use std::path::PathBuf;

use super::{local_actor, open_store};
use crate::progress;

#[derive(Subcommand)]
pub enum CoaCommand {
    /// Import CoA files: eCoA JSON (`.json`), eCoA CSV (`.csv`) or the supplier's PDF (`.pdf`, with
    /// `--supplier`, `--material` and `--lot`). Each file is stored, or refused on its own.
    Import(ImportArgs),
    /// Print a supplier's scorecard per quarter (JSON).
    Scorecard(ScorecardArgs),
}

#[derive(ClapArgs)]
pub struct ScorecardArgs {
    /// Supplier id (BPN or other).
    supplier: String,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
}

#[derive(Subcommand)]
pub enum SpcCommand {
    /// Rebuild every SPC series from the stored CoAs, in manufacturing order.
    Recompute {
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
    },
}

#[derive(Subcommand)]
pub enum SpecCommand {
    /// Store a new version of a material specification (JSON, as `GET /api/v1/specs` lists them).
    Put {
        file: PathBuf,
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
    },
    /// Print the specifications in force (JSON lines).
    List {
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
    },
}

/// eCoAs per transaction.
const BATCH: usize = 500;

#[derive(ClapArgs)]
pub struct ImportArgs {
    /// The files (the format follows the extension).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// For PDFs: the supplier id.
    #[arg(long)]
    supplier: Option<String>,
    /// For PDFs: our material number.
    #[arg(long)]
    material: Option<String>,
    /// For PDFs: the lot number.
    #[arg(long)]
    lot: Option<String>,
}

pub async fn run(command: CoaCommand) -> anyhow::Result<()> {
    match command {
        CoaCommand::Import(args) => import(args).await,
        CoaCommand::Scorecard(args) => scorecard(args).await,
    }
}

async fn scorecard(args: ScorecardArgs) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let actor = local_actor(&store).await?;
    let service = PassportService::new(store);
    let report = service.supplier_scorecard(&actor, &args.supplier, &ScorecardQuery::default()).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

pub async fn run_spc(command: SpcCommand) -> anyhow::Result<()> {
    match command {
        SpcCommand::Recompute { db } => {
            let store = open_store(&db).await?;
            let actor = local_actor(&store).await?;
            let report = PassportService::new(store).recompute_spc(&actor).await?;
            println!(
                "recomputed {} series from {} lots ({} CoAs read, {} points) in {:.2} s; {} alarms found",
                report.series, report.lots, report.coas_read, report.points, report.seconds, report.alarms_found
            );
            Ok(())
        }
    }
}

pub async fn run_spec(command: SpecCommand) -> anyhow::Result<()> {
    match command {
        SpecCommand::Put { file, db } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let spec: quality::spec::MaterialSpec = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: not a specification: {e}", file.display()))?;
            let store = open_store(&db).await?;
            let actor = local_actor(&store).await?;
            let stored = PassportService::new(store).put_spec(&actor, spec).await?;
            println!("stored specification {} version {}", stored.material_id, stored.version);
            Ok(())
        }
        SpecCommand::List { db } => {
            let store = open_store(&db).await?;
            let actor = local_actor(&store).await?;
            for spec in PassportService::new(store).list_specs(&actor, None).await? {
                println!("{}", serde_json::to_string(&spec)?);
            }
            Ok(())
        }
    }
}

/// One line per reason: its kind, then its other members.
fn describe(reason: &Value) -> String {
    let kind = reason["kind"].as_str().unwrap_or("reason");
    let rest: Vec<String> = reason
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "kind")
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    format!("{kind} ({})", rest.join(", "))
}

/// The report line of a stored CoA, with one line per reason.
fn report(place: &str, coa: &store::StoredCoa) -> String {
    let decision = coa.decision.as_ref();
    let outcome = decision.map_or("undecided", |d| d.outcome.as_str());
    let mut report = format!(
        "{place}: {} revision {} of lot {}/{}/{}: {outcome}",
        coa.id, coa.revision, coa.supplier_id, coa.material_id, coa.lot_number
    );
    for reason in decision.and_then(|d| d.reasons.as_array()).into_iter().flatten() {
        report.push_str(&format!("\n  - {}", describe(reason)));
    }
    report
}

/// Reports a stored batch, file by file.
fn show(
    bar: &indicatif::ProgressBar,
    places: Vec<String>,
    outcomes: Outcomes,
    refuse: &mut impl FnMut(&str, &dyn std::fmt::Display),
) {
    for (place, outcome) in places.iter().zip(outcomes) {
        match outcome {
            Ok(coa) => bar.suspend(|| println!("{}", report(place, &coa))),
            Err(e) => refuse(place, &e),
        }
    }
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let actor = local_actor(&store).await?;
    let service = PassportService::new(store);
    let total: u64 = args.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = progress::bar(Some(total), "importing CoAs");
    let mut refused = 0usize;
    let mut refuse = |place: &str, e: &dyn std::fmt::Display| {
        refused += 1;
        bar.suspend(|| eprintln!("{place}: refused: {e}"));
    };
    // PDFs one by one (each names its lot on the command line); eCoAs in batches, each checked while the one
    // before is stored.
    let mut pipeline = CoaPipeline::new(&service, &actor);
    // The file names of the batches pushed and not yet reported.
    let mut pending: VecDeque<Vec<String>> = VecDeque::new();
    let mut batch: Vec<(String, CoaSubmission)> = Vec::new();
    for (i, file) in args.files.iter().enumerate() {
        let place = file.display().to_string();
        let read = CoaFormat::from_path(file)
            .ok_or_else(|| ServiceError::BadRequest("unknown format: name the file .json, .csv or .pdf".into()))
            .and_then(|format| {
                let bytes =
                    std::fs::read(file).map_err(|e| ServiceError::BadRequest(format!("cannot read it: {e}")))?;
                Ok((format, bytes))
            });
        match read {
            Err(e) => refuse(&place, &e),
            Ok((CoaFormat::Pdf, bytes)) => {
                bar.inc(bytes.len() as u64);
                let pdf =
                    PdfLot { supplier: args.supplier.clone(), material: args.material.clone(), lot: args.lot.clone() };
                match service.receive_coa(&actor, &bytes, CoaFormat::Pdf, pdf).await {
                    Ok(coa) => bar.suspend(|| println!("{}", report(&place, &coa))),
                    Err(e) => refuse(&place, &e),
                }
            }
            Ok((format, bytes)) => {
                batch.push((place, CoaSubmission { bytes, format, received_at: None }));
            }
        }
        if batch.len() == BATCH || (i + 1 == args.files.len() && !batch.is_empty()) {
            let (places, submissions): (Vec<String>, Vec<CoaSubmission>) =
                std::mem::take(&mut batch).into_iter().unzip();
            bar.inc(submissions.iter().map(|s| s.bytes.len() as u64).sum());
            pending.push_back(places);
            if let Some(outcomes) = pipeline.push(submissions).await? {
                show(&bar, pending.pop_front().unwrap_or_default(), outcomes, &mut refuse);
            }
        }
    }
    if let Some(outcomes) = pipeline.finish().await? {
        show(&bar, pending.pop_front().unwrap_or_default(), outcomes, &mut refuse);
    }
    bar.finish_and_clear();
    if refused > 0 {
        bail!("{refused} of {} file(s) refused, nothing stored of them", args.files.len());
    }
    Ok(())
}
