//! The public resolver: where a battery's QR code leads. `/p/{id}` (the passport's IEC 61406 identification
//! link: one HTTPS URL per battery, answering people and programs) and GS1 Digital Link
//! `/01/{gtin}/21/{serial}`. One passport, three representations (page, JSON, JSON-LD), each through the
//! access filter for the caller (the public without a key), cacheable by a CDN when public.

use axum::extract::{FromRequestParts, Query, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use passport::access::Audience;
use passport::{gs1, ids, jsonld};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

use crate::AppState;
use crate::auth::Caller;
use crate::body::PathParams;
use crate::negotiate::{Representation, representation};
use crate::problem::{PROBLEM_JSON, Problem};
use crate::service::public_cache::CachedAnswer;
use crate::service::{Passport, ServiceError, Tombstone};
use crate::viewer::{self, Lang, PageContext};

/// A shared cache may serve a public answer for a minute without asking again (as the public cache does).
const PUBLIC_CACHE_CONTROL: &str = "public, max-age=60";
/// The Digital Link types this resolver answers with the passport itself (GS1 Web Vocabulary).
const PASSPORT_LINK_TYPES: [&str; 4] = ["gs1:pip", "gs1:sustainabilityInfo", "gs1:certificationInfo", "gs1:epil"];

#[derive(Debug, Deserialize)]
pub struct ViewQuery {
    lang: Option<String>,
}

/// How one request wants its answer.
pub struct Wanted {
    representation: Representation,
    lang: Lang,
    /// `If-None-Match`, for 304.
    if_none_match: Option<HeaderValue>,
}

/// Every resolver route negotiates the same way; a request nothing can satisfy is refused before the handler.
impl<S: Send + Sync> FromRequestParts<S> for Wanted {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = Query::<ViewQuery>::try_from_uri(&parts.uri).ok().and_then(|Query(q)| q.lang);
        Wanted::from(&parts.headers, lang.as_deref()).map_err(IntoResponse::into_response)
    }
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

    /// Which cached variant this request wants.
    fn variant(&self) -> &'static str {
        match (self.representation, self.lang) {
            (Representation::Json, _) => "json",
            (Representation::JsonLd, _) => "jsonld",
            (Representation::Html, Lang::En) => "html-en",
            (Representation::Html, Lang::De) => "html-de",
        }
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
        if let Some(seconds) = problem.retry_after() {
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
    wanted: Wanted,
) -> Response {
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
    wanted: Wanted,
) -> Response {
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

/// The passport (or its tombstone) in the wanted representation, with caching headers. The public's answers
/// come from the public cache when it has them (a write through this server forgets them).
async fn answer(state: &AppState, caller: &Caller, id: &str, wanted: &Wanted) -> Response {
    let public = matches!(caller, Caller::Public);
    let cache = state.service.public_cache();
    let cached = if public { cache.get(id, wanted.variant()) } else { None };
    let finished = match cached {
        Some(answer) => answer,
        None => match build(state, caller, id, wanted).await {
            Ok(answer) => {
                let answer = Arc::new(answer);
                if public {
                    cache.put(id, wanted.variant(), answer.clone());
                }
                answer
            }
            Err(response) => return response,
        },
    };
    respond(&finished, wanted, public)
}

/// A finished answer for one request: 304 when the client holds it already.
fn respond(answer: &CachedAnswer, wanted: &Wanted, public: bool) -> Response {
    let tag = answer.etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok());
    let unchanged = match (&tag, &wanted.if_none_match) {
        (Some(tag), Some(sent)) => matches_etag(sent, tag),
        _ => false,
    };
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
        let mut r = (status, answer.body.clone()).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
        r
    };
    let headers = response.headers_mut();
    if let Some(tag) = tag {
        headers.insert(header::ETAG, tag);
    }
    let cache_control = if public { PUBLIC_CACHE_CONTROL } else { "private, no-store" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::VARY, HeaderValue::from_static("accept, accept-language, authorization, cookie"));
    response
}

/// Renders a passport (or its tombstone) for `caller`; errors come back as finished responses.
async fn build(state: &AppState, caller: &Caller, id: &str, wanted: &Wanted) -> Result<CachedAnswer, Response> {
    let reader = caller.actor_or_public();
    match state.service.passport(id, None, reader).await {
        Ok(passport) => {
            let audience = crate::service::audience(reader, &passport.head);
            let (content_type, body) =
                render(state, caller, &passport, audience, wanted).await.map_err(|p| wanted.error(p))?;
            // Beyond the public view, the latest readings change the answer without a new version: tag the bytes.
            let tag = match audience {
                Audience::Public => entity_tag(passport.version.meta.version, audience, wanted),
                _ => format!("\"{}\"", &passport::hash::sha256_hex(&body)[..32]),
            };
            Ok(CachedAnswer::new(200, content_type, Some(tag), body))
        }
        Err(ServiceError::Gone(tombstone)) => Ok(gone(&tombstone, wanted)),
        Err(ServiceError::NotFound(_)) if wanted.representation == Representation::Html => {
            Err(html(StatusCode::NOT_FOUND, viewer::not_found_page(id, wanted.lang)))
        }
        Err(e) => Err(wanted.error(e.into())),
    }
}

async fn render(
    state: &AppState,
    caller: &Caller,
    passport: &Passport,
    audience: Audience,
    wanted: &Wanted,
) -> Result<(&'static str, Bytes), Problem> {
    let url = format!("{}/p/{}", state.config.public_base_url, passport.head.id);
    let serialize = |value: &serde_json::Value| {
        serde_json::to_vec(value).map_err(|e| Problem::from(ServiceError::Internal(format!("serialising: {e}"))))
    };
    let content_type = wanted.representation.content_type();
    Ok(match wanted.representation {
        Representation::Json => (content_type, serialize(&passport.document)?.into()),
        Representation::JsonLd => (content_type, serialize(&jsonld::to_json_ld(&passport.document, &url))?.into()),
        Representation::Html => {
            let history = match audience {
                Audience::Public => Vec::new(),
                _ => state.service.history(&passport.head.id, caller.actor_or_public()).await?,
            };
            let health_curve = match audience {
                Audience::Public => Vec::new(),
                _ => state.service.health_curve(&passport.head.id).await?,
            };
            let predictions = match audience {
                Audience::Public => Vec::new(),
                _ => state.service.passport_analytics(caller.actor_or_public(), &passport.head.id).await?,
            };
            let origin = match audience {
                Audience::Operator | Audience::Authority => origin(state, caller, &passport.head.id).await?,
                _ => None,
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
                health_curve: &health_curve,
                origin: origin.as_ref(),
                predictions: &predictions,
            };
            (content_type, viewer::passport_page(&passport.document, &ctx).into())
        }
    })
}

/// The pack's roll-up with its provenance, when the reader may see it and a traced pack is linked.
async fn origin(state: &AppState, caller: &Caller, passport_id: &str) -> Result<Option<serde_json::Value>, Problem> {
    let factors = &state.config.footprint_factors;
    match state.service.passport_rollup(caller.actor_or_public(), passport_id, factors).await {
        Ok(rollup) => Ok(rollup.get("lots").is_some().then_some(rollup)),
        Err(ServiceError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// 410 with the tombstone: a page, or problem+json carrying it.
fn gone(tombstone: &Tombstone, wanted: &Wanted) -> CachedAnswer {
    if wanted.representation != Representation::Html {
        let body = serde_json::to_vec(&Problem::gone(tombstone.clone())).unwrap_or_default();
        return CachedAnswer::new(410, PROBLEM_JSON, None, body.into());
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
    CachedAnswer::new(410, Representation::Html.content_type(), None, viewer::tombstone_page(&page, wanted.lang).into())
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(Representation::Html.content_type()));
    response
}

/// Strong ETag per version, access group, representation and language: each is a different body.
fn entity_tag(version: i64, audience: Audience, wanted: &Wanted) -> String {
    let group = match audience {
        Audience::Public => "pub",
        Audience::LegitimateInterest => "li",
        Audience::Authority => "auth",
        Audience::Operator => "op",
    };
    let lang = if wanted.representation == Representation::Html { wanted.lang.code() } else { "" };
    format!("\"{version}-{group}-{}{lang}\"", wanted.representation.tag())
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
