//! Request-body extraction with problem+json errors (413 over the limit, 400 for malformed JSON).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::Value;

use crate::problem::Problem;

/// The raw body, within the route's size limit.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Bytes::from_request(req, state).await.map(RawBody).map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "the request body exceeds the configured limit",
                )
            } else {
                Problem::bad_request(e.body_text())
            }
        })
    }
}

/// A JSON request body.
pub struct JsonBody(pub Value);

/// A JSON body read as `T`; a body of the wrong shape is a 400 naming `what` it should have been.
pub fn parse<T: serde::de::DeserializeOwned>(body: Value, what: &str) -> Result<T, Problem> {
    serde_json::from_value(body).map_err(|e| Problem::bad_request(format!("{what}: {e}")))
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses JSON, saying where it breaks.
pub fn parse_json(bytes: &[u8]) -> Result<Value, Problem> {
    serde_json::from_slice(bytes).map_err(|e| Problem::bad_request(format!("malformed JSON: {e}")))
}

/// Path parameters; one that does not parse (e.g. a version that is not a number) is a 400 problem.
pub struct PathParams<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for PathParams<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| PathParams(t))
            .map_err(|e| Problem::bad_request(e.body_text()))
    }
}
