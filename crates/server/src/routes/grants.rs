//! Written authorisations (Art. 77(4)): give, list and revoke grants.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{Caller, WRITERS};
use crate::body::{JsonBody, PathParams};
use crate::problem::Problem;
use crate::service::GrantRequest;

/// Let another actor update attribute groups of your passports until a date.
#[utoipa::path(post, path = "/api/v1/grants", tag = "grants", security(("apiKey" = [])), request_body = GrantRequest,
    responses((status = 201, description = "The grant"), (status = 400, description = "Bad request", content_type = "application/problem+json"),
        (status = 403, description = "Not your passports", content_type = "application/problem+json")))]
pub async fn create_grant(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let actor = caller.require(WRITERS, "give grants")?;
    let request: GrantRequest = crate::body::parse(body, "grant")?;
    let grant = state.service.create_grant(actor, request).await?;
    Ok((StatusCode::CREATED, Json(json!(grant))))
}

/// Grants you gave or hold.
#[utoipa::path(get, path = "/api/v1/grants", tag = "grants", security(("apiKey" = [])),
    responses((status = 200, description = "`items`, newest first")))]
pub async fn list_grants(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(json!({ "items": state.service.grants(actor).await? })))
}

/// Revoke a grant (it stays on record, marked revoked).
#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", tag = "grants", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Grant identifier")),
    responses((status = 200, description = "The revoked grant"), (status = 409, description = "Revoked already", content_type = "application/problem+json")))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.require(WRITERS, "revoke grants")?;
    Ok(Json(json!(state.service.revoke_grant(actor, &id).await?)))
}
