//! The public resolver: what a QR code on the battery leads to. Always the public view (Annex XIII
//! point 1), cacheable by a CDN: strong ETag per version, conditional GET answers 304.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::body::PathParams;
use crate::problem::Problem;
use crate::routes::etag;

/// Seconds a shared cache may serve a resolved passport without asking again.
const MAX_AGE_S: u32 = 60;

/// The public part of a passport, by passport identifier.
#[utoipa::path(get, path = "/p/{id}", tag = "resolver",
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses(
        (status = 200, description = "The public part of the passport (Annex XIII point 1)"),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 404, description = "Unknown passport", content_type = "application/problem+json"),
    ))]
pub async fn resolve(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let passport = state.service.passport(&id, None, None).await?;
    let tag = etag(passport.version.meta.version);
    let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|v| matches_etag(v, &tag)) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(&passport.document).into_response()
    };
    let out = response.headers_mut();
    out.insert(header::ETAG, tag);
    if let Ok(cache) = HeaderValue::from_str(&format!("public, max-age={MAX_AGE_S}")) {
        out.insert(header::CACHE_CONTROL, cache);
    }
    Ok(response)
}

/// `If-None-Match` holds our ETag (or `*`), possibly among others.
fn matches_etag(header: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(text) = header.to_str() else { return false };
    let ours = tag.to_str().unwrap_or_default();
    text.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}
