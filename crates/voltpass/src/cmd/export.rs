use anyhow::Context;
use clap::Args as ClapArgs;
use interop::aas::elements;
use interop::aas::twins::{self, PassportFacts, SubmodelKind, TwinOf};
use interop::catenax::MappingError;
use passport::access::Audience;
use serde_json::{Map, Value};
use server::PassportService;
use std::collections::HashSet;
use std::io::Write;
use store::{PassportFilter, PassportHead};

use super::open_store;
use crate::progress;

#[derive(ClapArgs)]
pub struct Args {
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<String>,
    /// Only passports of this battery model.
    #[arg(long)]
    model: Option<String>,
    /// Only this category (ev, lmt, industrial, stationary).
    #[arg(long)]
    category: Option<String>,
    /// Write the battery model records the selected passports use (latest versions, as `import --models`
    /// reads them) instead of the passports.
    #[arg(long)]
    models: bool,
    /// Export only what this access group may read: public, legitimate-interest, authority or operator
    /// (everything; the default). Goes through the same access filter as every other read path.
    #[arg(long, default_value = "operator", value_parser = parse_audience)]
    audience: Audience,
    /// `canonical` (Battery Pass v1.2, the default); `catenax-battery-pass` (Catena-X io.catenax.battery.battery_pass
    /// 6.1.0, each document checked against its schema; values voltpass does not hold are the placeholders listed
    /// in `interop::catenax::PLACEHOLDERS`); `cx0160` (one line per passport with the eight CX-0160 aspects, IDTA
    /// battery passport parts 1-7 and DPP metadata, value-only JSON, checked against their schemas for the operator
    /// audience); `aas-environment` (one AAS v3 environment: an instance shell and submodels per passport, a type
    /// shell and submodels per battery model).
    #[arg(long, default_value = "canonical", value_parser = ["canonical", "catenax-battery-pass", "cx0160", "aas-environment"])]
    format: String,
}

fn parse_audience(s: &str) -> Result<Audience, String> {
    match s {
        "public" => Ok(Audience::Public),
        "legitimate-interest" => Ok(Audience::LegitimateInterest),
        "authority" => Ok(Audience::Authority),
        "operator" => Ok(Audience::Operator),
        other => Err(format!("unknown access group `{other}`: public, legitimate-interest, authority or operator")),
    }
}

/// Streams composed documents page by page: memory stays flat whatever the store's size.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let service = PassportService::new(store);
    // The command line acts as an administrator, recorded like any actor.
    super::local_actor(service.store()).await?;
    let filter = PassportFilter { model_id: args.model.clone(), category: args.category.clone(), ..Default::default() };
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut environment = if args.format == "aas-environment" && !args.models {
        Some(Environment::new(args.audience != Audience::Operator)?)
    } else {
        None
    };
    let bar = progress::bar(None, "exporting");
    let mut after: Option<String> = None;
    let mut count = 0usize;
    let mut seen_models = HashSet::new();
    loop {
        let page = service.list(&filter, after.as_deref(), 500).await?;
        for head in &page.items {
            if args.models {
                if seen_models.insert(head.model_id.clone()) {
                    let model = service.model(&head.model_id, None).await?;
                    let mut body = model.document.clone();
                    body["modelId"] = Value::String(model.model_id.clone());
                    serde_json::to_writer(&mut out, &body)?;
                    out.write_all(b"\n")?;
                    count += 1;
                }
                continue;
            }
            let passport = match service.passport_for(&head.id, None, args.audience).await {
                Ok(passport) => passport,
                // Ended passports are tombstones for the public and legitimate interest.
                Err(server::service::ServiceError::Gone(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            let document = &passport.document;
            match args.format.as_str() {
                "catenax-battery-pass" => {
                    let exported = interop::catenax::to_battery_pass(document)
                        .with_context(|| format!("passport {}: no Catena-X battery pass", head.id))?;
                    if let Err(errors) = interop::catenax::validate_battery_pass(&exported) {
                        anyhow::bail!(
                            "passport {}: the Catena-X battery pass breaks its schema: {}",
                            head.id,
                            errors.join("; ")
                        );
                    }
                    serde_json::to_writer(&mut out, &exported)?;
                    out.write_all(b"\n")?;
                }
                "cx0160" => {
                    let line = cx0160_line(head, document, args.audience == Audience::Operator)?;
                    serde_json::to_writer(&mut out, &line)?;
                    out.write_all(b"\n")?;
                }
                "aas-environment" => {
                    let env = environment.as_mut().expect("set up for this format");
                    env.add_passport(&mut *out, head, document)?;
                    if seen_models.insert(head.model_id.clone()) {
                        let model = service.model(&head.model_id, None).await?;
                        // The model record goes through the same access filter as the passports.
                        let model_document = passport::access::visible(&model.document, args.audience);
                        env.add_model(&mut *out, &head.model_id, &model_document)?;
                    }
                }
                _ => {
                    serde_json::to_writer(&mut out, document)?;
                    out.write_all(b"\n")?;
                }
            }
            count += 1;
        }
        bar.inc(page.items.len() as u64);
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if let Some(env) = environment {
        env.finish(&mut *out)?;
    }
    out.flush()?;
    bar.finish_and_clear();
    eprintln!("exported {count} {}", if args.models { "battery models" } else { "passports" });
    Ok(())
}

/// `{"passportId", "modelId", "aspects": {"<slug>": <value-only JSON>}}` with all eight CX-0160 aspects. A complete
/// (operator) document must give schema-valid aspects; pruned documents are incomplete by design and not checked.
fn cx0160_line(head: &PassportHead, document: &Value, check: bool) -> anyhow::Result<Value> {
    let parts =
        interop::cx0160::export_all(document).with_context(|| format!("passport {}: no CX-0160 aspects", head.id))?;
    let mut aspects = Map::new();
    for (aspect, value) in parts {
        if check && let Err(errors) = interop::cx0160::validate(aspect, &value) {
            anyhow::bail!(
                "passport {}: the CX-0160 aspect {} breaks its schema: {}",
                head.id,
                aspect.slug(),
                errors.join("; ")
            );
        }
        aspects.insert(aspect.slug().to_string(), value);
    }
    Ok(serde_json::json!({"passportId": head.id, "modelId": head.model_id, "aspects": aspects}))
}

/// An AAS v3 JSON environment written as it goes: shells straight to the output, submodels to a spool file that
/// is appended at the end (the serialisation wants all shells, then all submodels), so memory stays flat.
/// Empty arrays are never written: a member is opened with its first element.
struct Environment {
    spool_path: std::path::PathBuf,
    spool: std::io::BufWriter<std::fs::File>,
    shells: usize,
    submodels: usize,
    /// The documents went through an access filter: a battery pass that cannot be mapped is left out.
    pruned: bool,
    /// Passports whose battery pass could not be mapped, reported once.
    unmapped: usize,
}

impl Environment {
    fn new(pruned: bool) -> anyhow::Result<Environment> {
        let spool_path = std::env::temp_dir().join(format!("voltpass-aas-{}.json", uuid::Uuid::now_v7().simple()));
        let file = std::fs::File::create(&spool_path)
            .with_context(|| format!("cannot create the spool file {}", spool_path.display()))?;
        Ok(Environment {
            spool_path,
            spool: std::io::BufWriter::new(file),
            shells: 0,
            submodels: 0,
            pruned,
            unmapped: 0,
        })
    }

    fn add_passport(&mut self, out: &mut dyn Write, head: &PassportHead, document: &Value) -> anyhow::Result<()> {
        let facts = PassportFacts {
            passport_id: head.id.clone(),
            battery_id: head.battery_id.clone(),
            model_id: head.model_id.clone(),
            status: head.status.clone(),
        };
        let mut twin = twins::passport_twin(&facts);
        let of = TwinOf::Passport(head.id.clone());
        let mut written = HashSet::new();
        for kind in SubmodelKind::of(&of) {
            match kind.value(document) {
                Ok(value) => {
                    self.submodel(kind, &of, &value)?;
                    written.insert(twins::submodel_id(kind, &of));
                }
                // A pruned document may lack what the battery pass requires: that submodel is left out.
                Err(MappingError::Missing { .. } | MappingError::Invalid { .. })
                    if kind == SubmodelKind::BatteryPass && self.pruned =>
                {
                    self.unmapped += 1;
                }
                Err(e) => return Err(e).with_context(|| format!("passport {}: no {} submodel", head.id, kind.slug())),
            }
        }
        twin.submodels.retain(|s| written.contains(&s.id));
        let asset_ids = twin.specific_asset_ids.clone();
        self.shell(out, &twins::shell(&twin, &asset_ids))
    }

    fn add_model(&mut self, out: &mut dyn Write, model_id: &str, document: &Value) -> anyhow::Result<()> {
        let mut twin = twins::model_twin(model_id);
        let of = TwinOf::Model(model_id.to_string());
        let mut written = HashSet::new();
        for kind in SubmodelKind::of(&of) {
            let value =
                kind.value(document).with_context(|| format!("battery model {model_id}: no {}", kind.slug()))?;
            self.submodel(kind, &of, &value)?;
            written.insert(twins::submodel_id(kind, &of));
        }
        twin.submodels.retain(|s| written.contains(&s.id));
        let asset_ids = twin.specific_asset_ids.clone();
        self.shell(out, &twins::shell(&twin, &asset_ids))
    }

    fn submodel(&mut self, kind: SubmodelKind, of: &TwinOf, value: &Value) -> anyhow::Result<()> {
        let id = twins::submodel_id(kind, of);
        let submodel = elements::submodel(&id, kind.id_short(), kind.semantic_id(), value);
        if self.submodels > 0 {
            self.spool.write_all(b",")?;
        }
        serde_json::to_writer(&mut self.spool, &submodel)?;
        self.submodels += 1;
        Ok(())
    }

    fn shell(&mut self, out: &mut dyn Write, shell: &Value) -> anyhow::Result<()> {
        let mut shell = shell.clone();
        if shell["submodels"].as_array().is_some_and(Vec::is_empty) {
            shell.as_object_mut().map(|o| o.remove("submodels"));
        }
        let separator: &[u8] = if self.shells == 0 { b"{\"assetAdministrationShells\":[" } else { b"," };
        out.write_all(separator)?;
        serde_json::to_writer(&mut *out, &shell)?;
        self.shells += 1;
        Ok(())
    }

    fn finish(mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        self.spool.flush()?;
        self.append(out)?;
        if self.unmapped > 0 {
            eprintln!(
                "{} passports have no BatteryPass submodel: the access group's view lacks values the Catena-X battery \
                 pass requires",
                self.unmapped
            );
        }
        Ok(())
    }

    fn append(&mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        match (self.shells, self.submodels) {
            (0, 0) => out.write_all(b"{")?,
            (0, _) => out.write_all(b"{\"submodels\":[")?,
            (_, 0) => out.write_all(b"]")?,
            (_, _) => out.write_all(b"],\"submodels\":[")?,
        }
        if self.submodels > 0 {
            let mut spool = std::fs::File::open(&self.spool_path)
                .with_context(|| format!("cannot reopen the spool file {}", self.spool_path.display()))?;
            std::io::copy(&mut spool, out)?;
            out.write_all(b"]")?;
        }
        out.write_all(b"}\n")?;
        Ok(())
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.spool_path);
    }
}
