//! API keys for administrators: list them by fingerprint and revoke them.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use store::KeySelector;

use crate::AppState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::problem::Problem;

/// Which keys to revoke: one by its fingerprint (at least 8 hex digits, as `GET /api/v1/keys` lists them), or
/// every key of an actor.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevokeKeysRequest {
    pub fingerprint: Option<String>,
    pub actor_id: Option<String>,
}

/// Every API key by fingerprint (never the key or its hash), with its holder, expiry and revocation.
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", security(("apiKey" = [])),
    responses((status = 200, description = "`items`, oldest first"),
        (status = 403, description = "Not an administrator", content_type = "application/problem+json")))]
pub async fn list_keys(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(json!({ "items": state.service.api_keys(actor).await? })))
}

/// Revoke a key, or every key of an actor: it stops working at once here and within 30 s on other servers.
#[utoipa::path(post, path = "/api/v1/keys/revoke", tag = "keys", security(("apiKey" = [])), request_body = RevokeKeysRequest,
    responses((status = 200, description = "`revoked`: how many keys"),
        (status = 400, description = "Neither or both of fingerprint and actorId", content_type = "application/problem+json"),
        (status = 422, description = "A fingerprint shorter than 8 hex digits, or matching several keys", content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", content_type = "application/problem+json"),
        (status = 404, description = "No key in force with that fingerprint", content_type = "application/problem+json")))]
pub async fn revoke_keys(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let request: RevokeKeysRequest = crate::body::parse(body, "key revocation")?;
    let which = match (request.fingerprint, request.actor_id) {
        (Some(fingerprint), None) => KeySelector::Fingerprint(fingerprint),
        (None, Some(actor_id)) => KeySelector::Actor(actor_id),
        _ => return Err(Problem::bad_request("name either `fingerprint` or `actorId`")),
    };
    let revoked = state.service.revoke_keys(actor, &which).await?;
    Ok(Json(json!({ "revoked": revoked })))
}
