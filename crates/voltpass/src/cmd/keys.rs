use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use server::auth::{generate_key, key_hash};
use store::{Actor, KeySelector, LEGITIMATE_INTEREST_SUBROLES, Role};

use super::open_store;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create an actor with a new API key; the key is printed once and stored only as a hash.
    Create(CreateArgs),
    /// List actors (never keys).
    List {
        #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
        db: String,
        /// List the keys instead: fingerprint, holder, created, expires, revoked.
        #[arg(long)]
        keys: bool,
    },
    /// Revoke one key (by the fingerprint `list --keys` shows) or every key of an actor. Servers stop accepting
    /// it within 30 s (at once when revoked through `POST /api/v1/keys/revoke`).
    Revoke(RevokeArgs),
}

#[derive(ClapArgs)]
pub struct RevokeArgs {
    /// The key's fingerprint (at least 8 hex digits).
    #[arg(long, required_unless_present = "actor", conflicts_with = "actor")]
    fingerprint: Option<String>,
    /// Revoke every key of this actor.
    #[arg(long)]
    actor: Option<String>,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
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
    /// The key stops working after this many days (it works until revoked otherwise).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    expires_in_days: Option<u32>,
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
            let expires_at = args
                .expires_in_days
                .map(|days| time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)));
            store.add_key_until(&actor.id, &key_hash(&key), expires_at).await?;
            let until = expires_at.map(|t| format!(", valid until {}", rfc3339(t))).unwrap_or_default();
            eprintln!("created {} ({}) with role {}{until}; the key is shown once:", actor.id, actor.name, actor.role);
            println!("{key}");
        }
        KeysCommand::List { db, keys: true } => {
            let store = open_store(&db).await?;
            let stamp = |t: Option<time::OffsetDateTime>| t.map_or("-".to_string(), rfc3339);
            for k in store.list_keys().await? {
                let revoked =
                    k.revoked_at.map(|t| format!("revoked {} by {}", rfc3339(t), k.revoked_by.unwrap_or_default()));
                let state = revoked.unwrap_or_else(|| format!("expires {}", stamp(k.expires_at)));
                println!("{}\t{}\tcreated {}\t{state}", k.fingerprint, k.actor_id, rfc3339(k.created_at));
            }
        }
        KeysCommand::Revoke(args) => {
            let store = open_store(&args.db).await?;
            let by = super::local_actor(&store).await?;
            let which = match (args.fingerprint, args.actor) {
                (Some(fingerprint), _) => KeySelector::Fingerprint(fingerprint),
                (None, Some(actor)) => KeySelector::Actor(actor),
                (None, None) => bail!("give --fingerprint or --actor"),
            };
            let revoked = store.revoke_keys(&which, &by.id).await.context("cannot revoke")?;
            println!("revoked {revoked} key(s)");
        }
        KeysCommand::List { db, keys: false } => {
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

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}
