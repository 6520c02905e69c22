//! Checks the attribute catalogue against the Battery Pass longlist v1.2 and the Battery Pass v1.2 JSON
//! schemas in the shared reference checkout (`/work/shared/reference/batterypass`).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use passport::catalogue::*;
use serde_json::Value;

const BATTERY_CONDITION: &str = "/performance/batteryCondition/";

/// Canonical-document member -> schema file (relative to the BatteryPass directory).
const MEMBERS: [(&str, &str); 7] = [
    (
        "generalProductInformation",
        "io.BatteryPass.GeneralProductInformation/1.2.0/GeneralProductInformation-schema.json",
    ),
    ("labels", "io.BatteryPass.Labels/1.2.0/Labeling-schema.json"),
    ("carbonFootprint", "io.BatteryPass.CarbonFootprint/1.2.0/CarbonFootprintForBatteries-schema.json"),
    ("supplyChainDueDiligence", "io.BatteryPass.SupplyChainDueDiligence/1.2.0/SupplyChainDueDiligence-schema.json"),
    ("materialComposition", "io.BatteryPass.MaterialComposition/1.2.0/MaterialComposition-schema.json"),
    ("circularity", "io.BatteryPass.Circularity/1.2.0/Circularity-schema.json"),
    ("performance", "io.BatteryPass.Performance/1.2.1/PerformanceAndDurability-schema.json"),
];

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/batterypass")
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read reference file {} ({e}); the Battery Pass reference checkout is expected there",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

fn longlist() -> Vec<Value> {
    match read_json(reference_dir().join("longlist/longlist-v1.2.json")) {
        Value::Array(rows) => rows,
        other => panic!("longlist-v1.2.json: expected an array of rows, got {other}"),
    }
}

fn schemas() -> BTreeMap<&'static str, Value> {
    let dir = reference_dir().join("BatteryPass");
    MEMBERS.iter().map(|(member, file)| (*member, read_json(dir.join(file)))).collect()
}

/// Collapses whitespace runs to single spaces and trims.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text<'a>(row: &'a Value, column: &str) -> Option<&'a str> {
    row.get(column).and_then(Value::as_str)
}

fn column<'a>(row: &'a Value, prefix: &str) -> &'a Value {
    let obj = row.as_object().expect("longlist row is an object");
    obj.iter()
        .find(|(k, _)| norm(k).starts_with(prefix))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("longlist row {:?} has no column starting with {prefix:?}", row.get("#")))
}

fn expected_access(row: &Value) -> AccessGroup {
    let raw = column(row, "Access rights according to Battery Regulation").as_str().unwrap_or_default();
    match norm(raw).to_lowercase().as_str() {
        "public" => AccessGroup::Public,
        "persons with a legitimate interest" => AccessGroup::LegitimateInterest,
        "persons with a legitimate interest and the commission" => AccessGroup::LegitimateInterestAndAuthority,
        "notified bodies, market surveillance authorities and the commission" => AccessGroup::Authority,
        other => panic!("longlist row {:?}: unknown access right {other:?}", row.get("#")),
    }
}

fn expected_variability(row: &Value) -> Variability {
    let raw = column(row, "Data behavioural characteristic").as_str().unwrap_or_default();
    match norm(raw).to_lowercase().as_str() {
        "static" => Variability::Static,
        "dynamic" => Variability::Dynamic,
        other => panic!("longlist row {:?}: unknown static/dynamic value {other:?}", row.get("#")),
    }
}

fn expected_granularity(row: &Value) -> Granularity {
    let raw = column(row, "Granularity level I").as_str().unwrap_or_default();
    match norm(raw).to_lowercase().as_str() {
        "individual battery" => Granularity::Item,
        "battery model" => Granularity::Model,
        other => panic!("longlist row {:?}: unknown granularity {other:?}", row.get("#")),
    }
}

fn expected_requirement(row: &Value) -> [Requirement; 4] {
    ["EV", "LMT", "Other Industrial >2kWh", "Stationary >2kWh"].map(|c| {
        match text(row, c).map(|s| s.trim().to_lowercase()).as_deref() {
            Some("x") => Requirement::Mandatory,
            Some("o") => Requirement::Optional,
            _ => Requirement::NotApplicable,
        }
    })
}

fn expected_unit(row: &Value) -> String {
    let unit = norm(text(row, "Unit of attribute or sign (if applicable)").unwrap_or_default());
    if unit == "n.a." || unit == "-" { String::new() } else { unit }
}

/// The schema objects that together describe `node`: `$ref` followed, `allOf` flattened.
fn expand<'a>(root: &'a Value, node: &'a Value, out: &mut Vec<&'a Value>) {
    if let Some(target) = node.get("$ref").and_then(Value::as_str) {
        let local = target.strip_prefix('#').unwrap_or_else(|| panic!("only local $ref is supported, got {target:?}"));
        let resolved = root.pointer(local).unwrap_or_else(|| panic!("dangling $ref {target:?}"));
        expand(root, resolved, out);
    }
    if let Some(parts) = node.get("allOf").and_then(Value::as_array) {
        for part in parts {
            expand(root, part, out);
        }
    }
    out.push(node);
}

/// One step down: `-` goes into `items`, anything else into `properties`.
fn child<'a>(root: &'a Value, node: &'a Value, segment: &str) -> Option<&'a Value> {
    let mut parts = Vec::new();
    expand(root, node, &mut parts);
    parts
        .into_iter()
        .find_map(|s| if segment == "-" { s.get("items") } else { s.get("properties").and_then(|p| p.get(segment)) })
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Resolves a canonical-document pointer in the schema of its member; `Err` says which step failed.
fn resolve(schemas: &BTreeMap<&'static str, Value>, pointer: &str) -> Result<(), String> {
    let rest = pointer.strip_prefix('/').ok_or_else(|| format!("{pointer:?} does not start with '/'"))?;
    let mut segments = rest.split('/').map(unescape);
    let member = segments.next().unwrap_or_default();
    let root = schemas.get(member.as_str()).ok_or_else(|| format!("{pointer:?}: unknown member {member:?}"))?;
    let mut node = root;
    let mut walked = format!("/{member}");
    for segment in segments {
        walked.push('/');
        walked.push_str(&segment);
        node = child(root, node, &segment).ok_or_else(|| format!("{pointer:?}: {walked:?} is not in the schema"))?;
    }
    Ok(())
}

fn parent(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(p, _)| p)
}

fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} problem(s):\n  {}", failures.len(), failures.join("\n  "));
}

#[test]
fn longlist_rows_match_the_catalogue() {
    let rows = longlist();
    assert_eq!(rows.len(), 93, "longlist v1.2 should have 93 rows");
    let mut failures = Vec::new();
    for number in 1..=93u16 {
        let Some(row) = rows.iter().find(|r| r.get("#").and_then(Value::as_u64) == Some(u64::from(number))) else {
            failures.push(format!("longlist has no row #{number}"));
            continue;
        };
        let matches: Vec<&Attribute> = ATTRIBUTES.iter().filter(|a| a.id == number).collect();
        let [attr] = matches.as_slice() else {
            failures.push(format!("row {number}: expected exactly one catalogue row, found {}", matches.len()));
            continue;
        };
        let mut check = |what: &str, ok: bool, detail: String| {
            if !ok {
                failures.push(format!("row {number} ({}): {what}: {detail}", attr.name));
            }
        };
        let name = norm(text(row, "Attribute").unwrap_or_default());
        check("name", attr.name == name, format!("catalogue {:?}, longlist {name:?}", attr.name));
        let unit = expected_unit(row);
        check("unit", attr.unit == unit, format!("catalogue {:?}, longlist {unit:?}", attr.unit));
        let access = expected_access(row);
        check("access", attr.access == access, format!("catalogue {:?}, longlist {access:?}", attr.access));
        let variability = expected_variability(row);
        check(
            "variability",
            attr.variability == variability,
            format!("catalogue {:?}, longlist {variability:?}", attr.variability),
        );
        let requirement = expected_requirement(row);
        check(
            "requirement",
            attr.requirement == requirement,
            format!("catalogue {:?}, longlist {requirement:?}", attr.requirement),
        );
        // Exception: whatever the schema keeps in batteryCondition is stored per battery.
        let in_condition = attr.pointers.iter().any(|p| p.starts_with(BATTERY_CONDITION));
        let granularity = if in_condition { Granularity::Item } else { expected_granularity(row) };
        check(
            "granularity",
            attr.granularity == granularity,
            format!("catalogue {:?}, expected {granularity:?}", attr.granularity),
        );
        check("pointers", !attr.pointers.is_empty(), "no pointer".to_string());
    }
    for attr in ATTRIBUTES {
        if !(1..=93).contains(&attr.id) && attr.id < 1001 {
            failures
                .push(format!("row {} ({}): id is neither a longlist row nor an extra (1001+)", attr.id, attr.name));
        }
    }
    report(failures);
}

#[test]
fn every_pointer_resolves_in_the_battery_pass_schemas() {
    let schemas = schemas();
    let mut failures = Vec::new();
    for attr in ATTRIBUTES {
        if attr.pointers.is_empty() {
            failures.push(format!("row {} ({}): no pointer", attr.id, attr.name));
        }
        for pointer in attr.pointers {
            let result = if attr.id <= 93 {
                resolve(&schemas, pointer)
            } else {
                // Extension: the parent is upstream, the last segment is ours and must not shadow an upstream field.
                resolve(&schemas, parent(pointer)).and_then(|()| match resolve(&schemas, pointer) {
                    Ok(()) => Err(format!("{pointer:?} already exists upstream; not an extension")),
                    Err(_) => Ok(()),
                })
            };
            if let Err(e) = result {
                failures.push(format!("row {} ({}): {e}", attr.id, attr.name));
            }
        }
    }
    report(failures);
}

#[test]
fn ids_are_unique_and_item_pointers_are_not_array_wildcards() {
    let mut failures = Vec::new();
    let mut seen = HashSet::new();
    for attr in ATTRIBUTES {
        if !seen.insert(attr.id) {
            failures.push(format!("row {} ({}): duplicate id", attr.id, attr.name));
        }
        if attr.granularity == Granularity::Item {
            for pointer in attr.pointers.iter().filter(|p| p.split('/').any(|s| s == "-")) {
                failures
                    .push(format!("row {} ({}): item-level pointer {pointer:?} has a '-' segment", attr.id, attr.name));
            }
        }
        if attr.pointers.iter().any(|p| !p.starts_with('/')) {
            failures.push(format!("row {} ({}): pointer without leading '/'", attr.id, attr.name));
        }
    }
    report(failures);
}
