//! What a genealogy is made of: units of five kinds, and quantities of material flowing between them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kind of a traced unit, from raw material to pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// A supplier's material lot (linked to its CoA), received with a quantity.
    Lot,
    /// A process batch (slurry, electrode coating, calendered roll, electrolyte mix).
    Batch,
    Cell,
    Module,
    Pack,
}

impl UnitKind {
    pub const ALL: [UnitKind; 5] = [UnitKind::Lot, UnitKind::Batch, UnitKind::Cell, UnitKind::Module, UnitKind::Pack];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Lot => "lot",
            UnitKind::Batch => "batch",
            UnitKind::Cell => "cell",
            UnitKind::Module => "module",
            UnitKind::Pack => "pack",
        }
    }

    /// Material flows into lots and batches and cells (consumed, by quantity); cells, modules and packs are
    /// put together (assembled, whole units).
    pub fn is_assembly(self) -> bool {
        matches!(self, UnitKind::Module | UnitKind::Pack)
    }

    /// May a unit of this kind take `input` in?
    pub fn accepts(self, input: UnitKind) -> bool {
        use UnitKind::*;
        match self {
            Lot => false,
            Batch => matches!(input, Lot | Batch),
            Cell => matches!(input, Lot | Batch),
            Module => input == Cell,
            Pack => matches!(input, Cell | Module),
        }
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UnitKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UnitKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown unit kind `{s}`: use lot, batch, cell, module or pack"))
    }
}

/// What a unit of measure measures; only units of one dimension convert into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Mass,
    Volume,
    Area,
    Length,
    Count,
}

/// A unit of measure with its factor to the dimension's base unit (kg, L, m², m, pieces).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uom {
    pub symbol: &'static str,
    pub dimension: Dimension,
    pub to_base: f64,
}

const UOMS: &[Uom] = &[
    Uom { symbol: "mg", dimension: Dimension::Mass, to_base: 1e-6 },
    Uom { symbol: "g", dimension: Dimension::Mass, to_base: 1e-3 },
    Uom { symbol: "kg", dimension: Dimension::Mass, to_base: 1.0 },
    Uom { symbol: "t", dimension: Dimension::Mass, to_base: 1e3 },
    Uom { symbol: "lb", dimension: Dimension::Mass, to_base: 0.453_592_37 },
    Uom { symbol: "mL", dimension: Dimension::Volume, to_base: 1e-3 },
    Uom { symbol: "L", dimension: Dimension::Volume, to_base: 1.0 },
    Uom { symbol: "m3", dimension: Dimension::Volume, to_base: 1e3 },
    Uom { symbol: "mm2", dimension: Dimension::Area, to_base: 1e-6 },
    Uom { symbol: "cm2", dimension: Dimension::Area, to_base: 1e-4 },
    Uom { symbol: "m2", dimension: Dimension::Area, to_base: 1.0 },
    Uom { symbol: "mm", dimension: Dimension::Length, to_base: 1e-3 },
    Uom { symbol: "m", dimension: Dimension::Length, to_base: 1.0 },
    Uom { symbol: "pcs", dimension: Dimension::Count, to_base: 1.0 },
];

/// Spellings that mean the same unit.
const ALIASES: &[(&str, &str)] = &[
    ("l", "L"),
    ("ml", "mL"),
    ("m²", "m2"),
    ("cm²", "cm2"),
    ("mm²", "mm2"),
    ("m³", "m3"),
    ("ea", "pcs"),
    ("pc", "pcs"),
];

/// The unit every quantity of a dimension is stored in.
pub fn base_symbol(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Mass => "kg",
        Dimension::Volume => "L",
        Dimension::Area => "m2",
        Dimension::Length => "m",
        Dimension::Count => "pcs",
    }
}

impl Uom {
    pub fn parse(symbol: &str) -> Option<Uom> {
        let symbol = ALIASES.iter().find(|(alias, _)| *alias == symbol).map_or(symbol, |(_, s)| s);
        UOMS.iter().find(|u| u.symbol == symbol).copied()
    }
}

/// An amount of material, as an event states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
}

/// Why a quantity cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantity {0} is not a positive finite number")]
    NotPositive(f64),
    #[error("unknown unit of measure `{0}` (use mg, g, kg, t, lb, mL, L, m3, mm2, cm2, m2, mm, m or pcs)")]
    UnknownUnit(String),
    #[error("{from} does not convert to {to}")]
    Incompatible { from: String, to: String },
}

impl Quantity {
    pub fn new(value: f64, unit: &str) -> Quantity {
        Quantity { value, unit: unit.to_string() }
    }

    /// The quantity's unit, checking the value is positive and finite.
    pub fn checked(&self) -> Result<Uom, QuantityError> {
        if !(self.value.is_finite() && self.value > 0.0) {
            return Err(QuantityError::NotPositive(self.value));
        }
        Uom::parse(&self.unit).ok_or_else(|| QuantityError::UnknownUnit(self.unit.clone()))
    }

    /// The value in `unit` (a unit of the same dimension).
    pub fn value_in(&self, unit: &str) -> Result<f64, QuantityError> {
        let from = self.checked()?;
        let to = Uom::parse(unit).ok_or_else(|| QuantityError::UnknownUnit(unit.to_string()))?;
        if from.dimension != to.dimension {
            return Err(QuantityError::Incompatible { from: self.unit.clone(), to: unit.to_string() });
        }
        Ok(self.value * from.to_base / to.to_base)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masses_convert_and_volumes_do_not_become_masses() {
        assert!((Quantity::new(2.5, "t").value_in("kg").unwrap() - 2500.0).abs() < 1e-9);
        assert!((Quantity::new(250.0, "g").value_in("kg").unwrap() - 0.25).abs() < 1e-12);
        assert!((Quantity::new(1.0, "ml").value_in("L").unwrap() - 0.001).abs() < 1e-12);
        assert_eq!(
            Quantity::new(3.0, "L").value_in("kg"),
            Err(QuantityError::Incompatible { from: "L".into(), to: "kg".into() })
        );
        assert_eq!(Quantity::new(3.0, "bushel").value_in("kg"), Err(QuantityError::UnknownUnit("bushel".into())));
        assert_eq!(Quantity::new(-1.0, "kg").checked(), Err(QuantityError::NotPositive(-1.0)));
        assert!(matches!(Quantity::new(f64::NAN, "kg").checked(), Err(QuantityError::NotPositive(_))));
    }

    #[test]
    fn kinds_take_only_what_they_are_made_of() {
        assert!(UnitKind::Batch.accepts(UnitKind::Lot));
        assert!(UnitKind::Cell.accepts(UnitKind::Batch));
        assert!(UnitKind::Module.accepts(UnitKind::Cell));
        assert!(UnitKind::Pack.accepts(UnitKind::Module));
        assert!(!UnitKind::Module.accepts(UnitKind::Lot));
        assert!(!UnitKind::Lot.accepts(UnitKind::Lot));
        assert!(!UnitKind::Cell.accepts(UnitKind::Module));
        assert_eq!("pack".parse::<UnitKind>(), Ok(UnitKind::Pack));
        assert!("crate".parse::<UnitKind>().is_err());
    }
}
