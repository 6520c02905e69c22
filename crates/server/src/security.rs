//! Security headers on every response, so a browser confines what our pages and answers can do: the pages are
//! server-rendered with no script, no inline style and images only from this site, so the policy can forbid
//! everything else; no page may be framed (clickjacking of the sign-in and sign-out forms); no content type is
//! sniffed; no address leaks to other sites. A handler that sets one of these itself keeps its own.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// `default-src 'none'`: nothing loads unless listed. Styles from our stylesheet, images from us (the QR code)
/// or inline data, forms post only to us, and the page cannot be framed or re-based.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

pub async fn headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}
