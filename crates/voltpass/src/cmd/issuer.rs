//! `voltpass keys issuer`: the Ed25519 keys passport versions and audit checkpoints are signed with.

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use interop::IssuerKey;
use server::service::signing::next_key_id;
use store::IssuerKeyRecord;
use time::format_description::well_known::Rfc3339;

use super::{local_actor, open_store};

#[derive(Subcommand)]
pub enum IssuerCommand {
    /// Create an operator's signing key; its previous key is retired (old signatures keep verifying).
    /// `--operator voltpass-server` creates the key that signs audit checkpoints and backups.
    #[command(visible_alias = "rotate")]
    Create(CreateArgs),
    /// List issuer keys: id, operator, public key, created, retired (never secrets).
    List {
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
    },
}

#[derive(ClapArgs)]
pub struct CreateArgs {
    /// Economic operator identifier (as in its passports' operatorInformation.identifier), or voltpass-server.
    #[arg(long)]
    operator: String,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
}

pub async fn run(command: IssuerCommand) -> anyhow::Result<()> {
    match command {
        IssuerCommand::Create(args) => create(args).await,
        IssuerCommand::List { db } => list(&db).await,
    }
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let actor = local_actor(&store).await?;
    let existing = store.issuer_keys().await?;
    let previous = existing.iter().find(|k| k.operator == args.operator && k.retired_at.is_none()).cloned();
    let key = IssuerKey::generate(next_key_id(&args.operator, &existing))
        .with_context(|| format!("cannot make a key id for operator `{}`", args.operator))?;
    let now = time::OffsetDateTime::now_utc();
    let record = IssuerKeyRecord {
        key_id: key.key_id().to_string(),
        operator: args.operator.clone(),
        public_multibase: key.public_multibase(),
        secret_hex: hex::encode(key.secret_bytes()),
        // Microseconds: what both databases keep.
        created_at: now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now),
        retired_at: None,
    };
    store.add_issuer_key(&record, &actor.id).await.context("cannot store the issuer key")?;
    println!("{}\t{}\t{}", record.key_id, record.operator, record.public_multibase);
    match previous {
        Some(old) => eprintln!("created {}; {} is retired (its signatures keep verifying)", record.key_id, old.key_id),
        None => eprintln!("created {} for {}", record.key_id, record.operator),
    }
    eprintln!("running servers sign with it once they reload their keys (restart them)");
    Ok(())
}

async fn list(db: &str) -> anyhow::Result<()> {
    let store = open_store(db).await?;
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    for key in store.issuer_keys().await? {
        let retired = key.retired_at.map_or_else(|| "active".to_string(), time);
        let usage = if key.secret_hex.is_empty() { "\tverify-only" } else { "" };
        println!(
            "{}\t{}\t{}\t{}\t{retired}{usage}",
            key.key_id,
            key.operator,
            key.public_multibase,
            time(key.created_at)
        );
    }
    Ok(())
}
