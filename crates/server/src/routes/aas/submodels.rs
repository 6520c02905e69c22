//! Submodel repository (read-only: SSP-002), the shell listing and `/serialization`.
//!
//! Catena-X consumers fetch a submodel's value at `{href}`, `{href}/submodel` and `{href}/$value`: all three work.
//! `$value` of a whole submodel is the aspect's JSON exactly as its schema describes it; element paths and the
//! other views work on the elements built from it (whose idShorts may differ where a JSON key is no valid idShort,
//! e.g. `50PercentLife` becomes `x50PercentLife`).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use interop::aas::twins::{self, TwinOf};
use interop::aas::{self, Cursor, elements};
use serde_json::{Map, Value, json};

use super::{AasFail, AasRequest, AasResult, id_segment, json_response, wrong_method};
use crate::AppState;
use crate::service::aas::TwinQuery;

const MODIFIERS: [&str; 4] = ["$metadata", "$value", "$reference", "$path"];

fn ok(body: &Value) -> AasResult {
    Ok(json_response(StatusCode::OK, body))
}

fn paged(items: Vec<Value>, next: Option<Cursor>) -> Response {
    json_response(StatusCode::OK, &aas::paged(items, next))
}

/// `level` and `extent`, checked wherever they are given (even where they change nothing).
fn level(request: &AasRequest) -> Result<bool, AasFail> {
    match request.param("extent") {
        None | Some("withBlobValue" | "withoutBlobValue") => {}
        Some(other) => {
            return Err(AasFail::bad_request(format!(
                "extent must be withBlobValue or withoutBlobValue, not `{other}`"
            )));
        }
    }
    match request.param("level") {
        None | Some("deep") => Ok(true),
        Some("core") => Ok(false),
        Some(other) => Err(AasFail::bad_request(format!("level must be deep or core, not `{other}`"))),
    }
}

fn read_only(request: &AasRequest) -> Result<(), AasFail> {
    match request.method {
        Method::GET | Method::HEAD => Ok(()),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE => Err(AasFail::not_implemented(
            "changing submodels (voltpass derives them from passports; write the passport)",
        )),
        ref other => Err(wrong_method(other)),
    }
}

/// `/submodels...`.
pub async fn handle(state: &AppState, request: &AasRequest) -> AasResult {
    read_only(request)?;
    let deep = level(request)?;
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["submodels"] => list(state, request, None, deep).await,
        ["submodels", modifier] if modifier.starts_with('$') => list(state, request, Some(modifier), deep).await,
        // The aspect's own JSON, without building the elements first (the hot path of Catena-X consumers).
        ["submodels", id, "$value"] | ["submodels", id, "submodel", "$value"] => {
            let id = id_segment(id)?;
            ok(&state.service.submodel_value(&id, &request.reader).await?)
        }
        ["submodels", id, rest @ ..] => {
            let id = id_segment(id)?;
            let submodel = state.service.submodel(&id, &request.reader).await?;
            one(request, &submodel, rest, deep)
        }
        _ => Err(AasFail::not_found("no such submodel resource")),
    }
}

async fn list(state: &AppState, request: &AasRequest, modifier: Option<&str>, deep: bool) -> AasResult {
    if modifier.is_some_and(|m| !MODIFIERS.contains(&m)) {
        return Err(AasFail::not_found("no such submodel resource"));
    }
    let semantic_id = request.param("semanticId").map(id_segment).transpose()?;
    let (submodels, next) = state
        .service
        .submodels(
            semantic_id.as_deref(),
            request.param("idShort"),
            request.cursor()?.as_ref(),
            request.limit()?,
            &request.reader,
        )
        .await?;
    let items = submodels
        .iter()
        .map(|sm| match modifier {
            None if deep => sm.clone(),
            None => elements::core(sm),
            Some("$metadata") => elements::metadata(sm),
            Some("$value") => elements::submodel_value(sm),
            Some("$reference") => elements::submodel_reference(sm["id"].as_str().unwrap_or_default()),
            _ => sm["idShort"].clone(),
        })
        .collect();
    Ok(paged(items, next))
}

/// One submodel and everything below it.
fn one(request: &AasRequest, submodel: &Value, rest: &[&str], deep: bool) -> AasResult {
    let id = submodel["id"].as_str().unwrap_or_default();
    match rest {
        [] | ["submodel"] => ok(&if deep { submodel.clone() } else { elements::core(submodel) }),
        ["$metadata"] => ok(&elements::metadata(submodel)),
        ["$reference"] => ok(&elements::submodel_reference(id)),
        ["$path"] => ok(&json!(elements::paths(submodel, ""))),
        ["submodel-elements"] | ["submodel-elements", "$metadata" | "$value" | "$reference" | "$path"] => {
            element_list(request, submodel, rest.get(1).copied(), deep)
        }
        ["submodel-elements", path, tail @ ..] => element(submodel, path, tail, deep),
        _ => Err(AasFail::not_found("no such submodel resource")),
    }
}

fn top_elements(submodel: &Value) -> &[Value] {
    submodel["submodelElements"].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// Index-based paging within one submodel's elements.
fn slice<T: Clone>(request: &AasRequest, items: &[T]) -> Result<(Vec<T>, Option<Cursor>), AasFail> {
    let start = aas::index_start(request.cursor()?.as_ref(), items.len())?;
    let limit = request.limit()?;
    let page = items.iter().skip(start).take(limit).cloned().collect();
    let next = aas::index_next(start, limit, items.len());
    Ok((page, next))
}

fn element_list(request: &AasRequest, submodel: &Value, modifier: Option<&str>, deep: bool) -> AasResult {
    let id = submodel["id"].as_str().unwrap_or_default();
    let top = top_elements(submodel);
    if modifier == Some("$path") {
        let (page, next) = slice(request, &elements::paths(submodel, ""))?;
        return Ok(paged(page.into_iter().map(Value::String).collect(), next));
    }
    let (page, next) = slice(request, top)?;
    let items = page
        .iter()
        .map(|e| match modifier {
            None if deep => e.clone(),
            None => elements::core(e),
            Some("$metadata") => elements::metadata(e),
            Some("$value") => element_value(e),
            _ => reference(id, &[(e["idShort"].as_str().unwrap_or_default().to_string(), e)]),
        })
        .collect();
    Ok(paged(items, next))
}

fn element(submodel: &Value, path: &str, tail: &[&str], deep: bool) -> AasResult {
    let id = submodel["id"].as_str().unwrap_or_default();
    let chain = elements::find_chain(submodel, path)
        .ok_or_else(|| AasFail::not_found(format!("submodel {id} has no element at `{path}`")))?;
    let target = chain.last().map(|(_, e)| *e).unwrap_or(&Value::Null);
    let kind = target["modelType"].as_str().unwrap_or_default();
    match tail {
        [] => ok(&if deep { target.clone() } else { elements::core(target) }),
        ["$value"] => ok(&element_value(target)),
        ["$metadata"] if matches!(kind, "Capability" | "Operation") => {
            Err(AasFail::bad_request(format!("a {kind} has no metadata serialisation")))
        }
        ["$metadata"] => ok(&elements::metadata(target)),
        ["$reference"] => ok(&reference(id, &chain)),
        ["$path"] if matches!(kind, "SubmodelElementCollection" | "SubmodelElementList" | "Entity") => {
            let mut paths = vec![path.to_string()];
            paths.extend(elements::paths(target, path));
            ok(&json!(paths))
        }
        ["$path"] => Err(AasFail::bad_request(format!("a {kind} has no paths below it"))),
        ["attachment"] => Err(AasFail::not_found(format!("`{path}` is a {kind}, not a File or Blob"))),
        _ => Err(AasFail::not_found("no such submodel element resource")),
    }
}

/// The value-only form of an element, as an object named by its idShort (clients expect an object or array).
fn element_value(element: &Value) -> Value {
    let value = elements::value_only(element);
    match element["idShort"].as_str() {
        Some(id_short) => {
            let mut named = Map::new();
            named.insert(id_short.to_string(), value);
            Value::Object(named)
        }
        None if value.is_object() || value.is_array() => value,
        None => json!([value]),
    }
}

/// The model reference to an element: the submodel, then each element on the way (idShort, or index in a list).
fn reference(submodel_id: &str, chain: &[(String, &Value)]) -> Value {
    let mut keys = vec![json!({"type": "Submodel", "value": submodel_id})];
    keys.extend(chain.iter().map(|(key, element)| json!({"type": element["modelType"], "value": key})));
    json!({"type": "ModelReference", "keys": keys})
}

/// `/shells[/{aasId}]` (read-only AAS repository view of the generated twins).
pub async fn shells(state: &AppState, request: &AasRequest) -> AasResult {
    read_only(request)?;
    match request.segments.as_slice() {
        [_] => {
            let (items, next) = state
                .service
                .shells(&TwinQuery::default(), request.cursor()?.as_ref(), request.limit()?, &request.reader)
                .await?;
            Ok(paged(items, next))
        }
        [_, id] => {
            let id = id_segment(id)?;
            let of = twins::parse_shell_id(&id).ok_or_else(|| AasFail::not_found(format!("no shell {id}")))?;
            ok(&state.service.shell(&of, &request.reader).await?)
        }
        _ => Err(AasFail::not_implemented("shell sub-resources")),
    }
}

/// `/serialization?aasIds=..&submodelIds=..&includeConceptDescriptions=..`: an AAS environment.
pub async fn serialization(state: &AppState, request: &AasRequest) -> AasResult {
    read_only(request)?;
    if request.segments.len() != 1 {
        return Err(AasFail::not_found("no such resource"));
    }
    if let Some(flag) = request.param("includeConceptDescriptions")
        && !flag.eq_ignore_ascii_case("true")
        && !flag.eq_ignore_ascii_case("false")
    {
        return Err(AasFail::bad_request(format!("includeConceptDescriptions must be true or false, not `{flag}`")));
    }
    let aas_ids = request.params("aasIds").map(id_segment).collect::<Result<Vec<_>, _>>()?;
    let submodel_ids = request.params("submodelIds").map(id_segment).collect::<Result<Vec<_>, _>>()?;
    let service = &state.service;
    let mut shells = Vec::new();
    let mut submodel_list = Vec::new();
    if aas_ids.is_empty() && submodel_ids.is_empty() {
        // Everything would be every passport: the first page of twins, with their submodels.
        let (page, _) = service.shells(&TwinQuery::default(), None, aas::DEFAULT_LIMIT, &request.reader).await?;
        shells = page;
    }
    for id in &aas_ids {
        let of: TwinOf = twins::parse_shell_id(id).ok_or_else(|| AasFail::not_found(format!("no shell {id}")))?;
        shells.push(service.shell(&of, &request.reader).await?);
    }
    let mut wanted: Vec<String> = submodel_ids.clone();
    if submodel_ids.is_empty() {
        for shell in &shells {
            for reference in shell["submodels"].as_array().into_iter().flatten() {
                if let Some(id) = reference["keys"][0]["value"].as_str() {
                    wanted.push(id.to_string());
                }
            }
        }
    }
    for id in &wanted {
        match service.submodel(id, &request.reader).await {
            Ok(sm) => submodel_list.push(sm),
            // Asked for by id: say so; reached through a shell: leave out what this reader cannot see.
            Err(e) if submodel_ids.contains(id) => return Err(e.into()),
            Err(_) => {}
        }
    }
    let mut environment = Map::new();
    if !shells.is_empty() {
        environment.insert("assetAdministrationShells".into(), Value::Array(shells));
    }
    if !submodel_list.is_empty() {
        environment.insert("submodels".into(), Value::Array(submodel_list));
    }
    ok(&Value::Object(environment))
}
