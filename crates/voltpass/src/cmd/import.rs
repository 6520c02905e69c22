use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use serde_json::Value;
use server::PassportService;
use server::service::{LineOutcome, ServiceError};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{local_actor, open_store};
use crate::progress;

/// Lines per transaction.
const CHUNK: usize = 1000;

#[derive(ClapArgs)]
pub struct Args {
    /// NDJSON file: one write body per line (full document, or item part with modelId); `-` for stdin.
    file: String,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// The lines are battery model records (each with modelId) instead of passports.
    #[arg(long)]
    models: bool,
    /// Stop at the first rejected line (lines before it stay written).
    #[arg(long)]
    fail_fast: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let service = PassportService::new(store);
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
    let (mut line_no, mut created, mut rejected) = (0usize, 0usize, 0usize);
    loop {
        let mut chunk: Vec<(usize, Result<Value, ServiceError>)> = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            let Some(line) = lines.next_line().await.with_context(|| format!("reading {}", args.file))? else {
                break;
            };
            line_no += 1;
            bar.inc(line.len() as u64 + 1);
            if line.trim().is_empty() {
                continue;
            }
            let parsed =
                serde_json::from_str(&line).map_err(|e| ServiceError::BadRequest(format!("malformed JSON: {e}")));
            chunk.push((line_no, parsed));
        }
        if chunk.is_empty() {
            break;
        }
        let numbers: Vec<usize> = chunk.iter().map(|(n, _)| *n).collect();
        let outcomes: Vec<LineOutcome> = if args.models {
            let mut out = Vec::new();
            for (_, body) in chunk {
                out.push(match body {
                    Ok(body) => match service.create_model(&actor, body).await {
                        Ok(m) => LineOutcome::Created { id: m.model_id },
                        Err(e) => LineOutcome::Failed(e),
                    },
                    Err(e) => LineOutcome::Failed(e),
                });
            }
            out
        } else {
            service.create_passports(&actor, chunk.into_iter().map(|(_, b)| b).collect(), false).await
        };
        for (n, outcome) in numbers.into_iter().zip(outcomes) {
            match outcome {
                LineOutcome::Created { .. } => created += 1,
                LineOutcome::NotWritten => {}
                LineOutcome::Failed(e) => {
                    rejected += 1;
                    bar.suspend(|| report(&args.file, n, &e));
                    if args.fail_fast {
                        bar.finish_and_clear();
                        bail!("stopped at line {n} of {}; {created} written before it", args.file);
                    }
                }
            }
        }
    }
    bar.finish_and_clear();
    let what = if args.models { "models" } else { "passports" };
    println!("imported {created} {what} from {} ({rejected} lines rejected)", args.file);
    if rejected > 0 {
        bail!("{rejected} lines were rejected (see above); the others were imported");
    }
    Ok(())
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
