//! AAS descriptors (IDTA-01002 Part 2 registry) for the twins voltpass generates, and their metamodel checks.
//!
//! Every passport is an instance twin (`digitalTwinType` `PartInstance`), every battery model a type twin
//! (`PartType`). Their submodel descriptors point at our own submodel repository, or, when a Catena-X
//! connector (EDC) fronts voltpass, at the connector's data plane with the DSP sub-protocol body consumers use
//! to negotiate access.

use serde_json::{Value, json};

use super::elements::global_reference;
use super::ids::encode_id;

/// `externalSubjectId` value that makes a specific asset id readable by everyone (Catena-X DTR convention).
pub const PUBLIC_READABLE: &str = "PUBLIC_READABLE";

/// Specific asset ids anyone may read (CX-0002); others need the owner's grant.
pub const PUBLIC_ASSET_ID_NAMES: [&str; 2] = ["manufacturerPartId", "assetLifecyclePhase"];

/// Where consumers fetch submodels.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// Our own base URL, e.g. `https://passports.example.com`.
    pub base_url: String,
    /// Set when a Catena-X connector fronts voltpass.
    pub connector: Option<Connector>,
}

/// A dataspace connector in front of voltpass: consumers call its data plane after negotiating a contract at
/// its DSP endpoint; the data plane forwards `{data_plane}/{path}` to `{base_url}/api/v3/submodels/{path}`.
#[derive(Debug, Clone)]
pub struct Connector {
    /// Public data-plane URL, e.g. `https://edc.example.com/api/public`.
    pub data_plane: String,
    /// The connector's DSP protocol endpoint, e.g. `https://edc.example.com/api/v1/dsp`.
    pub dsp_endpoint: String,
}

/// The EDC asset id under which submodels of one semantic kind (`slug`) are offered.
pub fn connector_asset_id(slug: &str) -> String {
    format!("voltpass-submodels-{slug}")
}

/// One submodel of a twin, as its descriptor names it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmodelEntry {
    pub id: String,
    pub id_short: String,
    pub semantic_id: String,
    /// Short name of its kind (`battery-pass`, `nameplate`, ...): names the connector asset.
    pub slug: String,
}

/// A twin to describe.
#[derive(Debug, Clone, PartialEq)]
pub struct Twin {
    pub id: String,
    pub id_short: String,
    pub global_asset_id: String,
    pub asset_kind: AssetKind,
    pub asset_type: String,
    /// (name, value); names in [`PUBLIC_ASSET_ID_NAMES`] are marked public.
    pub specific_asset_ids: Vec<(String, String)>,
    pub submodels: Vec<SubmodelEntry>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    Type,
    Instance,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Type => "Type",
            AssetKind::Instance => "Instance",
        }
    }
}

/// The shell descriptor of `twin`.
pub fn shell_descriptor(twin: &Twin, endpoints: &Endpoints) -> Value {
    let asset_ids: Vec<Value> =
        twin.specific_asset_ids.iter().map(|(name, value)| specific_asset_id(name, value)).collect();
    let submodels: Vec<Value> = twin.submodels.iter().map(|sm| submodel_descriptor(sm, endpoints)).collect();
    let mut descriptor = json!({
        "id": twin.id,
        "idShort": twin.id_short,
        "globalAssetId": twin.global_asset_id,
        "assetKind": twin.asset_kind.as_str(),
        "assetType": twin.asset_type,
        "specificAssetIds": asset_ids,
        "submodelDescriptors": submodels,
    });
    if let Some(text) = &twin.description {
        descriptor["description"] = json!([{"language": "en", "text": text}]);
    }
    descriptor
}

fn specific_asset_id(name: &str, value: &str) -> Value {
    let mut id = json!({"name": name, "value": value});
    if PUBLIC_ASSET_ID_NAMES.contains(&name) {
        id["externalSubjectId"] = global_reference(PUBLIC_READABLE);
    }
    id
}

/// The descriptor of one submodel with its `SUBMODEL-3.0` endpoint.
pub fn submodel_descriptor(sm: &SubmodelEntry, endpoints: &Endpoints) -> Value {
    let encoded = encode_id(&sm.id);
    let protocol = match &endpoints.connector {
        None => json!({
            "href": format!("{}/api/v3/submodels/{encoded}", endpoints.base_url.trim_end_matches('/')),
            "endpointProtocol": "HTTP",
            "endpointProtocolVersion": ["1.1"],
            "securityAttributes": [{"type": "NONE", "key": "NONE", "value": "NONE"}],
        }),
        Some(connector) => json!({
            "href": format!("{}/{encoded}", connector.data_plane.trim_end_matches('/')),
            "endpointProtocol": "HTTP",
            "endpointProtocolVersion": ["1.1"],
            "subprotocol": "DSP",
            "subprotocolBody": format!("id={};dspEndpoint={}", connector_asset_id(&sm.slug), connector.dsp_endpoint),
            "subprotocolBodyEncoding": "plain",
            "securityAttributes": [{"type": "NONE", "key": "NONE", "value": "NONE"}],
        }),
    };
    json!({
        "id": sm.id,
        "idShort": sm.id_short,
        "semanticId": global_reference(&sm.semantic_id),
        "endpoints": [{"interface": "SUBMODEL-3.0", "protocolInformation": protocol}],
    })
}

/// The specific asset ids of a descriptor as (name, value) pairs.
pub fn asset_ids(descriptor: &Value) -> Vec<(String, String)> {
    descriptor["specificAssetIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| Some((a["name"].as_str()?.to_string(), a["value"].as_str()?.to_string())))
        .collect()
}

/// Keeps only the specific asset ids a reader may see: public ones, ones whose `externalSubjectId` names the
/// reader's BPN, and all of them when `sees_all` (the owner, an authority, or a holder of a grant).
pub fn hide_asset_ids(descriptor: &mut Value, sees_all: bool, bpn: Option<&str>) {
    if sees_all {
        return;
    }
    if let Some(ids) = descriptor["specificAssetIds"].as_array_mut() {
        ids.retain(|id| {
            let subject = id["externalSubjectId"]["keys"][0]["value"].as_str();
            PUBLIC_ASSET_ID_NAMES.contains(&id["name"].as_str().unwrap_or_default())
                || subject == Some(PUBLIC_READABLE)
                || (subject.is_some() && subject == bpn)
        });
    }
}

/// Checks a shell descriptor against the metamodel constraints the registry enforces, returning every
/// violation as "pointer: message".
pub fn check_shell_descriptor(descriptor: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    let Some(object) = descriptor.as_object() else {
        return Err(vec!["/: a shell descriptor is a JSON object".into()]);
    };
    for key in object.keys() {
        if !SHELL_DESCRIPTOR_MEMBERS.contains(&key.as_str()) {
            errors.push(format!("/{key}: not a member of AssetAdministrationShellDescriptor"));
        }
    }
    identifier(descriptor.get("id"), "/id", &mut errors);
    optional_text(descriptor, "idShort", 128, &mut errors);
    if let Some(id_short) = descriptor["idShort"].as_str()
        && !is_id_short(id_short)
    {
        errors.push(format!("/idShort: `{id_short}` must start with a letter and hold letters, digits, _ or -"));
    }
    optional_text(descriptor, "globalAssetId", 2000, &mut errors);
    optional_text(descriptor, "assetType", 2000, &mut errors);
    if let Some(kind) = descriptor.get("assetKind")
        && !matches!(kind.as_str(), Some("Type" | "Instance" | "NotApplicable"))
    {
        errors.push("/assetKind: must be Type, Instance or NotApplicable".into());
    }
    for (i, id) in array(descriptor, "specificAssetIds", &mut errors).iter().enumerate() {
        for member in ["name", "value"] {
            if id[member].as_str().is_none_or(|s| s.is_empty() || s.len() > 2000) {
                errors.push(format!("/specificAssetIds/{i}/{member}: a non-empty string is required"));
            }
        }
        if let Some(subject) = id.get("externalSubjectId") {
            reference(subject, &format!("/specificAssetIds/{i}/externalSubjectId"), &mut errors);
        }
    }
    for (i, sm) in array(descriptor, "submodelDescriptors", &mut errors).iter().enumerate() {
        check_submodel_descriptor_at(sm, &format!("/submodelDescriptors/{i}"), &mut errors);
    }
    for (i, endpoint) in array(descriptor, "endpoints", &mut errors).iter().enumerate() {
        check_endpoint(endpoint, &format!("/endpoints/{i}"), &mut errors);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The same checks for a submodel descriptor on its own.
pub fn check_submodel_descriptor(descriptor: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check_submodel_descriptor_at(descriptor, "", &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

const SHELL_DESCRIPTOR_MEMBERS: [&str; 12] = [
    "id",
    "idShort",
    "globalAssetId",
    "assetKind",
    "assetType",
    "specificAssetIds",
    "submodelDescriptors",
    "endpoints",
    "description",
    "displayName",
    "administration",
    "extensions",
];

const SUBMODEL_DESCRIPTOR_MEMBERS: [&str; 9] = [
    "id",
    "idShort",
    "semanticId",
    "supplementalSemanticId",
    "endpoints",
    "description",
    "displayName",
    "administration",
    "extensions",
];

fn check_submodel_descriptor_at(sm: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(object) = sm.as_object() else {
        errors.push(format!("{at}/: a submodel descriptor is a JSON object"));
        return;
    };
    for key in object.keys() {
        if !SUBMODEL_DESCRIPTOR_MEMBERS.contains(&key.as_str()) {
            errors.push(format!("{at}/{key}: not a member of SubmodelDescriptor"));
        }
    }
    identifier(sm.get("id"), &format!("{at}/id"), errors);
    if let Some(id_short) = sm["idShort"].as_str()
        && !is_id_short(id_short)
    {
        errors.push(format!("{at}/idShort: `{id_short}` must start with a letter and hold letters, digits, _ or -"));
    }
    if let Some(semantic_id) = sm.get("semanticId") {
        reference(semantic_id, &format!("{at}/semanticId"), errors);
    }
    match sm["endpoints"].as_array() {
        Some(endpoints) if !endpoints.is_empty() => {
            for (i, endpoint) in endpoints.iter().enumerate() {
                check_endpoint(endpoint, &format!("{at}/endpoints/{i}"), errors);
            }
        }
        _ => errors.push(format!("{at}/endpoints: at least one endpoint is required")),
    }
}

fn check_endpoint(endpoint: &Value, at: &str, errors: &mut Vec<String>) {
    if endpoint["interface"].as_str().is_none_or(|s| s.is_empty() || s.len() > 128) {
        errors.push(format!("{at}/interface: a string of 1-128 characters is required"));
    }
    let protocol = &endpoint["protocolInformation"];
    match protocol["href"].as_str() {
        Some(href) if href.starts_with("http://") || href.starts_with("https://") => {}
        _ => errors.push(format!("{at}/protocolInformation/href: an http(s) URL is required")),
    }
    if let Some(versions) = protocol.get("endpointProtocolVersion")
        && !versions.as_array().is_some_and(|v| v.iter().all(Value::is_string))
    {
        errors.push(format!("{at}/protocolInformation/endpointProtocolVersion: an array of strings is required"));
    }
}

fn identifier(value: Option<&Value>, pointer: &str, errors: &mut Vec<String>) {
    match value {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 2000 && !s.chars().any(char::is_control) => {}
        _ => errors.push(format!("{pointer}: an identifier (1-2000 characters, no control characters) is required")),
    }
}

fn optional_text(value: &Value, member: &str, max: usize, errors: &mut Vec<String>) {
    if let Some(v) = value.get(member)
        && v.as_str().is_none_or(|s| s.is_empty() || s.len() > max)
    {
        errors.push(format!("/{member}: a string of 1-{max} characters is required"));
    }
}

fn array<'a>(value: &'a Value, member: &str, errors: &mut Vec<String>) -> &'a [Value] {
    match value.get(member) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(format!("/{member}: an array is required"));
            &[]
        }
    }
}

fn reference(value: &Value, at: &str, errors: &mut Vec<String>) {
    if !matches!(value["type"].as_str(), Some("ExternalReference" | "ModelReference")) {
        errors.push(format!("{at}/type: ExternalReference or ModelReference"));
    }
    match value["keys"].as_array() {
        Some(keys) if !keys.is_empty() => {
            for (i, key) in keys.iter().enumerate() {
                if key["type"].as_str().is_none_or(str::is_empty) || key["value"].as_str().is_none_or(str::is_empty) {
                    errors.push(format!("{at}/keys/{i}: type and value are required"));
                }
            }
        }
        _ => errors.push(format!("{at}/keys: at least one key is required")),
    }
}

/// `^[a-zA-Z][a-zA-Z0-9_-]*[a-zA-Z0-9_]+$` (IDTA-01001 v3.0.1 idShort).
pub fn is_id_short(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b.len() <= 128
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        && b[b.len() - 1] != b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn twin() -> Twin {
        Twin {
            id: "urn:voltpass:aas:passport:urn:voltpass:abc".into(),
            id_short: "BatteryPassport".into(),
            global_asset_id: "urn:voltpass:asset:abc".into(),
            asset_kind: AssetKind::Instance,
            asset_type: "VOLTA-EV".into(),
            specific_asset_ids: vec![
                ("manufacturerPartId".into(), "VOLTA-EV".into()),
                ("partInstanceId".into(), "P96-1".into()),
                ("digitalTwinType".into(), "PartInstance".into()),
            ],
            submodels: vec![SubmodelEntry {
                id: "urn:voltpass:sm:battery-pass:passport:urn:voltpass:abc".into(),
                id_short: "BatteryPass".into(),
                semantic_id: "urn:samm:io.catenax.battery.battery_pass:6.1.0#BatteryPass".into(),
                slug: "battery-pass".into(),
            }],
            description: None,
        }
    }

    #[test]
    fn generated_descriptors_pass_the_registry_checks() {
        let own = Endpoints { base_url: "https://p.example.com/".into(), connector: None };
        let d = shell_descriptor(&twin(), &own);
        check_shell_descriptor(&d).unwrap();
        let href = d["submodelDescriptors"][0]["endpoints"][0]["protocolInformation"]["href"].as_str().unwrap();
        assert_eq!(href, format!("https://p.example.com/api/v3/submodels/{}", encode_id(&twin().submodels[0].id)));
        assert_eq!(d["submodelDescriptors"][0]["endpoints"][0]["interface"], "SUBMODEL-3.0");

        let edc = Endpoints {
            base_url: "https://p.example.com".into(),
            connector: Some(Connector {
                data_plane: "https://edc.example.com/api/public".into(),
                dsp_endpoint: "https://edc.example.com/api/v1/dsp".into(),
            }),
        };
        let d = shell_descriptor(&twin(), &edc);
        check_shell_descriptor(&d).unwrap();
        let protocol = &d["submodelDescriptors"][0]["endpoints"][0]["protocolInformation"];
        assert!(protocol["href"].as_str().unwrap().starts_with("https://edc.example.com/api/public/"));
        assert_eq!(
            protocol["subprotocolBody"],
            "id=voltpass-submodels-battery-pass;dspEndpoint=https://edc.example.com/api/v1/dsp"
        );
    }

    #[test]
    fn asset_ids_are_hidden_unless_public_or_named_for_the_reader() {
        let own = Endpoints { base_url: "https://p.example.com".into(), connector: None };
        let mut d = shell_descriptor(&twin(), &own);
        d["specificAssetIds"].as_array_mut().unwrap().push(json!({
            "name": "customerPartId", "value": "C-1", "externalSubjectId": global_reference("BPNL000000000001")
        }));
        let mut public = d.clone();
        hide_asset_ids(&mut public, false, None);
        assert_eq!(asset_ids(&public), vec![("manufacturerPartId".to_string(), "VOLTA-EV".to_string())]);
        let mut partner = d.clone();
        hide_asset_ids(&mut partner, false, Some("BPNL000000000001"));
        assert_eq!(asset_ids(&partner).len(), 2);
        let mut owner = d.clone();
        hide_asset_ids(&mut owner, true, None);
        assert_eq!(asset_ids(&owner).len(), 4);
    }

    #[test]
    fn metamodel_violations_are_listed_with_pointers() {
        let bad = json!({
            "id": "",
            "idShort": "1-bad",
            "assetKind": "Sometimes",
            "unknown": 1,
            "specificAssetIds": [{"name": "x"}],
            "submodelDescriptors": [{"id": "urn:sm", "endpoints": [], "semanticId": {"type": "X", "keys": []}}]
        });
        let errors = check_shell_descriptor(&bad).unwrap_err();
        for expected in [
            "/id:",
            "/idShort:",
            "/assetKind:",
            "/unknown:",
            "/specificAssetIds/0/value",
            "/submodelDescriptors/0/endpoints",
            "/submodelDescriptors/0/semanticId/type",
            "/submodelDescriptors/0/semanticId/keys",
        ] {
            assert!(errors.iter().any(|e| e.starts_with(expected)), "{expected} in {errors:#?}");
        }
        assert!(check_shell_descriptor(&json!([])).is_err());
        assert!(is_id_short("Nameplate") && is_id_short("a_b-c1") && !is_id_short("a-") && !is_id_short("x"));
    }
}
