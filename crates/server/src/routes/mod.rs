//! HTTP routes. Handlers are thin: parse the request, call the service, shape the response.

pub mod aas;
mod analytics;
mod analytics_pages;
mod bulk;
mod coas;
mod grants;
mod health;
mod keys;
mod lifecycle;
mod models;
mod pages;
mod passports;
pub(crate) mod quality_pages;
mod readings;
mod resolver;
mod spc;
pub(crate) mod suppliers;
mod trace;
mod trace_pages;
mod trust;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::{any, get, post};
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;

use crate::AppState;
use crate::problem::Problem;
use crate::ratelimit::{self, PublicLimiter};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "voltpass operator API",
        description = "Digital Battery Passports under Regulation (EU) 2023/1542. Errors are RFC 9457 problem+json.",
        license(name = "Apache-2.0")
    ),
    paths(
        health::healthz,
        models::create_model,
        models::get_model,
        models::update_model,
        models::model_versions,
        models::model_version,
        models::model_rollup,
        models::apply_model_rollup,
        passports::create_passport,
        passports::list_passports,
        passports::get_passport,
        passports::update_passport,
        passports::passport_versions,
        passports::passport_version,
        passports::cease_passport,
        passports::passport_rollup,
        lifecycle::change_status,
        lifecycle::create_successor,
        readings::add_readings,
        readings::add_readings_bulk,
        readings::reading_history,
        readings::rejected_readings,
        grants::create_grant,
        grants::list_grants,
        grants::revoke_grant,
        keys::list_keys,
        keys::revoke_keys,
        coas::receive_coa,
        coas::list_coas,
        coas::get_coa,
        coas::coa_original,
        coas::override_decision,
        coas::ecoa_schema,
        coas::add_lab_results,
        coas::lab_results,
        spc::sampling,
        spc::requalify,
        spc::list_alarms,
        spc::acknowledge_alarm,
        spc::series,
        spc::recompute,
        spc::list_specs,
        spc::put_spec,
        suppliers::ranking,
        suppliers::scorecard,
        analytics::screen,
        analytics::screening_results,
        analytics::holds,
        analytics::hold,
        analytics::release,
        analytics::cycle_life,
        analytics::state_of_health,
        analytics::passport_analytics,
        analytics::line_yield,
        analytics::models,
        trace::ingest_events,
        trace::upstream,
        trace::downstream,
        trace::downstream_cells,
        trace::backlog,
        trace::bom,
        trace::rollup,
        trust::did_document,
        trust::credential,
        trust::audit_entries,
        trust::create_issuer_key,
        bulk::bulk_create,
        resolver::resolve,
        resolver::resolve_gs1,
        pages::qr_svg,
        pages::qr_png,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "models", description = "Battery model records (Annex XIII points 1-3, one per model and plant)"),
        (name = "passports", description = "Item passports, one per battery, composed with their model on read"),
        (name = "resolver", description = "Public resolver: where a battery's QR code leads"),
        (name = "lifecycle", description = "Waste, recycling, and new passports for re-used, repurposed and remanufactured batteries"),
        (name = "readings", description = "Dynamic data (Annex VII): state of charge and health, cycles, throughput, events"),
        (name = "grants", description = "Written authorisations to update attribute groups of passports (Art. 77(4))"),
        (name = "keys", description = "API keys for administrators: listed by fingerprint, revoked"),
        (name = "quality", description = "Supplier quality: eCoA intake with revisions, incoming-quality decisions and overrides"),
        (name = "trace", description = "Genealogy from material lot to pack: production events, backward and forward (recall) traces"),
        (name = "analytics", description = "End-of-line anomaly screening and holds, cycle-life prediction, state of health, line first-pass yield"),
        (name = "trust", description = "Issuer keys (did:web), verifiable credentials, the audit log"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi_document())
}

pub fn router(state: AppState) -> Router {
    let single = state.config.max_body_bytes;
    let bulk_limit = state.config.max_bulk_bytes;
    let api = Router::new()
        .route("/api/v1/models", post(models::create_model))
        .route("/api/v1/models/{id}", get(models::get_model).put(models::update_model))
        .route("/api/v1/models/{id}/versions", get(models::model_versions))
        .route("/api/v1/models/{id}/rollup", get(models::model_rollup).post(models::apply_model_rollup))
        .route("/api/v1/models/{id}/versions/{version}", get(models::model_version))
        .route("/api/v1/passports", post(passports::create_passport).get(passports::list_passports))
        .route("/api/v1/passports/{id}", get(passports::get_passport).put(passports::update_passport))
        .route("/api/v1/passports/{id}/versions", get(passports::passport_versions))
        .route("/api/v1/passports/{id}/cease", post(passports::cease_passport))
        .route("/api/v1/passports/{id}/rollup", get(passports::passport_rollup))
        .route("/api/v1/passports/{id}/versions/{version}", get(passports::passport_version))
        .route("/api/v1/passports/{id}/versions/{version}/credential", get(trust::credential))
        .route("/api/v1/passports/{id}/status", post(lifecycle::change_status))
        .route("/api/v1/passports/{id}/successor", post(lifecycle::create_successor))
        .route("/api/v1/passports/{id}/readings", get(readings::reading_history))
        .route("/api/v1/readings/rejected", get(readings::rejected_readings))
        .route("/api/v1/grants", post(grants::create_grant).get(grants::list_grants))
        .route("/api/v1/grants/{id}/revoke", post(grants::revoke_grant))
        .route("/api/v1/keys", get(keys::list_keys))
        .route("/api/v1/keys/revoke", post(keys::revoke_keys))
        .route("/api/v1/coas", post(coas::receive_coa).get(coas::list_coas))
        .route("/api/v1/coas/{id}", get(coas::get_coa))
        .route("/api/v1/coas/{id}/original", get(coas::coa_original))
        .route("/api/v1/coas/{id}/decision", post(coas::override_decision))
        .route("/api/v1/coas/{id}/lab-results", post(coas::add_lab_results).get(coas::lab_results))
        .route("/api/v1/sampling", get(spc::sampling))
        .route("/api/v1/sampling/requalify", post(spc::requalify))
        .route("/api/v1/spc/alarms", get(spc::list_alarms))
        .route("/api/v1/spc/alarms/{id}/acknowledge", post(spc::acknowledge_alarm))
        .route("/api/v1/spc/series", get(spc::series))
        .route("/api/v1/spc/recompute", post(spc::recompute))
        .route("/api/v1/specs", get(spc::list_specs).post(spc::put_spec))
        .route("/api/v1/suppliers", get(suppliers::ranking))
        .route("/api/v1/suppliers/{id}/scorecard", get(suppliers::scorecard))
        .route("/quality", get(quality_pages::alarms))
        .route("/quality/lots", get(quality_pages::lots))
        .route("/quality/suppliers", get(quality_pages::ranking))
        .route("/quality/suppliers/{id}", get(quality_pages::supplier))
        .route("/quality/suppliers/{id}/report.html", get(quality_pages::report_html))
        .route("/quality/suppliers/{id}/report.pdf", get(quality_pages::report_pdf))
        .route("/quality/series", get(quality_pages::series))
        .route("/trace", get(trace_pages::start))
        .route("/trace/{id}", get(trace_pages::unit))
        .route("/api/v1/trace/backlog", get(trace::backlog))
        .route("/api/v1/trace/{id}/upstream", get(trace::upstream))
        .route("/api/v1/trace/{id}/bom", get(trace::bom))
        .route("/api/v1/trace/{id}/rollup", get(trace::rollup))
        .route("/api/v1/trace/{id}/downstream", get(trace::downstream))
        .route("/api/v1/trace/{id}/downstream/cells", get(trace::downstream_cells))
        .route("/api/v1/analytics/eol/screenings", post(analytics::screen))
        .route("/api/v1/analytics/eol/results", get(analytics::screening_results))
        .route("/api/v1/analytics/holds", get(analytics::holds))
        .route("/api/v1/analytics/holds/{unitId}", post(analytics::hold))
        .route("/api/v1/analytics/holds/{unitId}/release", post(analytics::release))
        .route("/api/v1/analytics/cycle-life", post(analytics::cycle_life))
        .route("/api/v1/analytics/lines/yield", get(analytics::line_yield))
        .route("/api/v1/analytics/models", get(analytics::models))
        .route("/api/v1/passports/{id}/state-of-health", post(analytics::state_of_health))
        .route("/api/v1/passports/{id}/analytics", get(analytics::passport_analytics))
        .route("/analytics", get(analytics_pages::dashboard))
        .route("/api/v1/audit", get(trust::audit_entries))
        .route("/api/v1/issuer-keys", post(trust::create_issuer_key))
        .layer(DefaultBodyLimit::max(single));
    let bulk = Router::new()
        .route("/api/v1/passports:bulk", post(bulk::bulk_create))
        .route("/api/v1/passports/{id}/readings", post(readings::add_readings))
        .route("/api/v1/readings", post(readings::add_readings_bulk))
        .route("/api/v1/trace/events", post(trace::ingest_events))
        .layer(DefaultBodyLimit::max(bulk_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.bulk_timeout));
    // What the public reaches from a QR code: rate limited per client address when configured.
    let mut public = Router::new()
        .route("/p/{id}", get(resolver::resolve))
        .route("/p/{id}/qr.svg", get(pages::qr_svg))
        .route("/p/{id}/qr.png", get(pages::qr_png))
        .route("/01/{*rest}", get(resolver::resolve_gs1))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/assets/viewer.css", get(pages::stylesheet))
        .layer(DefaultBodyLimit::max(16 * 1024));
    if let Some(limit) = state.config.public_rate_limit {
        let limiter = PublicLimiter::new(limit, state.config.trust_forwarded_for);
        public = public.route_layer(axum::middleware::from_fn_with_state(limiter, ratelimit::limit_public));
    }
    // The AAS API owns everything below /api/v3 (its own error shape, 404 and 405 included).
    let aas = Router::new()
        .route("/api/v3", any(aas::dispatch))
        .route("/api/v3/{*rest}", any(aas::dispatch))
        .layer(DefaultBodyLimit::max(single));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/openapi.json", get(openapi_json))
        .route("/.well-known/did.json", get(trust::did_document))
        .route("/api/v1/schemas/ecoa.json", get(coas::ecoa_schema))
        .merge(public)
        .merge(api)
        .merge(aas)
        .fallback(pages::not_found)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.request_timeout))
        .merge(bulk)
        .layer(axum::middleware::map_response(crate::security::headers))
        .with_state(state)
}

/// A list response from up to `limit + 1` items read: `items` (the first `limit`, as `render` shows them)
/// and, when there was one more, `nextCursor` resuming after the last shown (its `key`, base64url).
pub(crate) fn page_body<T>(
    items: &[T],
    limit: i64,
    key: impl Fn(&T) -> &str,
    render: impl Fn(&T) -> serde_json::Value,
) -> serde_json::Value {
    use base64::Engine;
    let page = &items[..items.len().min(limit.max(0) as usize)];
    let mut body = serde_json::json!({ "items": page.iter().map(render).collect::<Vec<_>>() });
    if items.len() > page.len()
        && let Some(last) = page.last()
    {
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key(last).as_bytes());
        body["nextCursor"] = serde_json::Value::String(cursor);
    }
    body
}

/// A list request's page size (1..=`max`, default 100) and the key its `cursor` resumes after.
pub(crate) fn page_request(
    limit: Option<i64>,
    cursor: Option<&str>,
    max: i64,
) -> Result<(i64, Option<String>), Problem> {
    use base64::Engine;
    let limit = limit.unwrap_or(100);
    if !(1..=max).contains(&limit) {
        return Err(Problem::bad_request(format!("limit must be between 1 and {max}")));
    }
    let after = cursor
        .map(|c| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| Problem::bad_request("cursor is not one this server issued"))
        })
        .transpose()?;
    Ok((limit, after))
}

/// Strong ETag for a version number.
pub(crate) fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// The version an `If-Match` header names: `None` without the header or for `*`.
/// A value that is not one of our ETags can never match: 412.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/").trim_matches('"').parse::<i64>().map(Some).map_err(|_| {
        Problem::new(
            axum::http::StatusCode::PRECONDITION_FAILED,
            "stale-version",
            format!("If-Match {text} matches no version"),
        )
    })
}
