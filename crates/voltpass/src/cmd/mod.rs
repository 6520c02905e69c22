//! CLI subcommands. Each opens the store, acts as a local actor, and reports with context.

pub mod audit;
pub mod backup;
pub mod catenax;
pub mod coa;
pub mod demo;
pub mod export;
pub mod import;
pub mod issuer;
pub mod keys;
pub mod labels;
pub mod qr;
pub mod serve;
pub mod trace;
pub mod verify;

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
    system_actor(store, format!("local:{user}"), format!("{user} (command line)")).await
}

/// The actor MQTT readings are recorded under: `local:mqtt`, a system actor of the server machine. Who may
/// publish to the readings topics is the broker's access control (its ACL file or plugin).
pub async fn mqtt_actor(store: &Arc<dyn Store>) -> anyhow::Result<Actor> {
    system_actor(store, "local:mqtt".into(), "MQTT readings bridge".into()).await
}

/// An administrator actor of this machine, created on first use.
pub(crate) async fn system_actor(store: &Arc<dyn Store>, id: String, name: String) -> anyhow::Result<Actor> {
    if let Some(actor) = store.actor(&id).await? {
        return Ok(actor);
    }
    let actor = Actor { id, name, role: Role::Admin, organisation: None, subrole: None };
    store.create_actor(&actor).await.with_context(|| format!("cannot record the actor {}", actor.id))?;
    Ok(actor)
}
