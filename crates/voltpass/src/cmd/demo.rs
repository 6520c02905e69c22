use anyhow::Context;
use clap::Args as ClapArgs;
use passport::demo::{self, DemoModel};
use passport::fixtures::{item_body, model_body};
use serde_json::Value;
use server::PassportService;
use server::auth::{generate_key, key_hash};
use server::service::quality::{CoaFormat, CoaSubmission};
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
    let coas = seed_quality(&service).await?;
    println!("seeded {} suppliers and {coas} CoAs over two years", quality::demo::suppliers().len());
    Ok(())
}

/// Seeds unless passports exist already (so `serve --demo` can be restarted).
pub async fn seed_if_empty(service: &PassportService, count: usize) -> anyhow::Result<()> {
    if service.store().list_passports(&PassportFilter::default(), None, 1).await?.is_empty() {
        let created = seed(service, count).await?;
        eprintln!("demo: seeded {} battery models and {created} passports", DemoModel::ALL.len());
    }
    let coas = seed_quality(service).await?;
    if coas > 0 {
        eprintln!("demo: seeded {} suppliers and {coas} CoAs over two years", quality::demo::suppliers().len());
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

/// Demo CoAs per transaction.
const COA_BATCH: usize = 500;

/// Two years of CoAs from the demo suppliers (one drifts, one sends incomplete certificates), received on
/// their historical dates so the scorecards have a history; unless the store holds CoAs already.
pub async fn seed_quality(service: &PassportService) -> anyhow::Result<usize> {
    if !service.store().coa_suppliers().await?.is_empty() {
        return Ok(0);
    }
    let actor = local_actor(service.store()).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let coas = quality::demo::coas(today, 2, rand::random::<u64>());
    let mut stored = 0;
    for chunk in coas.chunks(COA_BATCH) {
        let mut submissions = Vec::with_capacity(chunk.len());
        for demo in chunk {
            submissions.push(CoaSubmission {
                bytes: serde_json::to_vec(&demo.coa)?,
                format: CoaFormat::Json,
                received_at: Some(demo.received_on.with_hms(9, 0, 0)?.assume_utc()),
            });
        }
        for outcome in service.receive_coas(&actor, submissions).await? {
            outcome.context("demo CoA refused")?;
            stored += 1;
        }
    }
    Ok(stored)
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
