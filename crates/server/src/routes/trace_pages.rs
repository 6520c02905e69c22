//! The trace explorer's pages (issue 7). Signed-in readers only; who may see what is the service's decision,
//! as for the REST routes.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use trace::UnitKind;

use crate::AppState;
use crate::auth::Caller;
use crate::body::PathParams;
use crate::routes::quality_pages::{error_page, no_store, sign_in, signed_in};
use crate::routes::resolver::html;
use crate::viewer;

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    id: Option<String>,
}

/// `/trace`: the search form; `/trace?id=X` goes to the unit's page.
pub async fn start(caller: Caller, Query(q): Query<SearchQuery>) -> Response {
    let Some(actor) = signed_in(&caller) else { return sign_in("/trace") };
    match q.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => Redirect::to(&format!("/trace/{}", viewer::quality::encode_query(id))).into_response(),
        None => no_store(html(StatusCode::OK, viewer::trace::explorer_start(&actor.name))),
    }
}

/// `/trace/{id}`: a unit's backward trace and, for a lot or batch, its forward trace.
pub async fn unit(State(state): State<AppState>, caller: Caller, PathParams(id): PathParams<String>) -> Response {
    let here = format!("/trace/{}", viewer::quality::encode_query(&id));
    let Some(actor) = signed_in(&caller) else { return sign_in(&here) };
    let up = match state.service.trace_upstream(actor, &id).await {
        Ok(up) => up,
        Err(e) => return error_page(e.into()),
    };
    let down = if matches!(up.unit.kind, UnitKind::Lot | UnitKind::Batch) {
        match state.service.trace_downstream(actor, &id).await {
            Ok(down) => Some(down),
            Err(e) => return error_page(e.into()),
        }
    } else {
        None
    };
    // Authorities and operators see holds; other readers of genealogy (none today) would simply not.
    let hold = state.service.hold_of(actor, &up.unit.id).await.ok().flatten();
    no_store(html(StatusCode::OK, viewer::trace::unit_page(&actor.name, &up, down.as_ref(), hold.as_ref())))
}
