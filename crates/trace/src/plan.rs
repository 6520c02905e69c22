//! Checks a batch of production events against what is stored and plans the writes.
//!
//! The caller reads what the events name (units, event ids, the inputs of cells and the sources of modules,
//! passports) into [`Known`], and writes the [`Plan`] in one transaction. An event that names a unit not seen
//! yet is held (and retried with later batches), never dropped; an event that breaks a rule is an error and
//! the caller writes nothing of the batch.
//!
//! Rules: a unit id is produced once; a unit takes in only what its kind is made of
//! ([`UnitKind::accepts`]); a quantity is positive, in a unit that converts to the input's; consumption never
//! exceeds the quantity a lot or batch had; a cell, module or pack goes into one assembly only; material
//! never flows in a circle; a pack's passport exists and has not ceased.

// foldhash, not SipHash: a batch hashes each of its thousands of ids several times (a seeded hash still).
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::event::{Input, TraceEvent, UnitSpec};
use crate::overlay::Overlay;
use crate::unit::{Quantity, UnitKind};

/// Up to this many ids are compared one by one rather than hashed (what a cell names, a pack's modules).
const SMALL: usize = 8;

/// Consumption may exceed a stated quantity by rounding only.
const EXCESS_TOLERANCE: f64 = 1e-9;

/// A stored unit, as far as the checks need it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownUnit {
    pub kind: UnitKind,
    /// The quantity it had, in the base unit `base_uom` (kg, L, m2, m or pcs).
    pub quantity: Option<f64>,
    /// The base unit of its quantity or, without one, of what was taken from it so far.
    pub base_uom: Option<String>,
    /// Taken from it so far, in `base_uom`.
    pub used: f64,
    /// The assembly it went into.
    pub assembled_into: Option<String>,
    /// Cells in it (modules and packs).
    pub cells: i64,
}

impl KnownUnit {
    /// A unit as the checks know it once it is made: nothing taken from it, in no assembly yet.
    pub fn new(unit: &NewUnit) -> KnownUnit {
        KnownUnit {
            kind: unit.spec.kind,
            quantity: unit.quantity.map(|(value, _)| value),
            base_uom: unit.quantity.map(|(_, uom)| uom.to_string()),
            used: 0.0,
            assembled_into: None,
            cells: unit.cells.unwrap_or(0),
        }
    }
}

/// What is stored about the units a batch of events names.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub units: HashMap<String, KnownUnit>,
    /// Event ids applied before.
    pub events: HashSet<String>,
    /// The consumed inputs of stored cells the events assemble.
    pub cell_inputs: HashMap<String, Vec<Source>>,
    /// The sources of stored modules the events assemble.
    pub assembly_sources: HashMap<String, Vec<Source>>,
    /// Lots and batches upstream of stored batches that a `consumed` event feeds (for the cycle check).
    pub ancestors: HashMap<String, HashSet<String>>,
    /// Passports named by packs: `true` when ceased; missing when there is no such passport.
    pub passports: HashMap<String, bool>,
    /// Stored units another economic operator recorded: the writer may not build on them.
    pub foreign: HashSet<String>,
    /// Units on hold (e.g. flagged at end of line), with why: they may not go into a module or pack.
    pub on_hold: HashMap<String, String>,
}

/// Material (a lot or batch) that reached a unit, with how many cells carried it and how much of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub source_id: String,
    pub cells: i64,
    /// In the source's base unit; 0 when the events stated none.
    pub quantity: f64,
}

/// A unit to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnit {
    pub spec: UnitSpec,
    /// The stated quantity in its base unit.
    pub quantity: Option<(f64, &'static str)>,
    /// Cells in it (modules and packs).
    pub cells: Option<i64>,
    pub event_id: String,
}

/// Material or a unit going into another unit (as planned, and as stored).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEdge {
    pub input_id: String,
    pub input_kind: UnitKind,
    pub output_id: String,
    pub output_kind: UnitKind,
    /// In the input's base unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    pub event_id: String,
}

/// What to add to a lot's or batch's consumption.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageDelta {
    pub unit_id: String,
    pub used: f64,
    pub base_uom: Option<&'static str>,
    pub consumers: i64,
    /// Of the consumers, cells.
    pub cells: i64,
}

/// The sources of a new module or pack, reached through its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct AssemblySource {
    pub unit_id: String,
    pub source: Source,
}

/// An event that waits for units not seen yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub event: TraceEvent,
    pub missing: Vec<String>,
}

/// An end-of-line test result to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResult {
    pub event_id: String,
    pub unit_id: String,
    pub at: Option<time::OffsetDateTime>,
    pub results: std::collections::BTreeMap<String, f64>,
    pub passed: Option<bool>,
}

/// Measures that cannot be negative (end-of-line results).
const NON_NEGATIVE: [&str; 4] = ["capacityAh", "energyWh", "internalResistanceMohm", "massG"];

/// Why an event cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[error("event {event_id} (#{position}): {message}")]
pub struct PlanError {
    /// The event's place in its batch, from 1 (the line of an NDJSON file when read from one).
    pub position: usize,
    pub event_id: String,
    pub message: String,
}

/// The writes a batch of events makes.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub units: Vec<NewUnit>,
    pub edges: Vec<NewEdge>,
    pub usage: Vec<UsageDelta>,
    pub sources: Vec<AssemblySource>,
    pub results: Vec<NewResult>,
    /// Applied events: (event id, unit id, `produced`, `consumed` or `tested`).
    pub applied: Vec<(String, String, &'static str)>,
    pub held: Vec<Held>,
    /// Events seen before (or twice in the batch), ignored.
    pub duplicates: Vec<String>,
    pub errors: Vec<PlanError>,
    /// What the batch changes of what is known, for checking the next batch while this one is written.
    pub overlay: Overlay,
}

/// What one event does, before it is added to the plan.
struct Step {
    result: Option<NewResult>,
    unit: Option<NewUnit>,
    edges: Vec<NewEdge>,
    usage: Vec<(String, f64, Option<&'static str>)>,
    sources: Vec<Source>,
}

enum Outcome {
    Apply(Box<Step>),
    Hold(Vec<String>),
    Refuse(String),
}

/// Checks `events` (with their positions) in order against `known` and what the batch produced before them.
/// Events waiting for a unit are retried once the rest of the batch is in.
pub fn plan(events: Vec<(usize, TraceEvent)>, known: &Known) -> Plan {
    let mut state = BatchState::new(known);
    let mut pending = Vec::new();
    for (position, event) in events {
        let id = event.event_id();
        if known.events.contains(id) || state.seen_events.contains(id) {
            state.plan.duplicates.push(id.to_string());
            continue;
        }
        state.seen_events.insert(id.to_string());
        if let Some(waiting) = state.try_apply(position, event) {
            pending.push(waiting);
        }
    }
    // Retry held events while any of them goes through: the batch may produce a unit after naming it.
    loop {
        let before = pending.len();
        pending = pending.into_iter().filter_map(|(position, held)| state.try_apply(position, held.event)).collect();
        if pending.len() == before {
            break;
        }
    }
    state.finish(pending.into_iter().map(|(_, held)| held).collect())
}

struct BatchState<'a> {
    known: &'a Known,
    plan: Plan,
    seen_events: HashSet<String>,
    /// Units produced or assembled by the batch so far, as they are now.
    new_units: HashMap<String, KnownUnit>,
    /// Consumed inputs of cells produced by the batch, and sources of modules produced by it.
    new_cell_inputs: HashMap<String, Vec<Source>>,
    new_assembly_sources: HashMap<String, Vec<Source>>,
    /// Consumption added by the batch, per unit.
    new_usage: HashMap<String, UsageDelta>,
    /// Process edges (input, output) added by the batch, for the cycle check.
    new_process_edges: Vec<(String, String)>,
}

impl<'a> BatchState<'a> {
    fn new(known: &'a Known) -> Self {
        BatchState {
            known,
            plan: Plan::default(),
            seen_events: HashSet::new(),
            new_units: HashMap::new(),
            new_cell_inputs: HashMap::new(),
            new_assembly_sources: HashMap::new(),
            new_usage: HashMap::new(),
            new_process_edges: Vec::new(),
        }
    }

    fn unit(&self, id: &str) -> Option<&KnownUnit> {
        self.new_units.get(id).or_else(|| self.known.units.get(id))
    }

    /// Applies or refuses the event, or gives it back when it waits for a unit.
    fn try_apply(&mut self, position: usize, event: TraceEvent) -> Option<(usize, Held)> {
        match self.check(&event) {
            Outcome::Apply(step) => {
                self.record(&event, *step);
                None
            }
            Outcome::Hold(missing) => Some((position, Held { event, missing })),
            Outcome::Refuse(message) => {
                self.plan.errors.push(PlanError { position, event_id: event.event_id().to_string(), message });
                None
            }
        }
    }

    fn check(&self, event: &TraceEvent) -> Outcome {
        if event.event_id().trim().is_empty() {
            return Outcome::Refuse("the event has no eventId".into());
        }
        let (target_id, target_kind, target_new) = match event {
            TraceEvent::Produced { unit, .. } => {
                if let Err(message) = self.check_new_unit(unit) {
                    return Outcome::Refuse(message);
                }
                (unit.id.as_str(), unit.kind, true)
            }
            TraceEvent::Consumed { unit_id, inputs, .. } => {
                let Some(target) = self.unit(unit_id) else { return Outcome::Hold(vec![unit_id.clone()]) };
                if self.known.foreign.contains(unit_id) {
                    return Outcome::Refuse(format!("{unit_id} belongs to another economic operator"));
                }
                if inputs.is_empty() {
                    return Outcome::Refuse(format!("consumed event for {unit_id} names no inputs"));
                }
                if target.kind.is_assembly() {
                    return Outcome::Refuse(format!(
                        "{unit_id} is a {}: an assembly takes its units when it is produced",
                        target.kind
                    ));
                }
                if let Some(into) = &target.assembled_into {
                    return Outcome::Refuse(format!(
                        "{unit_id} is already assembled into {into}; its inputs are fixed"
                    ));
                }
                (unit_id.as_str(), target.kind, false)
            }
            TraceEvent::Tested { unit_id, results, passed, at, event_id } => {
                let Some(target) = self.unit(unit_id) else { return Outcome::Hold(vec![unit_id.clone()]) };
                if self.known.foreign.contains(unit_id) {
                    return Outcome::Refuse(format!("{unit_id} belongs to another economic operator"));
                }
                return match check_results(target.kind, unit_id, results) {
                    Ok(()) => Outcome::Apply(Box::new(Step {
                        result: Some(NewResult {
                            event_id: event_id.clone(),
                            unit_id: unit_id.clone(),
                            at: *at,
                            results: results.clone(),
                            passed: *passed,
                        }),
                        unit: None,
                        edges: Vec::new(),
                        usage: Vec::new(),
                        sources: Vec::new(),
                    })),
                    Err(message) => Outcome::Refuse(message),
                };
            }
        };
        let missing: Vec<String> =
            event.inputs().iter().filter(|i| self.unit(&i.id).is_none()).map(|i| i.id.clone()).collect();
        if !missing.is_empty() {
            return Outcome::Hold(missing);
        }
        let mut step = Step { result: None, unit: None, edges: Vec::new(), usage: Vec::new(), sources: Vec::new() };
        let inputs = event.inputs();
        // Most events name a few inputs, which are compared with each other; a module's hundred are hashed.
        let mut seen_inputs = (inputs.len() > SMALL).then(HashSet::new);
        let mut taken: HashMap<&str, f64> = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            let twice = match &mut seen_inputs {
                Some(seen) => !seen.insert(input.id.as_str()),
                None => inputs[..i].iter().any(|before| before.id == input.id),
            };
            if twice {
                return Outcome::Refuse(format!("input {} is named twice", input.id));
            }
            if input.id == target_id {
                return Outcome::Refuse(format!("{target_id} cannot take itself in"));
            }
            if self.known.foreign.contains(&input.id) {
                return Outcome::Refuse(format!("input {} belongs to another economic operator", input.id));
            }
            let Some(from) = self.unit(&input.id) else { unreachable!("missing inputs are held above") };
            if !target_kind.accepts(from.kind) {
                return Outcome::Refuse(format!("a {target_kind} cannot take in a {} ({})", from.kind, input.id));
            }
            let edge = if target_kind.is_assembly() {
                match self.assembled_edge(input, from, target_id, target_kind, &mut step.sources) {
                    Ok(edge) => edge,
                    Err(message) => return Outcome::Refuse(message),
                }
            } else {
                if !target_new && self.flows_into(target_id, &input.id) {
                    return Outcome::Refuse(format!(
                        "{} is made from {target_id}: taking it into {target_id} would close a circle",
                        input.id
                    ));
                }
                match self.consumed_edge(input, from, target_kind, &mut taken) {
                    Ok((quantity, uom)) => {
                        step.usage.push((input.id.clone(), quantity.unwrap_or(0.0), uom));
                        if target_kind == UnitKind::Cell {
                            step.sources.push(Source {
                                source_id: input.id.clone(),
                                cells: 1,
                                quantity: quantity.unwrap_or(0.0),
                            });
                        }
                        NewEdge {
                            input_id: input.id.clone(),
                            input_kind: from.kind,
                            output_id: target_id.to_string(),
                            output_kind: target_kind,
                            quantity,
                            // Set below, as for assembly edges.
                            event_id: String::new(),
                        }
                    }
                    Err(message) => return Outcome::Refuse(message),
                }
            };
            step.edges.push(NewEdge { event_id: event.event_id().to_string(), ..edge });
        }
        if let TraceEvent::Produced { unit, .. } = event {
            let quantity = unit.quantity.as_ref().map(|q| base_of(q).expect("checked in check_new_unit"));
            let cells = target_kind.is_assembly().then(|| {
                step.edges
                    .iter()
                    .map(|e| match e.input_kind {
                        UnitKind::Cell => 1,
                        _ => self.unit(&e.input_id).map_or(0, |u| u.cells),
                    })
                    .sum()
            });
            step.unit =
                Some(NewUnit { spec: (**unit).clone(), quantity, cells, event_id: event.event_id().to_string() });
        }
        Outcome::Apply(Box::new(step))
    }

    fn check_new_unit(&self, unit: &UnitSpec) -> Result<(), String> {
        if unit.id.trim().is_empty() {
            return Err("the unit has no id".into());
        }
        // A unit in `new_units` that was not stored is one the batch produced (found again for the message only).
        if self.new_units.contains_key(&unit.id) && !self.known.units.contains_key(&unit.id) {
            let by = self.plan.units.iter().find(|u| u.spec.id == unit.id).map_or("", |u| u.event_id.as_str());
            return Err(format!("unit {} was produced already by event {by}", unit.id));
        }
        if self.known.units.contains_key(&unit.id) {
            return Err(format!("unit {} exists already: a serial number is never reused", unit.id));
        }
        if let Some(quantity) = &unit.quantity {
            if !matches!(unit.kind, UnitKind::Lot | UnitKind::Batch) {
                return Err(format!("a {} is counted, not measured: it has no quantity", unit.kind));
            }
            base_of(quantity).map_err(|e| format!("quantity of {}: {e}", unit.id))?;
        }
        if unit.kind == UnitKind::Lot {
            crate::rollup::LotDeclaration::from_attributes(unit.attributes.as_ref())
                .map_err(|e| format!("lot {}: its declaration (attributes) is not usable: {e}", unit.id))?;
        }
        if unit.kind == UnitKind::Lot && unit.quantity.is_none() {
            return Err(format!("lot {} states no quantity: consumption of it could not be checked", unit.id));
        }
        match (&unit.passport, unit.kind) {
            (Some(passport), UnitKind::Pack) => match self.known.passports.get(passport) {
                None => return Err(format!("pack {} names passport {passport}, which does not exist", unit.id)),
                Some(true) => {
                    return Err(format!("pack {} names passport {passport}, which has ceased", unit.id));
                }
                Some(false) => {}
            },
            (Some(_), kind) => return Err(format!("a {kind} has no passport: only packs are linked to one")),
            (None, _) => {}
        }
        Ok(())
    }

    /// A cell, module or pack going into an assembly: whole, once, carrying its sources along.
    fn assembled_edge(
        &self,
        input: &Input,
        from: &KnownUnit,
        target_id: &str,
        target_kind: UnitKind,
        sources: &mut Vec<Source>,
    ) -> Result<NewEdge, String> {
        if let Some(q) = &input.quantity
            && q.value_in("pcs").ok() != Some(1.0)
        {
            return Err(format!("{} goes into {target_id} whole: its quantity can only be 1 pcs, not {q}", input.id));
        }
        if let Some(into) = &from.assembled_into {
            return Err(format!("{} {} is already in {into}", from.kind, input.id));
        }
        if let Some(why) = self.known.on_hold.get(&input.id) {
            return Err(format!(
                "{} {} is on hold ({why}): release it before it goes into {target_id}",
                from.kind, input.id
            ));
        }
        let carried = if from.kind == UnitKind::Cell {
            self.new_cell_inputs.get(&input.id).or_else(|| self.known.cell_inputs.get(&input.id))
        } else {
            self.new_assembly_sources.get(&input.id).or_else(|| self.known.assembly_sources.get(&input.id))
        };
        sources.extend(carried.into_iter().flatten().cloned());
        Ok(NewEdge {
            input_id: input.id.clone(),
            input_kind: from.kind,
            output_id: target_id.to_string(),
            output_kind: target_kind,
            quantity: None,
            event_id: String::new(),
        })
    }

    /// Material taken from a lot or batch: the quantity in the input's base unit, never more than it had.
    fn consumed_edge<'e>(
        &self,
        input: &'e Input,
        from: &KnownUnit,
        target_kind: UnitKind,
        taken: &mut HashMap<&'e str, f64>,
    ) -> Result<(Option<f64>, Option<&'static str>), String> {
        let Some(quantity) = &input.quantity else {
            if target_kind == UnitKind::Batch && from.kind == UnitKind::Lot {
                return Err(format!("batch input {} states no quantity: a lot is consumed by quantity", input.id));
            }
            return Ok((None, None));
        };
        let (value, uom) = base_of(quantity).map_err(|e| format!("input {}: {e}", input.id))?;
        let (delta_used, delta_uom) = self.new_usage.get(&input.id).map_or((0.0, None), |u| (u.used, u.base_uom));
        let stated_uom = from.base_uom.as_deref().or(delta_uom);
        if let Some(stated) = stated_uom
            && stated != uom
        {
            return Err(format!(
                "input {}: {quantity} does not convert to {stated}, the unit it is measured in",
                input.id
            ));
        }
        let total = taken.entry(input.id.as_str()).or_insert(0.0);
        *total += value;
        if let Some(had) = from.quantity {
            let used = from.used + delta_used + *total;
            if used > had * (1.0 + EXCESS_TOLERANCE) {
                return Err(format!(
                    "{} had {} {uom}; with this event {} {uom} would be taken from it",
                    input.id,
                    round6(had),
                    round6(used)
                ));
            }
        }
        Ok((Some(value), Some(uom)))
    }

    /// Does material already flow from `target` into `input` (so `input` into `target` would be a circle)?
    fn flows_into(&self, target: &str, input: &str) -> bool {
        if self.known.ancestors.get(input).is_some_and(|a| a.contains(target)) {
            return true;
        }
        // Follow the batch's own process edges upstream from `input`, and the stored ancestors of each step.
        let mut frontier = vec![input.to_string()];
        let mut seen = HashSet::new();
        while let Some(unit) = frontier.pop() {
            if unit == target {
                return true;
            }
            if !seen.insert(unit.clone()) {
                continue;
            }
            if self.known.ancestors.get(&unit).is_some_and(|a| a.contains(target)) {
                return true;
            }
            frontier.extend(self.new_process_edges.iter().filter(|(_, out)| *out == unit).map(|(i, _)| i.clone()));
        }
        false
    }

    fn record(&mut self, event: &TraceEvent, step: Step) {
        let target_id = event.unit_id().to_string();
        let kind = match event {
            TraceEvent::Produced { .. } => "produced",
            TraceEvent::Consumed { .. } => "consumed",
            TraceEvent::Tested { .. } => "tested",
        };
        self.plan.results.extend(step.result);
        if let Some(unit) = &step.unit {
            self.new_units.insert(unit.spec.id.clone(), KnownUnit::new(unit));
        }
        for edge in &step.edges {
            if edge.output_kind.is_assembly() {
                let mut input = self.unit(&edge.input_id).cloned().expect("inputs exist");
                input.assembled_into = Some(target_id.clone());
                self.new_units.insert(edge.input_id.clone(), input);
            } else if matches!(edge.output_kind, UnitKind::Batch) {
                self.new_process_edges.push((edge.input_id.clone(), edge.output_id.clone()));
            }
        }
        let kind_of_target = self.unit(&target_id).map(|u| u.kind);
        for (input, used, uom) in step.usage {
            // Looked up before inserting: most events take from a lot or batch the batch took from already.
            if !self.new_usage.contains_key(&input) {
                let delta = UsageDelta { unit_id: input.clone(), used: 0.0, base_uom: None, consumers: 0, cells: 0 };
                self.new_usage.insert(input.clone(), delta);
            }
            let entry = self.new_usage.get_mut(&input).expect("inserted above");
            entry.used += used;
            entry.base_uom = entry.base_uom.or(uom);
            entry.consumers += 1;
            entry.cells += i64::from(kind_of_target == Some(UnitKind::Cell));
        }
        let sources = merge_sources(step.sources);
        match kind_of_target {
            Some(UnitKind::Cell) => {
                self.new_cell_inputs.entry(target_id.clone()).or_default().extend(sources);
            }
            Some(k) if k.is_assembly() => {
                self.plan
                    .sources
                    .extend(sources.iter().map(|s| AssemblySource { unit_id: target_id.clone(), source: s.clone() }));
                self.new_assembly_sources.insert(target_id.clone(), sources);
            }
            _ => {}
        }
        self.plan.units.extend(step.unit);
        self.plan.edges.extend(step.edges);
        self.plan.applied.push((event.event_id().to_string(), target_id, kind));
    }

    fn finish(mut self, held: Vec<Held>) -> Plan {
        let mut plan = std::mem::take(&mut self.plan);
        let mut usage: Vec<UsageDelta> = self.new_usage.into_values().collect();
        usage.sort_by(|a, b| a.unit_id.cmp(&b.unit_id));
        // Every event seen was applied, held or refused.
        let mut events = self.seen_events;
        for event in held.iter().map(|h| h.event.event_id()).chain(plan.errors.iter().map(|e| e.event_id.as_str())) {
            events.remove(event);
        }
        plan.overlay = Overlay {
            units: self.new_units,
            events,
            cell_inputs: self.new_cell_inputs,
            assembly_sources: self.new_assembly_sources,
            consumed: plan.applied.iter().any(|(_, _, kind)| *kind == "consumed"),
        };
        plan.overlay.add_usage(&usage, self.known);
        plan.usage = usage;
        plan.held = held;
        plan
    }
}

/// End-of-line results: of a cell, module or pack, at least one, every one a finite number, measures that cannot
/// be negative not negative.
fn check_results(
    kind: UnitKind,
    unit_id: &str,
    results: &std::collections::BTreeMap<String, f64>,
) -> Result<(), String> {
    if !matches!(kind, UnitKind::Cell | UnitKind::Module | UnitKind::Pack) {
        return Err(format!("{unit_id} is a {kind}: end-of-line tests are of cells, modules and packs"));
    }
    if results.is_empty() {
        return Err(format!("the test of {unit_id} has no results"));
    }
    for (name, value) in results {
        if !value.is_finite() || (NON_NEGATIVE.contains(&name.as_str()) && *value < 0.0) {
            return Err(format!("result {name} = {value} of {unit_id} is not a possible value"));
        }
    }
    Ok(())
}

/// Sums sources reached through several cells: a cell's few are compared one by one, an assembly's many hashed.
fn merge_sources(sources: Vec<Source>) -> Vec<Source> {
    let mut merged: Vec<Source> = Vec::new();
    let mut at: Option<HashMap<String, usize>> = (sources.len() > SMALL).then(HashMap::new);
    for s in sources {
        let found = match &at {
            Some(at) => at.get(&s.source_id).copied(),
            None => merged.iter().position(|m| m.source_id == s.source_id),
        };
        match found {
            Some(i) => {
                merged[i].cells += s.cells;
                merged[i].quantity += s.quantity;
            }
            None => {
                if let Some(at) = &mut at {
                    at.insert(s.source_id.clone(), merged.len());
                }
                merged.push(s);
            }
        }
    }
    merged
}

/// A quantity in its dimension's base unit.
fn base_of(quantity: &Quantity) -> Result<(f64, &'static str), crate::unit::QuantityError> {
    let uom = quantity.checked()?;
    let base = crate::unit::base_symbol(uom.dimension);
    Ok((quantity.value * uom.to_base, base))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
