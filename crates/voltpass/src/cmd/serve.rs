use anyhow::Context;
use clap::Args as ClapArgs;
use server::{AppState, Config};

use super::open_store;

#[derive(ClapArgs)]
pub struct Args {
    /// sqlite://PATH (embedded, the default) or postgres://USER@HOST/DB.
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// Address to listen on.
    #[arg(long, env = "VOLTPASS_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Seed the demo models and 1,000 passports if the store has none, and print an admin key.
    #[arg(long)]
    demo: bool,
    /// Largest request body for single writes, in bytes.
    #[arg(long, default_value_t = server::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Largest NDJSON body for bulk writes, in bytes.
    #[arg(long, default_value_t = server::DEFAULT_MAX_BULK_BYTES)]
    max_bulk_bytes: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let config =
        Config { max_body_bytes: args.max_body_bytes, max_bulk_bytes: args.max_bulk_bytes, ..Config::default() };
    let state = AppState::new(store.clone(), config);
    if args.demo {
        super::demo::seed_if_empty(&state.service, 1000).await?;
        let key = super::demo::demo_admin_key(&store).await?;
        println!("demo admin key (shown once): {key}");
    }
    let listener =
        tokio::net::TcpListener::bind(&args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    println!("voltpass listening on http://{}", listener.local_addr()?);
    server::serve(listener, state).await.context("server failed")
}
