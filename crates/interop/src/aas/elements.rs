//! Submodels in the AAS metamodel (IDTA-01001 Part 1 v3, JSON serialisation) built from the value-only JSON our
//! aspect mappings produce, and the views the API serves of them (`$value`, `$metadata`, `level=core`, paths).
//!
//! The mapping is structural, so every aspect gets it for free:
//! - object → `SubmodelElementCollection` (members become elements named by their key),
//! - array of `{"<lang>": "text"}` objects → `MultiLanguageProperty` (the value-only form of one),
//! - other arrays → `SubmodelElementList` (elements without idShort, AASd-120),
//! - empty objects and lists keep no `value` member (strict readers refuse empty arrays),
//! - string / number / boolean → `Property` with `xs:string` (`xs:date`, `xs:dateTime` when the text is one),
//!   `xs:long` / `xs:double`, `xs:boolean`; `null` is left out.
//!
//! [`value_only`] inverts it, so `$value` of a built submodel is the aspect's value-only JSON again.

use serde_json::{Map, Value, json};

/// A semantic id as an external reference (CX-0002 style: one `GlobalReference` key).
pub fn global_reference(value: &str) -> Value {
    json!({"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": value}]})
}

/// The model reference to a submodel.
pub fn submodel_reference(submodel_id: &str) -> Value {
    json!({"type": "ModelReference", "keys": [{"type": "Submodel", "value": submodel_id}]})
}

/// A submodel holding `value` (value-only JSON of one aspect) as elements.
pub fn submodel(id: &str, id_short: &str, semantic_id: &str, value: &Value) -> Value {
    let elements: Vec<Value> = match value {
        Value::Object(members) => members.iter().filter_map(|(k, v)| element(Some(k), v)).collect(),
        _ => Vec::new(),
    };
    let mut submodel = json!({
        "modelType": "Submodel",
        "id": id,
        "idShort": id_short,
        "kind": "Instance",
        "semanticId": global_reference(semantic_id),
    });
    // Strict readers refuse empty arrays: an empty submodel has no `submodelElements` member.
    if !elements.is_empty() {
        submodel["submodelElements"] = Value::Array(elements);
    }
    submodel
}

/// The element for one value (`id_short` is `None` inside lists); `None` for JSON null.
pub fn element(id_short: Option<&str>, value: &Value) -> Option<Value> {
    let mut element = match value {
        Value::Null => return None,
        Value::Bool(b) => property("xs:boolean", b.to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => property("xs:long", n.to_string()),
        Value::Number(n) => property("xs:double", n.to_string()),
        Value::String(s) => property(text_type(s), s.clone()),
        Value::Array(items) if is_multi_language(items) => {
            let texts: Vec<Value> = items
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|o| o.iter().map(|(lang, text)| json!({"language": lang, "text": text})))
                .collect();
            json!({"modelType": "MultiLanguageProperty", "value": texts})
        }
        Value::Array(items) => list(items),
        Value::Object(members) => {
            let children: Vec<Value> = members.iter().filter_map(|(k, v)| element(Some(k), v)).collect();
            let mut collection = json!({"modelType": "SubmodelElementCollection"});
            if !children.is_empty() {
                collection["value"] = Value::Array(children);
            }
            collection
        }
    };
    if let Some(id_short) = id_short {
        element["idShort"] = Value::String(id_short_of(id_short));
    }
    Some(element)
}

fn property(value_type: &str, value: String) -> Value {
    json!({"modelType": "Property", "valueType": value_type, "value": value})
}

/// `xs:date` / `xs:dateTime` for ISO 8601 text, else `xs:string` (the value-only form is the same text).
fn text_type(s: &str) -> &'static str {
    let b = s.as_bytes();
    let date = b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    match (date, b.len()) {
        (true, 10) => "xs:date",
        (true, _)
            if b[10] == b'T'
                && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok() =>
        {
            "xs:dateTime"
        }
        _ => "xs:string",
    }
}

/// `[{"en": "text"}, {"de": "Text"}]`: the value-only shape of a multi-language property.
fn is_multi_language(items: &[Value]) -> bool {
    !items.is_empty()
        && items.iter().all(|item| {
            item.as_object()
                .is_some_and(|o| o.len() == 1 && o.iter().all(|(lang, text)| text.is_string() && is_language_tag(lang)))
        })
}

/// Languages recognised as keys of multi-language text: the EU's 24 and other common ones. A fixed list, so a
/// list of one-member objects such as `[{"id": "x"}]` is not mistaken for text (`id` is Indonesian).
const LANGUAGES: &[&str] = &[
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt", "nl", "pl",
    "pt", "ro", "sk", "sl", "sv", "ar", "is", "ja", "ko", "nb", "no", "ru", "tr", "uk", "zh",
];

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or_default();
    LANGUAGES.contains(&primary)
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn list(items: &[Value]) -> Value {
    // Properties in a list share one value type (AASd-109): integers in a list of decimals become decimals.
    let all_numbers = items.iter().all(Value::is_number);
    let children: Vec<Value> = items
        .iter()
        .filter_map(|item| match item {
            Value::Number(n) if all_numbers => Some(property("xs:double", n.to_string())),
            _ => element(None, item),
        })
        .collect();
    let mut list = json!({"modelType": "SubmodelElementList", "orderRelevant": true, "value": children});
    let kinds: std::collections::BTreeSet<&str> = children.iter().filter_map(|c| c["modelType"].as_str()).collect();
    let value_types: std::collections::BTreeSet<&str> =
        children.iter().filter_map(|c| c["valueType"].as_str()).collect();
    list["typeValueListElement"] =
        json!(if kinds.len() == 1 { kinds.first().copied() } else { Some("SubmodelElement") });
    if kinds.len() == 1 && value_types.len() == 1 {
        list["valueTypeListElement"] = json!(value_types.first());
    } else if kinds.len() > 1 || value_types.len() > 1 {
        // Mixed lists cannot be typed: keep every member as text so the list stays valid.
        let texts: Vec<Value> = items.iter().map(|item| property("xs:string", plain_text(item))).collect();
        list["value"] = Value::Array(texts);
        list["typeValueListElement"] = json!("Property");
        list["valueTypeListElement"] = json!("xs:string");
    }
    if items.is_empty() {
        list.as_object_mut().map(|o| o.remove("value"));
    }
    list
}

fn plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An idShort the metamodel accepts (`^[a-zA-Z][a-zA-Z0-9_-]*[a-zA-Z0-9_]+$`): other characters become `_`.
fn id_short_of(key: &str) -> String {
    let mut s: String = key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, 'x');
    }
    if s.len() < 2 {
        s.push('_');
    }
    s
}

/// The value-only JSON of an element (IDTA-01001 "ValueOnly" serialisation).
pub fn value_only(element: &Value) -> Value {
    let value = &element["value"];
    match element["modelType"].as_str() {
        Some("Property") => {
            let Some(text) = value.as_str() else { return Value::Null };
            typed_value(element["valueType"].as_str().unwrap_or("xs:string"), text)
        }
        Some("MultiLanguageProperty") => Value::Array(
            value
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    let mut o = Map::new();
                    o.insert(t["language"].as_str().unwrap_or_default().to_string(), t["text"].clone());
                    Value::Object(o)
                })
                .collect(),
        ),
        Some("SubmodelElementCollection") => Value::Object(
            value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| Some((c["idShort"].as_str()?.to_string(), value_only(c))))
                .collect(),
        ),
        Some("SubmodelElementList") => Value::Array(value.as_array().into_iter().flatten().map(value_only).collect()),
        Some("Submodel") => submodel_value(element),
        _ => Value::Null,
    }
}

/// The value-only JSON of a whole submodel: its elements by idShort.
pub fn submodel_value(submodel: &Value) -> Value {
    Value::Object(
        submodel["submodelElements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c["idShort"].as_str()?.to_string(), value_only(c))))
            .collect(),
    )
}

fn typed_value(value_type: &str, text: &str) -> Value {
    match value_type {
        "xs:boolean" => Value::Bool(text == "true" || text == "1"),
        "xs:long" | "xs:int" | "xs:integer" | "xs:short" => {
            text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(text.into()))
        }
        "xs:double" | "xs:float" | "xs:decimal" => serde_json::from_str::<serde_json::Number>(text)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(text.into())),
        _ => Value::String(text.into()),
    }
}

/// The element at an idShort path (`a.b[2].c`) below a submodel.
pub fn find<'a>(submodel: &'a Value, path: &str) -> Option<&'a Value> {
    find_chain(submodel, path)?.pop().map(|(_, element)| element)
}

/// Every element on an idShort path, each with its key (idShort, or index inside a list): what a model
/// reference to the last one lists.
pub fn find_chain<'a>(submodel: &'a Value, path: &str) -> Option<Vec<(String, &'a Value)>> {
    let mut chain: Vec<(String, &'a Value)> = Vec::new();
    for step in parse_path(path)? {
        let current = chain.last().map(|(_, e)| *e);
        let children = match current {
            None => submodel["submodelElements"].as_array()?,
            Some(element) => element["value"].as_array()?,
        };
        chain.push(match step {
            Step::Name(name) => (name.to_string(), children.iter().find(|c| c["idShort"].as_str() == Some(name))?),
            Step::Index(i) if current.is_some_and(|e| e["modelType"] == "SubmodelElementList") => {
                (i.to_string(), children.get(i)?)
            }
            Step::Index(_) => return None,
        });
    }
    Some(chain)
}

enum Step<'a> {
    Name(&'a str),
    Index(usize),
}

/// `a.b[2][0].c` → steps; `None` when malformed.
fn parse_path(path: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    for segment in path.split('.') {
        let (name, mut rest) = segment.split_once('[').map(|(n, r)| (n, Some(r))).unwrap_or((segment, None));
        if name.is_empty() {
            return None;
        }
        steps.push(Step::Name(name));
        while let Some(r) = rest {
            let (index, after) = r.split_once(']')?;
            steps.push(Step::Index(index.parse().ok()?));
            rest = match after {
                "" => None,
                more => Some(more.strip_prefix('[')?),
            };
        }
    }
    Some(steps)
}

/// `level=core`: collections and lists keep their direct children, whose own children are left out.
pub fn core(element: &Value) -> Value {
    let mut out = element.clone();
    let container =
        |e: &Value| matches!(e["modelType"].as_str(), Some("SubmodelElementCollection" | "SubmodelElementList"));
    let children = if element["modelType"] == "Submodel" { "submodelElements" } else { "value" };
    if let Some(items) = out[children].as_array_mut() {
        for child in items.iter_mut().filter(|c| container(c)) {
            child.as_object_mut().map(|o| o.remove("value"));
        }
    }
    out
}

/// `$metadata`: the element without its values (collections and lists drop their children).
pub fn metadata(element: &Value) -> Value {
    let mut out = element.clone();
    if let Some(o) = out.as_object_mut() {
        o.remove("value");
        o.remove("submodelElements");
    }
    out
}

/// `$path`: the idShort paths of the element and everything below it, depth first.
pub fn paths(element: &Value, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let children = match element["modelType"].as_str() {
        Some("Submodel") => element["submodelElements"].as_array(),
        Some("SubmodelElementCollection" | "SubmodelElementList") => element["value"].as_array(),
        _ => None,
    };
    let is_list = element["modelType"] == "SubmodelElementList";
    for (i, child) in children.into_iter().flatten().enumerate() {
        let path = match (is_list, child["idShort"].as_str()) {
            (true, _) => format!("{prefix}[{i}]"),
            (false, Some(id)) if prefix.is_empty() => id.to_string(),
            (false, Some(id)) => format!("{prefix}.{id}"),
            (false, None) => continue,
        };
        out.push(path.clone());
        out.extend(paths(child, &path));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({
            "batteryCategory": "ev",
            "ratedCapacity": 78,
            "voltage": {"nominal": 355.2, "unit": "V"},
            "manufacturingDate": "2026-01-12",
            "lastUpdate": "2026-11-01T10:00:00Z",
            "critical": true,
            "description": [{"en": "A pack"}, {"de": "Ein Pack"}],
            "agents": ["Water", "ABC powder"],
            "temperatures": [-20, 45.5],
            "materials": [{"name": "Cobalt", "share": 3.1}, {"name": "Nickel", "share": 12}],
            "empty": [],
            "gone": null
        })
    }

    #[test]
    fn value_only_of_a_built_submodel_is_the_input_again() {
        let value = sample();
        let sm = submodel("urn:x:sm", "Nameplate", "urn:samm:x#Nameplate", &value);
        let mut expected = value.clone();
        expected.as_object_mut().unwrap().remove("gone");
        assert_eq!(submodel_value(&sm), expected);
    }

    #[test]
    fn elements_carry_the_metamodel_types() {
        let sm = submodel("urn:x:sm", "Nameplate", "urn:samm:x#Nameplate", &sample());
        let by_name = |n: &str| find(&sm, n).unwrap_or_else(|| panic!("{n} missing")).clone();
        assert_eq!(by_name("ratedCapacity")["valueType"], "xs:long");
        assert_eq!(by_name("ratedCapacity")["value"], "78");
        assert_eq!(by_name("manufacturingDate")["valueType"], "xs:date");
        assert_eq!(by_name("lastUpdate")["valueType"], "xs:dateTime");
        assert_eq!(by_name("critical")["value"], "true");
        assert_eq!(by_name("description")["modelType"], "MultiLanguageProperty");
        assert_eq!(by_name("description")["value"][1], json!({"language": "de", "text": "Ein Pack"}));
        let materials = by_name("materials");
        assert_eq!(materials["typeValueListElement"], "SubmodelElementCollection");
        assert!(materials["value"][0].get("idShort").is_none(), "list members carry no idShort (AASd-120)");
        assert_eq!(by_name("temperatures")["valueTypeListElement"], "xs:double");
        assert_eq!(find(&sm, "materials[1].share").unwrap()["value"], "12");
        assert_eq!(find(&sm, "voltage.unit").unwrap()["value"], "V");
        assert!(find(&sm, "voltage[0]").is_none(), "a collection is not indexed");
        assert!(find(&sm, "materials[9]").is_none());
        assert!(find(&sm, "nothing").is_none());
        assert!(find(&sm, "materials[x]").is_none());
        assert!(find(&sm, "").is_none());
    }

    #[test]
    fn views_core_metadata_and_paths() {
        let sm = submodel("urn:x:sm", "Nameplate", "urn:samm:x#Nameplate", &sample());
        let core = core(&sm);
        let voltage = core["submodelElements"].as_array().unwrap().iter().find(|e| e["idShort"] == "voltage").unwrap();
        assert!(voltage.get("value").is_none(), "level=core leaves out grandchildren");
        assert!(metadata(&sm).get("submodelElements").is_none());
        let paths = paths(&sm, "");
        for expected in ["voltage", "voltage.nominal", "materials[0]", "materials[0].name", "materials[1].share"] {
            assert!(paths.contains(&expected.to_string()), "{expected} in {paths:?}");
        }
        for path in &paths {
            assert!(find(&sm, path).is_some(), "every listed path resolves: {path}");
        }
    }

    #[test]
    fn keys_become_valid_id_shorts() {
        assert_eq!(id_short_of("@id"), "x_id");
        assert_eq!(id_short_of("1st"), "x1st");
        assert_eq!(id_short_of("a"), "a_");
        assert_eq!(id_short_of("ratedCapacity"), "ratedCapacity");
    }
}
