//! What a planned batch changes of what is known, so the next batch can be checked while this one is written.
//!
//! A [`Known`] read from the store while a batch is being written may or may not hold that batch yet. Laying the
//! batch's [`Overlay`] over it gives the same answer either way: the units it made or touched as they are once it
//! is written (usage as running totals, not increments, so nothing counts twice), and its events as applied.
//! A batch with `consumed` events adds inputs to units the overlay does not follow (edges into stored cells and
//! batches, the ancestors the cycle check walks): the caller waits for its write instead ([`Overlay::complete`]).

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::plan::{Known, KnownUnit, Plan, Source};
use crate::unit::UnitKind;

/// A batch's changes to what the checks know, as they will be once it is written.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    units: HashMap<String, KnownUnit>,
    events: HashSet<String>,
    cell_inputs: HashMap<String, Vec<Source>>,
    assembly_sources: HashMap<String, Vec<Source>>,
    /// The batch took inputs into units that existed before it (`consumed` events).
    consumed: bool,
}

impl Overlay {
    /// The changes of `plan`, checked against `known`.
    pub fn of(plan: &Plan, known: &Known) -> Overlay {
        let mut units: HashMap<String, KnownUnit> = HashMap::with_capacity(plan.units.len());
        for unit in &plan.units {
            units.insert(unit.spec.id.clone(), KnownUnit::new(unit));
        }
        let touched = |id: &str, units: &mut HashMap<String, KnownUnit>| -> Option<()> {
            if !units.contains_key(id) {
                units.insert(id.to_string(), known.units.get(id)?.clone());
            }
            Some(())
        };
        for usage in &plan.usage {
            if touched(&usage.unit_id, &mut units).is_some() {
                let unit = units.get_mut(&usage.unit_id).expect("just inserted");
                unit.used += usage.used;
                if unit.base_uom.is_none() {
                    unit.base_uom = usage.base_uom.map(str::to_string);
                }
            }
        }
        let mut cell_inputs: HashMap<String, Vec<Source>> = HashMap::new();
        for edge in &plan.edges {
            if edge.output_kind.is_assembly() && touched(&edge.input_id, &mut units).is_some() {
                units.get_mut(&edge.input_id).expect("just inserted").assembled_into = Some(edge.output_id.clone());
            }
            if edge.output_kind == UnitKind::Cell {
                cell_inputs.entry(edge.output_id.clone()).or_default().push(Source {
                    source_id: edge.input_id.clone(),
                    cells: 1,
                    quantity: edge.quantity.unwrap_or(0.0),
                });
            }
        }
        let mut assembly_sources: HashMap<String, Vec<Source>> = HashMap::new();
        for s in &plan.sources {
            assembly_sources.entry(s.unit_id.clone()).or_default().push(s.source.clone());
        }
        Overlay {
            units,
            events: plan.applied.iter().map(|(event, _, _)| event.clone()).collect(),
            cell_inputs,
            assembly_sources,
            consumed: plan.applied.iter().any(|(_, _, kind)| *kind == "consumed"),
        }
    }

    /// Whether the batch applied this event.
    pub fn has_applied(&self, event_id: &str) -> bool {
        self.events.contains(event_id)
    }

    /// Whether laying it over a read gives the batch's effects in full: not when it consumed into stored units.
    pub fn complete(&self) -> bool {
        !self.consumed
    }

    /// Lays the changes over `known`, read from the store before or after the batch was written.
    pub fn lay_over(self, known: &mut Known) {
        known.units.extend(self.units);
        known.events.extend(self.events);
        known.cell_inputs.extend(self.cell_inputs);
        known.assembly_sources.extend(self.assembly_sources);
    }
}
