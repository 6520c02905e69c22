//! The voltpass HTTP server: the operator REST API (this crate's routes), authentication, RFC 9457 errors and
//! the OpenAPI document. Domain rules live in `passport`; storage in `store`; the [`service`] module joins them.

pub mod auth;
mod body;
pub mod import;
pub mod jobs;
pub mod mqtt;
mod negotiate;
pub mod problem;
pub mod ratelimit;
mod routes;
pub mod security;
pub mod service;
pub mod viewer;

use axum::Router;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use store::Store;

pub use ratelimit::RateLimit;
pub use routes::openapi_document;
pub use service::PassportService;

/// Default largest body of a single write (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default largest NDJSON body of a bulk write (256 MiB).
pub const DEFAULT_MAX_BULK_BYTES: usize = 256 * 1024 * 1024;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body for single writes, in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Largest NDJSON body for `POST /api/v1/passports:bulk`, in bytes.
    pub max_bulk_bytes: usize,
    /// Largest `limit` a list request may ask for.
    pub max_page_size: i64,
    /// Where the public reaches this server (no trailing slash): QR codes and JSON-LD `@id`s use it, and an
    /// `https://` URL makes session cookies `Secure`.
    pub public_base_url: String,
    /// Per-address limit on the public routes (resolver, pages, QR codes); `None` = unlimited.
    pub public_rate_limit: Option<RateLimit>,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// Memory for finished public resolver answers, in bytes (0 = no cache).
    pub public_cache_bytes: u64,
    /// How long a cached public answer is reused when no write through this server forgot it first.
    pub public_cache_ttl: std::time::Duration,
    /// Actors whose requests may carry the consumer's BPN in `Edc-Bpn`: the data planes of the dataspace
    /// connectors in front of this server. From anyone else the header is ignored.
    pub trusted_connectors: Vec<String>,
    /// When a connector fronts the AAS API, the registry's submodel endpoints point at its data plane.
    pub aas_connector: Option<interop::aas::Connector>,
    /// Weights of the supplier score's components (a request may override single ones).
    pub scorecard_weights: quality::scorecard::Weights,
    /// A CoA received more than this many days after its lot's manufacture is late.
    pub coa_on_time_days: u32,
    /// Plant, distribution and end-of-life factors and performance classes of the carbon footprint roll-up.
    pub footprint_factors: trace::rollup::FootprintFactors,
    /// Longest time a request may take to be answered, body upload included (longer: 408); bulk writes excepted.
    pub request_timeout: std::time::Duration,
    /// The same for bulk writes (`passports:bulk`, NDJSON readings, production events).
    pub bulk_timeout: std::time::Duration,
    /// How long a key holder once looked up is trusted before the store is asked again: a key revoked through
    /// another server (or the CLI) stops working here within this time.
    pub key_recheck: std::time::Duration,
}

/// Default time limit of a request (30 s): a slow client cannot hold a connection and a task for long.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Default time limit of a bulk write (30 min: 256 MiB of NDJSON over a slow link).
pub const DEFAULT_BULK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Default memory for cached public answers (256 MiB: the public JSON of ~40,000 passports).
pub const DEFAULT_PUBLIC_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Default public URL, matching `voltpass serve`'s default address.
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";

/// Default public rate limit per client address: a person scanning codes never gets near it.
pub const DEFAULT_PUBLIC_RATE_LIMIT: RateLimit =
    RateLimit { per_second: NonZeroU32::new(20).expect("non-zero"), burst: NonZeroU32::new(60).expect("non-zero") };

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_bulk_bytes: DEFAULT_MAX_BULK_BYTES,
            max_page_size: 1000,
            public_base_url: DEFAULT_PUBLIC_URL.to_string(),
            public_rate_limit: Some(DEFAULT_PUBLIC_RATE_LIMIT),
            trust_forwarded_for: false,
            public_cache_bytes: DEFAULT_PUBLIC_CACHE_BYTES,
            public_cache_ttl: service::public_cache::DEFAULT_TTL,
            trusted_connectors: Vec::new(),
            aas_connector: None,
            scorecard_weights: quality::scorecard::Weights::default(),
            footprint_factors: trace::rollup::FootprintFactors::default(),
            coa_on_time_days: service::scorecard::DEFAULT_ON_TIME_DAYS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            bulk_timeout: DEFAULT_BULK_TIMEOUT,
            key_recheck: service::keys::KEY_RECHECK,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub service: PassportService,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let service = PassportService::new(store)
            .with_public_cache(config.public_cache_bytes, config.public_cache_ttl)
            .with_key_recheck(config.key_recheck);
        AppState { service, config: Arc::new(config) }
    }
}

/// The complete router.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// Serves until the process is stopped (Ctrl-C or SIGTERM), finishing in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, backend = state.service.store().backend(), "voltpass listening");
    if let Err(e) = state.service.load_keys().await {
        tracing::warn!("issuer keys not loaded: {e}");
    }
    // Keys created by the CLI or another server are picked up within a minute.
    let service = state.service.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = service.load_keys().await {
                tracing::warn!("reloading issuer keys failed: {e}");
            }
        }
    });
    // Connection info gives the rate limiter the client address.
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
