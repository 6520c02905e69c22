//! `voltpass audit`: re-check the whole record, and sign checkpoints of the audit chain.

use anyhow::bail;
use clap::Subcommand;
use server::service::audit::{self, Progress};

use super::open_store;
use crate::progress;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Re-walk every hash chain, signature and checkpoint; exits non-zero naming each broken link.
    Verify {
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
    },
    /// Sign the audit chain's current head with the voltpass-server key.
    Checkpoint {
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
    },
}

pub async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { db } => verify(&db).await,
        AuditCommand::Checkpoint { db } => {
            let store = open_store(&db).await?;
            match audit::checkpoint(&store).await? {
                Some(c) => println!("checkpoint at {}: {} signed by {}", c.seq, c.hash, c.key_id),
                None => println!("nothing new since the last checkpoint"),
            }
            Ok(())
        }
    }
}

async fn verify(db: &str) -> anyhow::Result<()> {
    let store = open_store(db).await?;
    let bar = progress::bar(None, "verifying");
    let report = audit::verify_store(&store, |p| {
        let (what, n) = match p {
            Progress::Models(n) => ("models", n),
            Progress::Passports(n) => ("passports", n),
            Progress::AuditEntries(n) => ("audit entries", n),
        };
        bar.set_message(what);
        bar.set_position(n);
    })
    .await?;
    bar.finish_and_clear();
    for finding in &report.findings {
        println!("{finding}");
    }
    let counts = format!(
        "{} passports ({} versions), {} models ({} versions), {} signatures, {} audit entries, {} checkpoints",
        report.passports,
        report.passport_versions,
        report.models,
        report.model_versions,
        report.signatures,
        report.audit_entries,
        report.checkpoints
    );
    if !report.is_intact() {
        bail!("{} broken links found; checked {counts}", report.findings.len());
    }
    println!("intact: {counts}");
    Ok(())
}
