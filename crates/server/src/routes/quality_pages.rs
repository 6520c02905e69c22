//! The supplier-quality dashboard's pages (issue 6). Signed-in readers only: the public is sent to the
//! sign-in form; who may see what is the service's decision, as for the REST routes.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use store::{Actor, AlarmFilter, CoaFilter, SeriesId};

use crate::AppState;
use crate::auth::Caller;
use crate::body::PathParams;
use crate::problem::Problem;
use crate::routes::resolver::html;
use crate::routes::suppliers::ScorecardParams;
use crate::viewer::{self, Lang};

/// Shown on the alarms page at most.
const ALARMS_SHOWN: i64 = 500;
const LOTS_PER_PAGE: i64 = 100;

/// The signed-in actor, if any.
pub(crate) fn signed_in(caller: &Caller) -> Option<&Actor> {
    match caller {
        Caller::Actor(actor) => Some(actor),
        Caller::Public => None,
    }
}

/// To the sign-in form, which comes back to `path`.
pub(crate) fn sign_in(path: &str) -> Response {
    Redirect::to(&format!("/login?next={}", viewer::quality::encode_query(path))).into_response()
}

/// A refused or failed request as an error page.
pub(crate) fn error_page(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let detail = problem.detail.clone().unwrap_or_default();
    html(status, viewer::error_page(problem.status, problem.title, &detail, Lang::En))
}

pub(crate) fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `/quality`: open alarms, newest first.
pub async fn alarms(State(state): State<AppState>, caller: Caller) -> Response {
    let Some(actor) = signed_in(&caller) else { return sign_in("/quality") };
    let filter = AlarmFilter { open: Some(true), ..AlarmFilter::default() };
    match state.service.spc_alarms(actor, filter, None, 100_000).await {
        Ok(mut alarms) => {
            let more = alarms.len() as i64 > ALARMS_SHOWN;
            alarms.reverse();
            alarms.truncate(ALARMS_SHOWN as usize);
            no_store(html(StatusCode::OK, viewer::quality::alarms_page(&actor.name, &alarms, more)))
        }
        Err(e) => error_page(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct LotsQuery {
    supplier: Option<String>,
    material: Option<String>,
    outcome: Option<String>,
    cursor: Option<String>,
}

/// `/quality/lots`: lot decisions, filterable by supplier, material and decision.
pub async fn lots(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<LotsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(actor) = signed_in(&caller) else { return sign_in("/quality/lots") };
    let Ok(Query(q)) = query else { return error_page(Problem::bad_request("unknown filter")) };
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let filter =
        CoaFilter { supplier: blank(q.supplier), material: blank(q.material), lot: None, outcome: blank(q.outcome) };
    let after = match super::page_request(Some(LOTS_PER_PAGE), q.cursor.as_deref(), LOTS_PER_PAGE) {
        Ok((_, after)) => after,
        Err(p) => return error_page(p),
    };
    let page = async {
        let mut coas = state.service.coas(actor, filter.clone(), after.as_deref(), LOTS_PER_PAGE + 1).await?;
        let suppliers = state.service.coa_suppliers(actor).await?;
        let more = coas.len() as i64 > LOTS_PER_PAGE;
        coas.truncate(LOTS_PER_PAGE as usize);
        let next = more.then(|| coas.last().map(|c| URL_SAFE_NO_PAD.encode(c.id.as_bytes()))).flatten();
        Ok::<_, crate::service::ServiceError>(viewer::quality::lots_page(
            &actor.name,
            &coas,
            &filter,
            &suppliers,
            next.as_deref(),
        ))
    };
    match page.await {
        Ok(body) => no_store(html(StatusCode::OK, body)),
        Err(e) => error_page(e.into()),
    }
}

/// `/quality/suppliers`: the ranking.
pub async fn ranking(State(state): State<AppState>, caller: Caller) -> Response {
    let Some(actor) = signed_in(&caller) else { return sign_in("/quality/suppliers") };
    let query = match ScorecardParams::default().query(&state.config.scorecard_weights, state.config.coa_on_time_days) {
        Ok(q) => q,
        Err(p) => return error_page(p),
    };
    match state.service.supplier_ranking(actor, &query).await {
        Ok(reports) => no_store(html(StatusCode::OK, viewer::quality::ranking_page(&actor.name, &reports))),
        Err(e) => error_page(e.into()),
    }
}

/// Which view of a supplier's scorecard.
enum SupplierView {
    Page,
    ReportHtml,
    ReportPdf,
}

async fn supplier_view(state: AppState, caller: Caller, id: String, view: SupplierView) -> Response {
    let path = format!("/quality/suppliers/{}", viewer::quality::encode_query(&id));
    let Some(actor) = signed_in(&caller) else { return sign_in(&path) };
    let query = match ScorecardParams::default().query(&state.config.scorecard_weights, state.config.coa_on_time_days) {
        Ok(q) => q,
        Err(p) => return error_page(p),
    };
    let report = match state.service.supplier_scorecard(actor, &id, &query).await {
        Ok(r) => r,
        Err(e) => return error_page(e.into()),
    };
    let generated =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let response = match view {
        SupplierView::Page => html(StatusCode::OK, viewer::quality::supplier_page(&actor.name, &report)),
        SupplierView::ReportHtml => html(StatusCode::OK, viewer::quality::supplier_report_html(&report, &generated)),
        SupplierView::ReportPdf => {
            let mut response = viewer::quality::supplier_report_pdf(&report, &generated).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            let file = format!("inline; filename=\"supplier-report-{}.pdf\"", viewer::quality::file_safe(&id));
            if let Ok(value) = HeaderValue::from_str(&file) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
    };
    no_store(response)
}

/// `/quality/suppliers/{id}`: a supplier's scorecard.
pub async fn supplier(State(state): State<AppState>, caller: Caller, PathParams(id): PathParams<String>) -> Response {
    supplier_view(state, caller, id, SupplierView::Page).await
}

/// `/quality/suppliers/{id}/report.html`: the printable report.
pub async fn report_html(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Response {
    supplier_view(state, caller, id, SupplierView::ReportHtml).await
}

/// `/quality/suppliers/{id}/report.pdf`: the report as PDF.
pub async fn report_pdf(State(state): State<AppState>, caller: Caller, PathParams(id): PathParams<String>) -> Response {
    supplier_view(state, caller, id, SupplierView::ReportPdf).await
}

#[derive(Debug, Deserialize)]
pub struct SeriesQuery {
    supplier: String,
    material: String,
    characteristic: String,
}

/// `/quality/series`: one characteristic's control chart and capability.
pub async fn series(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<SeriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(actor) = signed_in(&caller) else { return sign_in("/quality") };
    let Ok(Query(q)) = query else {
        return error_page(Problem::bad_request("name the `supplier`, `material` and `characteristic`"));
    };
    let id = SeriesId { supplier_id: q.supplier, material_id: q.material, characteristic: q.characteristic };
    match state.service.spc_series(actor, &id).await {
        Ok(view) => {
            let capability = crate::service::spc::capability_of(&view);
            no_store(html(StatusCode::OK, viewer::quality::series_page(&actor.name, &view, capability.as_ref())))
        }
        Err(e) => error_page(e.into()),
    }
}
