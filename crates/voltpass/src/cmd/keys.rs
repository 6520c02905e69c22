use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use server::auth::{generate_key, key_hash};
use store::{Actor, LEGITIMATE_INTEREST_SUBROLES, Role};

use super::open_store;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create an actor with a new API key; the key is printed once and stored only as a hash.
    Create(CreateArgs),
    /// List actors (never keys).
    List {
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
    },
}

#[derive(ClapArgs)]
pub struct CreateArgs {
    /// admin, economic-operator, legitimate-interest, authority or supplier.
    #[arg(long)]
    role: String,
    /// Human-readable name of the key holder.
    #[arg(long)]
    name: String,
    /// Economic operator identifier this actor writes for (required for economic-operator).
    #[arg(long)]
    organisation: Option<String>,
    /// Legitimate-interest sub-role: repairer, remanufacturer, second-life-operator, recycler, purchaser.
    #[arg(long)]
    subrole: Option<String>,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
}

pub async fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create(args) => {
            let role = Role::parse(&args.role).with_context(|| {
                format!("unknown role `{}`: use one of {}", args.role, Role::ALL.map(Role::as_str).join(", "))
            })?;
            if role == Role::EconomicOperator && args.organisation.is_none() {
                bail!("an economic-operator key needs --organisation (the operator identifier in its passports)");
            }
            if let Some(subrole) = &args.subrole {
                if role != Role::LegitimateInterest {
                    bail!("--subrole is for legitimate-interest keys only");
                }
                if !LEGITIMATE_INTEREST_SUBROLES.contains(&subrole.as_str()) {
                    bail!("unknown sub-role `{subrole}`: use one of {}", LEGITIMATE_INTEREST_SUBROLES.join(", "));
                }
            }
            let store = open_store(&args.db).await?;
            let actor = Actor {
                id: format!("actor:{}", uuid::Uuid::now_v7()),
                name: args.name,
                role,
                organisation: args.organisation,
                subrole: args.subrole,
            };
            let key = generate_key();
            store.create_actor(&actor).await?;
            store.add_key(&actor.id, &key_hash(&key)).await?;
            eprintln!("created {} ({}) with role {}; the key is shown once:", actor.id, actor.name, actor.role);
            println!("{key}");
        }
        KeysCommand::List { db } => {
            let store = open_store(&db).await?;
            for a in store.list_actors().await? {
                let role = match &a.subrole {
                    Some(sub) => format!("{}/{sub}", a.role),
                    None => a.role.to_string(),
                };
                println!("{}\t{role}\t{}\t{}", a.id, a.organisation.as_deref().unwrap_or("-"), a.name);
            }
        }
    }
    Ok(())
}
