use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use server::PassportService;
use server::import::BATCH_LINES as CHUNK;
use server::import::Importer;
use server::service::{BulkLine, LineOutcome, ServiceError};
use std::collections::VecDeque;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{local_actor, open_store};
use crate::progress;

#[derive(ClapArgs)]
pub struct Args {
    /// NDJSON file: one write body per line (full document, or item part with modelId); `-` for stdin.
    file: String,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// The lines are battery model records (each with modelId) instead of passports.
    #[arg(long)]
    models: bool,
    /// Keep the passport identifiers the documents carry (e.g. moving an `export` to another store);
    /// by default the store assigns new ones.
    #[arg(long)]
    keep_ids: bool,
}

/// Counts and reports outcomes as they come back, with the input line they belong to.
struct Tally<'a> {
    file: &'a str,
    created: usize,
    rejected: usize,
}

impl Tally<'_> {
    fn record(&mut self, line: usize, outcome: LineOutcome) {
        match outcome {
            LineOutcome::Created { .. } => self.created += 1,
            LineOutcome::NotWritten => {}
            LineOutcome::Failed(e) => {
                self.rejected += 1;
                report(self.file, line, &e);
            }
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let service = PassportService::new(store);
    // Versions written here are signed like the server's, with the operators' issuer keys.
    service.load_keys().await.context("cannot load the issuer keys")?;
    let actor = local_actor(service.store()).await?;
    let (reader, size): (Box<dyn tokio::io::AsyncRead + Unpin>, Option<u64>) = if args.file == "-" {
        (Box::new(tokio::io::stdin()), None)
    } else {
        let file = tokio::fs::File::open(&args.file).await.with_context(|| format!("cannot open {}", args.file))?;
        let size = file.metadata().await.ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let bar = progress::bar(size, "importing");
    let mut lines = BufReader::new(reader).lines();
    let mut tally = Tally { file: &args.file, created: 0, rejected: 0 };
    let mut importer = Importer::new(service.clone(), actor.clone());
    if args.keep_ids {
        importer = importer.keeping_ids();
    }
    // Line numbers of the batches whose outcomes have not come back yet.
    let mut numbers: VecDeque<usize> = VecDeque::new();
    let mut line_no = 0usize;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            let Some(line) = lines.next_line().await.with_context(|| format!("reading {}", args.file))? else { break };
            line_no += 1;
            bar.inc(line.len() as u64 + 1);
            if !line.trim().is_empty() {
                numbers.push_back(line_no);
                chunk.push(BulkLine::Text(line));
            }
        }
        if chunk.is_empty() {
            break;
        }
        let outcomes =
            if args.models { create_models(&service, &actor, chunk).await } else { importer.push(chunk).await };
        for outcome in outcomes {
            let line = numbers.pop_front().unwrap_or_default();
            bar.suspend(|| tally.record(line, outcome));
        }
    }
    for outcome in importer.finish().await {
        let line = numbers.pop_front().unwrap_or_default();
        bar.suspend(|| tally.record(line, outcome));
    }
    bar.finish_and_clear();
    let what = if args.models { "models" } else { "passports" };
    println!("imported {} {what} from {} ({} lines rejected)", tally.created, args.file, tally.rejected);
    if tally.rejected > 0 {
        bail!("{} lines were rejected (see above); the others were imported", tally.rejected);
    }
    Ok(())
}

async fn create_models(service: &PassportService, actor: &store::Actor, lines: Vec<BulkLine>) -> Vec<LineOutcome> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let body = match line {
            BulkLine::Text(text) => {
                serde_json::from_str(&text).map_err(|e| ServiceError::BadRequest(format!("malformed JSON: {e}")))
            }
            BulkLine::Json(value) => Ok(value),
            BulkLine::Failed(e) => Err(e),
        };
        out.push(match body {
            Ok(body) => match service.create_model(actor, body).await {
                Ok(m) => LineOutcome::Created { id: m.model_id },
                Err(e) => LineOutcome::Failed(e),
            },
            Err(e) => LineOutcome::Failed(e),
        });
    }
    out
}

fn report(file: &str, line: usize, e: &ServiceError) {
    match e {
        ServiceError::Invalid(violations) => {
            for v in violations {
                eprintln!("{file}:{line}: {v}");
            }
        }
        other => eprintln!("{file}:{line}: {other}"),
    }
}
