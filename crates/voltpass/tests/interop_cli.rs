//! The export formats end to end through the `voltpass` binary: CX-0160 aspects and the AAS environment checked
//! against their schemas and each other, every format imported back into a fresh store, and the EDC definitions
//! `catenax assets` writes.

use interop::aas::elements;
use interop::aas::twins::{self, SubmodelKind, TwinOf};
use interop::catenax::remove_pointer;
use interop::cx0160::Aspect;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn voltpass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voltpass")).args(args).env("VOLTPASS_LOG", "warn").output().expect("run voltpass")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "voltpass failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voltpass-interop-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("voltpass.db").display())
}

/// A demo store with `count` passports over the three demo models.
fn seeded(count: usize) -> (PathBuf, String) {
    let dir = temp_dir();
    let db = db_url(&dir);
    ok(voltpass(&["demo", "--count", &count.to_string(), "--db", &db]));
    (dir, db)
}

fn export(db: &str, format: &str, out: &Path) -> String {
    ok(voltpass(&["export", "--format", format, "--out", out.to_str().unwrap(), "--db", db]));
    std::fs::read_to_string(out).unwrap()
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Canonical documents of a store by battery identifier (productIdentifier).
fn canonical_by_battery(db: &str, dir: &Path) -> BTreeMap<String, Value> {
    let path = dir.join(format!("canonical-{}.ndjson", uuid::Uuid::now_v7().simple()));
    ndjson(&export(db, "canonical", &path))
        .into_iter()
        .map(|d| (d["generalProductInformation"]["productIdentifier"].as_str().unwrap().to_string(), d))
        .collect()
}

/// Every place in `value` holding an empty array.
fn empty_arrays(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Array(items) if items.is_empty() => out.push(at),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| empty_arrays(v, format!("{at}/{i}"), out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| empty_arrays(v, format!("{at}/{k}"), out)),
        _ => {}
    }
}

/// `value` with object keys as AAS idShorts (`50PercentLife` -> `x50PercentLife`), as a submodel stores them.
fn id_shorts(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let mut key: String =
                        k.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
                    if !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        key.insert(0, 'x');
                    }
                    (key, id_shorts(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(id_shorts).collect()),
        other => other.clone(),
    }
}

#[test]
fn cx0160_export_has_eight_schema_valid_aspects_per_passport() {
    let (dir, db) = seeded(12);
    let lines = ndjson(&export(&db, "cx0160", &dir.join("cx0160.ndjson")));
    assert_eq!(lines.len(), 12);
    let slugs: BTreeSet<&str> = Aspect::ALL.iter().map(|a| a.slug()).collect();
    for line in &lines {
        assert!(line["passportId"].is_string() && line["modelId"].is_string(), "{line}");
        let aspects = line["aspects"].as_object().unwrap();
        assert_eq!(aspects.keys().map(String::as_str).collect::<BTreeSet<_>>(), slugs);
        for (slug, value) in aspects {
            let aspect = Aspect::from_slug(slug).unwrap();
            if let Err(errors) = interop::cx0160::validate(aspect, value) {
                panic!("{} {slug}: {errors:#?}", line["passportId"]);
            }
        }
    }
    // Pruned views export without the schema check (they are incomplete by design).
    let public = dir.join("public.ndjson");
    ok(voltpass(&[
        "export",
        "--format",
        "cx0160",
        "--audience",
        "public",
        "--out",
        public.to_str().unwrap(),
        "--db",
        &db,
    ]));
    assert_eq!(std::fs::read_to_string(&public).unwrap().lines().count(), 12);
}

#[test]
fn aas_environment_holds_the_cx0160_values_without_empty_arrays() {
    let (dir, db) = seeded(9);
    let cx0160: BTreeMap<String, Value> = ndjson(&export(&db, "cx0160", &dir.join("cx0160.ndjson")))
        .into_iter()
        .map(|l| (l["passportId"].as_str().unwrap().to_string(), l))
        .collect();
    let text = export(&db, "aas-environment", &dir.join("env.json"));
    assert_eq!(text.trim_end().lines().count(), 1, "one JSON document");
    let env: Value = serde_json::from_str(&text).unwrap();
    let mut empty = Vec::new();
    empty_arrays(&env, String::new(), &mut empty);
    assert!(empty.is_empty(), "no empty arrays: {empty:?}");

    let shells = env["assetAdministrationShells"].as_array().unwrap();
    let submodels = env["submodels"].as_array().unwrap();
    assert_eq!(shells.len(), 9 + 3, "an instance shell per passport, a type shell per model");
    let by_id: BTreeMap<&str, &Value> = submodels.iter().map(|s| (s["id"].as_str().unwrap(), s)).collect();
    assert_eq!(by_id.len(), submodels.len(), "submodel ids are unique");
    let mut referenced = BTreeSet::new();
    for shell in shells {
        for reference in shell["submodels"].as_array().unwrap() {
            let id = reference["keys"][0]["value"].as_str().unwrap();
            assert!(by_id.contains_key(id), "shell {} references a missing submodel {id}", shell["id"]);
            referenced.insert(id);
        }
    }
    assert_eq!(referenced.len(), submodels.len(), "every submodel belongs to a shell");

    // Model records as stored, to check the type twins against.
    let models: BTreeMap<String, Value> = ndjson(&{
        let path = dir.join("models.ndjson");
        ok(voltpass(&["export", "--models", "--out", path.to_str().unwrap(), "--db", &db]));
        std::fs::read_to_string(path).unwrap()
    })
    .into_iter()
    .map(|mut m| {
        let id = m["modelId"].as_str().unwrap().to_string();
        m.as_object_mut().unwrap().remove("modelId");
        (id, m)
    })
    .collect();
    let canonical_by_id: BTreeMap<String, Value> = canonical_by_battery(&db, &dir)
        .into_values()
        .map(|d| (d["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string(), d))
        .collect();
    for (passport_id, line) in cx0160.iter().take(3) {
        let of = TwinOf::Passport(passport_id.clone());
        for kind in SubmodelKind::of(&of) {
            let submodel = by_id[twins::submodel_id(kind, &of).as_str()];
            assert_eq!(submodel["semanticId"]["keys"][0]["value"], kind.semantic_id());
            let value = elements::submodel_value(submodel);
            match kind {
                SubmodelKind::Idta(aspect) => {
                    assert_eq!(value, line["aspects"][aspect.slug()], "{passport_id} {kind:?}")
                }
                SubmodelKind::BatteryPass => {
                    let canonical = &canonical_by_id[passport_id.as_str()];
                    let expected = id_shorts(&interop::catenax::to_battery_pass(canonical).unwrap());
                    assert_eq!(value, expected, "{passport_id} BatteryPass (keys as idShorts)");
                }
            }
        }
        let model_id = line["modelId"].as_str().unwrap();
        let model = TwinOf::Model(model_id.to_string());
        for kind in SubmodelKind::of(&model) {
            let SubmodelKind::Idta(aspect) = kind else { unreachable!("type twins hold CX-0160 parts") };
            let submodel = by_id[twins::submodel_id(kind, &model).as_str()];
            let expected = interop::cx0160::export(&models[model_id], aspect).unwrap();
            assert_eq!(elements::submodel_value(submodel), expected, "{model_id} {kind:?}");
        }
    }
}

/// Canonical places an AAS environment loses besides [`interop::cx0160::NOT_CARRIED`]: per-battery values IDTA
/// keeps on type level (Technical Data, Circularity), which the type twin, built from the model record, lacks.
const AAS_TYPE_LEVEL_PER_BATTERY: [&str; 3] = [
    "/performance/batteryCondition/capacityFade",
    "/performance/batteryCondition/internalResistanceIncrease",
    "/circularity/safetyMeasures/extinguishingAgent",
];

fn pointers(list: &[(&'static str, &'static str)]) -> Vec<&'static str> {
    list.iter().map(|(p, _)| *p).collect()
}

/// `pointer` with array indexes as `-`, the way the NOT_CARRIED lists write them.
fn generic(pointer: &str) -> String {
    pointer.split('/').map(|s| if s.parse::<usize>().is_ok() { "-" } else { s }).collect::<Vec<_>>().join("/")
}

/// Whether `pointer` lies under (or above) one of `lost`, segment-wise.
fn covered(pointer: &str, lost: &[&str]) -> bool {
    let p = generic(pointer);
    lost.iter().any(|l| p == *l || p.starts_with(&format!("{l}/")) || l.starts_with(&format!("{p}/")))
}

fn strip(mut doc: Value, lost: &[&str]) -> Value {
    for pointer in lost {
        remove_pointer(&mut doc, pointer);
    }
    doc
}

fn assert_same_modulo(format: &str, before: &Value, after: &Value, lost: &[&str]) {
    let differences = interop::catenax::differences(&strip(before.clone(), lost), &strip(after.clone(), lost));
    let battery = &before["generalProductInformation"]["productIdentifier"];
    assert!(differences.is_empty(), "{format} round trip of {battery}: {differences:#?}");
}

/// Imports `file` into a fresh store; the output and the canonical pointers the store's validation refused.
fn import_fresh(format: &str, file: &Path, keep_ids: bool) -> (Output, Vec<String>, String) {
    import_fresh_with(format, file, keep_ids, None)
}

fn import_fresh_with(format: &str, file: &Path, keep_ids: bool, fill: Option<&Path>) -> (Output, Vec<String>, String) {
    let fresh = temp_dir();
    let db = db_url(&fresh);
    let mut args = vec!["import", "--format", format, file.to_str().unwrap(), "--db", &db];
    if keep_ids {
        args.push("--keep-ids");
    }
    if let Some(fill) = fill {
        args.extend(["--fill", fill.to_str().unwrap()]);
    }
    let out = voltpass(&args);
    let refused = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|line| line.split_once(": /").map(|(_, rest)| format!("/{}", rest.split(':').next().unwrap())))
        .collect();
    (out, refused, db)
}

#[test]
fn canonical_round_trips_unchanged() {
    let (dir, db) = seeded(12);
    let file = dir.join("export.ndjson");
    export(&db, "canonical", &file);
    let (out, _, fresh_db) = import_fresh("canonical", &file, true);
    assert!(String::from_utf8_lossy(&ok(out).stdout).contains("imported 12 passports"));
    let (before, after) = (canonical_by_battery(&db, &dir), canonical_by_battery(&fresh_db, &dir));
    assert_eq!(before, after);
}

/// A lossy format: its documents convert back to the canonical ones modulo `lost` (checked here on the exported
/// file), and a fresh store refuses them only for required places among `lost` (nothing is written).
fn lossy_round_trip(format: &str, keep_ids: bool, lost: &[&str], convert: impl Fn(&str) -> Vec<Value>) {
    let (dir, db) = seeded(12);
    let file = dir.join(format!("export.{format}"));
    let text = export(&db, format, &file);
    let before = canonical_by_battery(&db, &dir);
    let converted = convert(&text);
    assert_eq!(converted.len(), 12);
    for doc in &converted {
        let battery = doc["generalProductInformation"]["productIdentifier"].as_str().unwrap();
        assert_same_modulo(format, &before[battery], doc, lost);
    }
    // Without help, a fresh store refuses them, only for required places the format cannot carry.
    let (out, refused, fresh_db) = import_fresh(format, &file, keep_ids);
    assert!(!out.status.success(), "{format}: required places are lost, so the store refuses");
    assert!(!refused.is_empty(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    let unexpected: Vec<&String> = refused.iter().filter(|p| !covered(p, lost)).collect();
    assert!(unexpected.is_empty(), "{format}: refused for places the format carries: {unexpected:?}");
    assert!(canonical_by_battery(&fresh_db, &dir).is_empty());

    // With `--fill` supplying what the format has no place for, every passport imports, and equals the original
    // wherever the format carries the value.
    let fill = dir.join("fill.json");
    // The battery made last: its observation dates lie after every other battery's manufacture, so the dates it
    // supplies pass the date-order rule for all of them.
    let made =
        |doc: &Value| doc["generalProductInformation"]["manufacturingDate"].as_str().unwrap_or_default().to_string();
    let mut defaults = before.values().max_by_key(|doc| made(doc)).unwrap().clone();
    defaults["generalProductInformation"].as_object_mut().unwrap().remove("batteryPassportIdentifier");
    std::fs::write(&fill, defaults.to_string()).unwrap();
    let (out, _, fresh_db) = import_fresh_with(format, &file, keep_ids, Some(&fill));
    assert!(out.status.success(), "{format} with --fill: {}", String::from_utf8_lossy(&out.stderr));
    let after = canonical_by_battery(&fresh_db, &dir);
    assert_eq!(after.len(), before.len());
    for (battery, doc) in &before {
        assert_same_modulo(format, doc, &after[battery], lost);
    }
}

#[test]
fn catenax_battery_pass_round_trips_modulo_not_carried() {
    lossy_round_trip("catenax-battery-pass", true, &pointers(interop::catenax::NOT_CARRIED), |text| {
        ndjson(text).iter().map(|bp| interop::catenax::from_battery_pass(bp).unwrap()).collect()
    });
}

#[test]
fn cx0160_round_trips_modulo_not_carried() {
    lossy_round_trip("cx0160", true, &pointers(interop::cx0160::NOT_CARRIED), |text| {
        ndjson(text)
            .iter()
            .map(|line| {
                let parts: Vec<(Aspect, Value)> = line["aspects"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(slug, value)| (Aspect::from_slug(slug).unwrap(), value.clone()))
                    .collect();
                interop::cx0160::import(&parts).unwrap()
            })
            .collect()
    });
}

#[test]
fn aas_environment_round_trips_modulo_not_carried() {
    let mut lost = pointers(interop::cx0160::NOT_CARRIED);
    lost.extend(AAS_TYPE_LEVEL_PER_BATTERY);
    lossy_round_trip("aas-environment", true, &lost, |text| {
        let env: Value = serde_json::from_str(text).unwrap();
        let mut parts: BTreeMap<TwinOf, Vec<(Aspect, Value)>> = BTreeMap::new();
        for submodel in env["submodels"].as_array().unwrap() {
            let (kind, twin) = twins::parse_submodel_id(submodel["id"].as_str().unwrap()).unwrap();
            if let SubmodelKind::Idta(aspect) = kind {
                parts.entry(twin).or_default().push((aspect, elements::submodel_value(submodel)));
            }
        }
        env["assetAdministrationShells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|shell| shell["assetInformation"]["assetKind"] == "Instance")
            .map(|shell| {
                let twin = twins::parse_shell_id(shell["id"].as_str().unwrap()).unwrap();
                let model = TwinOf::Model(shell["assetInformation"]["assetType"].as_str().unwrap().to_string());
                let mut aspects = parts[&twin].clone();
                aspects.extend(parts[&model].iter().cloned());
                interop::cx0160::import(&aspects).unwrap()
            })
            .collect()
    });
}

/// Imports `file` into a fresh store: it must fail naming `place`, and the store must hold no passport.
fn refused(format: &str, file: &Path, place: &str) {
    let fresh = temp_dir();
    let db = db_url(&fresh);
    let out = voltpass(&["import", "--keep-ids", "--format", format, file.to_str().unwrap(), "--db", &db]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{format}: a corrupted input fails");
    assert!(stderr.contains(place), "{format}: the error names {place}: {stderr}");
    assert!(canonical_by_battery(&db, &fresh).is_empty(), "{format}: nothing of the batch was written");
}

#[test]
fn corrupted_inputs_are_refused_and_nothing_is_written() {
    let (dir, db) = seeded(6);
    for format in ["catenax-battery-pass", "cx0160"] {
        let file = dir.join(format!("export.{format}"));
        let text = export(&db, format, &file);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Line 4 breaks: cut-off JSON for one format, an aspect nobody knows for the other.
        lines[3] = match format {
            "cx0160" => lines[3].replacen("\"nameplate\"", "\"nameplates\"", 1),
            _ => lines[3][..lines[3].len() / 2].to_string(),
        };
        let name = format!("broken.{format}");
        let broken = dir.join(&name);
        std::fs::write(&broken, lines.join("\n") + "\n").unwrap();
        refused(format, &broken, &format!("{name}:4"));
    }
    // An AAS environment whose submodel has neither a voltpass id nor a known semantic id.
    let text = export(&db, "aas-environment", &dir.join("env.json"));
    let mut env: Value = serde_json::from_str(&text).unwrap();
    let submodel = &mut env["submodels"][2];
    let old_id = submodel["id"].as_str().unwrap().to_string();
    submodel["id"] = "urn:example:foreign-submodel".into();
    submodel["semanticId"]["keys"][0]["value"] = "urn:samm:example:1.0.0#Unknown".into();
    for shell in env["assetAdministrationShells"].as_array_mut().unwrap() {
        for reference in shell["submodels"].as_array_mut().into_iter().flatten() {
            if reference["keys"][0]["value"] == old_id.as_str() {
                reference["keys"][0]["value"] = "urn:example:foreign-submodel".into();
            }
        }
    }
    let broken = dir.join("broken-env.json");
    std::fs::write(&broken, serde_json::to_string(&env).unwrap()).unwrap();
    refused("aas-environment", &broken, "submodel urn:example:foreign-submodel");
    std::fs::write(&broken, &text[..text.len() / 2]).unwrap();
    refused("aas-environment", &broken, "broken-env.json: not an AAS environment");
}

#[test]
fn a_foreign_submodel_id_is_placed_by_its_shell_and_semantic_id() {
    let (dir, db) = seeded(3);
    let text = export(&db, "aas-environment", &dir.join("env.json"));
    let mut env: Value = serde_json::from_str(&text).unwrap();
    // Rename every submodel (and its references) to ids voltpass did not generate.
    let mut renames = BTreeMap::new();
    for (i, submodel) in env["submodels"].as_array_mut().unwrap().iter_mut().enumerate() {
        let new = format!("urn:uuid:00000000-0000-4000-8000-{i:012}");
        renames.insert(submodel["id"].as_str().unwrap().to_string(), new.clone());
        submodel["id"] = new.into();
    }
    for shell in env["assetAdministrationShells"].as_array_mut().unwrap() {
        for reference in shell["submodels"].as_array_mut().unwrap() {
            let old = reference["keys"][0]["value"].as_str().unwrap().to_string();
            reference["keys"][0]["value"] = renames[&old].clone().into();
        }
    }
    let file = dir.join("foreign.json");
    std::fs::write(&file, serde_json::to_string(&env).unwrap()).unwrap();
    let (out, refused, _) = import_fresh("aas-environment", &file, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("neither a voltpass submodel id") && !stderr.contains("no submodels"), "{stderr}");
    let mut lost = pointers(interop::cx0160::NOT_CARRIED);
    lost.extend(AAS_TYPE_LEVEL_PER_BATTERY);
    if !out.status.success() {
        let unexpected: Vec<&String> = refused.iter().filter(|p| !covered(p, &lost)).collect();
        assert!(!refused.is_empty() && unexpected.is_empty(), "placed by shell and semantic id: {stderr}");
    }
}

#[test]
fn catenax_assets_offer_the_registry_and_every_submodel_kind_without_secrets() {
    let dir = temp_dir();
    let path = dir.join("assets.json");
    ok(voltpass(&[
        "catenax",
        "assets",
        "--base-url",
        "https://voltpass.internal:8080/",
        "--out",
        path.to_str().unwrap(),
        "--bpn",
        "BPNL000000000001",
        "--bpn",
        "BPNL00000000000A",
    ]));
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in ["Bearer", "vpk_", "password", "clientSecret"] {
        assert!(!text.contains(secret), "no key material in the definitions: found {secret}");
    }
    let definitions: Value = serde_json::from_str(&text).unwrap();
    let definitions = definitions.as_array().unwrap();
    let of_type = |t: &str| definitions.iter().filter(move |d| d["@type"] == t).collect::<Vec<_>>();

    let assets = of_type("Asset");
    let registry = assets.iter().find(|a| a["@id"] == "voltpass-dtr").expect("the registry asset");
    assert_eq!(registry["properties"]["dct:type"]["@id"], "https://w3id.org/catenax/taxonomy#DigitalTwinRegistry");
    assert_eq!(registry["properties"]["asset:prop:type"], "data.core.digitalTwinRegistry");
    let address = &registry["dataAddress"];
    assert_eq!(address["baseUrl"], "https://voltpass.internal:8080/api/v3");
    for (key, value) in
        [("type", "HttpData"), ("proxyPath", "true"), ("proxyQueryParams", "true"), ("proxyMethod", "false")]
    {
        assert_eq!(address[key], value, "{key}");
    }
    assert_eq!(address["authKey"], "Authorization");
    assert_eq!(address["secretName"], "voltpass-connector-key");
    assert_eq!(registry["@context"]["dct"], "http://purl.org/dc/terms/");

    let kinds = SubmodelKind::all();
    assert_eq!(assets.len(), 1 + kinds.len());
    for kind in kinds {
        let id = interop::aas::connector_asset_id(kind.slug());
        let asset = assets.iter().find(|a| a["@id"] == id.as_str()).unwrap_or_else(|| panic!("asset {id}"));
        assert_eq!(asset["properties"]["dct:type"]["@id"], "https://w3id.org/catenax/taxonomy#Submodel");
        assert_eq!(asset["properties"]["aas-semantics:semanticId"]["@id"], kind.semantic_id());
        assert_eq!(asset["dataAddress"]["baseUrl"], "https://voltpass.internal:8080/api/v3/submodels");
        assert_eq!(asset["dataAddress"]["proxyPath"], "true");
        assert_eq!(asset["dataAddress"]["secretName"], "voltpass-connector-key");
    }

    let policies = of_type("PolicyDefinition");
    let constraints = |policy: &Value| -> BTreeMap<String, (String, Value)> {
        policy["policy"]["permission"][0]["constraint"][0]["and"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let left = c["leftOperand"].as_str().unwrap().to_string();
                (left, (c["operator"].as_str().unwrap().to_string(), c["rightOperand"].clone()))
            })
            .collect()
    };
    let usage = policies.iter().find(|p| p["policy"]["permission"][0]["action"] == "use").expect("a usage policy");
    let usage_constraints = constraints(usage);
    assert_eq!(usage_constraints["Membership"], ("eq".into(), "active".into()));
    assert_eq!(usage_constraints["FrameworkAgreement"], ("eq".into(), "DataExchangeGovernance:1.0".into()));
    assert_eq!(usage_constraints["UsagePurpose"].1, serde_json::json!(["cx.circular.dpp:1"]));
    let context = usage["@context"].as_array().unwrap();
    assert!(context.contains(&"https://w3id.org/catenax/2025/9/policy/context.jsonld".into()));
    assert!(context.contains(&"http://www.w3.org/ns/odrl.jsonld".into()));
    let access =
        policies.iter().find(|p| p["policy"]["permission"][0]["action"] == "access").expect("an access policy");
    assert_eq!(
        constraints(access)["BusinessPartnerNumber"].1,
        serde_json::json!(["BPNL000000000001", "BPNL00000000000A"])
    );

    let contracts = of_type("ContractDefinition");
    assert_eq!(contracts.len(), 1);
    assert_eq!(contracts[0]["accessPolicyId"], access["@id"]);
    assert_eq!(contracts[0]["contractPolicyId"], usage["@id"]);
    let selected: BTreeSet<&str> = contracts[0]["assetsSelector"][0]["operandRight"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let asset_ids: BTreeSet<&str> = assets.iter().map(|a| a["@id"].as_str().unwrap()).collect();
    assert_eq!(selected, asset_ids, "every asset is offered");

    let bad = voltpass(&["catenax", "assets", "--base-url", "https://x.example", "--bpn", "BPNS000000000001"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("not a BPNL"));
}
