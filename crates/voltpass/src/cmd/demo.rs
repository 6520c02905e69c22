use anyhow::Context;
use clap::Args as ClapArgs;
use passport::demo::{self, DemoModel};
use passport::fixtures::{item_body, model_body};
use serde_json::Value;
use server::PassportService;
use server::auth::{generate_key, key_hash};
use server::service::{BulkLine, LineOutcome};
use std::sync::Arc;
use store::{Actor, PassportFilter, Role, Store};

use super::{local_actor, open_store};

#[derive(ClapArgs)]
pub struct Args {
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// Number of item passports.
    #[arg(long, default_value_t = 1000)]
    count: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let service = PassportService::new(store);
    // Versions written here are signed like the server's, with the operators' issuer keys.
    service.load_keys().await.context("cannot load the issuer keys")?;
    let created = seed(&service, args.count).await?;
    println!("seeded {} battery models and {created} passports into {}", DemoModel::ALL.len(), args.db);
    Ok(())
}

/// Seeds unless passports exist already (so `serve --demo` can be restarted).
pub async fn seed_if_empty(service: &PassportService, count: usize) -> anyhow::Result<()> {
    if service.store().list_passports(&PassportFilter::default(), None, 1).await?.is_empty() {
        let created = seed(service, count).await?;
        eprintln!("demo: seeded {} battery models and {created} passports", DemoModel::ALL.len());
    }
    Ok(())
}

async fn seed(service: &PassportService, count: usize) -> anyhow::Result<usize> {
    let actor = local_actor(service.store()).await?;
    for model in DemoModel::ALL {
        if service.store().model(model.model_id(), None).await?.is_none() {
            service
                .create_model(&actor, model_body(model))
                .await
                .with_context(|| format!("demo model {}", model.model_id()))?;
        }
    }
    let seed = rand::random::<u64>();
    let mut created = 0;
    let docs: Vec<Value> = demo::passports(count, seed).collect();
    for chunk in docs.chunks(1000) {
        let bodies = chunk.iter().map(|d| BulkLine::Json(item_body(d))).collect();
        for outcome in service.create_passports(&actor, bodies, false).await {
            match outcome {
                LineOutcome::Created { .. } => created += 1,
                LineOutcome::Failed(e) => anyhow::bail!("demo passport rejected: {e} {:?}", e),
                LineOutcome::NotWritten => {}
            }
        }
    }
    Ok(created)
}

/// A fresh admin key for trying the demo.
pub async fn demo_admin_key(store: &Arc<dyn Store>) -> anyhow::Result<String> {
    let actor = Actor {
        id: format!("actor:{}", uuid::Uuid::now_v7()),
        name: "demo admin".into(),
        role: Role::Admin,
        organisation: None,
        subrole: None,
    };
    let key = generate_key();
    store.create_actor(&actor).await?;
    store.add_key(&actor.id, &key_hash(&key)).await?;
    Ok(key)
}
