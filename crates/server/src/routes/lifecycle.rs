//! Lifecycle routes: status changes (waste, recycling) and successor passports (re-use, repurposing,
//! remanufacturing). The state machine is `passport::lifecycle`; refusals are 409 with the reason.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::AppState;
use crate::auth::{Caller, WRITERS};
use crate::body::{JsonBody, PathParams};
use crate::problem::Problem;
use crate::routes::if_match;
use crate::routes::passports::passport_response;
use crate::service::StatusChange;

/// Change a battery's status in place: `Waste` (responsibility may move to the producer or a waste-management
/// operator with `operatorInformation`), or `Recycled`, which ends the passport.
#[utoipa::path(post, path = "/api/v1/passports/{id}/status", tag = "lifecycle", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)")), request_body = StatusChange,
    responses(
        (status = 200, description = "New version written; body is the document"),
        (status = 403, description = "Not the responsible operator", content_type = "application/problem+json"),
        (status = 409, description = "Transition not allowed (with the reason)", content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", content_type = "application/problem+json"),
    ))]
pub async fn change_status(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "change passport status")?;
    let change: StatusChange = crate::body::parse(body, "status change")?;
    let passport = state.service.change_status(actor, &id, change, if_match(&headers)?).await?;
    Ok(passport_response(StatusCode::OK, &passport))
}

/// Create the new passport of a battery placed back on the market after re-use, repurposing or
/// remanufacturing. The body is a passport write (any model: the category may change); it becomes the
/// successor of `{id}`, which stays readable and points to it. The writing operator becomes responsible.
#[utoipa::path(post, path = "/api/v1/passports/{id}/successor", tag = "lifecycle", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Predecessor passport identifier (URN)")),
    responses(
        (status = 201, description = "Successor created; Location is its URL"),
        (status = 409, description = "Predecessor ended, already succeeded, or not a second life", content_type = "application/problem+json"),
        (status = 422, description = "Invalid document", content_type = "application/problem+json"),
    ))]
pub async fn create_successor(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "create passports")?;
    let passport = state.service.create_successor(actor, &id, body).await?;
    Ok(passport_response(StatusCode::CREATED, &passport))
}
