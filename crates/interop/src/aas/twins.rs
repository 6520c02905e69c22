//! The digital twins voltpass generates: which shells and submodels exist for a passport and for a battery
//! model, their identifiers, and the value-only content of each submodel. One place, so the server's AAS API,
//! the CLI's exports and the connector assets agree.
//!
//! - A passport is an **instance twin** (`digitalTwinType` `PartInstance`): the legacy Catena-X battery pass
//!   6.1.0 plus the CX-0160 instance-level parts (nameplate, carbon footprint, product condition, DPP metadata).
//! - A battery model is a **type twin** (`PartType`): the CX-0160 type-level parts (handover documentation,
//!   technical data, material composition, circularity).
//!
//! Identifiers are derived, so no mapping table is needed and a path can be parsed back:
//! `urn:voltpass:aas:passport:<passport id>`, `urn:voltpass:aas:model:<model id>`,
//! `urn:voltpass:sm:<kind slug>:passport:<passport id>`, `urn:voltpass:sm:<kind slug>:model:<model id>`.

use serde_json::Value;

use super::descriptor::{AssetKind, SubmodelEntry, Twin};
use crate::catenax::MappingError;
use crate::cx0160::{self, Aspect, Level};

/// The Catena-X battery pass 6.1.0 aspect's semantic id.
pub const BATTERY_PASS_SEMANTIC_ID: &str = "urn:samm:io.catenax.battery.battery_pass:6.1.0#BatteryPass";

/// What a twin stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TwinOf {
    Passport(String),
    Model(String),
}

impl TwinOf {
    fn key(&self) -> (&'static str, &str) {
        match self {
            TwinOf::Passport(id) => ("passport", id),
            TwinOf::Model(id) => ("model", id),
        }
    }

    fn parse(text: &str) -> Option<TwinOf> {
        let (kind, id) = text.split_once(':')?;
        if id.is_empty() {
            return None;
        }
        match kind {
            "passport" => Some(TwinOf::Passport(id.to_string())),
            "model" => Some(TwinOf::Model(id.to_string())),
            _ => None,
        }
    }
}

/// A kind of submodel voltpass serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubmodelKind {
    BatteryPass,
    Idta(Aspect),
}

impl SubmodelKind {
    /// Every kind, instance-level first.
    pub fn all() -> Vec<SubmodelKind> {
        let mut kinds = vec![SubmodelKind::BatteryPass];
        kinds.extend(Aspect::ALL.iter().filter(|a| a.level() == Level::Instance).map(|a| SubmodelKind::Idta(*a)));
        kinds.extend(Aspect::ALL.iter().filter(|a| a.level() == Level::Type).map(|a| SubmodelKind::Idta(*a)));
        kinds
    }

    /// The kinds a passport's (instance) or a model's (type) twin holds.
    pub fn of(twin: &TwinOf) -> Vec<SubmodelKind> {
        SubmodelKind::all()
            .into_iter()
            .filter(|k| k.is_instance_level() == matches!(twin, TwinOf::Passport(_)))
            .collect()
    }

    pub fn is_instance_level(self) -> bool {
        match self {
            SubmodelKind::BatteryPass => true,
            SubmodelKind::Idta(a) => a.level() == Level::Instance,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            SubmodelKind::BatteryPass => "battery-pass",
            SubmodelKind::Idta(a) => a.slug(),
        }
    }

    pub fn from_slug(slug: &str) -> Option<SubmodelKind> {
        if slug == "battery-pass" {
            Some(SubmodelKind::BatteryPass)
        } else {
            Aspect::from_slug(slug).map(SubmodelKind::Idta)
        }
    }

    pub fn id_short(self) -> &'static str {
        match self {
            SubmodelKind::BatteryPass => "BatteryPass",
            SubmodelKind::Idta(a) => a.id_short(),
        }
    }

    pub fn semantic_id(self) -> &'static str {
        match self {
            SubmodelKind::BatteryPass => BATTERY_PASS_SEMANTIC_ID,
            SubmodelKind::Idta(a) => a.semantic_id(),
        }
    }

    pub fn from_semantic_id(semantic_id: &str) -> Option<SubmodelKind> {
        if semantic_id == BATTERY_PASS_SEMANTIC_ID {
            Some(SubmodelKind::BatteryPass)
        } else {
            Aspect::from_semantic_id(semantic_id).map(SubmodelKind::Idta)
        }
    }

    /// The value-only content of this submodel for a composed (possibly access-pruned) passport document, or a
    /// model record's document for type-level kinds.
    pub fn value(self, document: &Value) -> Result<Value, MappingError> {
        match self {
            SubmodelKind::BatteryPass => crate::catenax::to_battery_pass(document),
            SubmodelKind::Idta(a) => cx0160::export(document, a),
        }
    }
}

pub fn shell_id(twin: &TwinOf) -> String {
    let (kind, id) = twin.key();
    format!("urn:voltpass:aas:{kind}:{id}")
}

pub fn parse_shell_id(id: &str) -> Option<TwinOf> {
    TwinOf::parse(id.strip_prefix("urn:voltpass:aas:")?)
}

pub fn submodel_id(kind: SubmodelKind, twin: &TwinOf) -> String {
    let (of, id) = twin.key();
    format!("urn:voltpass:sm:{}:{of}:{id}", kind.slug())
}

/// The kind and twin a submodel id names; `None` for ids voltpass did not generate or kinds the twin lacks.
pub fn parse_submodel_id(id: &str) -> Option<(SubmodelKind, TwinOf)> {
    let rest = id.strip_prefix("urn:voltpass:sm:")?;
    let (slug, twin) = rest.split_once(':')?;
    let kind = SubmodelKind::from_slug(slug)?;
    let twin = TwinOf::parse(twin)?;
    SubmodelKind::of(&twin).contains(&kind).then_some((kind, twin))
}

/// Facts about a passport its twin shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PassportFacts {
    pub passport_id: String,
    pub battery_id: String,
    pub model_id: String,
    pub status: String,
}

/// The instance twin of a passport. `partInstanceId` and `batteryIdentifier` hold the battery identifier
/// (unique per battery, ISO/IEC 15459), `manufacturerPartId` the model, `batteryPassportIdentifier` the passport.
pub fn passport_twin(facts: &PassportFacts) -> Twin {
    let of = TwinOf::Passport(facts.passport_id.clone());
    Twin {
        id: shell_id(&of),
        id_short: "BatteryPassport".into(),
        global_asset_id: facts.passport_id.clone(),
        asset_kind: AssetKind::Instance,
        asset_type: facts.model_id.clone(),
        specific_asset_ids: vec![
            ("manufacturerPartId".into(), facts.model_id.clone()),
            ("assetLifecyclePhase".into(), "AsBuilt".into()),
            ("partInstanceId".into(), facts.battery_id.clone()),
            ("batteryIdentifier".into(), facts.battery_id.clone()),
            ("batteryPassportIdentifier".into(), facts.passport_id.clone()),
            ("digitalTwinType".into(), "PartInstance".into()),
        ],
        submodels: entries(&of),
        description: Some(format!("Battery passport of {} ({})", facts.battery_id, facts.status)),
    }
}

/// The type twin of a battery model.
pub fn model_twin(model_id: &str) -> Twin {
    let of = TwinOf::Model(model_id.to_string());
    Twin {
        id: shell_id(&of),
        id_short: "BatteryModel".into(),
        global_asset_id: format!("urn:voltpass:model:{model_id}"),
        asset_kind: AssetKind::Type,
        asset_type: model_id.to_string(),
        specific_asset_ids: vec![
            ("manufacturerPartId".into(), model_id.to_string()),
            ("assetLifecyclePhase".into(), "AsPlanned".into()),
            ("digitalTwinType".into(), "PartType".into()),
        ],
        submodels: entries(&of),
        description: Some(format!("Battery model {model_id}")),
    }
}

fn entries(of: &TwinOf) -> Vec<SubmodelEntry> {
    SubmodelKind::of(of)
        .into_iter()
        .map(|kind| SubmodelEntry {
            id: submodel_id(kind, of),
            id_short: kind.id_short().to_string(),
            semantic_id: kind.semantic_id().to_string(),
            slug: kind.slug().to_string(),
        })
        .collect()
}

/// The AAS (metamodel) of a twin: `AssetAdministrationShell` with its asset information and submodel
/// references, as `/shells` and `/serialization` serve it. `asset_ids` are the ones the reader may see.
pub fn shell(twin: &Twin, asset_ids: &[(String, String)]) -> Value {
    let mut asset_information = serde_json::json!({
        "assetKind": twin.asset_kind.as_str(),
        "globalAssetId": twin.global_asset_id,
        "assetType": twin.asset_type,
    });
    if !asset_ids.is_empty() {
        asset_information["specificAssetIds"] =
            asset_ids.iter().map(|(name, value)| serde_json::json!({"name": name, "value": value})).collect();
    }
    serde_json::json!({
        "modelType": "AssetAdministrationShell",
        "id": twin.id,
        "idShort": twin.id_short,
        "assetInformation": asset_information,
        "submodels": twin.submodels.iter().map(|s| super::elements::submodel_reference(&s.id)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back() {
        for twin in [TwinOf::Passport("urn:voltpass:0193abc".into()), TwinOf::Model("VOLTA-EV:2".into())] {
            assert_eq!(parse_shell_id(&shell_id(&twin)), Some(twin.clone()));
            for kind in SubmodelKind::of(&twin) {
                assert_eq!(parse_submodel_id(&submodel_id(kind, &twin)), Some((kind, twin.clone())));
                assert_eq!(SubmodelKind::from_semantic_id(kind.semantic_id()), Some(kind));
            }
        }
        // A type-level kind on a passport is not a submodel voltpass has.
        let wrong = submodel_id(SubmodelKind::Idta(Aspect::TechnicalData), &TwinOf::Passport("urn:x:1".into()));
        assert_eq!(parse_submodel_id(&wrong), None);
        for bad in ["urn:voltpass:sm:nope:passport:x", "urn:voltpass:sm:battery-pass:shelf:x", "urn:other", ""] {
            assert_eq!(parse_submodel_id(bad), None, "{bad}");
        }
        assert_eq!(parse_shell_id("urn:voltpass:aas:passport:"), None);
    }

    #[test]
    fn twins_split_the_kinds_by_level() {
        let facts = PassportFacts {
            passport_id: "urn:voltpass:1".into(),
            battery_id: "SN-1".into(),
            model_id: "M".into(),
            status: "Original".into(),
        };
        let instance = passport_twin(&facts);
        let type_twin = model_twin("M");
        assert_eq!(instance.submodels.len() + type_twin.submodels.len(), SubmodelKind::all().len());
        assert!(instance.submodels.iter().any(|s| s.semantic_id == BATTERY_PASS_SEMANTIC_ID));
        assert!(type_twin.submodels.iter().any(|s| s.id_short == "TechnicalData"));
        let shell = shell(&instance, &[]);
        assert!(shell["assetInformation"].get("specificAssetIds").is_none(), "no empty arrays");
        assert_eq!(shell["submodels"].as_array().unwrap().len(), instance.submodels.len());
    }
}
