//! What a planned batch changes of what is known, so the next batch can be checked while this one is written.
//!
//! A [`Known`] read from the store while a batch is being written may or may not hold that batch yet. Laying the
//! batch's [`Overlay`] over it gives the same answer either way: the units it made or touched as they are once it
//! is written (usage as running totals, not increments, so nothing counts twice), and its events as applied.
//! A batch with `consumed` events adds inputs to units the overlay does not follow (edges into stored cells and
//! batches, the ancestors the cycle check walks): the caller waits for its write instead ([`Overlay::complete`]).

use std::collections::hash_map::Entry;

use foldhash::{HashMap, HashSet};

use crate::plan::{Known, KnownUnit, Source, UsageDelta};

/// A batch's changes to what the checks know, as they will be once it is written. The planner fills it from its
/// own maps as it finishes ([`crate::plan::Plan::overlay`]): moved, not copied.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    pub(crate) units: HashMap<String, KnownUnit>,
    pub(crate) events: HashSet<String>,
    pub(crate) cell_inputs: HashMap<String, Vec<Source>>,
    pub(crate) assembly_sources: HashMap<String, Vec<Source>>,
    /// The batch took inputs into units that existed before it (`consumed` events).
    pub(crate) consumed: bool,
}

impl Overlay {
    /// Adds what the batch took from lots and batches (`usage`) to the units, bringing in those only `known` had.
    pub(crate) fn add_usage(&mut self, usage: &[UsageDelta], known: &Known) {
        for delta in usage {
            let unit = match self.units.entry(delta.unit_id.clone()) {
                Entry::Occupied(unit) => unit.into_mut(),
                Entry::Vacant(slot) => match known.units.get(&delta.unit_id) {
                    Some(stored) => slot.insert(stored.clone()),
                    None => continue,
                },
            };
            unit.used += delta.used;
            if unit.base_uom.is_none() {
                unit.base_uom = delta.base_uom.map(str::to_string);
            }
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
    /// The read is the smaller side (what one batch names that is stored), so it goes into the overlay's maps.
    pub fn lay_over(self, known: &mut Known) {
        known.units = over(self.units, std::mem::take(&mut known.units));
        known.cell_inputs = over(self.cell_inputs, std::mem::take(&mut known.cell_inputs));
        known.assembly_sources = over(self.assembly_sources, std::mem::take(&mut known.assembly_sources));
        let mut events = self.events;
        events.extend(known.events.drain());
        known.events = events;
    }
}

/// `top` with the entries of `below` it has no key for.
fn over<V>(mut top: HashMap<String, V>, below: HashMap<String, V>) -> HashMap<String, V> {
    for (key, value) in below {
        top.entry(key).or_insert(value);
    }
    top
}
