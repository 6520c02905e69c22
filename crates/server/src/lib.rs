//! The voltpass HTTP server: the operator REST API (this crate's routes), authentication, RFC 9457 errors and
//! the OpenAPI document. Domain rules live in `passport`; storage in `store`; the [`service`] module joins them.

pub mod auth;
mod body;
pub mod import;
pub mod problem;
mod routes;
pub mod service;

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use store::Store;

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
}

impl Default for Config {
    fn default() -> Self {
        Config { max_body_bytes: DEFAULT_MAX_BODY_BYTES, max_bulk_bytes: DEFAULT_MAX_BULK_BYTES, max_page_size: 1000 }
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
        AppState { service: PassportService::new(store), config: Arc::new(config) }
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
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown_signal()).await
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
