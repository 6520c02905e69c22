use anyhow::Context;
use clap::Args as ClapArgs;
use server::{AppState, Config, RateLimit};
use std::num::NonZeroU32;
use std::time::Duration;

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
    /// URL the public reaches this server under (QR codes, JSON-LD ids; https makes cookies Secure).
    #[arg(long, env = "VOLTPASS_PUBLIC_URL", default_value = server::DEFAULT_PUBLIC_URL)]
    public_url: String,
    /// Requests per second per client address on the public routes (0 = unlimited).
    #[arg(long, default_value_t = server::DEFAULT_PUBLIC_RATE_LIMIT.per_second.get())]
    rate_limit: u32,
    /// Burst of requests a client address may send at once on the public routes.
    #[arg(long, default_value_t = server::DEFAULT_PUBLIC_RATE_LIMIT.burst.get())]
    rate_burst: u32,
    /// Behind a reverse proxy: take the client address from the last X-Forwarded-For entry.
    #[arg(long)]
    trust_forwarded_for: bool,
    /// Memory for finished public answers (resolver JSON, JSON-LD, pages), in MiB; 0 = no cache.
    #[arg(long, default_value_t = server::DEFAULT_PUBLIC_CACHE_BYTES / (1024 * 1024))]
    public_cache_mib: u64,
    /// Seconds a cached public answer is reused. Writes through this server forget answers at once; raise it
    /// when every write goes through this one server, keep it short when several servers share PostgreSQL.
    #[arg(long, default_value_t = server::service::public_cache::DEFAULT_TTL.as_secs())]
    public_cache_ttl_s: u64,
    /// Subscribe to readings on this MQTT broker (mqtt://HOST:PORT), one topic per passport.
    #[arg(long, env = "VOLTPASS_MQTT")]
    mqtt: Option<String>,
    /// Topic prefix: readings of passport ID arrive on PREFIX/ID.
    #[arg(long, default_value = server::mqtt::DEFAULT_TOPIC_PREFIX)]
    mqtt_topic: String,
    /// Topic prefix of production events: events of economic operator ORG arrive on PREFIX/ORG.
    #[arg(long, default_value = server::mqtt::DEFAULT_TRACE_TOPIC_PREFIX)]
    mqtt_trace_topic: String,
    /// MQTT client id; the broker keeps unacknowledged readings for it while the server is down.
    #[arg(long, default_value = "voltpass-server")]
    mqtt_client_id: String,
    /// Seconds between renewals of the MQTT subscriber's lease: servers sharing a store subscribe one at a time,
    /// and another takes over within three of these after the subscribing one stops.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    mqtt_lease_interval_s: u64,
    /// Seconds between signed checkpoints of the audit chain (needs a voltpass-server issuer key; 0 = none).
    #[arg(long, default_value_t = 300)]
    checkpoint_interval_s: u64,
    /// Seconds between retries of held production events (events naming units not seen yet; 0 = only with each
    /// operator's next batch).
    #[arg(long, default_value_t = 60)]
    trace_retry_interval_s: u64,
    /// Seconds between recomputations of model roll-ups (models whose latest version a roll-up wrote get a new
    /// version when their genealogy changed a value; 0 = only on request).
    #[arg(long, default_value_t = 300)]
    rollup_interval_s: u64,
    /// Actor id of a dataspace connector's data plane (repeatable): only its requests may name the consumer's
    /// BPN in the `Edc-Bpn` header.
    #[arg(long = "trusted-connector", value_name = "ACTOR_ID")]
    trusted_connectors: Vec<String>,
    /// Public data-plane URL of the connector fronting the AAS API: registry endpoints then point there.
    #[arg(long, requires = "aas_dsp_endpoint")]
    aas_data_plane: Option<String>,
    /// The connector's DSP endpoint, written into the endpoints' `subprotocolBody`.
    #[arg(long, requires = "aas_data_plane")]
    aas_dsp_endpoint: Option<String>,
    /// Weights of the supplier score, e.g. `acceptance=30,ppm=20,completeness=15,onTime=10,capability=15,alarms=10`
    /// (unnamed ones keep these defaults); a request's `weights` parameter overrides single ones.
    #[arg(long, value_parser = parse_weights, default_value = "")]
    scorecard_weights: quality::scorecard::Weights,
    /// A CoA received more than this many days after its lot's manufacture counts as late.
    #[arg(long, default_value_t = server::service::scorecard::DEFAULT_ON_TIME_DAYS)]
    coa_on_time_days: u32,
    /// Carbon footprint factors and performance classes (JSON: productionKwhPerKwh, plantKgCo2ePerKwh,
    /// distributionKgCo2ePerKg, endOfLifeKgCo2ePerKg, classes [[name, upper bound], ...]); placeholders otherwise.
    #[arg(long, value_name = "FILE")]
    footprint_factors: Option<std::path::PathBuf>,
}

fn parse_weights(text: &str) -> Result<quality::scorecard::Weights, String> {
    text.parse().map_err(|e: quality::scorecard::ScorecardError| e.to_string())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let public_url = args.public_url.trim_end_matches('/').to_string();
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        anyhow::bail!("--public-url must be an http:// or https:// URL, got `{public_url}`");
    }
    let public_rate_limit = match (NonZeroU32::new(args.rate_limit), NonZeroU32::new(args.rate_burst)) {
        (Some(per_second), Some(burst)) => Some(RateLimit { per_second, burst }),
        (None, _) => None,
        (Some(_), None) => anyhow::bail!("--rate-burst must be at least 1"),
    };
    let config = Config {
        max_body_bytes: args.max_body_bytes,
        max_bulk_bytes: args.max_bulk_bytes,
        public_base_url: public_url,
        public_rate_limit,
        trust_forwarded_for: args.trust_forwarded_for,
        public_cache_bytes: args.public_cache_mib * 1024 * 1024,
        public_cache_ttl: std::time::Duration::from_secs(args.public_cache_ttl_s),
        trusted_connectors: args.trusted_connectors,
        aas_connector: match (args.aas_data_plane, args.aas_dsp_endpoint) {
            (Some(data_plane), Some(dsp_endpoint)) => Some(interop::aas::Connector { data_plane, dsp_endpoint }),
            _ => None,
        },
        scorecard_weights: args.scorecard_weights,
        coa_on_time_days: args.coa_on_time_days,
        footprint_factors: match &args.footprint_factors {
            Some(path) => {
                let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
                serde_json::from_slice(&text)
                    .with_context(|| format!("{} is not a set of footprint factors", path.display()))?
            }
            None => trace::rollup::FootprintFactors::default(),
        },
        ..Config::default()
    };
    let state = AppState::new(store.clone(), config);
    if args.demo {
        super::demo::seed_if_empty(&state.service, 1000).await?;
        let key = super::demo::demo_admin_key(&store).await?;
        println!("demo admin key (shown once): {key}");
    }
    // Background jobs run on one server at a time when several share the store (a lease per job).
    let holder = server::jobs::holder_id();
    let seconds = std::time::Duration::from_secs;
    if let Some(url) = &args.mqtt {
        let actor = super::mqtt_actor(&store).await?;
        let config = server::mqtt::MqttConfig {
            url: url.clone(),
            topic_prefix: args.mqtt_topic.clone(),
            trace_topic_prefix: args.mqtt_trace_topic.clone(),
            client_id: args.mqtt_client_id.clone(),
            actor,
        };
        let every = seconds(args.mqtt_lease_interval_s);
        server::mqtt::spawn_leased(state.service.clone(), config, holder.clone(), every)?;
        println!("readings over MQTT: {url}, topics {}/<passport id>", args.mqtt_topic);
        println!("production events over MQTT: {url}, topics {}/<operator id>", args.mqtt_trace_topic);
    }
    if args.checkpoint_interval_s > 0 {
        spawn_checkpoints(store.clone(), holder.clone(), seconds(args.checkpoint_interval_s));
    }
    if args.trace_retry_interval_s > 0 {
        let system =
            super::system_actor(&store, "local:trace-retry".into(), "held production event retries".into()).await?;
        spawn_trace_retries(state.service.clone(), system, holder.clone(), seconds(args.trace_retry_interval_s));
    }
    if args.rollup_interval_s > 0 {
        let system = super::system_actor(&store, "local:rollup".into(), "model roll-up recomputation".into()).await?;
        let factors = state.config.footprint_factors.clone();
        spawn_rollup_refresh(state.service.clone(), system, factors, holder, seconds(args.rollup_interval_s));
    }
    let listener =
        tokio::net::TcpListener::bind(&args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    println!("voltpass listening on http://{}", listener.local_addr()?);
    server::serve(listener, state).await.context("server failed")
}

/// Retries held production events now and then, so they do not wait for their operator's next batch.
fn spawn_trace_retries(service: server::PassportService, system: store::Actor, holder: String, every: Duration) {
    let store = service.store().clone();
    server::jobs::spawn_leased(store, "trace-retries", holder, every, move || {
        let (service, system) = (service.clone(), system.clone());
        async move {
            match service.retry_trace_backlog(&system).await {
                Ok(0) => {}
                Ok(released) => tracing::info!(released, "held production events applied"),
                Err(e) => tracing::warn!("retrying held production events failed: {e}"),
            }
        }
    });
}

/// Recomputes model roll-ups now and then, so a model's passport fields follow its genealogy.
fn spawn_rollup_refresh(
    service: server::PassportService,
    system: store::Actor,
    factors: trace::rollup::FootprintFactors,
    holder: String,
    every: Duration,
) {
    let store = service.store().clone();
    server::jobs::spawn_leased(store, "rollup-refresh", holder, every, move || {
        let (service, system, factors) = (service.clone(), system.clone(), factors.clone());
        async move {
            match service.refresh_model_rollups(&system, &factors).await {
                Ok(0) => {}
                Ok(written) => tracing::info!(written, "model roll-ups recomputed"),
                Err(e) => tracing::warn!("recomputing model roll-ups failed: {e}"),
            }
        }
    });
}

/// Signs the audit chain head now and then, so a rewritten history cannot match a checkpoint.
fn spawn_checkpoints(store: std::sync::Arc<dyn store::Store>, holder: String, every: Duration) {
    server::jobs::spawn_leased(store.clone(), "audit-checkpoints", holder, every, move || {
        let store = store.clone();
        async move {
            match server::service::audit::checkpoint(&store).await {
                Ok(Some(c)) => tracing::info!(seq = c.seq, "audit checkpoint signed"),
                Ok(None) => {}
                Err(e) => tracing::debug!("no audit checkpoint: {e}"),
            }
        }
    });
}
