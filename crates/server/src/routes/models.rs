use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use store::ModelVersion;

use crate::AppState;
use crate::auth::{Caller, READERS, WRITERS};
use crate::body::{JsonBody, PathParams};
use crate::problem::Problem;
use crate::routes::{etag, if_match};
use crate::service::ModelView;

fn model_json(model: &ModelVersion) -> Value {
    json!({
        "modelId": model.model_id,
        "version": model.meta.version,
        "owner": model.owner,
        "meta": model.meta,
        "document": model.document,
    })
}

fn model_response(status: StatusCode, model: &ModelVersion) -> Response {
    let mut response = (status, Json(model_json(model))).into_response();
    response.headers_mut().insert(header::ETAG, etag(model.meta.version));
    if status == StatusCode::CREATED
        && let Ok(location) = format!("/api/v1/models/{}", model.model_id).parse()
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A model record as its reader may see it, with its version as the ETag.
fn view_response(model: &ModelView) -> Response {
    let mut response = Json(model).into_response();
    response.headers_mut().insert(header::ETAG, etag(model.version));
    response
}

/// Create a battery model record: the model-level part of a passport document plus `modelId`.
#[utoipa::path(post, path = "/api/v1/models", tag = "models", security(("apiKey" = [])), responses(
    (status = 201, description = "Created"),
    (status = 409, description = "A model with this id exists"),
    (status = 422, description = "Invalid document", content_type = "application/problem+json"),
))]
pub async fn create_model(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "write battery models")?;
    let model = state.service.create_model(actor, body).await?;
    Ok(model_response(StatusCode::CREATED, &model))
}

/// The latest version of a battery model record.
#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "models", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Model id")),
    responses((status = 200, description = "The model record"), (status = 404, description = "Unknown model")))]
pub async fn get_model(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Response, Problem> {
    let reader = caller.require(READERS, "read battery models")?;
    let model = state.service.model_for(reader, &id, None).await?;
    Ok(view_response(&model))
}

/// Append a new version of a battery model record (`If-Match` for optimistic concurrency).
#[utoipa::path(put, path = "/api/v1/models/{id}", tag = "models", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Model id")),
    responses((status = 200, description = "New version written"), (status = 412, description = "Stale If-Match")))]
pub async fn update_model(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "write battery models")?;
    let expected = if_match(&headers)?;
    let model = state.service.update_model(actor, &id, body, expected).await?;
    Ok(model_response(StatusCode::OK, &model))
}

/// Version history of a battery model record.
#[utoipa::path(get, path = "/api/v1/models/{id}/versions", tag = "models", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Model id")),
    responses((status = 200, description = "Versions, oldest first")))]
pub async fn model_versions(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    let reader = caller.require(READERS, "read battery models")?;
    let items = state.service.model_history_for(reader, &id).await?;
    Ok(Json(json!({ "items": items })))
}

/// One version of a battery model record.
#[utoipa::path(get, path = "/api/v1/models/{id}/versions/{version}", tag = "models", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Model id"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, description = "The model record at that version"), (status = 404, description = "No such version")))]
pub async fn model_version(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((id, version)): PathParams<(String, i64)>,
) -> Result<Response, Problem> {
    let reader = caller.require(READERS, "read battery models")?;
    let model = state.service.model_for(reader, &id, Some(version)).await?;
    Ok(view_response(&model))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RollupQuery {
    /// Production year of the packs to roll up (UTC); all years when absent.
    year: Option<i32>,
}

/// What the traced packs of this model were made of (per average pack): composition, recycled content against
/// the Art. 8 targets, carbon footprint (Art. 7) from the model's rated energy and cycles, each value with the
/// lots it came from, and the passport fields the roll-up would write. Admins, authorities and the owning
/// operator.
#[utoipa::path(get, path = "/api/v1/models/{id}/rollup", tag = "models", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Model id"), RollupQuery),
    responses((status = 200, description = "The model's roll-up with provenance"),
        (status = 404, description = "Unknown model, or no traced pack of it", content_type = "application/problem+json")))]
pub async fn model_rollup(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    axum::extract::Query(query): axum::extract::Query<RollupQuery>,
) -> Result<Json<crate::service::model_rollup::ModelRollup>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(state.service.model_rollup(actor, &id, query.year, &state.config.footprint_factors).await?))
}

/// Writes the roll-up into a new version of the model record (composition, recycled content with its reporting
/// year and plant, carbon footprint); 200 with the new version, or 204 when the record already holds these
/// values. While the latest version is a roll-up's, the server recomputes it as the genealogy grows.
#[utoipa::path(post, path = "/api/v1/models/{id}/rollup", tag = "models", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Model id"), RollupQuery),
    responses((status = 200, description = "New model version written"),
        (status = 204, description = "Nothing changed"),
        (status = 412, description = "Stale If-Match")))]
pub async fn apply_model_rollup(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    axum::extract::Query(query): axum::extract::Query<RollupQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "write battery models")?;
    let expected = if_match(&headers)?;
    let factors = &state.config.footprint_factors;
    let (_, written) = state.service.apply_model_rollup(actor, &id, query.year, factors, expected).await?;
    Ok(match written {
        Some(model) => model_response(StatusCode::OK, &model),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
