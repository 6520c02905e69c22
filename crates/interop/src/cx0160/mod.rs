//! Canonical passport document <-> the CX-0160 set: the seven IDTA battery passport parts
//! (`io.admin-shell.idta.batterypass.*`, IDTA-02035-1 to -7) plus the DPP metadata (`io.admin-shell.idta.dpp.dpp_metadata`).
//!
//! Each part is an [`Aspect`] with its own value-only JSON payload ("AAS Value-Only" as the generated schemas describe
//! it: multi-language texts are arrays of `{"<lang>": "<text>"}`). Parts 2, 4, 6 and 7 describe a battery *type*,
//! parts 1, 3, 5 and the DPP metadata one battery *instance* ([`Level`]).
//!
//! [`export`] is lenient: a document pruned by an access filter, or a battery-model record, exports what it has and
//! leaves the rest out (so [`validate`] reports what a complete part would still need). Values the canonical model
//! does not hold at all but a schema requires are written as listed in [`PLACEHOLDERS`].
//!
//! How the two models meet:
//! - **Documents.** The parts reference documents by identifier (`DocumentIdentifierSet`); the files themselves are
//!   described in the Handover Documentation (part 2). Every canonical link becomes one handover document whose
//!   identifier is the link itself (the EU declaration of conformity uses `labels/declarationOfConformityId` when
//!   there is one), classified by VDI 2770 and by voltpass's own classification system (class id = the canonical
//!   pointer), so the import can put each link back in its place. An identifier that resolves to no handover
//!   document is read as a link if it is an http(s) URL, otherwise dropped.
//! - **Texts.** Canonical names and addresses are plain text; they are exported as `[{"en": text}]` and read back
//!   from the English entry (or the first one). Street and city share the canonical `streetAddress`
//!   ("street, city"): the nameplate splits it at the last comma.
//! - **Dates.** Nameplate dates are calendar dates: the time of day of the canonical timestamps is lost and comes back
//!   as midnight UTC.
//! - **Units** follow the units the aspect models declare (`samm-c:unit`), converted where the canonical unit
//!   differs: carbon footprint stages (canonical: share in % of the per-kWh footprint; IDTA: kg CO2e/kWh per phase
//!   = share × total / 100), the absolute footprint (t → kg CO2e per piece), the power/energy ratio (W/Wh →
//!   declared `unit:percent`, × 100), remaining capacity (Ah → declared `unit:kilowattHour`, × nominal voltage /
//!   1000) and remaining power capability (W → declared `unit:percent` of the original power capability at the
//!   same state of charge). The last three declared units contradict their own descriptions ("ratio between W and
//!   Wh", "corresponding with the definition of rated capacity", "pre-use power capability"); the declared unit is
//!   the machine-readable contract, so it wins. Converted values are exported in the shortest decimal form that converts
//!   back to the canonical value, and rounded to 9 decimals on import, so both round trips are exact. The conversions that need a type-level value
//!   (nominal voltage, original power capability) import only together with Technical Data.
//! - **Per-battery values on type level.** IDTA keeps capacity fade and internal resistance increase in Technical
//!   Data (type level); voltpass keeps them per battery in `performance/batteryCondition`. They are exported from
//!   there when the document has them and read back there (without their `lastUpdate`). A model record has none, so
//!   its Technical Data lacks the required pack-level increase; likewise the extinguishing agents (per battery in
//!   voltpass, type level in Circularity), so its Circularity lacks the required ExtinguishingAgents.
//!
//! [`NOT_CARRIED`] lists what a canonical document loses on [`export_all`] and [`import`]. Canonical places that are
//! lost as well but never filled by the demo data (so the staleness test could not check them) are:
//! `performance/batteryTechicalProperties/cRate` and `generalProductInformation/predecessorPassports` (no IDTA
//! place), `generalProductInformation/warrentyPeriod` with a zone suffix (the zone is dropped), and
//! `generalProductInformation/batteryPassportIdentifier` values that are not voltpass-style `urn:<nid>:<nss>` ids.
//! [`NOT_IMPORTED`] lists what a CX-0160 payload loses on [`import`] and [`export`].

mod carbon_footprint;
mod circularity;
mod common;
mod documents;
mod dpp_metadata;
mod handover_documentation;
mod material_composition;
mod nameplate;
mod product_condition;
mod technical_data;

pub use crate::catenax::MappingError;

use serde_json::{Value, json};
use std::sync::OnceLock;

/// One CX-0160 aspect (an IDTA battery passport part, or the DPP metadata).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Aspect {
    /// Part 1, Digital Nameplate (instance level).
    Nameplate,
    /// Part 2, Handover Documentation (type level).
    HandoverDocumentation,
    /// Part 3, Product Carbon Footprint (instance level).
    CarbonFootprint,
    /// Part 4, Technical Data (type level).
    TechnicalData,
    /// Part 5, Product Condition (instance level).
    ProductCondition,
    /// Part 6, Material Composition (type level).
    MaterialComposition,
    /// Part 7, Circularity (type level).
    Circularity,
    /// DPP metadata, EN 18223 (instance level).
    DppMetadata,
}

/// Whether an aspect describes a battery type (model) or one battery instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    Type,
    Instance,
}

impl Aspect {
    pub const ALL: [Aspect; 8] = [
        Aspect::Nameplate,
        Aspect::HandoverDocumentation,
        Aspect::CarbonFootprint,
        Aspect::TechnicalData,
        Aspect::ProductCondition,
        Aspect::MaterialComposition,
        Aspect::Circularity,
        Aspect::DppMetadata,
    ];

    /// The IDTA-02035 part number (1 to 7); `None` for the DPP metadata.
    pub fn part(self) -> Option<u8> {
        match self {
            Aspect::DppMetadata => None,
            other => Some(other as u8 + 1),
        }
    }

    pub fn level(self) -> Level {
        match self {
            Aspect::HandoverDocumentation
            | Aspect::TechnicalData
            | Aspect::MaterialComposition
            | Aspect::Circularity => Level::Type,
            Aspect::Nameplate | Aspect::CarbonFootprint | Aspect::ProductCondition | Aspect::DppMetadata => {
                Level::Instance
            }
        }
    }

    /// The aspect's SAMM URN (model version and aspect name), as in its .ttl and generated schema.
    pub fn semantic_id(self) -> &'static str {
        match self {
            Aspect::Nameplate => "urn:samm:io.admin-shell.idta.batterypass.digital_nameplate:1.0.0#BatteryNameplate",
            Aspect::HandoverDocumentation => {
                "urn:samm:io.admin-shell.idta.batterypass.handover_documentation:1.0.0#HandoverDocumentation"
            }
            Aspect::CarbonFootprint => {
                "urn:samm:io.admin-shell.idta.batterypass.carbon_footprint:1.0.0#CarbonFootprintBattery"
            }
            Aspect::TechnicalData => "urn:samm:io.admin-shell.idta.batterypass.technical_data:1.0.1#TechnicalData",
            Aspect::ProductCondition => {
                "urn:samm:io.admin-shell.idta.batterypass.product_condition:1.0.1#ProductCondition"
            }
            Aspect::MaterialComposition => {
                "urn:samm:io.admin-shell.idta.batterypass.material_composition:1.0.1#MaterialComposition"
            }
            Aspect::Circularity => "urn:samm:io.admin-shell.idta.batterypass.circularity:1.0.0#Circularity",
            Aspect::DppMetadata => "urn:samm:io.admin-shell.idta.dpp.dpp_metadata:1.0.0#DppMetadata",
        }
    }

    /// The aspect as an AAS submodel idShort.
    pub fn id_short(self) -> &'static str {
        match self {
            Aspect::Nameplate => "Nameplate",
            Aspect::HandoverDocumentation => "HandoverDocumentation",
            Aspect::CarbonFootprint => "CarbonFootprint",
            Aspect::TechnicalData => "TechnicalData",
            Aspect::ProductCondition => "ProductCondition",
            Aspect::MaterialComposition => "MaterialComposition",
            Aspect::Circularity => "Circularity",
            Aspect::DppMetadata => "DppMetadata",
        }
    }

    /// The aspect's name in CLI arguments and URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Aspect::Nameplate => "nameplate",
            Aspect::HandoverDocumentation => "handover-documentation",
            Aspect::CarbonFootprint => "carbon-footprint",
            Aspect::TechnicalData => "technical-data",
            Aspect::ProductCondition => "product-condition",
            Aspect::MaterialComposition => "material-composition",
            Aspect::Circularity => "circularity",
            Aspect::DppMetadata => "dpp-metadata",
        }
    }

    pub fn from_slug(s: &str) -> Option<Aspect> {
        Aspect::ALL.into_iter().find(|a| a.slug() == s)
    }

    pub fn from_semantic_id(s: &str) -> Option<Aspect> {
        Aspect::ALL.into_iter().find(|a| a.semantic_id() == s)
    }

    /// The embedded generated JSON schema (CC-BY-4.0, see `schemas/idta/SOURCES.md`).
    fn schema(self) -> &'static str {
        match self {
            Aspect::Nameplate => include_str!("../../schemas/idta/digital_nameplate-1.0.0-schema.json"),
            Aspect::HandoverDocumentation => {
                include_str!("../../schemas/idta/handover_documentation-1.0.0-schema.json")
            }
            Aspect::CarbonFootprint => include_str!("../../schemas/idta/carbon_footprint-1.0.0-schema.json"),
            Aspect::TechnicalData => include_str!("../../schemas/idta/technical_data-1.0.1-schema.json"),
            Aspect::ProductCondition => include_str!("../../schemas/idta/product_condition-1.0.1-schema.json"),
            Aspect::MaterialComposition => include_str!("../../schemas/idta/material_composition-1.0.1-schema.json"),
            Aspect::Circularity => include_str!("../../schemas/idta/circularity-1.0.0-schema.json"),
            Aspect::DppMetadata => include_str!("../../schemas/idta/dpp_metadata-1.0.0-schema.json"),
        }
    }
}

/// Canonical pointers (a `-` segment = every array element) whose value does not survive [`export_all`] and
/// [`import`], with the reason. Everything else a demo document holds does, exactly.
pub const NOT_CARRIED: &[(&str, &str)] = &[
    ("/generalProductInformation/operatorInformation/contactName", "only the operator identifier has an IDTA place"),
    ("/generalProductInformation/operatorInformation/postalAddress", "only the operator identifier has an IDTA place"),
    ("/generalProductInformation/operatorInformation/emailAddress", "only the operator identifier has an IDTA place"),
    ("/generalProductInformation/operatorInformation/webAddress", "only the operator identifier has an IDTA place"),
    ("/generalProductInformation/manufacturingDate", "DateOfManufacture is a date: the time of day is lost"),
    ("/generalProductInformation/puttingIntoService", "DateOfPuttingIntoService is a date: the time of day is lost"),
    (
        "/labels/labels/-/labelingMeaning",
        "MarkingAdditionalText is plain text: only the English meaning is carried (other languages are lost)",
    ),
    ("/supplyChainDueDiligence/supplyChainIndicies", "no IDTA property"),
    ("/circularity/recycledContentReporting", "voltpass extension, no IDTA property"),
    ("/performance/batteryCondition/capacityFade/lastUpdate", "Technical Data CapacityFade is a value without a time"),
    (
        "/performance/batteryCondition/internalResistanceIncrease/-/lastUpdate",
        "Technical Data resistance increases are values without a time",
    ),
    ("/performance/batteryCondition/internalResistance", "voltpass extension, no IDTA property"),
];

/// Aspect pointers whose value does not survive [`import`] and [`export`], with the reason.
pub const NOT_IMPORTED: &[(Aspect, &str, &str)] = &[
    (Aspect::Nameplate, "/URIOfTheProduct", "read back only when it is a voltpass-style passport id (urn:<nid>:<nss>)"),
    (Aspect::Nameplate, "/ManufacturerName", "one plain text in voltpass: re-exported as English"),
    (Aspect::Nameplate, "/AddressInformation/NationalCode", "one plain text in voltpass: re-exported as English"),
    (Aspect::Nameplate, "/AddressInformation/CityTown", "one plain text in voltpass: re-exported as English"),
    (Aspect::Nameplate, "/AddressInformation/Street", "one plain text in voltpass: re-exported as English"),
    (Aspect::Nameplate, "/AddressInformation/ZipCode", "one plain text in voltpass: re-exported as English"),
    (Aspect::Nameplate, "/AddressInformation/RoleOfContactPerson", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Languages", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/TimeZone", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Company", "no canonical place (the name is ManufacturerName)"),
    (Aspect::Nameplate, "/AddressInformation/Department", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Phone", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Fax", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Email/PublicKey", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Email/TypeOfEmailAddress", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Email/TypeOfPublicKey", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/IPCommunicationChannels", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/POBox", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/ZipCodeOfPOBox", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/StateCounty", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/NameOfContact", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/FirstName", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/MiddleNames", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/Title", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/AcademicTitle", "no canonical place"),
    (Aspect::Nameplate, "/AddressInformation/FurtherDetailsOfContact", "no canonical place"),
    (
        Aspect::Nameplate,
        "/UniqueFacilityIdentifier",
        "read back only in voltpass's address form \"street, postal code, country\" (canonical manufacturingPlace)",
    ),
    (
        Aspect::Nameplate,
        "/Markings",
        "only markings named after a canonical labeling subject are read (name, file link, additional text as English \
         meaning); certificate designation and dates have no canonical place",
    ),
    (
        Aspect::Nameplate,
        "/ResultsOfTestReportsProvingCompliance",
        "the first identifier only, and only if it resolves to a link (handover document or http(s) URL)",
    ),
    (
        Aspect::HandoverDocumentation,
        "/Documents",
        "only documents voltpass classified (class id = canonical place) or another part references are read; of \
         those only the link, MIME type and type, so identifiers, titles, versions and classes are re-generated",
    ),
    (
        Aspect::CarbonFootprint,
        "/ProductCarbonFootprints",
        "only voltpass's layout is read: kg CO2e/kWh for all four phases (total, with class and study), per piece for \
         all four (absolute), per kWh for one phase (a stage); calculation methods are not kept",
    ),
    (Aspect::TechnicalData, "/GeneralInformation/CompanyLogo", "no canonical place"),
    (Aspect::TechnicalData, "/GeneralInformation/ProductImages", "no canonical place"),
    (
        Aspect::TechnicalData,
        "/GeneralInformation/WarrantyInformation",
        "read back only for periods of 1 to 12 months (canonical xsd:gMonth)",
    ),
    (
        Aspect::TechnicalData,
        "/TechnicalPropertyAreas/Lifetime/CycleLifeReferenceTest",
        "the first identifier only, and only if it resolves to a link (handover document or http(s) URL)",
    ),
    (Aspect::ProductCondition, "/InformationOnAccidents", "document ids without a canonical place"),
    (Aspect::ProductCondition, "/TemperatureInformation/MeasuredTemp", "no canonical place"),
    (
        Aspect::ProductCondition,
        "/RemainingCapacity",
        "kWh -> Ah needs the nominal voltage: read back only together with Technical Data",
    ),
    (
        Aspect::ProductCondition,
        "/RemainingPowerCapability",
        "percent -> W needs the original power capability at that SoC: read back only together with Technical Data",
    ),
    (
        Aspect::Circularity,
        "/DismantlingAndRemovalInformation",
        "identifiers are read only if they resolve to a link (handover document or http(s) URL)",
    ),
    (
        Aspect::Circularity,
        "/SafetyMeasures/SafetyInstructions",
        "the first two identifiers (safety, waste-battery safety) only if they resolve to a link",
    ),
    (
        Aspect::Circularity,
        "/EndOfLifeInformation",
        "the first identifier of each list only if it resolves to a link (handover document or http(s) URL)",
    ),
    (Aspect::Circularity, "/SparePartSources/-/NameOfSupplier", "one plain text in voltpass: re-exported as English"),
    (Aspect::Circularity, "/SparePartSources/-/AddressOfSupplier", "plain texts in voltpass: re-exported as English"),
    (Aspect::Circularity, "/SparePartSources/-/EmailAddressOfSupplier/PublicKey", "no canonical place"),
    (Aspect::Circularity, "/SparePartSources/-/EmailAddressOfSupplier/TypeOfEmailAddress", "no canonical place"),
    (Aspect::Circularity, "/SparePartSources/-/EmailAddressOfSupplier/TypeOfPublicKey", "no canonical place"),
    (
        Aspect::DppMetadata,
        "/digitalProductPassportId",
        "read back only when it is a voltpass-style passport id (urn:<nid>:<nss>)",
    ),
    (Aspect::DppMetadata, "/granularity", "derived on export (Item when there is a battery identifier)"),
    (Aspect::DppMetadata, "/dppSchemaVersion", "written as voltpass's constant on export"),
    (Aspect::DppMetadata, "/dppStatus", "written as Active on export"),
    (Aspect::DppMetadata, "/lastUpdate", "derived on export from the document's timestamps"),
    (Aspect::DppMetadata, "/contentSpecificationIds", "no canonical place"),
    (
        Aspect::DppMetadata,
        "/facilityId",
        "read back only in voltpass's address form \"street, postal code, country\" (canonical manufacturingPlace)",
    ),
];

/// Places a schema requires that the canonical document has no value for, with the value written. Derived
/// values are recomputed on export and never read back (each lies under a [`NOT_IMPORTED`] pointer), except the
/// empty CityTown, which comes back as "no city" (the street alone).
pub const PLACEHOLDERS: &[(Aspect, &str, &str)] = &[
    (
        Aspect::Nameplate,
        "/URIOfTheProduct",
        "the batteryPassportIdentifier; without one, the GS1 Digital Link https://id.gs1.org/01/{gtin}/21/{serial} \
         when the battery identifier is a GS1 element string, else urn:voltpass:unassigned",
    ),
    (Aspect::Nameplate, "/AddressInformation/CityTown", "[{\"en\": \"\"}] when streetAddress has no comma"),
    (Aspect::Nameplate, "/Markings/-/MarkingFile/contentType", "guessed from the symbol link's file extension"),
    (Aspect::HandoverDocumentation, "/Documents/-/DocumentIds/-/DocumentDomainId", "voltpass"),
    (
        Aspect::HandoverDocumentation,
        "/Documents/-/DocumentClassifications",
        "a VDI 2770 class per canonical place, plus voltpass's own classification (ClassId = canonical pointer)",
    ),
    (Aspect::HandoverDocumentation, "/Documents/-/DocumentVersions/-/Language", "[\"en\"]"),
    (Aspect::HandoverDocumentation, "/Documents/-/DocumentVersions/-/Title", "the canonical place's English title"),
    (
        Aspect::HandoverDocumentation,
        "/Documents/-/DocumentVersions/-/DigitalFiles/-/contentType",
        "guessed from the link's file extension (dismantling documents: their mimeType)",
    ),
    (Aspect::CarbonFootprint, "/ProductCarbonFootprints/-/PcfCalculationMethods", carbon_footprint::METHOD),
    (
        Aspect::CarbonFootprint,
        "/ProductCarbonFootprints/-/PerformanceClass",
        "the battery's class on every entry; empty string when the document has none",
    ),
    (
        Aspect::CarbonFootprint,
        "/ProductCarbonFootprints/-/WebLinkToPublicCarbonFootprintStudy",
        "the study's identifier on every entry; [] when there is none",
    ),
    (Aspect::ProductCondition, "/InformationOnAccidents", "[] (voltpass records accidents as negative events)"),
    (Aspect::DppMetadata, "/digitalProductPassportId", "the batteryPassportIdentifier, else urn:voltpass:unassigned"),
    (Aspect::DppMetadata, "/granularity", "Item when the document has a battery identifier, else Model"),
    (Aspect::DppMetadata, "/dppSchemaVersion", dpp_metadata::SCHEMA_VERSION),
    (Aspect::DppMetadata, "/dppStatus", "Active"),
    (
        Aspect::DppMetadata,
        "/lastUpdate",
        "the latest timestamp in the document (manufacturing, putting into service, battery condition updates)",
    ),
];

/// The value-only payload of `aspect` for a canonical document. Lenient: what the document lacks is left out.
pub fn export(doc: &Value, aspect: Aspect) -> Result<Value, MappingError> {
    if !doc.is_object() {
        return Err(MappingError::NotAnObject);
    }
    match aspect {
        Aspect::Nameplate => nameplate::export(doc),
        Aspect::HandoverDocumentation => handover_documentation::export(doc),
        Aspect::CarbonFootprint => carbon_footprint::export(doc),
        Aspect::TechnicalData => technical_data::export(doc),
        Aspect::ProductCondition => product_condition::export(doc),
        Aspect::MaterialComposition => material_composition::export(doc),
        Aspect::Circularity => circularity::export(doc),
        Aspect::DppMetadata => dpp_metadata::export(doc),
    }
}

/// All eight aspects of a document, in [`Aspect::ALL`] order.
pub fn export_all(doc: &Value) -> Result<Vec<(Aspect, Value)>, MappingError> {
    Aspect::ALL.into_iter().map(|aspect| Ok((aspect, export(doc, aspect)?))).collect()
}

/// A canonical document from any subset of aspects (what is missing stays missing; the result may need completing
/// before it validates as a canonical document). Document identifiers are resolved through the Handover
/// Documentation when it is among `parts`; unit conversions that need Technical Data happen only when it is.
pub fn import(parts: &[(Aspect, Value)]) -> Result<Value, MappingError> {
    if parts.iter().any(|(_, value)| !value.is_object()) {
        return Err(MappingError::NotAnObject);
    }
    let ctx = documents::Parts::new(parts);
    let mut doc = json!({});
    // Handover Documentation first (links by classification), Technical Data before Product Condition (units).
    let order = std::iter::once(Aspect::HandoverDocumentation)
        .chain(Aspect::ALL.into_iter().filter(|a| *a != Aspect::HandoverDocumentation));
    for aspect in order {
        for (_, value) in parts.iter().filter(|(a, _)| *a == aspect) {
            match aspect {
                Aspect::Nameplate => nameplate::import(value, &ctx, &mut doc)?,
                Aspect::HandoverDocumentation => handover_documentation::import(value, &mut doc),
                Aspect::CarbonFootprint => carbon_footprint::import(value, &ctx, &mut doc),
                Aspect::TechnicalData => technical_data::import(value, &ctx, &mut doc),
                Aspect::ProductCondition => product_condition::import(value, &mut doc),
                Aspect::MaterialComposition => material_composition::import(value, &mut doc),
                Aspect::Circularity => circularity::import(value, &ctx, &mut doc),
                Aspect::DppMetadata => dpp_metadata::import(value, &mut doc),
            }
        }
    }
    Ok(doc)
}

/// Checks `value` against the aspect's embedded JSON schema (draft-04, formats checked), returning every violation
/// as "instance pointer: message".
pub fn validate(aspect: Aspect, value: &Value) -> Result<(), Vec<String>> {
    static VALIDATORS: OnceLock<Vec<jsonschema::Validator>> = OnceLock::new();
    let validators = VALIDATORS.get_or_init(|| {
        Aspect::ALL
            .into_iter()
            .map(|a| {
                let schema: Value = serde_json::from_str(a.schema()).expect("embedded schema is valid JSON");
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft4)
                    .should_validate_formats(true)
                    .build(&schema)
                    .expect("the embedded IDTA schema compiles")
            })
            .collect()
    });
    let errors: Vec<String> =
        validators[aspect as usize].iter_errors(value).map(|e| format!("{}: {}", e.instance_path(), e)).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantic_ids_and_slugs_round_trip() {
        for aspect in Aspect::ALL {
            assert_eq!(Aspect::from_semantic_id(aspect.semantic_id()), Some(aspect));
            assert_eq!(Aspect::from_slug(aspect.slug()), Some(aspect));
            // The generated schema names the aspect it describes.
            let schema: Value = serde_json::from_str(aspect.schema()).unwrap();
            assert_eq!(schema["x-samm-aspect-model-urn"], aspect.semantic_id(), "{aspect:?}");
        }
        assert_eq!(Aspect::from_slug("nope"), None);
        assert_eq!(Aspect::from_semantic_id("urn:samm:io.catenax.battery.battery_pass:6.1.0#BatteryPass"), None);
        let parts: Vec<_> = Aspect::ALL.iter().filter_map(|a| a.part()).collect();
        assert_eq!(parts, [1, 2, 3, 4, 5, 6, 7]);
        let types: Vec<_> = Aspect::ALL.iter().filter(|a| a.level() == Level::Type).filter_map(|a| a.part()).collect();
        assert_eq!(types, [2, 4, 6, 7]);
    }
}
