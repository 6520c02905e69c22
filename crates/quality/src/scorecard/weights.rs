//! How much each component counts in the score, settable as `acceptance=30,ppm=20,...` (e.g. from a
//! command line or a query string).

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Relative weights of the six components. Only ratios matter: [`super::scorecard`] divides by the sum of
/// the weights of the components it could compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Weights {
    pub acceptance: f64,
    pub ppm: f64,
    pub completeness: f64,
    pub on_time: f64,
    pub capability: f64,
    pub alarms: f64,
}

impl Default for Weights {
    /// 30 / 20 / 15 / 10 / 15 / 10: outcomes first, then the quality of the data, delivery and stability.
    fn default() -> Self {
        Weights { acceptance: 30.0, ppm: 20.0, completeness: 15.0, on_time: 10.0, capability: 15.0, alarms: 10.0 }
    }
}

/// Why weights were refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScorecardError {
    #[error("weight entry {entry:?} is not of the form key=number")]
    MalformedEntry { entry: String },
    #[error("unknown weight {key:?}: expected acceptance, ppm, completeness, onTime, capability or alarms")]
    UnknownKey { key: String },
    #[error("weight {key} is given more than once")]
    DuplicateKey { key: String },
    #[error("weight {key}={value:?} is not a finite number")]
    NotANumber { key: String, value: String },
    #[error("weight {key}={value} is negative; weights must be 0 or more")]
    Negative { key: String, value: f64 },
    #[error("all weights are zero; at least one must be positive")]
    AllZero,
}

impl Weights {
    /// Checks weights built in code or deserialized: finite, not negative, not all zero.
    pub fn validate(&self) -> Result<(), ScorecardError> {
        for (key, value) in self.named() {
            if !value.is_finite() {
                return Err(ScorecardError::NotANumber { key: key.into(), value: value.to_string() });
            }
            if value < 0.0 {
                return Err(ScorecardError::Negative { key: key.into(), value });
            }
        }
        if self.named().iter().all(|(_, v)| *v == 0.0) {
            return Err(ScorecardError::AllZero);
        }
        Ok(())
    }

    fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("acceptance", self.acceptance),
            ("ppm", self.ppm),
            ("completeness", self.completeness),
            ("onTime", self.on_time),
            ("capability", self.capability),
            ("alarms", self.alarms),
        ]
    }

    fn slot(&mut self, key: &str) -> Option<(&'static str, &mut f64)> {
        Some(match key {
            "acceptance" => ("acceptance", &mut self.acceptance),
            "ppm" => ("ppm", &mut self.ppm),
            "completeness" => ("completeness", &mut self.completeness),
            "onTime" | "on_time" => ("onTime", &mut self.on_time),
            "capability" => ("capability", &mut self.capability),
            "alarms" => ("alarms", &mut self.alarms),
            _ => return None,
        })
    }
}

impl FromStr for Weights {
    type Err = ScorecardError;

    /// `key=number` entries separated by commas (spaces allowed); keys not given keep their default, so
    /// `"ppm=0"` only drops the ppm component. Empty entries are skipped: `""` gives the defaults.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Weights::default().with_overrides(text)
    }
}

impl Weights {
    /// These weights with the entries of `text` (as [`Weights::from_str`] reads them) replacing theirs: a
    /// request can change one weight of a server's configured set.
    pub fn with_overrides(&self, text: &str) -> Result<Weights, ScorecardError> {
        let mut weights = self.clone();
        let mut given: Vec<&'static str> = Vec::new();
        for entry in text.split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            let Some((key, value)) = entry.split_once('=') else {
                return Err(ScorecardError::MalformedEntry { entry: entry.into() });
            };
            let (key, value) = (key.trim(), value.trim());
            let Some((name, slot)) = weights.slot(key) else {
                return Err(ScorecardError::UnknownKey { key: key.into() });
            };
            if given.contains(&name) {
                return Err(ScorecardError::DuplicateKey { key: name.into() });
            }
            given.push(name);
            *slot = match value.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => return Err(ScorecardError::NotANumber { key: name.into(), value: value.into() }),
            };
        }
        weights.validate()?;
        Ok(weights)
    }
}
