//! The analytics dashboard page: flagged cells of the latest screenings with their drivers, units on hold,
//! each line's first-pass yield with its forecast, and the registered models. Signed-in readers only; who sees
//! which units is the service's decision, as for the REST routes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use store::ResultFilter;

use crate::AppState;
use crate::auth::Caller;
use crate::routes::quality_pages::{error_page, no_store, sign_in, signed_in};
use crate::routes::resolver::html;
use crate::viewer;

/// `/analytics`.
pub async fn dashboard(State(state): State<AppState>, caller: Caller) -> Response {
    let Some(actor) = signed_in(&caller) else { return sign_in("/analytics") };
    let service = &state.service;
    let flagged = ResultFilter { flagged_only: true, ..ResultFilter::default() };
    let data = async {
        Ok::<_, crate::service::ServiceError>(viewer::analytics::Dashboard {
            flagged: service.screening_results(actor, flagged).await?,
            holds: service.holds(actor).await?,
            lines: service.line_yield(actor, 60).await?,
            models: service.analytics_models().await?,
        })
    };
    match data.await {
        Ok(data) => no_store(html(StatusCode::OK, viewer::analytics::dashboard(&actor.name, &data))),
        Err(e) => error_page(e.into()),
    }
}
