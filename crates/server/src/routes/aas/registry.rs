//! Registry (`/shell-descriptors`) and discovery (`/lookup`).

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use interop::aas::{self, Cursor};
use serde_json::Value;

use super::{AasFail, AasRequest, AasResult, id_segment, json_response, wrong_method};
use crate::AppState;
use crate::service::aas::TwinQuery;

fn paged(items: Vec<Value>, next: Option<Cursor>) -> Response {
    json_response(StatusCode::OK, &aas::paged(items, next))
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn created(body: &Value, location: String) -> Response {
    let mut response = json_response(StatusCode::CREATED, body);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `/shell-descriptors[/{aasId}[/submodel-descriptors[/{submodelId}]]]`.
pub async fn handle(state: &AppState, request: &AasRequest) -> AasResult {
    let service = &state.service;
    let segments = &request.segments;
    match (segments.len(), &request.method) {
        (1, &Method::GET) => {
            let query = twin_query(request)?;
            let (items, next) = service
                .shell_descriptors(
                    &query,
                    request.cursor()?.as_ref(),
                    request.limit()?,
                    &request.reader,
                    &request.endpoints,
                )
                .await?;
            Ok(paged(items, next))
        }
        (1, &Method::POST) => {
            let actor = request.writer()?;
            let body = service.register_descriptor(actor, request.json()?).await?;
            let id = body["id"].as_str().unwrap_or_default();
            Ok(created(&body, format!("/api/v3/shell-descriptors/{}", aas::encode_id(id))))
        }
        (1, other) => Err(wrong_method(other)),
        (2, method) => {
            let id = id_segment(&segments[1])?;
            match *method {
                Method::GET => Ok(json_response(
                    StatusCode::OK,
                    &service.shell_descriptor(&id, &request.reader, &request.endpoints).await?,
                )),
                Method::PUT => {
                    let actor = request.writer()?;
                    service.replace_descriptor(actor, &id, request.json()?).await?;
                    Ok(no_content())
                }
                Method::DELETE => {
                    let actor = request.writer()?;
                    service.delete_descriptor(actor, &id).await?;
                    Ok(no_content())
                }
                ref other => Err(wrong_method(other)),
            }
        }
        (3 | 4, _) if segments[2] == "submodel-descriptors" => submodel_descriptors(state, request).await,
        _ => Err(AasFail::not_found("no such registry resource")),
    }
}

/// The submodel descriptors of one shell.
async fn submodel_descriptors(state: &AppState, request: &AasRequest) -> AasResult {
    let service = &state.service;
    let shell_id = id_segment(&request.segments[1])?;
    let submodel_id = request.segments.get(3).map(|s| id_segment(s)).transpose()?;
    // Writes check the body before the shell exists (a clear 400 beats a 404 for a broken body).
    let body = match request.method {
        Method::POST | Method::PUT => {
            let _ = request.writer()?;
            let body = request.json()?;
            aas::check_submodel_descriptor(&body).map_err(|errors| AasFail::bad_request(errors.join("; ")))?;
            Some(body)
        }
        _ => None,
    };
    let shell = service.shell_descriptor(&shell_id, &request.reader, &request.endpoints).await?;
    let list: Vec<Value> = shell["submodelDescriptors"].as_array().cloned().unwrap_or_default();
    let position = |id: &str| list.iter().position(|d| d["id"] == id);
    match (submodel_id, &request.method) {
        (None, &Method::GET) => {
            let start = aas::index_start(request.cursor()?.as_ref(), list.len())?;
            let limit = request.limit()?;
            let page: Vec<Value> = list.iter().skip(start).take(limit).cloned().collect();
            let next = aas::index_next(start, limit, list.len());
            Ok(paged(page, next))
        }
        (None, &Method::POST) => {
            let body = body.unwrap_or_default();
            let id = body["id"].as_str().unwrap_or_default().to_string();
            if position(&id).is_some() {
                return Err(AasFail::new(StatusCode::CONFLICT, format!("submodel descriptor {id} exists")));
            }
            let actor = request.writer()?;
            let added = body.clone();
            service
                .edit_submodel_descriptors(actor, &shell_id, |list| {
                    list.push(added);
                    Ok(())
                })
                .await?;
            let location = format!(
                "/api/v3/shell-descriptors/{}/submodel-descriptors/{}",
                aas::encode_id(&shell_id),
                aas::encode_id(&id)
            );
            Ok(created(&body, location))
        }
        (None, other) => Err(wrong_method(other)),
        (Some(id), &Method::GET) => {
            let index = position(&id).ok_or_else(|| AasFail::not_found(format!("no submodel descriptor {id}")))?;
            Ok(json_response(StatusCode::OK, &list[index]))
        }
        (Some(id), &Method::PUT) => {
            let body = body.unwrap_or_default();
            if body["id"] != id.as_str() {
                return Err(AasFail::bad_request(format!("the body's id is not the path's id {id}")));
            }
            position(&id).ok_or_else(|| AasFail::not_found(format!("no submodel descriptor {id}")))?;
            let actor = request.writer()?;
            service
                .edit_submodel_descriptors(actor, &shell_id, |list| {
                    if let Some(slot) = list.iter_mut().find(|d| d["id"] == id.as_str()) {
                        *slot = body;
                    }
                    Ok(())
                })
                .await?;
            Ok(no_content())
        }
        (Some(id), &Method::DELETE) => {
            let actor = request.writer()?;
            position(&id).ok_or_else(|| AasFail::not_found(format!("no submodel descriptor {id}")))?;
            service
                .edit_submodel_descriptors(actor, &shell_id, |list| {
                    list.retain(|d| d["id"] != id.as_str());
                    Ok(())
                })
                .await?;
            Ok(no_content())
        }
        (Some(_), other) => Err(wrong_method(other)),
    }
}

fn twin_query(request: &AasRequest) -> Result<TwinQuery, AasFail> {
    let asset_kind = request.param("assetKind").map(str::to_string);
    if let Some(kind) = &asset_kind
        && !matches!(kind.as_str(), "Type" | "Instance" | "NotApplicable")
    {
        return Err(AasFail::bad_request(format!("assetKind must be Type, Instance or NotApplicable, not `{kind}`")));
    }
    let asset_type = request.param("assetType").map(id_segment).transpose()?;
    let created_after = request
        .param("createdAfter")
        .map(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|_| AasFail::bad_request(format!("createdAfter `{t}` is not an RFC 3339 date-time")))
        })
        .transpose()?;
    Ok(TwinQuery { asset_kind, asset_type, created_after })
}

/// `/lookup/shells`, `/lookup/shellsByAssetLink`, `/lookup/shells/{aasId}`.
pub async fn lookup(state: &AppState, request: &AasRequest) -> AasResult {
    let service = &state.service;
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (segments.as_slice(), &request.method) {
        (["lookup", "shells"], &Method::GET) => {
            let pairs = request.params("assetIds").map(aas::parse_asset_id_query).collect::<Result<Vec<_>, _>>()?;
            let (ids, next) =
                service.lookup_shells(&pairs, request.cursor()?.as_ref(), request.limit()?, &request.reader).await?;
            Ok(paged(ids.into_iter().map(Value::String).collect(), next))
        }
        (["lookup", "shellsByAssetLink"], &Method::POST) => {
            let body = request.json()?;
            let links =
                body.as_array().ok_or_else(|| AasFail::bad_request("the body must be an array of AssetLinks"))?;
            let pairs = links
                .iter()
                .map(|link| {
                    aas::asset_id_pair(link)
                        .ok_or_else(|| AasFail::bad_request("each AssetLink needs string members `name` and `value`"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (ids, next) =
                service.lookup_shells(&pairs, request.cursor()?.as_ref(), request.limit()?, &request.reader).await?;
            Ok(paged(ids.into_iter().map(Value::String).collect(), next))
        }
        (["lookup", "shells", id], &Method::GET) => {
            let id = id_segment(id)?;
            let links = service.shell_asset_links(&id, &request.reader).await?;
            Ok(json_response(StatusCode::OK, &Value::Array(links)))
        }
        (["lookup", "shells", id], &Method::POST) => {
            // Links are the registered descriptor's specific asset ids (generated twins take theirs from the
            // passport and refuse).
            let id = id_segment(id)?;
            let actor = request.writer()?;
            let body = request.json()?;
            let added = body
                .as_array()
                .filter(|a| !a.is_empty())
                .cloned()
                .ok_or_else(|| AasFail::bad_request("the body must be a non-empty array of SpecificAssetIds"))?;
            if added.iter().any(|a| aas::asset_id_pair(a).is_none()) {
                return Err(AasFail::bad_request("each SpecificAssetId needs string members `name` and `value`"));
            }
            service
                .edit_asset_links(actor, &id, |list| {
                    list.extend(added);
                    Ok(())
                })
                .await?;
            Ok(json_response(StatusCode::CREATED, &body))
        }
        (["lookup", "shells", id], &Method::DELETE) => {
            let id = id_segment(id)?;
            let actor = request.writer()?;
            service
                .edit_asset_links(actor, &id, |list| {
                    list.clear();
                    Ok(())
                })
                .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (["lookup", "shells"] | ["lookup", "shellsByAssetLink"] | ["lookup", "shells", _], other) => {
            Err(wrong_method(other))
        }
        _ => Err(AasFail::not_found("no such discovery resource")),
    }
}
