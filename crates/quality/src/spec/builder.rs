//! Terse construction of specified characteristics (catalogue, tests, demo data).

use super::model::{Requirement, SpecCharacteristic};
use crate::ecoa::units::Unit;

impl SpecCharacteristic {
    /// A characteristic the CoA must report, without limits yet.
    pub fn required(name: &str, unit: Unit) -> SpecCharacteristic {
        SpecCharacteristic {
            name: name.to_owned(),
            aliases: Vec::new(),
            unit,
            method: None,
            lsl: None,
            usl: None,
            target: None,
            critical: false,
            requirement: Requirement::Required,
            reproducibility: None,
        }
    }

    /// A characteristic checked when reported.
    pub fn optional(name: &str, unit: Unit) -> SpecCharacteristic {
        SpecCharacteristic { requirement: Requirement::Optional, ..SpecCharacteristic::required(name, unit) }
    }

    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    pub fn between(mut self, lsl: f64, usl: f64) -> Self {
        self.lsl = Some(lsl);
        self.usl = Some(usl);
        self
    }

    pub fn at_least(mut self, lsl: f64) -> Self {
        self.lsl = Some(lsl);
        self
    }

    pub fn at_most(mut self, usl: f64) -> Self {
        self.usl = Some(usl);
        self
    }

    pub fn target(mut self, target: f64) -> Self {
        self.target = Some(target);
        self
    }

    pub fn critical(mut self) -> Self {
        self.critical = true;
        self
    }

    /// The method's reproducibility limit R, in the characteristic's unit.
    pub fn reproducibility(mut self, r: f64) -> Self {
        self.reproducibility = Some(r);
        self
    }

    pub fn alias(mut self, alias: &str) -> Self {
        self.aliases.push(alias.to_owned());
        self
    }
}
