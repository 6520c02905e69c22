//! SPC over supplier characteristics (issue 6): alarms raised on new lots, their acknowledgement, one
//! series with its points and limits, and a full recompute; material specifications.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use quality::spec::MaterialSpec;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{AlarmFilter, SeriesId};

use crate::AppState;
use crate::auth::Caller;
use crate::body::{JsonBody, PathParams};
use crate::problem::Problem;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlarmQuery {
    /// Supplier id (suppliers always see only their own).
    supplier: Option<String>,
    /// Our material number.
    material: Option<String>,
    /// Characteristic name as specified.
    characteristic: Option<String>,
    /// `true`: only unacknowledged (default), `false`: only acknowledged, `all`: both.
    open: Option<String>,
    /// Page size (default 100).
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// SPC alarms on supplier characteristics, oldest first: open ones unless asked otherwise.
#[utoipa::path(get, path = "/api/v1/spc/alarms", tag = "quality", security(("apiKey" = [])), params(AlarmQuery),
    responses((status = 200, description = "`items` and, unless this is the last page, `nextCursor`")))]
pub async fn list_alarms(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AlarmQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let open = match q.open.as_deref() {
        None | Some("true") => Some(true),
        Some("false") => Some(false),
        Some("all") => None,
        Some(other) => return Err(Problem::bad_request(format!("`open` is true, false or all, not `{other}`"))),
    };
    let (limit, after) = super::page_request(q.limit, q.cursor.as_deref(), state.config.max_page_size)?;
    let filter = AlarmFilter { supplier: q.supplier, material: q.material, characteristic: q.characteristic, open };
    let items = state.service.spc_alarms(actor, filter, after.as_deref(), limit + 1).await?;
    Ok(Json(super::page_body(&items, limit, |a| a.alarm.id.as_str(), |a| json!(a))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    /// Why the alarm is closed (required): the cause found, or why it needs no action.
    pub reason: String,
}

/// Acknowledge (close) an alarm with a reason (administrators and economic operators).
#[utoipa::path(post, path = "/api/v1/spc/alarms/{id}/acknowledge", tag = "quality", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Alarm identifier (`alarm:...`)")), request_body = AcknowledgeRequest,
    responses((status = 201, description = "The closed alarm"), (status = 404, description = "Not found", content_type = "application/problem+json"),
        (status = 409, description = "Closed already", content_type = "application/problem+json")))]
pub async fn acknowledge_alarm(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let actor = caller.actor()?;
    let request: AcknowledgeRequest = crate::body::parse(body, "acknowledgement")?;
    let alarm = state.service.acknowledge_alarm(actor, &id, &request.reason).await?;
    Ok((StatusCode::CREATED, Json(json!(alarm))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    supplier: String,
    material: String,
    characteristic: String,
}

/// One series (supplier × material × characteristic): its points in manufacturing order, specification
/// limits, the monitor's stage and frozen control limits, and its alarms.
#[utoipa::path(get, path = "/api/v1/spc/series", tag = "quality", security(("apiKey" = [])), params(SeriesQuery),
    responses((status = 200, description = "The series"), (status = 404, description = "No such series", content_type = "application/problem+json")))]
pub async fn series(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<SeriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let id = SeriesId { supplier_id: q.supplier, material_id: q.material, characteristic: q.characteristic };
    Ok(Json(json!(state.service.spc_series(actor, &id).await?)))
}

/// Rebuild every series from the stored CoAs in manufacturing order (administrators).
#[utoipa::path(post, path = "/api/v1/spc/recompute", tag = "quality", security(("apiKey" = [])),
    responses((status = 200, description = "What was recomputed and how long it took")))]
pub async fn recompute(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(json!(state.service.recompute_spc(actor).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SpecQuery {
    /// Our material number.
    material: Option<String>,
}

/// The material specifications in force (stored, or the built-in catalogue's for materials without one).
#[utoipa::path(get, path = "/api/v1/specs", tag = "quality", security(("apiKey" = [])), params(SpecQuery),
    responses((status = 200, description = "`items`: the specifications")))]
pub async fn list_specs(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<SpecQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    Ok(Json(json!({ "items": state.service.list_specs(actor, q.material.as_deref()).await? })))
}

/// Store a new version of a material specification (administrators); stored versions never change.
#[utoipa::path(post, path = "/api/v1/specs", tag = "quality", security(("apiKey" = [])),
    request_body(content = Value, description = "A material specification: material, supplier (optional), version, title, characteristics"),
    responses((status = 201, description = "The stored version"), (status = 400, description = "Invalid", content_type = "application/problem+json"),
        (status = 409, description = "That version or a later one exists", content_type = "application/problem+json")))]
pub async fn put_spec(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let actor = caller.actor()?;
    let spec: MaterialSpec = crate::body::parse(body, "specification")?;
    let stored = state.service.put_spec(actor, spec).await?;
    Ok((StatusCode::CREATED, Json(json!(stored))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SamplingQuery {
    supplier: Option<String>,
    material: Option<String>,
}

/// Skip-lot sampling per supplier-material: the state, the lots waiting for our lab, and whether the next
/// lot needs a lab test.
#[utoipa::path(get, path = "/api/v1/sampling", tag = "quality", security(("apiKey" = [])), params(SamplingQuery),
    responses((status = 200, description = "`items`: one per supplier-material")))]
pub async fn sampling(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<SamplingQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let items = state.service.sampling_states(actor, q.supplier.as_deref(), q.material.as_deref()).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequalifyRequest {
    pub supplier: String,
    pub material: String,
    /// The corrective action that justifies it (required).
    pub reason: String,
}

/// Restart skip-lot qualification of a supplier-material after corrective action (administrators and
/// economic operators).
#[utoipa::path(post, path = "/api/v1/sampling/requalify", tag = "quality", security(("apiKey" = [])),
    request_body = RequalifyRequest,
    responses((status = 200, description = "The new sampling state"), (status = 404, description = "No lots yet", content_type = "application/problem+json")))]
pub async fn requalify(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let request: RequalifyRequest = crate::body::parse(body, "requalify")?;
    let view = state.service.requalify(actor, &request.supplier, &request.material, &request.reason).await?;
    Ok(Json(json!(view)))
}
