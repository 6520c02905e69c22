//! Genealogy (issue 7): production events in (JSON array or NDJSON), forward and backward traces, the
//! backlog of events waiting for units.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::body::{PathParams, RawBody};
use crate::problem::Problem;
use crate::service::ServiceError;
use crate::service::trace::{Downstream, TraceReceipt, Upstream};

/// Production events of a request body: NDJSON (`application/x-ndjson`) or a JSON array (or one object).
fn events(headers: &HeaderMap, bytes: &[u8]) -> Result<Vec<(usize, trace::TraceEvent)>, Problem> {
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-ndjson") || v.starts_with("application/jsonl"));
    let read = if ndjson {
        let text = std::str::from_utf8(bytes).map_err(|_| Problem::bad_request("the body is not UTF-8"))?;
        trace::event::read_ndjson(text)
    } else {
        trace::event::read_json(bytes)
    };
    read.map_err(|errors| ServiceError::Trace(errors).into())
}

/// Record production events: lots received, batches, cells, modules and packs produced, material consumed.
/// The batch is checked whole: any event that breaks a rule refuses it (422, every refused event named) and
/// nothing is written. Events naming units not seen yet are held and retried with later batches.
#[utoipa::path(post, path = "/api/v1/trace/events", tag = "trace", security(("apiKey" = [])),
    request_body(content_type = "application/x-ndjson", description = "Events, one per line (or a JSON array)"),
    responses((status = 200, description = "Counts: applied, duplicates, held, released, failed"),
        (status = 422, description = "Refused events, nothing written", content_type = "application/problem+json")))]
pub async fn ingest_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Json<TraceReceipt>, Problem> {
    let actor = caller.actor()?;
    let events = events(&headers, &bytes)?;
    Ok(Json(state.service.ingest_trace(actor, events).await?))
}

/// Backward trace: the parts, batches, lots (with their CoA and our decision) and suppliers of a unit.
#[utoipa::path(get, path = "/api/v1/trace/{id}/upstream", tag = "trace", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Unit id: a pack, module, cell, batch or lot")),
    responses((status = 200, description = "The unit and everything it is made of"),
        (status = 404, description = "No such unit (or not yours)", content_type = "application/problem+json")))]
pub async fn upstream(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Upstream>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(state.service.trace_upstream(actor, &id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CellsQuery {
    /// Page size (default 100).
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// Forward trace (recall): every batch, module, pack and passport holding material of a lot or batch, with
/// its share, and the number of cells (listed by `/cells`).
#[utoipa::path(get, path = "/api/v1/trace/{id}/downstream", tag = "trace", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Lot or batch id")),
    responses((status = 200, description = "What the lot or batch went into"),
        (status = 404, description = "No such unit (or not yours)", content_type = "application/problem+json")))]
pub async fn downstream(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Downstream>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(state.service.trace_downstream(actor, &id).await?))
}

/// The cells made from a lot or batch, by id, a page at a time, each with its share of it.
#[utoipa::path(get, path = "/api/v1/trace/{id}/downstream/cells", tag = "trace", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Lot or batch id"), CellsQuery),
    responses((status = 200, description = "`items` and, unless this is the last page, `nextCursor`")))]
pub async fn downstream_cells(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    query: Result<Query<CellsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let (limit, after) = super::page_request(q.limit, q.cursor.as_deref(), state.config.max_page_size)?;
    let cells = state.service.trace_downstream_cells(actor, &id, after.as_deref(), limit + 1).await?;
    Ok(Json(super::page_body(&cells, limit, |c| c.unit.id.as_str(), |c| json!(c))))
}

/// One level of what a unit was built from, as the Catena-X `io.catenax.single_level_bom_as_built` 4.0.0 aspect
/// (`globalAssetId`: the passport's id for a pack with one, else a UUID derived from the unit id).
#[utoipa::path(get, path = "/api/v1/trace/{id}/bom", tag = "trace", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Unit id: a pack, module, cell or batch")),
    responses((status = 200, description = "SingleLevelBomAsBuilt"),
        (status = 404, description = "No such unit (or not yours)", content_type = "application/problem+json")))]
pub async fn bom(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(state.service.trace_bom(actor, &id).await?))
}

/// What a unit is made of, rolled up from the lots that reached it by mass balance: composition (by material,
/// by part, critical raw materials from 0.1 % w/w, hazardous substances) and recycled cobalt, lithium, nickel and
/// lead against the Art. 8 targets; for a pack with a passport, the carbon footprint per kWh of lifetime energy
/// by life-cycle stage with its performance class (Art. 7; factors and classes are the server's configuration).
/// Every value names the lots it came from.
#[utoipa::path(get, path = "/api/v1/trace/{id}/rollup", tag = "trace", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Unit id: a pack, module, cell, batch or lot")),
    responses((status = 200, description = "Composition and recycled content with provenance"),
        (status = 404, description = "No such unit (or not yours)", content_type = "application/problem+json")))]
pub async fn rollup(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<crate::service::trace::UnitRollup>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(state.service.trace_rollup(actor, &id, &state.config.footprint_factors).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BacklogQuery {
    /// `held` (waiting for units) or `failed` (broke a rule on a retry); both when absent.
    status: Option<String>,
    /// At most this many (default 100).
    limit: Option<i64>,
}

/// Events waiting for units not seen yet, and ones a retry refused, oldest first.
#[utoipa::path(get, path = "/api/v1/trace/backlog", tag = "trace", security(("apiKey" = [])), params(BacklogQuery),
    responses((status = 200, description = "Backlog events with what each misses")))]
pub async fn backlog(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<BacklogQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(100).clamp(1, state.config.max_page_size);
    let items = state.service.trace_backlog(actor, q.status.as_deref(), limit).await?;
    Ok(Json(json!({ "items": items })))
}
