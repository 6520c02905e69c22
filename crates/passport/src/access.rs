//! Who sees which attributes (Art. 77(2), Annex XIII). One function, driven by the catalogue, decides
//! for every read path; values the catalogue does not list are shown to nobody but the operator.

use crate::catalogue::{ATTRIBUTES, AccessGroup};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The reader's access group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Anyone scanning the QR code: Annex XIII point 1.
    Public,
    /// Persons with a legitimate interest: points 1, 2 and 4.
    LegitimateInterest,
    /// Notified bodies, market surveillance authorities and the Commission: points 1, 2 and 3.
    Authority,
    /// The responsible economic operator and administrators: everything.
    Operator,
}

impl Audience {
    pub const ALL: [Audience; 4] =
        [Audience::Public, Audience::LegitimateInterest, Audience::Authority, Audience::Operator];

    /// May this audience read attributes of `group`?
    pub fn sees(self, group: AccessGroup) -> bool {
        use AccessGroup::*;
        match self {
            Audience::Operator => true,
            Audience::Public => group == Public,
            Audience::LegitimateInterest => {
                matches!(group, Public | LegitimateInterest | LegitimateInterestAndAuthority)
            }
            Audience::Authority => matches!(group, Public | LegitimateInterestAndAuthority | Authority),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Pointer patterns (segments; `-` = any array element) each audience may read, built once.
fn visible_patterns(audience: Audience) -> &'static [Vec<String>] {
    static PATTERNS: OnceLock<Vec<Vec<Vec<String>>>> = OnceLock::new();
    &PATTERNS.get_or_init(|| {
        Audience::ALL
            .iter()
            .map(|a| {
                ATTRIBUTES
                    .iter()
                    .filter(|attr| a.sees(attr.access))
                    .flat_map(|attr| attr.pointers.iter())
                    .map(|p| p.trim_start_matches('/').split('/').map(str::to_string).collect())
                    .collect()
            })
            .collect()
    })[audience.index()]
}

/// The part of a canonical document `audience` may read. Objects and array elements left empty are dropped.
pub fn visible(doc: &Value, audience: Audience) -> Value {
    if audience == Audience::Operator {
        return doc.clone();
    }
    let patterns: Vec<&[String]> = visible_patterns(audience).iter().map(Vec::as_slice).collect();
    prune(doc, &patterns).unwrap_or_else(|| Value::Object(Map::new()))
}

/// Keeps `value` whole if some pattern ends here, its covered parts if some pattern continues below it,
/// and nothing otherwise.
fn prune(value: &Value, patterns: &[&[String]]) -> Option<Value> {
    if patterns.iter().any(|p| p.is_empty()) {
        return Some(value.clone());
    }
    match value {
        Value::Object(map) => {
            let mut kept = Map::new();
            for (key, child) in map {
                let below: Vec<&[String]> = patterns.iter().filter(|p| p[0] == *key).map(|p| &p[1..]).collect();
                if !below.is_empty()
                    && let Some(child) = prune(child, &below)
                {
                    kept.insert(key.clone(), child);
                }
            }
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let below: Vec<&[String]> = patterns.iter().filter(|p| p[0] == "-").map(|p| &p[1..]).collect();
            if below.is_empty() {
                return None;
            }
            let kept: Vec<Value> = items.iter().filter_map(|item| prune(item, &below)).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None, // a scalar below which a pattern continues: the pattern does not apply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{self, DemoModel};
    use rand::SeedableRng;

    fn doc() -> Value {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        demo::passport(DemoModel::EvNmc811Pack, 3, &mut rng)
    }

    #[test]
    fn the_public_sees_annex_xiii_point_1_only() {
        let public = visible(&doc(), Audience::Public);
        assert!(public.pointer("/carbonFootprint/batteryCarbonFootprint").is_some());
        assert!(public.pointer("/generalProductInformation/productIdentifier").is_some());
        assert!(public.pointer("/performance/batteryTechicalProperties/ratedCapacity").is_some());
        // point 4 (dynamic) and point 2 (dismantling, part numbers) are not public
        assert!(public.pointer("/performance/batteryCondition").is_none(), "{public:#}");
        assert!(public.pointer("/circularity/dismantlingAndRemovalInformation").is_none());
        assert!(public.pointer("/circularity/sparePartSources").is_none());
        // point 3 (test reports) is for authorities only
        assert!(public.pointer("/labels/resultOfTestReport").is_none());
    }

    #[test]
    fn groups_see_their_annex_points() {
        let d = doc();
        let li = visible(&d, Audience::LegitimateInterest);
        let authority = visible(&d, Audience::Authority);
        assert!(li.pointer("/performance/batteryCondition/stateOfCharge").is_some(), "dynamic data is point 4");
        assert!(li.pointer("/circularity/dismantlingAndRemovalInformation").is_some());
        assert!(li.pointer("/labels/resultOfTestReport").is_none());
        assert!(authority.pointer("/labels/resultOfTestReport").is_some());
        assert!(
            authority.pointer("/circularity/dismantlingAndRemovalInformation").is_some(),
            "point 2 is for the Commission too"
        );
        assert!(
            authority.pointer("/performance/batteryCondition/stateOfCharge").is_none(),
            "point 4 is legitimate interest only"
        );
        assert_eq!(visible(&d, Audience::Operator), d);
    }

    #[test]
    fn every_visible_value_belongs_to_an_attribute_the_audience_may_read() {
        fn leaves(value: &Value, at: String, out: &mut Vec<String>) {
            match value {
                Value::Object(m) => m.iter().for_each(|(k, v)| leaves(v, format!("{at}/{k}"), out)),
                Value::Array(a) => a.iter().for_each(|v| leaves(v, format!("{at}/-"), out)),
                _ => out.push(at),
            }
        }
        let d = doc();
        for audience in [Audience::Public, Audience::LegitimateInterest, Audience::Authority] {
            let mut shown = Vec::new();
            leaves(&visible(&d, audience), String::new(), &mut shown);
            assert!(!shown.is_empty());
            for leaf in shown {
                let allowed = ATTRIBUTES
                    .iter()
                    .filter(|a| audience.sees(a.access))
                    .any(|a| a.pointers.iter().any(|p| leaf == *p || leaf.starts_with(&format!("{p}/"))));
                assert!(allowed, "{audience:?} sees {leaf}, which no attribute of its groups covers");
            }
        }
    }
}
