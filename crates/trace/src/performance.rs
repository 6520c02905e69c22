//! End-of-line performance of a module or pack from its parts' end-of-line results.
//!
//! A module or pack states how its parts are connected in its `attributes`: `{"series": S, "parallel": P}`
//! (S × P parts; without it, all parts in series). From the parts' figures:
//!
//! - capacity (Ah) = P × the smallest part capacity: the weakest part limits what the string can deliver;
//! - energy (Wh) = the sum of the parts' energies;
//! - internal resistance (mΩ) = S / P × the parts' mean resistance (interconnects not counted).
//!
//! A figure is given only when every part has it: a pack with an untested cell has no derived capacity. A unit
//! measured itself at end of line reports its own figures ahead of derived ones.

use serde::Serialize;
use std::collections::BTreeMap;

/// Result names, as the line sends them.
pub const CAPACITY: &str = "capacityAh";
pub const ENERGY: &str = "energyWh";
pub const RESISTANCE: &str = "internalResistanceMohm";

/// How the parts of a module or pack are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Configuration {
    pub series: u32,
    pub parallel: u32,
}

impl Configuration {
    /// From a unit's attributes, checked against its number of parts; all in series when not stated.
    pub fn of(attributes: Option<&serde_json::Value>, parts: usize) -> Result<Configuration, String> {
        let get = |key: &str| attributes.and_then(|a| a.get(key)).and_then(serde_json::Value::as_u64);
        let config = match (get("series"), get("parallel")) {
            (None, None) => return Ok(Configuration { series: parts as u32, parallel: 1 }),
            (s, p) => Configuration { series: s.unwrap_or(1) as u32, parallel: p.unwrap_or(1) as u32 },
        };
        if config.series == 0 || config.parallel == 0 || (config.series * config.parallel) as usize != parts {
            return Err(format!("{}s{}p does not match its {parts} parts", config.series, config.parallel));
        }
        Ok(config)
    }
}

/// Capacity, energy and internal resistance, as far as known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_ah: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_wh: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_resistance_mohm: Option<f64>,
}

impl Figures {
    /// The figures among a unit's end-of-line results.
    pub fn from_results(results: &BTreeMap<String, f64>) -> Figures {
        Figures {
            capacity_ah: results.get(CAPACITY).copied(),
            energy_wh: results.get(ENERGY).copied(),
            internal_resistance_mohm: results.get(RESISTANCE).copied(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.capacity_ah.is_none() && self.energy_wh.is_none() && self.internal_resistance_mohm.is_none()
    }
}

/// The figures of a whole from its parts' (`None` for a part without results).
pub fn derive(parts: &[Option<Figures>], config: Configuration) -> Figures {
    let all = |f: fn(&Figures) -> Option<f64>| -> Option<Vec<f64>> {
        if parts.is_empty() {
            return None;
        }
        parts.iter().map(|p| p.as_ref().and_then(f)).collect()
    };
    let (series, parallel) = (f64::from(config.series), f64::from(config.parallel));
    Figures {
        capacity_ah: all(|f| f.capacity_ah).map(|c| parallel * c.iter().copied().fold(f64::INFINITY, f64::min)),
        energy_wh: all(|f| f.energy_wh).map(|e| e.iter().sum()),
        internal_resistance_mohm: all(|f| f.internal_resistance_mohm)
            .map(|r| series / parallel * r.iter().sum::<f64>() / r.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cell(c: f64, e: f64, r: f64) -> Option<Figures> {
        Some(Figures { capacity_ah: Some(c), energy_wh: Some(e), internal_resistance_mohm: Some(r) })
    }

    #[test]
    fn a_2s2p_module_and_a_pack_of_modules_in_series() {
        let config = Configuration::of(Some(&json!({"series": 2, "parallel": 2})), 4).unwrap();
        let module = derive(
            &[cell(50.0, 180.0, 1.0), cell(49.0, 178.0, 1.2), cell(51.0, 182.0, 0.8), cell(50.0, 180.0, 1.0)],
            config,
        );
        assert_eq!(module.capacity_ah, Some(98.0), "two in parallel, limited by the 49 Ah cell");
        assert_eq!(module.energy_wh, Some(720.0));
        assert_eq!(module.internal_resistance_mohm, Some(1.0), "2/2 × mean 1.0");
        let pack_config = Configuration::of(None, 3).unwrap();
        assert_eq!(pack_config, Configuration { series: 3, parallel: 1 });
        let pack = derive(&[Some(module), Some(module), Some(module)], pack_config);
        assert_eq!(
            (pack.capacity_ah, pack.energy_wh, pack.internal_resistance_mohm),
            (Some(98.0), Some(2160.0), Some(3.0))
        );
    }

    #[test]
    fn an_untested_part_leaves_the_figure_unknown_and_configurations_must_fit() {
        let partial = derive(&[cell(50.0, 180.0, 1.0), None], Configuration { series: 2, parallel: 1 });
        assert!(partial.is_empty());
        let no_energy = derive(
            &[Some(Figures { capacity_ah: Some(50.0), ..Figures::default() }), cell(49.0, 1.0, 1.0)],
            Configuration { series: 2, parallel: 1 },
        );
        assert_eq!((no_energy.capacity_ah, no_energy.energy_wh), (Some(49.0), None));
        let wrong = Configuration::of(Some(&json!({"series": 3, "parallel": 2})), 4).unwrap_err();
        assert!(wrong.contains("3s2p does not match its 4 parts"), "{wrong}");
    }
}
