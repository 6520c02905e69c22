use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use interop::aas::elements;
use interop::aas::twins::{self, SubmodelKind, TwinOf};
use interop::cx0160::Aspect;
use serde_json::Value;
use server::PassportService;
use server::import::BATCH_LINES as CHUNK;
use server::import::Importer;
use server::service::{BulkLine, LineOutcome, ServiceError};
use std::collections::{BTreeMap, HashMap, VecDeque};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{local_actor, open_store};
use crate::progress;

#[derive(ClapArgs)]
pub struct Args {
    /// NDJSON file: one write body per line (full document, or item part with modelId); `-` for stdin. With
    /// `--format aas-environment`, one AAS environment JSON document.
    file: String,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// The lines are battery model records (each with modelId) instead of passports (canonical format only).
    #[arg(long)]
    models: bool,
    /// Keep the passport identifiers the documents carry (e.g. moving an `export` to another store);
    /// by default the store assigns new ones.
    #[arg(long)]
    keep_ids: bool,
    /// What `export --format` wrote: `canonical` (the default), `catenax-battery-pass` (one Catena-X battery pass
    /// per line), `cx0160` (one line of CX-0160 aspects per passport) or `aas-environment` (one AAS v3 environment).
    /// Each is read back into full canonical documents and imported like canonical lines; a document whose
    /// conversion fails rejects its whole batch (1,000 lines; the whole environment), so nothing of it is written.
    #[arg(long, default_value = "canonical", value_parser = ["canonical", "catenax-battery-pass", "cx0160", "aas-environment"])]
    format: String,
    /// A partial canonical document (JSON) supplying what the format has no place for, e.g. the operator's
    /// contact data a Catena-X battery pass reduces to a BPNL: members a converted document lacks are taken from
    /// it (objects member by member, list elements from the element at the same index or the last one);
    /// nothing present is overwritten.
    #[arg(long, value_name = "FILE")]
    fill: Option<String>,
}

/// Adds to `doc` what it lacks from `fill`, never replacing a value it has.
fn fill_absent(doc: &mut Value, fill: &Value) {
    match (doc, fill) {
        (Value::Object(members), Value::Object(defaults)) => {
            for (key, default) in defaults {
                match members.get_mut(key) {
                    Some(present) => fill_absent(present, default),
                    None => {
                        members.insert(key.clone(), default.clone());
                    }
                }
            }
        }
        // Element i from the fill's element i, or from its last one: a one-element list is a template.
        (Value::Array(items), Value::Array(defaults)) if !defaults.is_empty() => {
            for (i, item) in items.iter_mut().enumerate() {
                fill_absent(item, &defaults[i.min(defaults.len() - 1)]);
            }
        }
        _ => {}
    }
}

/// Counts and reports outcomes as they come back, with the input place (file:line, or shell) they belong to.
struct Tally {
    created: usize,
    rejected: usize,
    /// Good lines left out because their batch had a line that could not be converted.
    not_written: usize,
}

impl Tally {
    fn record(&mut self, place: &str, outcome: LineOutcome) {
        match outcome {
            LineOutcome::Created { .. } => self.created += 1,
            LineOutcome::NotWritten => {}
            LineOutcome::Failed(e) => {
                self.rejected += 1;
                report(place, &e);
            }
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.models && args.format != "canonical" {
        bail!("--models reads canonical battery model records: leave out --format {}", args.format);
    }
    let fill: Option<Value> = match &args.fill {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read --fill {path}"))?;
            let value: Value =
                serde_json::from_str(&text).with_context(|| format!("--fill {path} is not a JSON document"))?;
            anyhow::ensure!(value.is_object(), "--fill {path} must hold a JSON object (a partial canonical document)");
            Some(value)
        }
        None => None,
    };
    let complete = |mut doc: Value| {
        if let Some(fill) = &fill {
            fill_absent(&mut doc, fill);
        }
        doc
    };
    let store = open_store(&args.db).await?;
    let service = PassportService::new(store);
    // Versions written here are signed like the server's, with the operators' issuer keys.
    service.load_keys().await.context("cannot load the issuer keys")?;
    let actor = local_actor(service.store()).await?;
    let (reader, size): (Box<dyn tokio::io::AsyncRead + Unpin>, Option<u64>) = if args.file == "-" {
        (Box::new(tokio::io::stdin()), None)
    } else {
        let file = tokio::fs::File::open(&args.file).await.with_context(|| format!("cannot open {}", args.file))?;
        let size = file.metadata().await.ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let bar = progress::bar(size, "importing");
    let mut tally = Tally { created: 0, rejected: 0, not_written: 0 };
    let mut importer = Importer::new(service.clone(), actor.clone());
    if args.keep_ids {
        importer = importer.keeping_ids();
    }
    // Input places of the batches whose outcomes have not come back yet.
    let mut places: VecDeque<String> = VecDeque::new();
    if args.format == "aas-environment" {
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut BufReader::new(reader), &mut text)
            .await
            .with_context(|| format!("reading {}", args.file))?;
        bar.inc(text.len() as u64);
        let documents = match environment_documents(&text) {
            Ok(documents) => documents,
            Err(errors) => {
                bar.finish_and_clear();
                for error in &errors {
                    eprintln!("{}: {error}", args.file);
                }
                bail!("{}: {} errors (see above); nothing was imported", args.file, errors.len());
            }
        };
        for chunk in documents.chunks(CHUNK) {
            let mut lines = Vec::with_capacity(chunk.len());
            for (shell, doc) in chunk {
                places.push_back(format!("{}: shell {shell}", args.file));
                lines.push(BulkLine::Json(complete(doc.clone())));
            }
            for outcome in importer.push(lines).await {
                let place = places.pop_front().unwrap_or_default();
                bar.suspend(|| tally.record(&place, outcome));
            }
        }
    } else {
        let mut lines = BufReader::new(reader).lines();
        let mut line_no = 0usize;
        loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            let mut numbers = Vec::with_capacity(CHUNK);
            let mut failed: Vec<(usize, String)> = Vec::new();
            while chunk.len() < CHUNK {
                let Some(line) = lines.next_line().await.with_context(|| format!("reading {}", args.file))? else {
                    break;
                };
                line_no += 1;
                bar.inc(line.len() as u64 + 1);
                if line.trim().is_empty() {
                    continue;
                }
                numbers.push(line_no);
                chunk.push(match args.format.as_str() {
                    "canonical" => BulkLine::Text(line),
                    format => match convert_line(format, &line) {
                        Ok(doc) => BulkLine::Json(complete(doc)),
                        Err(message) => {
                            failed.push((line_no, message));
                            BulkLine::Failed(ServiceError::BadRequest(String::new()))
                        }
                    },
                });
            }
            if chunk.is_empty() {
                break;
            }
            if !failed.is_empty() {
                // A line that cannot be read in this format rejects its batch: nothing of it is written.
                bar.suspend(|| {
                    for (line, message) in &failed {
                        eprintln!("{}:{line}: {message}", args.file);
                    }
                    eprintln!(
                        "{}: lines {}-{} not written (their batch has lines that cannot be read as {})",
                        args.file,
                        numbers.first().copied().unwrap_or_default(),
                        numbers.last().copied().unwrap_or_default(),
                        args.format
                    );
                });
                tally.rejected += failed.len();
                tally.not_written += chunk.len() - failed.len();
                continue;
            }
            places.extend(numbers.iter().map(|n| format!("{}:{n}", args.file)));
            let outcomes =
                if args.models { create_models(&service, &actor, chunk).await } else { importer.push(chunk).await };
            for outcome in outcomes {
                let place = places.pop_front().unwrap_or_default();
                bar.suspend(|| tally.record(&place, outcome));
            }
        }
    }
    for outcome in importer.finish().await {
        let place = places.pop_front().unwrap_or_default();
        bar.suspend(|| tally.record(&place, outcome));
    }
    bar.finish_and_clear();
    let what = if args.models { "models" } else { "passports" };
    let skipped = if tally.not_written > 0 { format!(", {} not written", tally.not_written) } else { String::new() };
    println!("imported {} {what} from {} ({} lines rejected{skipped})", tally.created, args.file, tally.rejected);
    if tally.rejected > 0 {
        bail!("{} lines were rejected (see above); the others were imported", tally.rejected);
    }
    Ok(())
}

/// One line of an export format as a full canonical document.
fn convert_line(format: &str, line: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    match format {
        "catenax-battery-pass" => {
            interop::catenax::from_battery_pass(&value).map_err(|e| format!("not a Catena-X battery pass: {e}"))
        }
        "cx0160" => {
            let Some(aspects) = value.get("aspects").and_then(Value::as_object) else {
                return Err("a cx0160 line needs an `aspects` object (slug: value-only JSON)".into());
            };
            let mut parts = Vec::with_capacity(aspects.len());
            for (slug, payload) in aspects {
                let aspect = Aspect::from_slug(slug).ok_or_else(|| {
                    let known: Vec<&str> = Aspect::ALL.iter().map(|a| a.slug()).collect();
                    format!("unknown aspect `{slug}`: expected {}", known.join(", "))
                })?;
                parts.push((aspect, payload.clone()));
            }
            if parts.is_empty() {
                return Err("the line has no aspects".into());
            }
            interop::cx0160::import(&parts).map_err(|e| format!("the CX-0160 aspects do not map: {e}"))
        }
        other => Err(format!("unknown format {other}")),
    }
}

/// The twin a shell stands for: voltpass's own ids parse back; other shells are keyed by their id and
/// asset kind.
fn twin_of_shell(shell: &Value) -> Option<TwinOf> {
    let id = shell["id"].as_str()?;
    Some(twins::parse_shell_id(id).unwrap_or_else(|| match shell["assetInformation"]["assetKind"].as_str() {
        Some("Type") => TwinOf::Model(id.to_string()),
        _ => TwinOf::Passport(id.to_string()),
    }))
}

/// The battery model an instance shell belongs to: its `assetType`, else its `manufacturerPartId`.
fn model_key_of_shell(shell: &Value) -> Option<String> {
    let info = &shell["assetInformation"];
    info["assetType"].as_str().map(str::to_string).or_else(|| {
        info["specificAssetIds"]
            .as_array()?
            .iter()
            .find(|a| a["name"] == "manufacturerPartId")
            .and_then(|a| a["value"].as_str())
            .map(str::to_string)
    })
}

/// Full canonical documents, one per instance twin (labelled by its shell id, in shell order), from an AAS
/// environment; every problem found, when there is one.
fn environment_documents(text: &str) -> Result<Vec<(String, Value)>, Vec<String>> {
    let env: Value =
        serde_json::from_str(text).map_err(|e| vec![format!("not an AAS environment: malformed JSON: {e}")])?;
    if !env.is_object() {
        return Err(vec!["not an AAS environment: expected a JSON object".into()]);
    }
    let mut errors = Vec::new();
    let empty = Vec::new();
    let shells = env["assetAdministrationShells"].as_array().unwrap_or(&empty);
    let submodels = env["submodels"].as_array().unwrap_or(&empty);
    // Shells in order, and which shell references each submodel.
    let mut order: Vec<TwinOf> = Vec::new();
    let mut shell_of_twin: BTreeMap<TwinOf, &Value> = BTreeMap::new();
    let mut twin_of_submodel: HashMap<&str, TwinOf> = HashMap::new();
    for (i, shell) in shells.iter().enumerate() {
        let Some(twin) = twin_of_shell(shell) else {
            errors.push(format!("shell #{i} has no id"));
            continue;
        };
        for reference in shell["submodels"].as_array().into_iter().flatten() {
            if let Some(id) = reference["keys"][0]["value"].as_str() {
                twin_of_submodel.insert(id, twin.clone());
            }
        }
        if shell_of_twin.insert(twin.clone(), shell).is_some() {
            errors.push(format!("shell {}: the id repeats", shell["id"].as_str().unwrap_or_default()));
        } else {
            order.push(twin);
        }
    }
    // Submodel values grouped by twin.
    let mut parts: BTreeMap<TwinOf, BTreeMap<SubmodelKind, Value>> = BTreeMap::new();
    for (i, submodel) in submodels.iter().enumerate() {
        let Some(id) = submodel["id"].as_str() else {
            errors.push(format!("submodel #{i} has no id"));
            continue;
        };
        let found = twins::parse_submodel_id(id).or_else(|| {
            let twin = twin_of_submodel.get(id)?.clone();
            let semantic_id = submodel["semanticId"]["keys"][0]["value"].as_str()?;
            Some((SubmodelKind::from_semantic_id(semantic_id)?, twin))
        });
        let Some((kind, twin)) = found else {
            errors.push(format!(
                "submodel {id}: neither a voltpass submodel id nor referenced by a shell with a known semanticId \
                 (got {})",
                submodel["semanticId"]["keys"][0]["value"]
            ));
            continue;
        };
        if parts.entry(twin).or_default().insert(kind, elements::submodel_value(submodel)).is_some() {
            errors.push(format!("submodel {id}: its twin already has a {} submodel", kind.slug()));
        }
    }
    // Type twins by the model key instance shells point at.
    let mut models: HashMap<String, &BTreeMap<SubmodelKind, Value>> = HashMap::new();
    for (twin, kinds) in &parts {
        if let TwinOf::Model(id) = twin {
            let key = shell_of_twin.get(twin).and_then(|s| model_key_of_shell(s)).unwrap_or_else(|| id.clone());
            models.insert(key, kinds);
            models.entry(id.clone()).or_insert(kinds);
        }
    }
    // Instance twins: shells in order, then twins only their submodel ids name.
    let mut instances: Vec<TwinOf> = order.into_iter().filter(|t| matches!(t, TwinOf::Passport(_))).collect();
    let named: Vec<TwinOf> =
        parts.keys().filter(|t| matches!(t, TwinOf::Passport(_)) && !instances.contains(t)).cloned().collect();
    instances.extend(named);
    let mut documents = Vec::with_capacity(instances.len());
    for twin in instances {
        let TwinOf::Passport(label) = &twin else { continue };
        let label = shell_of_twin.get(&twin).and_then(|s| s["id"].as_str()).unwrap_or(label).to_string();
        let own = parts.get(&twin);
        let model =
            shell_of_twin.get(&twin).and_then(|s| model_key_of_shell(s)).and_then(|key| models.get(&key).copied());
        let mut aspects: Vec<(Aspect, Value)> = Vec::new();
        for (kind, value) in own.into_iter().flatten().chain(model.into_iter().flatten()) {
            if let SubmodelKind::Idta(aspect) = kind {
                aspects.push((*aspect, value.clone()));
            }
        }
        let converted = if !aspects.is_empty() {
            interop::cx0160::import(&aspects).map_err(|e| format!("the CX-0160 submodels do not map: {e}"))
        } else if let Some(bp) = own.and_then(|o| o.get(&SubmodelKind::BatteryPass)) {
            interop::catenax::from_battery_pass(bp).map_err(|e| format!("the BatteryPass submodel does not map: {e}"))
        } else {
            Err("no submodels to import".into())
        };
        match converted {
            Ok(doc) => documents.push((label, doc)),
            Err(message) => errors.push(format!("shell {label}: {message}")),
        }
    }
    if errors.is_empty() { Ok(documents) } else { Err(errors) }
}

async fn create_models(service: &PassportService, actor: &store::Actor, lines: Vec<BulkLine>) -> Vec<LineOutcome> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let body = match line {
            BulkLine::Text(text) => {
                serde_json::from_str(&text).map_err(|e| ServiceError::BadRequest(format!("malformed JSON: {e}")))
            }
            BulkLine::Json(value) => Ok(value),
            BulkLine::Failed(e) => Err(e),
        };
        out.push(match body {
            Ok(body) => match service.create_model(actor, body).await {
                Ok(m) => LineOutcome::Created { id: m.model_id },
                Err(e) => LineOutcome::Failed(e),
            },
            Err(e) => LineOutcome::Failed(e),
        });
    }
    out
}

fn report(place: &str, e: &ServiceError) {
    match e {
        ServiceError::Invalid(violations) => {
            for v in violations {
                eprintln!("{place}: {v}");
            }
        }
        other => eprintln!("{place}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::fill_absent;
    use serde_json::json;

    #[test]
    fn fill_adds_only_what_is_absent() {
        let mut doc = json!({"a": {"b": 1}, "list": [{"x": 1}, {"x": 2, "y": 0}], "keep": "mine"});
        let fill = json!({"a": {"b": 9, "c": 3}, "list": [{"y": 7}], "keep": "theirs", "new": [1]});
        fill_absent(&mut doc, &fill);
        assert_eq!(
            doc,
            json!({"a": {"b": 1, "c": 3}, "list": [{"x": 1, "y": 7}, {"x": 2, "y": 0}], "keep": "mine", "new": [1]})
        );
    }
}
