//! `POST /api/v1/passports:bulk`: NDJSON in, one NDJSON result line per input line out.

use crate::import::BATCH_LINES as CHUNK;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{Caller, WRITERS};
use crate::body::RawBody;
use crate::import::Importer;
use crate::problem::Problem;
use crate::service::{BulkLine, LineOutcome};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BulkQuery {
    /// `per-line` (default): every valid line is written; `atomic`: all lines or none.
    mode: Option<String>,
}

/// Create many passports from NDJSON (one write body per line). Answers NDJSON, one line per input line:
/// `{"line":1,"status":201,"id":...}` or `{"line":2,"status":422,"errors":[...]}`. In `atomic` mode a batch
/// with any failing line writes nothing (the others answer 424) and the response status is 422.
#[utoipa::path(post, path = "/api/v1/passports:bulk", tag = "passports", security(("apiKey" = [])), params(BulkQuery),
    request_body(content_type = "application/x-ndjson", description = "One passport write body per line"),
    responses(
        (status = 200, description = "Per-line results (NDJSON)"),
        (status = 422, description = "Atomic mode: the batch was rejected, nothing written (NDJSON per-line results)"),
    ))]
pub async fn bulk_create(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<BulkQuery>, axum::extract::rejection::QueryRejection>,
    RawBody(bytes): RawBody,
) -> Result<Response, Problem> {
    let actor = caller.require(WRITERS, "write passports")?;
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let atomic = match q.mode.as_deref() {
        None | Some("per-line") => false,
        Some("atomic") => true,
        Some(other) => {
            return Err(Problem::bad_request(format!("mode `{other}`: use per-line or atomic")));
        }
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| Problem::bad_request("the body is not UTF-8"))?;
    let lines: Vec<(usize, &str)> =
        text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, l)| (i + 1, l)).collect();
    let batch = |chunk: &[(usize, &str)]| chunk.iter().map(|(_, l)| BulkLine::Text(l.to_string())).collect::<Vec<_>>();
    let mut outcomes = Vec::with_capacity(lines.len());
    if atomic {
        outcomes = state.service.create_passports(actor, batch(&lines), true).await;
    } else {
        let mut importer = Importer::new(state.service.clone(), actor.clone());
        for chunk in lines.chunks(CHUNK) {
            outcomes.extend(importer.push(batch(chunk)).await);
        }
        outcomes.extend(importer.finish().await);
    }
    let mut rejected = false;
    let mut out = String::new();
    for ((line, _), outcome) in lines.iter().zip(outcomes) {
        let result = match outcome {
            LineOutcome::Created { id } => json!({"line": line, "status": 201, "id": id}),
            LineOutcome::NotWritten => {
                json!({"line": line, "status": 424, "detail": "valid, but not written: another line of this atomic batch failed"})
            }
            LineOutcome::Failed(e) => {
                rejected = true;
                let problem = Problem::from(e);
                let mut v = json!({"line": line, "status": problem.status, "detail": problem.detail});
                if !problem.errors.is_empty() {
                    v["errors"] = json!(problem.errors);
                }
                v
            }
        };
        out.push_str(&result.to_string());
        out.push('\n');
    }
    let status = if atomic && rejected { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response = (status, out).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    Ok(response)
}
