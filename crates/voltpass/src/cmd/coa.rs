//! `voltpass coa import FILE...`: receive electronic Certificates of Analysis from files, as the local
//! administrator, through the same service the REST API uses (parse, check, decide, store with the audit entry).

use anyhow::bail;
use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;
use server::PassportService;
use server::service::ServiceError;
use server::service::quality::{CoaFormat, PdfLot};
use std::path::PathBuf;

use super::{local_actor, open_store};
use crate::progress;

#[derive(Subcommand)]
pub enum CoaCommand {
    /// Import CoA files: eCoA JSON (`.json`), eCoA CSV (`.csv`) or the supplier's PDF (`.pdf`, with
    /// `--supplier`, `--material` and `--lot`). Each file is stored, or refused on its own.
    Import(ImportArgs),
}

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

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let actor = local_actor(&store).await?;
    let service = PassportService::new(store);
    let total: u64 = args.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = progress::bar(Some(total), "importing CoAs");
    let mut refused = 0usize;
    for file in &args.files {
        let place = file.display();
        let outcome = async {
            let format = CoaFormat::from_path(file)
                .ok_or_else(|| ServiceError::BadRequest("unknown format: name the file .json, .csv or .pdf".into()))?;
            let bytes = std::fs::read(file).map_err(|e| ServiceError::BadRequest(format!("cannot read it: {e}")))?;
            bar.inc(bytes.len() as u64);
            let pdf =
                PdfLot { supplier: args.supplier.clone(), material: args.material.clone(), lot: args.lot.clone() };
            service.receive_coa(&actor, &bytes, format, pdf).await
        }
        .await;
        match outcome {
            Ok(coa) => {
                let decision = coa.decision.as_ref();
                let outcome = decision.map_or("undecided", |d| d.outcome.as_str());
                let mut report = format!(
                    "{place}: {} revision {} of lot {}/{}/{}: {outcome}",
                    coa.id, coa.revision, coa.supplier_id, coa.material_id, coa.lot_number
                );
                for reason in decision.and_then(|d| d.reasons.as_array()).into_iter().flatten() {
                    report.push_str(&format!("\n  - {}", describe(reason)));
                }
                bar.suspend(|| println!("{report}"));
            }
            Err(e) => {
                refused += 1;
                bar.suspend(|| eprintln!("{place}: refused: {e}"));
            }
        }
    }
    bar.finish_and_clear();
    if refused > 0 {
        bail!("{refused} of {} file(s) refused, nothing stored of them", args.files.len());
    }
    Ok(())
}
