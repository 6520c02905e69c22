//! CLI subcommands. Each opens the store, acts as a local actor, and reports with context.

pub mod audit;
pub mod backup;
pub mod demo;
pub mod export;
pub mod import;
pub mod issuer;
pub mod keys;
pub mod labels;
pub mod qr;
pub mod serve;
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
    let id = format!("local:{user}");
    if let Some(actor) = store.actor(&id).await? {
        return Ok(actor);
    }
    let actor =
        Actor { id, name: format!("{user} (command line)"), role: Role::Admin, organisation: None, subrole: None };
    store.create_actor(&actor).await.context("cannot record the local actor")?;
    Ok(actor)
}

/// The actor MQTT readings are recorded under: `local:mqtt`, a system actor of the server machine. Who may
/// publish to the readings topics is the broker's access control (its ACL file or plugin).
pub async fn mqtt_actor(store: &Arc<dyn Store>) -> anyhow::Result<Actor> {
    let id = "local:mqtt".to_string();
    if let Some(actor) = store.actor(&id).await? {
        return Ok(actor);
    }
    let actor = Actor { id, name: "MQTT readings bridge".into(), role: Role::Admin, organisation: None, subrole: None };
    store.create_actor(&actor).await.context("cannot record the MQTT actor")?;
    Ok(actor)
}
