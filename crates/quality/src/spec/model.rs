//! Material specifications: what we require of a material, per version and optionally per supplier.

use crate::ecoa::same_name;
use crate::ecoa::units::Unit;
use serde::{Deserialize, Serialize};

/// Our specification of a material (optionally for one supplier), in one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaterialSpec {
    /// Our material number, as on the CoA's `material.id`.
    pub material: String,
    /// A supplier-specific specification applies only to CoAs from this supplier id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    pub version: u32,
    pub title: String,
    pub characteristics: Vec<SpecCharacteristic>,
}

/// One specified characteristic. Limits are inclusive and in `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpecCharacteristic {
    pub name: String,
    /// Other names suppliers use for it ("Dv50" for "D50").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub unit: Unit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Lower specification limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lsl: Option<f64>,
    /// Upper specification limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usl: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Out of specification on a critical characteristic rejects the lot; on others it holds it.
    #[serde(default)]
    pub critical: bool,
    pub requirement: Requirement,
    /// The method's reproducibility limit R (ISO 5725) in `unit`: two labs' results agree within R.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproducibility: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// The CoA must report it; missing holds the lot.
    Required,
    /// Checked when reported.
    Optional,
}

impl MaterialSpec {
    /// Whether this specification applies to a CoA for `material` from `supplier`.
    pub fn applies_to(&self, material: &str, supplier: &str) -> bool {
        self.material.trim() == material.trim() && self.supplier.as_deref().is_none_or(|s| s.trim() == supplier.trim())
    }

    /// The specified characteristic a CoA characteristic name refers to (by name or alias).
    pub fn characteristic(&self, name: &str) -> Option<&SpecCharacteristic> {
        self.place_of(name).map(|place| &self.characteristics[place])
    }

    /// Where in `characteristics` the characteristic a CoA name refers to stands.
    pub fn place_of(&self, name: &str) -> Option<usize> {
        self.characteristics.iter().position(|c| c.matches(name))
    }
}

impl SpecCharacteristic {
    /// Whether a CoA's characteristic name means this one (by name or alias, ignoring case and spacing).
    pub fn matches(&self, name: &str) -> bool {
        same_name(&self.name, name) || self.aliases.iter().any(|a| same_name(a, name))
    }
}

/// The specification to use for a CoA: a supplier-specific one before a general one, then the highest
/// version.
pub fn select<'a>(specs: &'a [MaterialSpec], material: &str, supplier: &str) -> Option<&'a MaterialSpec> {
    specs.iter().filter(|s| s.applies_to(material, supplier)).max_by_key(|s| (s.supplier.is_some(), s.version))
}
