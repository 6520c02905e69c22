//! Dynamic data: readings in (JSON or NDJSON), history out (raw or downsampled for charts).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use store::ReadingQuery;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::AppState;
use crate::auth::Caller;
use crate::body::{PathParams, RawBody};
use crate::problem::Problem;
use crate::service::readings::{Channel, IngestOutcome, ReadingLine};

/// Splits a body into reading lines: NDJSON (`application/x-ndjson`), a JSON array, or one JSON object.
fn lines(headers: &HeaderMap, bytes: &[u8]) -> Result<Vec<ReadingLine>, Problem> {
    let text = std::str::from_utf8(bytes).map_err(|_| Problem::bad_request("the body is not UTF-8"))?;
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-ndjson") || v.starts_with("application/jsonl"));
    if ndjson {
        return Ok(text.lines().filter(|l| !l.trim().is_empty()).map(ReadingLine::parse).collect());
    }
    match crate::body::parse_json(bytes)? {
        Value::Array(items) => Ok(items.into_iter().map(ReadingLine::value).collect()),
        one => Ok(vec![ReadingLine::value(one)]),
    }
}

/// 200 when anything was taken (or all were duplicates), 422 when every reading was refused.
fn outcome(outcome: IngestOutcome) -> (StatusCode, Json<IngestOutcome>) {
    let status = if outcome.rejected > 0 && outcome.accepted == 0 && outcome.duplicates == 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, Json(outcome))
}

/// Add readings of one passport: `{"metric","at","value","source","note"?}` objects, as a JSON array or NDJSON.
/// Duplicates (same metric, time and source) are ignored; implausible readings are refused with a reason.
#[utoipa::path(post, path = "/api/v1/passports/{id}/readings", tag = "readings", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    request_body(content_type = "application/x-ndjson", description = "Readings, one per line (or a JSON array)"),
    responses(
        (status = 200, description = "`accepted`, `duplicates`, `rejected` and the first refusals with their reasons"),
        (status = 422, description = "Every reading was refused"),
    ))]
pub async fn add_readings(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<(StatusCode, Json<IngestOutcome>), Problem> {
    let actor = caller.actor()?;
    let lines = lines(&headers, &bytes)?;
    Ok(outcome(state.service.ingest_readings(actor, Some(&id), lines, Channel::Rest).await?))
}

/// Add readings of many passports at once: each line names its `passportId`.
#[utoipa::path(post, path = "/api/v1/readings", tag = "readings", security(("apiKey" = [])),
    request_body(content_type = "application/x-ndjson", description = "Readings with passportId, one per line"),
    responses((status = 200, description = "Counts and refusals"), (status = 422, description = "Every reading was refused")))]
pub async fn add_readings_bulk(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<(StatusCode, Json<IngestOutcome>), Problem> {
    let actor = caller.actor()?;
    let lines = lines(&headers, &bytes)?;
    Ok(outcome(state.service.ingest_readings(actor, None, lines, Channel::Rest).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryQuery {
    /// Metric name, e.g. stateOfCertifiedEnergy, capacityFade, numberOfFullCycles.
    metric: String,
    /// RFC 3339 start (default: the beginning).
    from: Option<String>,
    /// RFC 3339 end (default: now).
    to: Option<String>,
    /// Downsample into this many time buckets (mean, min, max, last) for charts.
    points: Option<i64>,
    /// At most this many raw readings (default 10000).
    limit: Option<i64>,
}

fn time_ms(text: Option<&str>, default: i64, name: &str) -> Result<i64, Problem> {
    match text {
        None => Ok(default),
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|e| Problem::bad_request(format!("`{name}` is not an RFC 3339 time: {e}"))),
    }
}

/// A metric's readings over time, for persons with a legitimate interest, authorities and the operator.
#[utoipa::path(get, path = "/api/v1/passports/{id}/readings", tag = "readings", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)"), HistoryQuery),
    responses((status = 200, description = "`items`: readings, or buckets when `points` is given"), (status = 403, description = "Public")))]
pub async fn reading_history(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let now = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let from_ms = time_ms(q.from.as_deref(), 0, "from")?;
    let to_ms = time_ms(q.to.as_deref(), now, "to")?;
    if from_ms > to_ms {
        return Err(Problem::bad_request("`from` lies after `to`"));
    }
    let limit = q.limit.unwrap_or(10_000);
    if !(1..=1_000_000).contains(&limit) {
        return Err(Problem::bad_request("limit must be between 1 and 1000000"));
    }
    if let Some(points) = q.points
        && !(1..=10_000).contains(&points)
    {
        return Err(Problem::bad_request("points must be between 1 and 10000"));
    }
    let query = ReadingQuery { passport_id: id, metric: q.metric, from_ms, to_ms, limit };
    let history = state.service.reading_history(caller.actor_or_public(), query, q.points).await?;
    Ok(Json(json!({ "items": history })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectedQuery {
    /// The passport (required unless you are an administrator).
    passport_id: Option<String>,
}

/// Readings refused, with their reasons (newest first).
#[utoipa::path(get, path = "/api/v1/readings/rejected", tag = "readings", security(("apiKey" = [])), params(RejectedQuery),
    responses((status = 200, description = "`items`")))]
pub async fn rejected_readings(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<RejectedQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let actor = caller.actor()?;
    let items = state.service.rejected_readings(actor, q.passport_id.as_deref()).await?;
    Ok(Json(json!({ "items": items })))
}
