use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use store::PassportFilter;

use crate::AppState;
use crate::auth::{Caller, READERS, WRITERS};
use crate::body::{JsonBody, PathParams};
use crate::problem::Problem;
use crate::routes::{etag, if_match};
use crate::service::Passport;

/// The composed document, with its version as ETag and where its history is.
pub(crate) fn passport_response(status: StatusCode, passport: &Passport) -> Response {
    let mut response = (status, Json(&passport.document)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag(passport.version.meta.version));
    // What a reader sees depends on their key.
    headers.insert(header::VARY, HeaderValue::from_static("authorization"));
    let base = format!("/api/v1/passports/{}", passport.head.id);
    if let Ok(link) = HeaderValue::from_str(&format!("<{base}/versions>; rel=\"version-history\"")) {
        headers.insert(header::LINK, link);
    }
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&base)
    {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// Create a passport: a full canonical document, or the item part with `modelId` (and optional `modelVersion`).
/// The server assigns the passport identifier.
#[utoipa::path(post, path = "/api/v1/passports", tag = "passports", security(("apiKey" = [])), responses(
    (status = 201, description = "Created; body is the composed document, Location its URL"),
    (status = 400, description = "Malformed JSON", content_type = "application/problem+json"),
    (status = 401, description = "No or unknown API key", content_type = "application/problem+json"),
    (status = 403, description = "Role or operator may not write this passport", content_type = "application/problem+json"),
    (status = 409, description = "The battery identifier already has a passport", content_type = "application/problem+json"),
    (status = 413, description = "Body over the limit", content_type = "application/problem+json"),
    (status = 422, description = "Schema or rule violations, each with its JSON pointer", content_type = "application/problem+json"),
))]
pub async fn create_passport(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "write passports")?;
    let passport = state.service.create_passport(actor, body).await?;
    Ok(passport_response(StatusCode::CREATED, &passport))
}

/// The latest version of a passport, composed from its item and model records, with the attributes the
/// caller's access group may read (no key: the public, Annex XIII point 1).
#[utoipa::path(get, path = "/api/v1/passports/{id}", tag = "passports", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses((status = 200, description = "The composed canonical document; ETag = version"), (status = 404, description = "Unknown passport")))]
pub async fn get_passport(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Response, Problem> {
    let passport = state.service.passport(&id, None, caller.actor_or_public()).await?;
    Ok(passport_response(StatusCode::OK, &passport))
}

/// What the battery is made of, rolled up from the genealogy of the pack linked to the passport: composition,
/// recycled content against the Art. 8 targets and the carbon footprint (Art. 7). Whoever may read the passport
/// sees the values; the operator, administrators and authorities also where each came from.
#[utoipa::path(get, path = "/api/v1/passports/{id}/rollup", tag = "passports",
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses((status = 200, description = "Rolled-up values (with provenance for genealogy readers)"),
        (status = 404, description = "Unknown passport, or no traced pack linked to it", content_type = "application/problem+json")))]
pub async fn passport_rollup(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<axum::Json<serde_json::Value>, Problem> {
    let rollup = state.service.passport_rollup(caller.actor_or_public(), &id, &state.config.footprint_factors).await?;
    Ok(axum::Json(rollup))
}

/// Append a new version: the body is a full document or item part + `modelId`, plus `reason`.
/// `If-Match: "<version>"` makes the write conditional (412 when stale).
#[utoipa::path(put, path = "/api/v1/passports/{id}", tag = "passports", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses(
        (status = 200, description = "New version written"),
        (status = 404, description = "Unknown passport"),
        (status = 412, description = "If-Match names an older version", content_type = "application/problem+json"),
        (status = 422, description = "Invalid document", content_type = "application/problem+json"),
    ))]
pub async fn update_passport(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    // Any key holder: the responsible operator, or an actor holding a grant (the service decides which groups).
    let actor = caller.actor()?;
    let expected = if_match(&headers)?;
    let passport = state.service.update_passport(actor, &id, body, expected).await?;
    Ok(passport_response(StatusCode::OK, &passport))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CeaseBody {
    /// Why the passport ends: the recycler and its recycling certificate or record.
    reason: String,
}

/// End the passport of a recycled battery (status must be `Waste`). The resolver then answers 410 with a
/// tombstone; the record stays readable by the responsible operator and authorities.
#[utoipa::path(post, path = "/api/v1/passports/{id}/cease", tag = "passports", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)")), request_body = CeaseBody,
    responses(
        (status = 200, description = "Ended; body is the final document"),
        (status = 409, description = "Not a waste battery, or already ended", content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", content_type = "application/problem+json"),
    ))]
pub async fn cease_passport(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "end passports")?;
    let CeaseBody { reason } = crate::body::parse(body, "cease body")?;
    let passport = state.service.cease(actor, &id, &reason, if_match(&headers)?).await?;
    Ok(passport_response(StatusCode::OK, &passport))
}

/// Version history of a passport: when each version was written; for the responsible operator and
/// authorities also who wrote it, why, and its hash chain.
#[utoipa::path(get, path = "/api/v1/passports/{id}/versions", tag = "passports", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses((status = 200, description = "Versions, oldest first")))]
pub async fn passport_versions(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    let reader = caller.require(READERS, "read version histories")?;
    let items = state.service.history(&id, Some(reader)).await?;
    Ok(Json(json!({ "items": items })))
}

/// A passport as it was at one version.
#[utoipa::path(get, path = "/api/v1/passports/{id}/versions/{version}", tag = "passports", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, description = "The composed document at that version"), (status = 404, description = "No such version")))]
pub async fn passport_version(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((id, version)): PathParams<(String, i64)>,
) -> Result<Response, Problem> {
    let passport = state.service.passport(&id, Some(version), caller.actor_or_public()).await?;
    Ok(passport_response(StatusCode::OK, &passport))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Battery identifier (`productIdentifier`).
    battery_id: Option<String>,
    model_id: Option<String>,
    /// ev, lmt, industrial or stationary.
    category: Option<String>,
    /// Original, Repurposed, Reused, Remanufactured or Waste.
    status: Option<String>,
    /// Manufacturer identifier.
    manufacturer: Option<String>,
    /// Page size (default 100).
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// List passports with filters and cursor paging (ordered by passport id, i.e. creation time).
#[utoipa::path(get, path = "/api/v1/passports", tag = "passports", security(("apiKey" = [])), params(ListQuery),
    responses((status = 200, description = "`items` and, unless this is the last page, `nextCursor`")))]
pub async fn list_passports(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let reader = caller.require(READERS, "list passports")?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let (limit, after) = super::page_request(q.limit, q.cursor.as_deref(), state.config.max_page_size)?;
    let filter = PassportFilter {
        battery_id: q.battery_id,
        model_id: q.model_id,
        category: q.category,
        status: q.status,
        manufacturer: q.manufacturer,
        responsible: None,
        created_after: None,
    };
    let (items, next_after) = state.service.search(reader, filter, after.as_deref(), limit).await?;
    let mut body = json!({ "items": items });
    if let Some(next) = next_after {
        body["nextCursor"] = Value::String(URL_SAFE_NO_PAD.encode(next.as_bytes()));
    }
    Ok(Json(body))
}
