//! How much of a lot ended up in each unit downstream of it.
//!
//! Material is followed by mass balance: a lot or batch splits over what took from it in proportion to the
//! quantities taken (`quantity / used`), or evenly over its consumers when the events stated no quantity
//! (`1 / consumers`). The share of lot L in unit U is the sum, over every path from L to U, of the product
//! of those fractions: the part of the lot that U holds. Shares of all the units at one level add up to at
//! most 1 (less while some of the lot is still in stock).

use std::collections::{HashMap, HashSet};

/// What has been taken from a lot or batch so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// In its base unit.
    pub used: f64,
    /// How many units took from it.
    pub consumers: i64,
}

/// Material taken from `input` into `output` (both lots or batches, or a batch into a cell).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub input: String,
    pub output: String,
    /// In the input's base unit, when stated.
    pub quantity: Option<f64>,
}

/// The fraction of `usage`'s unit that went along one flow (or `cells` flows with `quantity` summed).
pub fn fraction(quantity: Option<f64>, count: i64, usage: Usage) -> f64 {
    match quantity {
        Some(q) if q > 0.0 && usage.used > 0.0 => (q / usage.used).min(1.0),
        _ if usage.consumers > 0 => count as f64 / usage.consumers as f64,
        _ => 0.0,
    }
}

/// The fraction of `root` in every lot and batch downstream of it (`root` itself holds 1), over the process
/// flows between them (a DAG: the checks refuse circles).
pub fn process_fractions(root: &str, flows: &[Flow], usage: &HashMap<String, Usage>) -> HashMap<String, f64> {
    let mut outgoing: HashMap<&str, Vec<&Flow>> = HashMap::new();
    for flow in flows {
        outgoing.entry(flow.input.as_str()).or_default().push(flow);
    }
    // Kahn's order over the part reachable from the root, so a unit is finished before it passes material on.
    let mut reachable = HashSet::from([root]);
    let mut stack = vec![root];
    while let Some(unit) = stack.pop() {
        for flow in outgoing.get(unit).into_iter().flatten() {
            if reachable.insert(flow.output.as_str()) {
                stack.push(flow.output.as_str());
            }
        }
    }
    let mut indegree: HashMap<&str, usize> = reachable.iter().map(|u| (*u, 0)).collect();
    for flow in flows.iter().filter(|f| reachable.contains(f.input.as_str())) {
        *indegree.get_mut(flow.output.as_str()).expect("reachable") += 1;
    }
    let mut fractions: HashMap<String, f64> = HashMap::from([(root.to_string(), 1.0)]);
    let mut ready = vec![root];
    while let Some(unit) = ready.pop() {
        let here = fractions.get(unit).copied().unwrap_or(0.0);
        let unit_usage = usage.get(unit).copied().unwrap_or_default();
        for flow in outgoing.get(unit).into_iter().flatten() {
            *fractions.entry(flow.output.clone()).or_insert(0.0) += here * fraction(flow.quantity, 1, unit_usage);
            let left = indegree.get_mut(flow.output.as_str()).expect("reachable");
            *left -= 1;
            if *left == 0 {
                ready.push(flow.output.as_str());
            }
        }
    }
    fractions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(input: &str, output: &str, quantity: Option<f64>) -> Flow {
        Flow { input: input.into(), output: output.into(), quantity }
    }

    #[test]
    fn a_lot_splits_by_quantity_and_recombines_along_paths() {
        // LOT gives 300 of its 1000 kg used to B1 and 700 to B2; B1 and B2 both feed B3 (half of each).
        let flows = vec![
            flow("LOT", "B1", Some(300.0)),
            flow("LOT", "B2", Some(700.0)),
            flow("B1", "B3", Some(50.0)),
            flow("B2", "B3", Some(10.0)),
            flow("B1", "B4", Some(50.0)),
        ];
        let usage = HashMap::from([
            ("LOT".to_string(), Usage { used: 1000.0, consumers: 2 }),
            ("B1".to_string(), Usage { used: 100.0, consumers: 2 }),
            ("B2".to_string(), Usage { used: 20.0, consumers: 1 }),
        ]);
        let f = process_fractions("LOT", &flows, &usage);
        assert!((f["B1"] - 0.3).abs() < 1e-12);
        assert!((f["B2"] - 0.7).abs() < 1e-12);
        assert!((f["B3"] - (0.3 * 0.5 + 0.7 * 0.5)).abs() < 1e-12);
        assert!((f["B4"] - 0.15).abs() < 1e-12);
        assert_eq!(f["LOT"], 1.0);
    }

    #[test]
    fn without_quantities_material_splits_evenly() {
        let usage = Usage { used: 0.0, consumers: 4 };
        assert_eq!(fraction(None, 1, usage), 0.25);
        assert_eq!(fraction(None, 3, usage), 0.75);
        assert_eq!(fraction(Some(2.0), 1, Usage { used: 8.0, consumers: 4 }), 0.25);
        assert_eq!(fraction(None, 1, Usage::default()), 0.0);
    }
}
