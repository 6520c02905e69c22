//! Supplier quality (issue 6): receive electronic Certificates of Analysis, read them back with their
//! decisions and revisions, override a decision, and the published eCoA JSON schema.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{CoaFilter, StoredCoa};

use crate::AppState;
use crate::auth::Caller;
use crate::body::{JsonBody, PathParams, RawBody};
use crate::problem::Problem;
use crate::service::quality::{CoaFormat, PdfLot};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReceiveQuery {
    /// For a PDF only: the supplier id (administrators; a supplier's PDF is its own).
    supplier: Option<String>,
    /// For a PDF only: our material number.
    material: Option<String>,
    /// For a PDF only: the lot number.
    lot: Option<String>,
}

/// The summary of a stored CoA returned on receipt and in listings.
fn summary(coa: &StoredCoa) -> Value {
    json!({
        "id": coa.id,
        "supplierId": coa.supplier_id,
        "materialId": coa.material_id,
        "lotNumber": coa.lot_number,
        "revision": coa.revision,
        "contentHash": coa.content_hash,
        "mediaType": coa.media_type,
        "actorId": coa.actor_id,
        "receivedAt": coa.received_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "decision": coa.decision,
    })
}

/// Submit a CoA (eCoA JSON per `/api/v1/schemas/ecoa.json`, eCoA CSV, or the supplier's PDF, which is kept by
/// hash and held). Suppliers submit their own; a re-sent CoA for the same lot is the lot's next revision.
#[utoipa::path(post, path = "/api/v1/coas", tag = "quality", security(("apiKey" = [])), params(ReceiveQuery),
    request_body(content = String, content_type = "application/json"),
    responses((status = 201, description = "The stored CoA: id, revision, content hash and the decision with every reason"),
        (status = 403, description = "Not a supplier or administrator, or the CoA names another supplier", content_type = "application/problem+json"),
        (status = 415, description = "Not JSON, CSV or PDF", content_type = "application/problem+json"),
        (status = 422, description = "Refused, with `pointer` or `line`/`column` of the error", content_type = "application/problem+json")))]
pub async fn receive_coa(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<ReceiveQuery>, axum::extract::rejection::QueryRejection>,
    RawBody(bytes): RawBody,
) -> Result<Response, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let format = CoaFormat::from_media_type(content_type).ok_or_else(|| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("send application/json, text/csv or application/pdf, not `{content_type}`"),
        )
    })?;
    if format != CoaFormat::Pdf && (q.supplier.is_some() || q.material.is_some() || q.lot.is_some()) {
        return Err(Problem::bad_request("`supplier`, `material` and `lot` are for PDFs; an eCoA names them itself"));
    }
    let pdf = PdfLot { supplier: q.supplier, material: q.material, lot: q.lot };
    let coa = state.service.receive_coa(actor, &bytes, format, pdf).await?;
    let mut response = (StatusCode::CREATED, Json(summary(&coa))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/coas/{}", coa.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CoaListQuery {
    /// Supplier id (suppliers always see only their own).
    supplier: Option<String>,
    /// Our material number.
    material: Option<String>,
    /// Lot number.
    lot: Option<String>,
    /// Outcome of the decision in force: accepted, rejected or hold.
    outcome: Option<String>,
    /// Page size (default 100).
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// List CoAs (oldest first) with the decision in force: administrators, economic operators and authorities see
/// all, suppliers their own.
#[utoipa::path(get, path = "/api/v1/coas", tag = "quality", security(("apiKey" = [])), params(CoaListQuery),
    responses((status = 200, description = "`items` and, unless this is the last page, `nextCursor`")))]
pub async fn list_coas(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<CoaListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let (limit, after) = super::page_request(q.limit, q.cursor.as_deref(), state.config.max_page_size)?;
    let filter = CoaFilter { supplier: q.supplier, material: q.material, lot: q.lot, outcome: q.outcome };
    let items = state.service.coas(actor, filter, after.as_deref(), limit + 1).await?;
    Ok(Json(super::page_body(&items, limit, |c| c.id.as_str(), summary)))
}

/// A CoA: what was parsed, every decision (oldest first; the last is in force) and every revision of its lot.
#[utoipa::path(get, path = "/api/v1/coas/{id}", tag = "quality", security(("apiKey" = [])),
    params(("id" = String, Path, description = "CoA identifier (`coa:...`)")),
    responses((status = 200, description = "The CoA with `decisions` and `revisions`"), (status = 404, description = "Not found", content_type = "application/problem+json")))]
pub async fn get_coa(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(json!(state.service.coa_record(actor, &id).await?)))
}

/// The CoA exactly as received, with its media type; the ETag and `Repr-Digest` carry its SHA-256.
#[utoipa::path(get, path = "/api/v1/coas/{id}/original", tag = "quality", security(("apiKey" = [])),
    params(("id" = String, Path, description = "CoA identifier (`coa:...`)")),
    responses((status = 200, description = "The original bytes"), (status = 404, description = "Not found", content_type = "application/problem+json")))]
pub async fn coa_original(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Response, Problem> {
    let actor = caller.actor()?;
    let (media_type, bytes, hash) = state.service.coa_original(actor, &id).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{hash}\"")) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(raw) = hex::decode(&hash)
        && let Ok(value) = HeaderValue::from_str(&format!("sha-256=:{}:", STANDARD.encode(raw)))
    {
        headers.insert("repr-digest", value);
    }
    Ok(response)
}

/// An operator's override of the decision in force, with a reason (recorded as a new decision).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverrideRequest {
    /// accepted, rejected or hold.
    pub outcome: String,
    /// Why (required).
    pub reason: String,
}

/// Override the decision on a CoA (administrators and economic operators), with a recorded reason.
#[utoipa::path(post, path = "/api/v1/coas/{id}/decision", tag = "quality", security(("apiKey" = [])),
    params(("id" = String, Path, description = "CoA identifier (`coa:...`)")), request_body = OverrideRequest,
    responses((status = 201, description = "The new decision"), (status = 400, description = "Bad request", content_type = "application/problem+json"),
        (status = 403, description = "Not an operator", content_type = "application/problem+json")))]
pub async fn override_decision(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let actor = caller.actor()?;
    let request: OverrideRequest = crate::body::parse(body, "decision")?;
    let decision = state.service.override_decision(actor, &id, &request.outcome, &request.reason).await?;
    Ok((StatusCode::CREATED, Json(json!(decision))))
}

/// The eCoA JSON schema (draft 2020-12) CoAs are checked against.
#[utoipa::path(get, path = "/api/v1/schemas/ecoa.json", tag = "quality",
    responses((status = 200, description = "The JSON schema", content_type = "application/schema+json")))]
pub async fn ecoa_schema() -> Response {
    ([(header::CONTENT_TYPE, "application/schema+json")], quality::ecoa::SCHEMA).into_response()
}

/// Our own lab's results for a lot.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabResultsRequest {
    /// Each `{"characteristic": "D50", "unit": "µm", "result": {"value": 11.3}}` (or a summary `{"n", "mean", ...}`).
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<quality::spec::agreement::LabResult>,
}

/// Enter our own lab's results for a lot (administrators and economic operators): each is compared with
/// the CoA (bias and agreement within the method's reproducibility); a disagreement disqualifies skip-lot
/// sampling for the supplier-material and holds an accepted lot.
#[utoipa::path(post, path = "/api/v1/coas/{id}/lab-results", tag = "quality", security(("apiKey" = [])),
    params(("id" = String, Path, description = "CoA identifier (`coa:...`)")), request_body = LabResultsRequest,
    responses((status = 201, description = "The stored results with the agreement per characteristic, the sampling state, and a new decision if one was made"),
        (status = 400, description = "No comparable result", content_type = "application/problem+json"),
        (status = 403, description = "Not an operator", content_type = "application/problem+json")))]
pub async fn add_lab_results(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let actor = caller.actor()?;
    let request: LabResultsRequest = crate::body::parse(body, "lab results")?;
    let outcome = state.service.add_lab_results(actor, &id, request.results).await?;
    Ok((StatusCode::CREATED, Json(json!(outcome))))
}

/// A CoA's lab results, oldest first.
#[utoipa::path(get, path = "/api/v1/coas/{id}/lab-results", tag = "quality", security(("apiKey" = [])),
    params(("id" = String, Path, description = "CoA identifier (`coa:...`)")),
    responses((status = 200, description = "`items`: the lab results with their agreement")))]
pub async fn lab_results(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(json!({ "items": state.service.lab_results(actor, &id).await? })))
}
