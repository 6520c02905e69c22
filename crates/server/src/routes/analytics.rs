//! Analytics routes: end-of-line screening and holds, cycle-life predictions, state-of-health estimates, line
//! first-pass yield, and the registered models.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use store::ResultFilter;

use crate::AppState;
use crate::auth::Caller;
use crate::body::{JsonBody, PathParams, parse};
use crate::problem::Problem;
use crate::service::analytics::{CycleLifeOutcome, HealthOutcome, ScreenOutcome, ScreenRequest};

/// Screen the cells of one line tested in a window: robust z per feature and a robust (FastMCD) Mahalanobis
/// distance, each cell's score with the features that drove it; flagged cells are put on hold unless
/// `"hold": false` (held units cannot go into modules or packs). Economic operators screen their own cells.
#[utoipa::path(post, path = "/api/v1/analytics/eol/screenings", tag = "analytics", security(("apiKey" = [])),
    request_body = ScreenRequest,
    responses((status = 200, description = "Scores of every cell, the flagged ones with their drivers"),
        (status = 400, description = "Too few cells or features to screen", content_type = "application/problem+json")))]
pub async fn screen(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<ScreenOutcome>, Problem> {
    let actor = caller.actor()?;
    let request: ScreenRequest = parse(body, "screening request")?;
    Ok(Json(state.service.screen_line(actor, request).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FlagsQuery {
    /// Only this line.
    line: Option<String>,
    /// Only this screening run.
    run: Option<String>,
    /// All screened cells, not only the flagged ones.
    #[serde(default)]
    all: bool,
}

/// Screening results of the caller's cells, newest first: the flagged ones (or all with `all=true`).
#[utoipa::path(get, path = "/api/v1/analytics/eol/results", tag = "analytics", security(("apiKey" = [])),
    params(FlagsQuery), responses((status = 200, description = "Screening results")))]
pub async fn screening_results(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<FlagsQuery>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let filter =
        ResultFilter { line: query.line, run_id: query.run, flagged_only: !query.all, ..ResultFilter::default() };
    Ok(Json(json!({"items": state.service.screening_results(actor, filter).await?})))
}

/// Units on hold (the caller's).
#[utoipa::path(get, path = "/api/v1/analytics/holds", tag = "analytics", security(("apiKey" = [])),
    responses((status = 200, description = "Holds in force")))]
pub async fn holds(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(json!({"items": state.service.holds(actor).await?})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// Why (kept in the hold history and the audit log).
    reason: String,
}

/// Put a unit on hold: it may not go into a module or pack until released.
#[utoipa::path(post, path = "/api/v1/analytics/holds/{unitId}", tag = "analytics", security(("apiKey" = [])),
    params(("unitId" = String, Path, description = "Unit id")), request_body = HoldBody,
    responses((status = 200, description = "On hold"), (status = 409, description = "Already on hold")))]
pub async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(unit): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<store::UnitHold>, Problem> {
    set_hold(&state, &caller, &unit, "hold", body).await
}

/// Release a unit from hold.
#[utoipa::path(post, path = "/api/v1/analytics/holds/{unitId}/release", tag = "analytics", security(("apiKey" = [])),
    params(("unitId" = String, Path, description = "Unit id")), request_body = HoldBody,
    responses((status = 200, description = "Released"), (status = 400, description = "Not on hold")))]
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(unit): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<store::UnitHold>, Problem> {
    set_hold(&state, &caller, &unit, "release", body).await
}

/// A hold or release of `unit` with the reason in `body`.
async fn set_hold(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    action: &str,
    body: Value,
) -> Result<Json<store::UnitHold>, Problem> {
    let actor = caller.actor()?;
    let body: HoldBody = parse(body, action)?;
    Ok(Json(state.service.set_hold(actor, unit, action, &body.reason).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CycleLifeQuery {
    /// Store the prediction as this passport's expected-lifetime suggestion (its operator or an administrator).
    passport_id: Option<String>,
}

/// Predict a cell's cycle life (to 80 % of nominal capacity) from its first 100 cycles: discharge capacity
/// against voltage for cycles 10 and 100 (`voltageV`, `curves`), and the discharge capacity of cycles 2-100
/// (`capacityFade`, optional but much better). The answer carries a calibrated interval and the model that made
/// it (name, version, hash of its training data).
#[utoipa::path(post, path = "/api/v1/analytics/cycle-life", tag = "analytics", security(("apiKey" = [])),
    params(CycleLifeQuery),
    responses((status = 200, description = "Predicted cycle life with interval"),
        (status = 400, description = "The early cycles are incomplete or malformed", content_type = "application/problem+json")))]
pub async fn cycle_life(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<CycleLifeQuery>,
    JsonBody(body): JsonBody,
) -> Result<Json<CycleLifeOutcome>, Problem> {
    let actor = caller.actor()?;
    let input = parse(body, "early cycles")?;
    Ok(Json(state.service.predict_cycle_life(actor, query.passport_id.as_deref(), input).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthQuery {
    /// End of life as a fraction of rated capacity (default 0.8).
    eol_fraction: Option<f64>,
}

/// Estimate a passport's state of health and remaining useful life (to the end-of-life fraction of its rated
/// capacity, with an interval) from its `remainingCapacity` and `numberOfFullCycles` readings, and store it.
#[utoipa::path(post, path = "/api/v1/passports/{id}/state-of-health", tag = "analytics", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Passport identifier (URN)"), HealthQuery),
    responses((status = 200, description = "State of health and remaining useful life"),
        (status = 400, description = "Too few readings, or no rated capacity", content_type = "application/problem+json")))]
pub async fn state_of_health(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    Query(query): Query<HealthQuery>,
) -> Result<Json<HealthOutcome>, Problem> {
    let actor = caller.actor()?;
    let fraction = query.eol_fraction.unwrap_or(0.8);
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(Problem::bad_request(format!("eolFraction {fraction} is not between 0 and 1")));
    }
    Ok(Json(state.service.estimate_health(actor, &id, fraction).await?))
}

/// A passport's stored predictions (cycle life) and estimates (state of health), newest first, each naming its
/// model: for its operator, authorities and persons with a legitimate interest.
#[utoipa::path(get, path = "/api/v1/passports/{id}/analytics", tag = "analytics",
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses((status = 200, description = "Predictions and estimates"), (status = 403, description = "Not for this reader")))]
pub async fn passport_analytics(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!({"items": state.service.passport_analytics(caller.actor_or_public(), &id).await?})))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct YieldQuery {
    /// Days of history (default 60).
    days: Option<i64>,
}

/// First-pass yield per line and day (cells whose first end-of-line test was that day), with a one-day-ahead
/// forecast of every day made from the days before it, its error on past days, and tomorrow's forecast.
#[utoipa::path(get, path = "/api/v1/analytics/lines/yield", tag = "analytics", security(("apiKey" = [])),
    params(YieldQuery), responses((status = 200, description = "Per line: daily yield, forecasts, errors")))]
pub async fn line_yield(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<YieldQuery>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    Ok(Json(json!({"lines": state.service.line_yield(actor, query.days.unwrap_or(60)).await?})))
}

/// The models predictions were made with: name, version, hash of the training data, parameters.
#[utoipa::path(get, path = "/api/v1/analytics/models", tag = "analytics", security(("apiKey" = [])),
    responses((status = 200, description = "Registered models")))]
pub async fn models(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    caller.actor()?;
    Ok(Json(json!({"items": state.service.analytics_models().await?})))
}
