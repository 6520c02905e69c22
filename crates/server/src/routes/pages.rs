//! Page plumbing around the viewer: sign-in and sign-out (the API key in a session cookie), the style sheet,
//! and the QR code images. The login form is protected by a double-submit CSRF token (a random value in a
//! SameSite=Strict cookie that the form must echo); sign-out, which only forgets, by a same-origin check.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use passport::ids;
use rand::RngCore;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, actor_for_key, cookie};
use crate::body::PathParams;
use crate::problem::Problem;
use crate::routes::resolver::html;
use crate::viewer::{self, Lang, VIEWER_CSS};

const CSRF_COOKIE: &str = "vp_csrf";
/// A signed-in page session lasts a working day.
const SESSION_MAX_AGE_S: u32 = 8 * 3600;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    key: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    next: String,
}

fn lang(headers: &HeaderMap, query: Option<&str>) -> Lang {
    Lang::negotiate(query, headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// Only local paths: `next` must not send a signed-in reader to another site.
fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && next.len() < 512;
    if ok { next } else { "/" }
}

fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn set_cookie(response: &mut Response, state: &AppState, name: &str, value: &str, max_age_s: u32) {
    let secure = if state.config.public_base_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The sign-in form.
pub async fn login_form(State(state): State<AppState>, Query(q): Query<LoginQuery>, headers: HeaderMap) -> Response {
    let token = new_token();
    let next = local_path(q.next.as_deref().unwrap_or("/"));
    let page = viewer::login_page(lang(&headers, q.lang.as_deref()), next, &token, None);
    let mut response = html(StatusCode::OK, page);
    set_cookie(&mut response, &state, CSRF_COOKIE, &token, 3600);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Checks the key and keeps it in the session cookie; back to `next` on success.
pub async fn login(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let lang = lang(&headers, None);
    let next = local_path(&form.next).to_string();
    if !csrf_ok(&headers, &form.csrf) {
        return refuse(&state, lang, &next, StatusCode::FORBIDDEN, "the form expired; please sign in again");
    }
    let key = form.key.trim();
    if key.is_empty() || actor_for_key(&state, key).await.is_err() {
        return refuse(&state, lang, &next, StatusCode::UNAUTHORIZED, "unknown API key");
    }
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    set_cookie(&mut response, &state, SESSION_COOKIE, key, SESSION_MAX_AGE_S);
    set_cookie(&mut response, &state, CSRF_COOKIE, "", 0);
    response
}

/// Forgets the session.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<LogoutForm>) -> Response {
    if !same_origin(&headers) {
        return Problem::forbidden("sign-out is only accepted from this site's pages").into_response();
    }
    let next = local_path(&form.next).to_string();
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    set_cookie(&mut response, &state, SESSION_COOKIE, "", 0);
    response
}

/// The double-submit check: the form's token equals the cookie's, compared in constant time.
fn csrf_ok(headers: &HeaderMap, sent: &str) -> bool {
    let Some(expected) = cookie(headers, CSRF_COOKIE) else { return false };
    expected.len() == sent.len()
        && !sent.is_empty()
        && expected.bytes().zip(sent.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Browsers say where a form was posted from (`Sec-Fetch-Site`, else `Origin`); a request that says
/// neither is not a cross-site browser form.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn refuse(state: &AppState, lang: Lang, next: &str, status: StatusCode, why: &str) -> Response {
    let token = new_token();
    let mut response = html(status, viewer::login_page(lang, next, &token, Some(why)));
    set_cookie(&mut response, state, CSRF_COOKIE, &token, 3600);
    response
}

pub async fn stylesheet() -> Response {
    let mut response = VIEWER_CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

/// A passport's QR code as SVG: the resolver URL under the public base URL (ISO/IEC 18004, level M).
#[utoipa::path(get, path = "/p/{id}/qr.svg", tag = "resolver",
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses((status = 200, description = "image/svg+xml"), (status = 404, description = "Unknown passport")))]
pub async fn qr_svg(state: State<AppState>, id: PathParams<String>) -> Result<Response, Problem> {
    qr(state, id, QrFormat::Svg).await
}

/// A passport's QR code as PNG.
#[utoipa::path(get, path = "/p/{id}/qr.png", tag = "resolver",
    params(("id" = String, Path, description = "Passport identifier (URN)")),
    responses((status = 200, description = "image/png"), (status = 404, description = "Unknown passport")))]
pub async fn qr_png(state: State<AppState>, id: PathParams<String>) -> Result<Response, Problem> {
    qr(state, id, QrFormat::Png).await
}

enum QrFormat {
    Svg,
    Png,
}

async fn qr(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    format: QrFormat,
) -> Result<Response, Problem> {
    if !ids::is_passport_id(&id) {
        return Err(Problem::bad_request("not a passport identifier (urn:voltpass:…)"));
    }
    // Codes only for passports that exist (ended ones too: their tombstone is where the code leads).
    state.service.head(&id).await?;
    let url = format!("{}/p/{id}", state.config.public_base_url);
    let internal = |e: label::LabelError| Problem::from(crate::service::ServiceError::Internal(e.to_string()));
    let (body, content_type) = match format {
        QrFormat::Svg => (label::qr_svg(&url).map_err(internal)?.into_bytes(), "image/svg+xml"),
        QrFormat::Png => (label::qr_png(&url, 8).map_err(internal)?, "image/png"),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    Ok(response)
}

/// Unknown routes: a page for browsers, problem+json for programs.
pub async fn not_found(headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if crate::negotiate::representation(accept) == Some(crate::negotiate::Representation::Html) {
        let lang = lang(&headers, None);
        return html(StatusCode::NOT_FOUND, viewer::error_page(404, "Not Found", "no such page", lang));
    }
    Problem::not_found("no such route").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_out_only_from_our_own_pages() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")])));
        assert!(!same_origin(&headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:8080")])));
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path("/p/urn:voltpass:1"), "/p/urn:voltpass:1");
        assert_eq!(local_path("//evil.example/x"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
    }
}
