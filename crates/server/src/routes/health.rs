use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::problem::Problem;

/// Liveness and store reachability.
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "The server and its store are up"),
    (status = 503, description = "The store is unreachable", content_type = "application/problem+json"),
))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let store = state.service.store();
    store.ping().await.map_err(crate::service::ServiceError::from)?;
    Ok(Json(json!({"status": "ok", "store": store.backend(), "version": env!("CARGO_PKG_VERSION")})))
}
