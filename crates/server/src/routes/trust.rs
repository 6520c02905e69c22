//! Trust: the issuer keys as a did:web DID document, passport versions as W3C Verifiable Credentials
//! (eddsa-jcs-2022), and the audit log for administrators and authorities.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use store::Role;

use crate::AppState;
use crate::auth::Caller;
use crate::body::PathParams;
use crate::problem::Problem;

/// The DID document (`did:web`) publishing every issuer key. Retired keys stay, so old signatures verify.
#[utoipa::path(get, path = "/.well-known/did.json", tag = "trust",
    responses((status = 200, description = "DID document with Multikey verification methods")))]
pub async fn did_document(State(state): State<AppState>) -> Result<Response, Problem> {
    let document = state.service.did_document(&state.config.public_base_url).await?;
    let mut response = Json(document).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/did+json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

/// One passport version as a W3C Verifiable Credential 2.0 with a Data Integrity proof (`eddsa-jcs-2022`),
/// signed with the key that signed the version; the subject is what the caller may read of it.
#[utoipa::path(get, path = "/api/v1/passports/{id}/versions/{version}/credential", tag = "trust",
    security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)"), ("version" = i64, Path, description = "Version number")),
    responses(
        (status = 200, description = "The credential (application/vc+ld+json)"),
        (status = 409, description = "The version was not signed (its operator had no issuer key)", content_type = "application/problem+json"),
    ))]
pub async fn credential(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((id, version)): PathParams<(String, i64)>,
) -> Result<Response, Problem> {
    let credential =
        state.service.credential(&id, version, caller.actor_or_public(), &state.config.public_base_url).await?;
    let mut response = Json(credential).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vc+ld+json"));
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries after this sequence number (default 0).
    after: Option<i64>,
    /// At most this many (default 1000).
    limit: Option<i64>,
}

/// The hash-chained audit log, for administrators and authorities.
#[utoipa::path(get, path = "/api/v1/audit", tag = "trust", security(("apiKey" = [])), params(AuditQuery),
    responses((status = 200, description = "`items`, in order")))]
pub async fn audit_entries(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    caller.require(&[Role::Admin, Role::Authority], "read the audit log")?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let items = state
        .service
        .store()
        .audit_entries(q.after.unwrap_or(0), limit)
        .await
        .map_err(|e| Problem::from(crate::service::ServiceError::from(e)))?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuerKeyRequest {
    /// The operator the key signs for (admins only; an operator's key creates its own).
    operator: Option<String>,
}

/// Create (or rotate) an issuer key: the new key signs from now on, the old one is retired and still verifies.
#[utoipa::path(post, path = "/api/v1/issuer-keys", tag = "trust", security(("apiKey" = [])), request_body = IssuerKeyRequest,
    responses((status = 201, description = "The key's public part")))]
pub async fn create_issuer_key(
    State(state): State<AppState>,
    caller: Caller,
    crate::body::JsonBody(body): crate::body::JsonBody,
) -> Result<(axum::http::StatusCode, Json<Value>), Problem> {
    let actor = caller.require(crate::auth::WRITERS, "create issuer keys")?;
    let request: IssuerKeyRequest = crate::body::parse(body, "issuer key")?;
    let key = state.service.create_issuer_key(actor, request.operator.as_deref()).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!(key))))
}
