//! Supplier ratings (issue 6): the ranking and one supplier's scorecards over periods.

use axum::Json;
use axum::extract::{Query, State};
use quality::scorecard::{Granularity, Weights};
use serde::Deserialize;
use serde_json::{Value, json};
use time::Date;

use crate::AppState;
use crate::auth::Caller;
use crate::body::PathParams;
use crate::problem::Problem;
use crate::service::scorecard::ScorecardQuery;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ScorecardParams {
    /// month, quarter (default) or year.
    pub granularity: Option<String>,
    /// First day (YYYY-MM-DD; default a year before `to`).
    pub from: Option<String>,
    /// Day after the last (YYYY-MM-DD; default tomorrow).
    pub to: Option<String>,
    /// Weights, e.g. `acceptance=30,ppm=20,completeness=15,onTime=10,capability=15,alarms=10` (unnamed keep
    /// the server's).
    pub weights: Option<String>,
}

fn date(text: &str, name: &str) -> Result<Date, Problem> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).map_err(|e| Problem::bad_request(format!("`{name}` is not a YYYY-MM-DD date: {e}")))
}

impl ScorecardParams {
    /// The query, on top of the server's configured weights.
    pub fn query(&self, base: &Weights, on_time_days: u32) -> Result<ScorecardQuery, Problem> {
        let granularity = match self.granularity.as_deref() {
            None | Some("quarter") => Granularity::Quarter,
            Some("month") => Granularity::Month,
            Some("year") => Granularity::Year,
            Some(other) => {
                return Err(Problem::bad_request(format!("`granularity` is month, quarter or year, not `{other}`")));
            }
        };
        let weights = match &self.weights {
            Some(text) => base.with_overrides(text).map_err(|e| Problem::bad_request(format!("weights: {e}")))?,
            None => base.clone(),
        };
        Ok(ScorecardQuery {
            granularity,
            from: self.from.as_deref().map(|t| date(t, "from")).transpose()?,
            to: self.to.as_deref().map(|t| date(t, "to")).transpose()?,
            weights,
            on_time_days,
        })
    }
}

/// Every supplier ranked by its latest period's score, with its grade and trend.
#[utoipa::path(get, path = "/api/v1/suppliers", tag = "quality", security(("apiKey" = [])), params(ScorecardParams),
    responses((status = 200, description = "`items`: suppliers, best first")))]
pub async fn ranking(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ScorecardParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(params) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
    let query = params.query(&state.config.scorecard_weights, state.config.coa_on_time_days)?;
    let reports = state.service.supplier_ranking(actor, &query).await?;
    let items: Vec<Value> = reports
        .iter()
        .map(|r| {
            json!({
                "supplier": r.supplier, "name": r.name, "materials": r.materials,
                "latest": r.latest(), "trend": r.trend, "openAlarms": r.open_alarms.len(),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// A supplier's scorecard per period (lots received/accepted/rejected, PPM, CoA completeness and on-time
/// rate, share of characteristics with Cpk >= 1.33, open alarms, weighted score, grade) and the trend.
#[utoipa::path(get, path = "/api/v1/suppliers/{id}/scorecard", tag = "quality", security(("apiKey" = [])),
    params(("id" = String, Path, description = "Supplier id (BPN or other)"), ScorecardParams),
    responses((status = 200, description = "The scorecards, oldest period first"), (status = 404, description = "No CoAs from this supplier", content_type = "application/problem+json")))]
pub async fn scorecard(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    params: Result<Query<ScorecardParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let actor = caller.actor()?;
    let Query(params) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
    let query = params.query(&state.config.scorecard_weights, state.config.coa_on_time_days)?;
    Ok(Json(json!(state.service.supplier_scorecard(actor, &id, &query).await?)))
}
