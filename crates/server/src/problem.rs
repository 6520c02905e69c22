//! RFC 9457 problem details: every error on the wire is `application/problem+json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use passport::Violation;
use serde::Serialize;

use crate::service::{ServiceError, Tombstone};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem response.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Validation failures, each with the JSON pointer and rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Violation>,
    /// For 410: what battery the ended passport was for, when and why it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tombstone: Option<Box<Tombstone>>,
    /// For a refused eCoA: where in the document (`kind` `pointer` with `pointer`, or `text` with `line`,
    /// `column` and, for CSV, `field`).
    #[serde(flatten)]
    pub location: Option<Box<quality::ecoa::Location>>,
    /// Refused production events, each with its position, id and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Box<RefusedEvents>>,
    /// Seconds (`u32` keeps the problem small enough to return by value).
    #[serde(skip)]
    pub retry_after: u32,
}

/// Production events refused with a batch (boxed: most problems have none).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct RefusedEvents(pub Vec<trace::plan::PlanError>);

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://voltpass.dev/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: Some(detail.into()),
            errors: Vec::new(),
            tombstone: None,
            location: None,
            events: None,
            retry_after: 0,
        }
    }

    pub fn invalid(errors: Vec<Violation>) -> Problem {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            format!("the document breaks {} rule(s); see `errors`", errors.len()),
        );
        p.errors = errors;
        p
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn gone(tombstone: Tombstone) -> Problem {
        let detail = format!("battery {} was recycled; its passport has ended", tombstone.battery_id);
        let mut p = Problem::new(StatusCode::GONE, "passport-ended", detail);
        p.tombstone = Some(Box::new(tombstone));
        p
    }

    /// A refused eCoA: 403 for a CoA of another supplier, else 422; with the error's location.
    pub fn ecoa(error: quality::ecoa::EcoaError) -> Problem {
        let location = error.location().clone();
        let mut p = match &error {
            quality::ecoa::EcoaError::WrongSupplier { .. } => {
                Problem::new(StatusCode::FORBIDDEN, "wrong-supplier", format!("wrong supplier: {error}"))
            }
            _ => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "ecoa", error.to_string()),
        };
        p.location = Some(Box::new(location));
        p
    }

    /// Seconds to wait before retrying, when the problem says.
    pub fn retry_after(&self) -> Option<u32> {
        (self.retry_after > 0).then_some(self.retry_after)
    }

    pub fn too_many_requests(retry_after_s: u64) -> Problem {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("too many requests from this address; retry in {retry_after_s} s"),
        );
        p.retry_after = u32::try_from(retry_after_s).unwrap_or(u32::MAX);
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        use ServiceError::*;
        match e {
            Invalid(errors) => Problem::invalid(errors),
            BadRequest(detail) => Problem::bad_request(detail),
            NotFound(detail) => Problem::not_found(detail),
            Forbidden(detail) => Problem::forbidden(detail),
            Duplicate(detail) => Problem::new(StatusCode::CONFLICT, "duplicate-battery", detail),
            Concurrent(detail) => Problem::new(StatusCode::CONFLICT, "concurrent-update", detail),
            Stale(detail) => Problem::new(StatusCode::PRECONDITION_FAILED, "stale-version", detail),
            Lifecycle(detail) => Problem::new(StatusCode::CONFLICT, "lifecycle", detail),
            Gone(tombstone) => Problem::gone(*tombstone),
            Ecoa(error) => Problem::ecoa(*error),
            Trace(events) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "trace-events",
                    format!("{} event(s) refused, nothing written; see `events`", events.len()),
                );
                p.events = Some(Box::new(RefusedEvents(events)));
                p
            }
            Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable, retry shortly",
                );
                p.retry_after = 2;
                p
            }
            StorageFull(detail) => {
                tracing::error!(%detail, "the store's disk is full: writes fail until space is freed");
                Problem::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "storage-full",
                    "the passport store is out of disk space: nothing was written; reads still work",
                )
            }
            Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; it has been logged")
            }
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
