//! CLI subcommands. Each opens the store, acts as a local actor, and reports with context.

pub mod demo;
pub mod export;
pub mod import;
pub mod keys;
pub mod labels;
pub mod qr;
pub mod serve;

use anyhow::Context;
use std::sync::Arc;
use store::{Actor, Role, Store};

/// Opens the store at `url` with a readable error.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    store::open(url).await.with_context(|| format!("cannot open the store at {url}"))
}

/// The actor CLI writes are recorded under: `local:<user>`, an admin (whoever runs the CLI on the
/// server machine can read the database file anyway). Created on first use.
pub async fn local_actor(store: &Arc<dyn Store>) -> anyhow::Result<Actor> {
    let user = std::env::var("USER").unwrap_or_else(|_| "cli".into());
    let id = format!("local:{user}");
    if let Some(actor) = store.actor(&id).await? {
        return Ok(actor);
    }
    let actor =
        Actor { id, name: format!("{user} (command line)"), role: Role::Admin, organisation: None, subrole: None };
    store.create_actor(&actor).await.context("cannot record the local actor")?;
    Ok(actor)
}
