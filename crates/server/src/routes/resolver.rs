//! The public resolver: where a battery's QR code leads. `/p/{id}` (the passport's IEC 61406 identification
//! link: one HTTPS URL per battery, answering people and programs) and GS1 Digital Link
//! `/01/{gtin}/21/{serial}`. One passport, three representations (page, JSON, JSON-LD), each through the
//! access filter for the caller (the public without a key), cacheable by a CDN when public.

use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use passport::access::Audience;
use passport::{gs1, ids, jsonld};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::Caller;
use crate::body::PathParams;
use crate::negotiate::{Representation, representation};
use crate::problem::Problem;
use crate::service::{Passport, ServiceError, Tombstone};
use crate::viewer::{self, Lang, PageContext};

/// Seconds a shared cache may serve a public answer without asking again.
const MAX_AGE_S: u32 = 60;
/// The Digital Link types this resolver answers with the passport itself (GS1 Web Vocabulary).
const PASSPORT_LINK_TYPES: [&str; 4] = ["gs1:pip", "gs1:sustainabilityInfo", "gs1:certificationInfo", "gs1:epil"];

#[derive(Debug, Deserialize)]
pub struct ViewQuery {
    lang: Option<String>,
}

/// How one request wants its answer.
struct Wanted {
    representation: Representation,
    lang: Lang,
    /// `If-None-Match`, for 304.
    if_none_match: Option<HeaderValue>,
}

impl Wanted {
    fn from(headers: &HeaderMap, lang: Option<&str>) -> Result<Wanted, Problem> {
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
        let representation = representation(accept).ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "this resource is available as text/html, application/json and application/ld+json",
            )
        })?;
        let accept_language = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(Wanted {
            representation,
            lang: Lang::negotiate(lang, accept_language),
            if_none_match: headers.get(header::IF_NONE_MATCH).cloned(),
        })
    }

    /// An error in the negotiated shape: a page for people, problem+json for programs.
    fn error(&self, problem: Problem) -> Response {
        if self.representation != Representation::Html {
            return problem.into_response();
        }
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body =
            viewer::error_page(problem.status, problem.title, problem.detail.as_deref().unwrap_or(""), self.lang);
        let mut response = html(status, body);
        if let Some(seconds) = problem.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A passport by its identifier.
#[utoipa::path(get, path = "/p/{id}", tag = "resolver",
    params(("id" = String, Path, description = "Passport identifier (URN)"),
           ("lang" = Option<String>, Query, description = "Page language: en or de (else Accept-Language)")),
    responses(
        (status = 200, description = "The passport as the caller may see it (the public: Annex XIII point 1), as \
            text/html, application/json or application/ld+json by the Accept header"),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "Not a passport identifier"),
        (status = 404, description = "Unknown passport"),
        (status = 406, description = "None of the offered types is acceptable"),
        (status = 410, description = "The battery was recycled: a tombstone says which battery, when and why"),
        (status = 429, description = "Too many requests from this address; see Retry-After"),
    ))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    Query(query): Query<ViewQuery>,
    headers: HeaderMap,
) -> Response {
    let wanted = match Wanted::from(&headers, query.lang.as_deref()) {
        Ok(w) => w,
        Err(problem) => return problem.into_response(),
    };
    if !ids::is_passport_id(&id) {
        return wanted
            .error(Problem::bad_request(format!("`{}` is not a passport identifier (urn:voltpass:…)", shorten(&id))));
    }
    answer(&state, &caller, &id, &wanted).await
}

/// A passport by GS1 Digital Link: `/01/{gtin}/21/{serial}`, optionally with `/10/{lot}` and `?linkType=`.
#[utoipa::path(get, path = "/01/{gtin}/21/{serial}", tag = "resolver",
    params(("gtin" = String, Path, description = "GTIN-8/12/13/14 with a valid check digit"),
           ("serial" = String, Path, description = "Serial number (AI 21)"),
           ("linkType" = Option<String>, Query, description = "gs1:pip (default), gs1:sustainabilityInfo, … or `all` for a linkset")),
    responses(
        (status = 200, description = "As /p/{id}; `linkType=all` gives an RFC 9264 linkset"),
        (status = 400, description = "Malformed Digital Link (check digit, application identifier, characters)"),
        (status = 404, description = "No passport for this battery, or no link of that type"),
        (status = 410, description = "The battery was recycled"),
    ))]
pub async fn resolve_gs1(
    State(state): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
    RawQuery(raw_query): RawQuery,
    Query(query): Query<ViewQuery>,
    headers: HeaderMap,
) -> Response {
    let wanted = match Wanted::from(&headers, query.lang.as_deref()) {
        Ok(w) => w,
        Err(problem) => return problem.into_response(),
    };
    let link = match gs1::parse_path(uri.path(), raw_query.as_deref()) {
        Ok(link) => link,
        Err(e) => return wanted.error(Problem::bad_request(format!("GS1 Digital Link: {e}"))),
    };
    let Some(battery_id) = link.product_identifier() else {
        return wanted.error(Problem::not_found(
            "a GTIN alone names a battery model; a battery's passport needs its serial: /01/{gtin}/21/{serial}",
        ));
    };
    let head = match state.service.active_by_battery_id(&battery_id).await {
        Ok(Some(head)) => head,
        Ok(None) => return wanted.error(Problem::not_found(format!("no passport for battery {battery_id}"))),
        Err(e) => return wanted.error(e.into()),
    };
    let canonical = format!("{}/p/{}", state.config.public_base_url, head.id);
    let mut response = match link.link_type.as_deref() {
        None => answer(&state, &caller, &head.id, &wanted).await,
        Some(t) if PASSPORT_LINK_TYPES.contains(&t) => answer(&state, &caller, &head.id, &wanted).await,
        Some("all") => linkset(&state, &head.id, &canonical),
        Some(other) => {
            return wanted
                .error(Problem::not_found(format!("no link of type `{other}` for this battery; try linkType=all")));
        }
    };
    if let Ok(link) = HeaderValue::from_str(&format!("<{canonical}>; rel=\"canonical\"")) {
        response.headers_mut().append(header::LINK, link);
    }
    response
}

/// The RFC 9264 linkset a Digital Link resolver returns for `linkType=all`.
fn linkset(state: &AppState, id: &str, canonical: &str) -> Response {
    let base = &state.config.public_base_url;
    let body = json!({ "linkset": [{
        "anchor": canonical,
        "https://gs1.org/voc/pip": [
            { "href": canonical, "type": "text/html", "title": "Battery passport" },
            { "href": canonical, "type": "application/json", "title": "Battery passport (JSON)" },
            { "href": canonical, "type": "application/ld+json", "title": "Battery passport (JSON-LD)" },
        ],
        "https://gs1.org/voc/sustainabilityInfo": [{ "href": canonical, "title": "Carbon footprint, recycled content, end of life" }],
        "https://gs1.org/voc/defaultLink": [{ "href": canonical }],
        "describedby": [{ "href": format!("{base}/p/{id}/qr.svg"), "type": "image/svg+xml", "title": "QR code" }],
    }]});
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/linkset+json"));
    response
}

/// The passport (or its tombstone) in the wanted representation, with caching headers.
async fn answer(state: &AppState, caller: &Caller, id: &str, wanted: &Wanted) -> Response {
    let reader = caller.actor_or_public();
    let mut response = match state.service.passport(id, None, reader).await {
        Ok(passport) => {
            let audience = crate::service::audience(reader, &passport.head);
            let tag = entity_tag(passport.version.meta.version, audience, wanted);
            let mut r = if wanted.if_none_match.as_ref().is_some_and(|v| matches_etag(v, &tag)) {
                StatusCode::NOT_MODIFIED.into_response()
            } else {
                match render(state, caller, &passport, audience, wanted).await {
                    Ok(r) => r,
                    Err(problem) => return wanted.error(problem),
                }
            };
            r.headers_mut().insert(header::ETAG, tag);
            r
        }
        Err(ServiceError::Gone(tombstone)) => gone(&tombstone, wanted),
        Err(ServiceError::NotFound(_)) if wanted.representation == Representation::Html => {
            html(StatusCode::NOT_FOUND, viewer::not_found_page(id, wanted.lang))
        }
        Err(e) => return wanted.error(e.into()),
    };
    let headers = response.headers_mut();
    let cache = if matches!(caller, Caller::Public) {
        format!("public, max-age={MAX_AGE_S}")
    } else {
        "private, no-store".to_string()
    };
    if let Ok(cache) = HeaderValue::from_str(&cache) {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept, accept-language, authorization, cookie"));
    response
}

async fn render(
    state: &AppState,
    caller: &Caller,
    passport: &Passport,
    audience: Audience,
    wanted: &Wanted,
) -> Result<Response, Problem> {
    let url = format!("{}/p/{}", state.config.public_base_url, passport.head.id);
    Ok(match wanted.representation {
        Representation::Json => json_response(Representation::Json, serde_json::to_vec(&passport.document)),
        Representation::JsonLd => {
            json_response(Representation::JsonLd, serde_json::to_vec(&jsonld::to_json_ld(&passport.document, &url)))
        }
        Representation::Html => {
            let history = match audience {
                Audience::Public => Vec::new(),
                _ => state.service.history(&passport.head.id, caller.actor_or_public()).await?,
            };
            let qr_path = format!("/p/{}/qr.svg", passport.head.id);
            let ctx = PageContext {
                lang: wanted.lang,
                audience,
                passport_id: &passport.head.id,
                model_id: Some(&passport.head.model_id),
                version: passport.version.meta.version,
                signed_in_as: caller.actor_or_public().map(|a| a.name.as_str()),
                history: &history,
                successor_id: passport.head.successor_id.as_deref(),
                qr_svg_path: &qr_path,
            };
            html(StatusCode::OK, viewer::passport_page(&passport.document, &ctx))
        }
    })
}

/// 410 with the tombstone: a page, or problem+json carrying it.
fn gone(tombstone: &Tombstone, wanted: &Wanted) -> Response {
    if wanted.representation != Representation::Html {
        return Problem::gone(tombstone.clone()).into_response();
    }
    let ceased_at = tombstone.ceased_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let page = viewer::Tombstone {
        passport_id: &tombstone.passport_id,
        battery_id: &tombstone.battery_id,
        model_id: &tombstone.model_id,
        manufacturer: &tombstone.manufacturer,
        ceased_at: &ceased_at,
        reason: &tombstone.reason,
        successor_id: tombstone.successor_id.as_deref(),
    };
    html(StatusCode::GONE, viewer::tombstone_page(&page, wanted.lang))
}

fn json_response(representation: Representation, body: serde_json::Result<Vec<u8>>) -> Response {
    let mut response = (StatusCode::OK, body.unwrap_or_default()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(representation.content_type()));
    response
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(Representation::Html.content_type()));
    response
}

/// Strong ETag per version, access group, representation and language: each is a different body.
fn entity_tag(version: i64, audience: Audience, wanted: &Wanted) -> HeaderValue {
    let group = match audience {
        Audience::Public => "pub",
        Audience::LegitimateInterest => "li",
        Audience::Authority => "auth",
        Audience::Operator => "op",
    };
    let lang = if wanted.representation == Representation::Html { wanted.lang.code() } else { "" };
    HeaderValue::from_str(&format!("\"{version}-{group}-{}{lang}\"", wanted.representation.tag()))
        .expect("ASCII tag is a valid header value")
}

/// `If-None-Match` holds our ETag (or `*`), possibly among others.
fn matches_etag(header: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(text) = header.to_str() else { return false };
    let ours = tag.to_str().unwrap_or_default();
    text.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

/// At most 80 characters of user input in messages.
fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}
