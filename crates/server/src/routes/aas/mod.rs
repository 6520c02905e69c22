//! The AAS API under `/api/v3` (IDTA-01002 Part 2, v3.0 paths): registry, discovery, a read-only submodel
//! repository and a read-only shell listing, `/serialization` and `/description`.
//!
//! One dispatcher owns every path below `/api/v3`, so that every answer, including unknown paths, wrong methods
//! and bad bodies, has the AAS error shape `{"messages":[...]}` that AAS clients parse (never problem+json).
//! Authentication and the access filter are the same as on every other route: [`Caller`] and the service.

mod registry;
mod submodels;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use interop::aas::{self, Cursor, Endpoints};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::service::ServiceError;
use crate::service::aas::{AasReader, is_bpn};

/// Header a trusted connector (EDC data plane) sets to the consumer's Business Partner Number.
pub const EDC_BPN_HEADER: &str = "edc-bpn";

/// Profiles `/description` lists: what this server implements, for API 3.0 and 3.1.
pub const PROFILES: [&str; 6] = [
    "https://admin-shell.io/aas/API/3/0/AssetAdministrationShellRegistryServiceSpecification/SSP-001",
    "https://admin-shell.io/aas/API/3/0/SubmodelRepositoryServiceSpecification/SSP-002",
    "https://admin-shell.io/aas/API/3/0/DiscoveryServiceSpecification/SSP-001",
    "https://admin-shell.io/aas/API/3/1/AssetAdministrationShellRegistryServiceSpecification/SSP-001",
    "https://admin-shell.io/aas/API/3/1/SubmodelRepositoryServiceSpecification/SSP-002",
    "https://admin-shell.io/aas/API/3/1/DiscoveryServiceSpecification/SSP-001",
];

/// An AAS error answer.
#[derive(Debug)]
pub struct AasFail {
    pub status: StatusCode,
    pub text: String,
}

impl AasFail {
    pub fn new(status: StatusCode, text: impl Into<String>) -> AasFail {
        AasFail { status, text: text.into() }
    }
    pub fn bad_request(text: impl Into<String>) -> AasFail {
        AasFail::new(StatusCode::BAD_REQUEST, text)
    }
    pub fn not_found(text: impl Into<String>) -> AasFail {
        AasFail::new(StatusCode::NOT_FOUND, text)
    }
    fn method(method: &Method) -> AasFail {
        AasFail::new(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not allowed here"))
    }
    pub fn not_implemented(what: &str) -> AasFail {
        AasFail::new(StatusCode::NOT_IMPLEMENTED, format!("{what} is not implemented by this server"))
    }
}

impl IntoResponse for AasFail {
    fn into_response(self) -> Response {
        let body = aas::message(self.status.as_u16(), &self.text, time::OffsetDateTime::now_utc());
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}

impl From<aas::AasError> for AasFail {
    fn from(e: aas::AasError) -> AasFail {
        match e {
            aas::AasError::BadRequest(text) => AasFail::bad_request(text),
            aas::AasError::NotFound(text) => AasFail::not_found(text),
        }
    }
}

impl From<ServiceError> for AasFail {
    fn from(e: ServiceError) -> AasFail {
        // The same statuses as the REST API, in the AAS body.
        let problem = crate::problem::Problem::from(e);
        AasFail {
            status: StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            text: problem.detail.unwrap_or_else(|| problem.title.to_string()),
        }
    }
}

pub type AasResult = Result<Response, AasFail>;

/// A JSON answer.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The parsed request: who asks, path segments below `/api/v3` (percent-decoded), query pairs, body.
pub struct AasRequest {
    pub method: Method,
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub reader: AasReader,
    pub caller: Caller,
    pub body: Bytes,
    pub endpoints: Endpoints,
}

impl AasRequest {
    /// The last value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn params(&self, name: &str) -> impl Iterator<Item = &str> {
        self.query.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn limit(&self) -> Result<usize, AasFail> {
        Ok(aas::parse_limit(self.param("limit"))?)
    }

    pub fn cursor(&self) -> Result<Option<Cursor>, AasFail> {
        self.param("cursor").map(Cursor::decode).transpose().map_err(AasFail::from)
    }

    /// The JSON body; 400 for anything else.
    pub fn json(&self) -> Result<Value, AasFail> {
        serde_json::from_slice(&self.body).map_err(|e| AasFail::bad_request(format!("the body is not JSON: {e}")))
    }

    /// The actor allowed to write: admins and economic operators (the service checks ownership).
    pub fn writer(&self) -> Result<&store::Actor, AasFail> {
        let actor =
            self.caller.actor().map_err(|p| AasFail::new(StatusCode::UNAUTHORIZED, p.detail.unwrap_or_default()))?;
        match actor.role {
            store::Role::Admin | store::Role::EconomicOperator => Ok(actor),
            role => Err(AasFail::new(StatusCode::FORBIDDEN, format!("role {role} may not change the registry"))),
        }
    }
}

/// Every request below `/api/v3`.
pub async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    match handle(state, request).await {
        Ok(response) => response,
        Err(fail) => fail.into_response(),
    }
}

async fn handle(state: AppState, request: Request) -> AasResult {
    let (mut parts, body) = request.into_parts();
    let caller = Caller::from_request_parts(&mut parts, &state).await.map_err(|p| {
        AasFail::new(StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNAUTHORIZED), p.detail.unwrap_or_default())
    })?;
    let bytes = axum::body::to_bytes(Body::new(body), state.config.max_body_bytes)
        .await
        .map_err(|_| AasFail::new(StatusCode::PAYLOAD_TOO_LARGE, "the body is larger than this server accepts"))?;
    let path = parts.uri.path().strip_prefix("/api/v3").unwrap_or_default();
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let reader =
        AasReader { actor: caller.actor_or_public().cloned(), bpn: connector_bpn(&state, &caller, &parts.headers)? };
    let request = AasRequest {
        method: parts.method.clone(),
        segments,
        query,
        reader,
        caller,
        body: bytes,
        endpoints: Endpoints {
            base_url: state.config.public_base_url.clone(),
            connector: state.config.aas_connector.clone(),
        },
    };
    let first = request.segments.first().map(String::as_str);
    match first {
        Some("shell-descriptors") => registry::handle(&state, &request).await,
        Some("lookup") => registry::lookup(&state, &request).await,
        Some("submodels") => submodels::handle(&state, &request).await,
        Some("shells") => submodels::shells(&state, &request).await,
        Some("serialization") => submodels::serialization(&state, &request).await,
        Some("description") if request.segments.len() == 1 => match request.method {
            Method::GET => Ok(json_response(StatusCode::OK, &json!({"profiles": PROFILES}))),
            ref other => Err(AasFail::method(other)),
        },
        _ => Err(AasFail::not_found(format!("no AAS resource at /api/v3{path}"))),
    }
}

/// The consumer's BPN, taken from `Edc-Bpn` only when a trusted connector's key sent the request.
fn connector_bpn(
    state: &AppState,
    caller: &Caller,
    headers: &axum::http::HeaderMap,
) -> Result<Option<String>, AasFail> {
    let Some(value) = headers.get(EDC_BPN_HEADER) else { return Ok(None) };
    let trusted = caller.actor_or_public().is_some_and(|a| state.config.trusted_connectors.contains(&a.id));
    if !trusted {
        // Anyone can set a header: from others it means nothing.
        return Ok(None);
    }
    let bpn = value.to_str().unwrap_or_default().trim();
    if !is_bpn(bpn) {
        return Err(AasFail::bad_request(format!("{EDC_BPN_HEADER} `{bpn}` is not a Business Partner Number")));
    }
    Ok(Some(bpn.to_string()))
}

/// 405 for a method a resource does not have.
pub fn wrong_method(method: &Method) -> AasFail {
    AasFail::method(method)
}

/// The identifier a path segment encodes.
pub fn id_segment(segment: &str) -> Result<String, AasFail> {
    Ok(aas::decode_id(segment)?)
}
