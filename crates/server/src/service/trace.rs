//! Genealogy (issue 7): production events in, traces out.
//!
//! Ingest reads what a batch of events names, lets [`trace::plan`] check it, and writes the plan in one
//! transaction; events naming units not seen yet wait in the backlog and are retried with every later batch.
//! Traces follow the recall shortcut (`trace_sources`): a lot reaches modules and packs through the process
//! batches it fed, without walking every cell.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use store::{Actor, AuditEvent, BacklogEvent, LotKey, Role, StoredSource, StoredUnit, TraceWrite};
use time::OffsetDateTime;
use trace::overlay::Overlay;
use trace::performance::{Configuration, Figures, derive};
use trace::plan::{Known, KnownUnit, PlanError, Source, plan};
use trace::rollup::{CarbonFootprint, FootprintFactors, LotDeclaration, LotInUnit, Rollup, carbon_footprint, rollup};
use trace::share::{Flow, Usage, fraction, process_fractions};
use trace::{TraceEvent, UnitKind};

use super::{CEASED, PassportService, Result, ServiceError};

/// A checked batch: what became of its events, what to write, and what the write changes for the next batch.
pub(super) struct CheckedTrace {
    pub receipt: TraceReceipt,
    pub write: Option<TraceWrite>,
    /// What it changes, for checking the next batch while it is written (when asked for).
    pub overlay: Option<Overlay>,
}

/// Held events retried with each batch (the oldest first).
const BACKLOG_RETRY: i64 = 1000;

/// What became of a batch of events.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceReceipt {
    pub applied: usize,
    pub duplicates: usize,
    /// Events now waiting for units (of this batch and of the backlog).
    pub held: usize,
    /// Backlog events applied with this batch.
    pub released: usize,
    /// Backlog events that a retry found to break a rule.
    pub failed: usize,
}

/// A unit with the share of the traced lot it holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Affected {
    #[serde(flatten)]
    pub unit: StoredUnit,
    /// The part of the lot (of what has been taken from it) this unit holds.
    pub share: f64,
    /// How much of the lot that is, in the lot's base unit.
    pub quantity: f64,
    /// Cells through which it holds the lot (modules and packs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cells: Option<i64>,
}

/// Forward trace: everything made from a lot or batch.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Downstream {
    pub unit: StoredUnit,
    /// Process batches (and the unit itself) the material went through.
    pub batches: Vec<Affected>,
    pub cells: i64,
    pub modules: Vec<Affected>,
    pub packs: Vec<Affected>,
    /// The battery passports of the affected packs.
    pub passports: Vec<String>,
}

/// A lot with its supplier's CoA and our decision on it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TracedLot {
    #[serde(flatten)]
    pub unit: StoredUnit,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coa: Option<LotCoa>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LotCoa {
    pub id: String,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

/// Backward trace: everything a unit is made of.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Upstream {
    pub unit: StoredUnit,
    /// The modules or cells assembled into it (one level).
    pub parts: Vec<String>,
    /// Cells in it (through its modules).
    pub cells: i64,
    pub batches: Vec<StoredUnit>,
    pub lots: Vec<TracedLot>,
    pub suppliers: Vec<String>,
}

/// A lot's part of a unit, as a roll-up names it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LotShare {
    pub lot_id: String,
    /// The part of the lot (of what was taken from it) in the unit.
    pub share: f64,
    pub mass_kg: f64,
}

/// A point where material enters a unit: a lot or batch, the quantity taken (when stated) and the cells fed.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub source: String,
    pub quantity: Option<f64>,
    pub cells: i64,
}

impl Entry {
    pub(super) fn from_source(s: StoredSource) -> Entry {
        Entry { source: s.source_id, quantity: (s.quantity > 0.0).then_some(s.quantity), cells: s.cells }
    }
}

/// The lots traced into a unit (by mass), their shares, and the lots not counted by mass.
#[derive(Debug, Default)]
pub(super) struct TracedLots {
    pub lots: Vec<LotInUnit>,
    pub shares: Vec<LotShare>,
    pub not_by_mass: Vec<String>,
}

/// What a unit is made of, rolled up from its lots, with the lots it came from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitRollup {
    pub unit: StoredUnit,
    pub lots: Vec<LotShare>,
    /// Lots reaching the unit that are not counted by mass (measured in litres, m², pieces).
    pub not_by_mass: Vec<String>,
    #[serde(flatten)]
    pub rollup: Rollup,
    /// For a pack with a passport stating its rated energy and expected number of cycles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carbon_footprint: Option<CarbonFootprint>,
    /// End-of-line performance (cells, modules and packs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performance: Option<UnitPerformance>,
}

/// A unit's end-of-line figures: measured on the unit itself, and derived from its parts' results.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitPerformance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
    /// Parts (modules or cells) and how many of them have figures.
    pub parts: usize,
    pub parts_with_figures: usize,
    /// Why nothing could be derived, when that is so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Leaves only the rolled-up values: no lots, suppliers, masses per lot or the unit's own record.
fn strip_provenance(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for key in ["from", "lots", "unit", "notByMass", "lotsWithoutPcf"] {
                map.remove(key);
            }
            map.values_mut().for_each(strip_provenance);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_provenance),
        _ => {}
    }
}

/// The process part of a forward trace (see [`PassportService::process_part`]).
struct Process {
    batches: Vec<Affected>,
    usage: HashMap<String, Usage>,
    fractions: HashMap<String, f64>,
}

/// Who may record production events: administrators, and economic operators for their own organisation.
pub(super) fn trace_writer(actor: &Actor) -> Result<Option<String>> {
    match (actor.role, &actor.organisation) {
        (Role::Admin, _) => Ok(None),
        (Role::EconomicOperator, Some(org)) => Ok(Some(org.clone())),
        (role, _) => Err(ServiceError::Forbidden(format!("role {role} may not record production events"))),
    }
}

/// Who may read genealogy: `Some(organisation)` when only an economic operator's own units; administrators
/// and authorities (market surveillance tracing a recall) read all.
fn trace_reader(actor: &Actor) -> Result<Option<String>> {
    match (actor.role, &actor.organisation) {
        (Role::Admin | Role::Authority, _) => Ok(None),
        (Role::EconomicOperator, Some(org)) => Ok(Some(org.clone())),
        (role, _) => Err(ServiceError::Forbidden(format!("role {role} may not read genealogy"))),
    }
}

/// The supplier's lot a traced lot names, when it names one.
fn lot_key(lot: &StoredUnit) -> Option<LotKey> {
    Some(LotKey {
        supplier_id: lot.supplier_id.clone()?,
        material_id: lot.material_id.clone()?,
        lot_number: lot.lot_number.clone()?,
    })
}

fn visible(unit: &StoredUnit, own: Option<&str>) -> bool {
    own.is_none() || unit.operator.as_deref() == own
}

impl PassportService {
    /// Checks and writes a batch of production events (with their positions, e.g. NDJSON line numbers),
    /// retrying the backlog with them. Any event that breaks a rule refuses the whole batch.
    pub async fn ingest_trace(&self, actor: &Actor, events: Vec<(usize, TraceEvent)>) -> Result<TraceReceipt> {
        let operator = trace_writer(actor)?;
        let _one_writer = self.trace_lock.lock().await;
        let _one_writer_of_all_servers = self.store.lock_trace_writer().await?;
        let checked = self.check_trace(actor, operator, events, None, false).await?;
        if let Some(write) = checked.write {
            self.store.write_trace(write).await?;
        }
        Ok(checked.receipt)
    }

    /// Reads what a batch names, laying over it `overlay` (the batch being written meanwhile, if any), and
    /// checks and plans it with held events of the backlog; with `next`, works out its own overlay for the batch
    /// after it. The caller holds the genealogy writer's locks.
    pub(super) async fn check_trace(
        &self,
        actor: &Actor,
        operator: Option<String>,
        events: Vec<(usize, TraceEvent)>,
        overlay: Option<Overlay>,
        next: bool,
    ) -> Result<CheckedTrace> {
        let backlog: Vec<BacklogEvent> = self
            .store
            .trace_backlog(Some("held"), BACKLOG_RETRY)
            .await?
            .into_iter()
            // Held events the batch being written applies may still be read as held.
            .filter(|b| b.operator == operator && !overlay.as_ref().is_some_and(|o| o.has_applied(&b.event_id)))
            .collect();
        let waiting: HashSet<&str> = backlog.iter().map(|b| b.event_id.as_str()).collect();
        let mut duplicates = 0;
        let mut batch: Vec<(usize, TraceEvent)> = Vec::with_capacity(events.len() + backlog.len());
        for (position, event) in events {
            // Sent again while it waits: the held copy is retried below.
            if waiting.contains(event.event_id()) {
                duplicates += 1;
            } else {
                batch.push((position, event));
            }
        }
        let from_backlog: HashSet<String> = backlog.iter().map(|b| b.event_id.clone()).collect();
        batch.extend(backlog.into_iter().map(|b| (0, b.event)));
        let started = std::time::Instant::now();
        let mut known = self.known_for(&batch, operator.as_deref()).await?;
        if let Some(overlay) = overlay {
            overlay.lay_over(&mut known);
        }
        let read = started.elapsed();
        let mut planned = plan(batch, &known);
        let overlay = next.then(|| std::mem::take(&mut planned.overlay));
        tracing::debug!(?read, checked = ?(started.elapsed() - read), "trace batch");
        let (backlog_errors, errors): (Vec<PlanError>, Vec<PlanError>) =
            planned.errors.drain(..).partition(|e| from_backlog.contains(&e.event_id));
        if !errors.is_empty() {
            return Err(ServiceError::Trace(errors));
        }
        let released = planned.applied.iter().filter(|(id, _, _)| from_backlog.contains(id)).count();
        let receipt = TraceReceipt {
            applied: planned.applied.len() - released,
            duplicates: duplicates + planned.duplicates.len(),
            held: planned.held.len(),
            released,
            failed: backlog_errors.len(),
        };
        if planned.applied.is_empty() && planned.held.is_empty() && backlog_errors.is_empty() {
            return Ok(CheckedTrace { receipt, write: None, overlay });
        }
        // Microseconds: what both backends keep, so a restored audit chain hashes the same.
        let at = super::quality::now();
        let detail = serde_json::to_value(&receipt).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let subject = operator.clone().unwrap_or_else(|| "admin".into());
        let write = TraceWrite {
            units: planned.units,
            edges: planned.edges,
            usage: planned.usage,
            sources: planned.sources,
            results: planned.results,
            applied: planned.applied,
            held: planned.held.into_iter().map(|h| (h.event, h.missing)).collect(),
            failed: backlog_errors.into_iter().map(|e| (e.event_id, e.message)).collect(),
            actor_id: actor.id.clone(),
            operator,
            at,
            audit: vec![AuditEvent::new(&actor.id, "trace.ingest", subject, detail)],
        };
        Ok(CheckedTrace { receipt, write: Some(write), overlay })
    }

    /// Reads what the checks need to know about the units, events and passports a batch names.
    async fn known_for(&self, batch: &[(usize, TraceEvent)], operator: Option<&str>) -> Result<Known> {
        let mut unit_ids = BTreeSet::new();
        let mut passports = BTreeSet::new();
        let mut consumed_inputs = BTreeSet::new();
        let mut assembled = Vec::new();
        // A hold names a stored unit: units this batch makes cannot be on hold, so only stored ones are asked.
        let made: HashSet<&str> = batch
            .iter()
            .filter_map(|(_, e)| match e {
                TraceEvent::Produced { unit, .. } => Some(unit.id.as_str()),
                _ => None,
            })
            .collect();
        for (_, event) in batch {
            unit_ids.insert(event.unit_id().to_string());
            unit_ids.extend(event.inputs().iter().map(|i| i.id.clone()));
            match event {
                TraceEvent::Produced { unit, inputs, .. } => {
                    passports.extend(unit.passport.clone());
                    if unit.kind.is_assembly() {
                        assembled.extend(inputs.iter().filter(|i| !made.contains(i.id.as_str())).map(|i| i.id.clone()));
                    }
                }
                TraceEvent::Consumed { inputs, .. } => consumed_inputs.extend(inputs.iter().map(|i| i.id.clone())),
                TraceEvent::Tested { .. } => {}
            }
        }
        let unit_ids: Vec<String> = unit_ids.into_iter().collect();
        let event_ids: Vec<String> = batch.iter().map(|(_, e)| e.event_id().to_string()).collect();
        let passports: Vec<String> = passports.into_iter().collect();
        // Reads that need nothing of each other go side by side to the reader connections.
        let (stored, applied, holds, heads) = tokio::try_join!(
            self.store.trace_units(&unit_ids),
            self.store.applied_trace_events(&event_ids),
            // Units held back (e.g. flagged at end of line) may not go into modules and packs.
            self.store.holds_in_force(Some(&assembled)),
            self.store.passport_heads(&passports),
        )?;
        let mut known = Known { events: applied.into_iter().collect(), ..Known::default() };
        known.on_hold.extend(holds.into_iter().map(|hold| (hold.unit_id, hold.reason)));
        known.passports.extend(heads.into_iter().map(|head| (head.id, head.status == CEASED)));
        let (mut cells, mut modules) = (Vec::new(), Vec::new());
        for unit in stored {
            if operator.is_some() && unit.operator.as_deref() != operator {
                known.foreign.insert(unit.id.clone());
            }
            match unit.kind {
                UnitKind::Cell => cells.push(unit.id.clone()),
                UnitKind::Module => modules.push(unit.id.clone()),
                _ => {}
            }
            known.units.insert(
                unit.id.clone(),
                KnownUnit {
                    kind: unit.kind,
                    quantity: unit.quantity,
                    base_uom: unit.base_uom.or(unit.used_uom),
                    used: unit.used,
                    assembled_into: unit.assembled_into,
                    cells: unit.cell_count.unwrap_or(0),
                },
            );
        }
        let (inputs, sources) =
            tokio::try_join!(self.store.trace_inputs(&cells), self.store.trace_sources_of(&modules))?;
        for edge in inputs {
            known.cell_inputs.entry(edge.output_id).or_default().push(Source {
                source_id: edge.input_id,
                cells: 1,
                quantity: edge.quantity.unwrap_or(0.0),
            });
        }
        for s in sources {
            known.assembly_sources.entry(s.unit_id).or_default().push(Source {
                source_id: s.source_id,
                cells: s.cells,
                quantity: s.quantity,
            });
        }
        for input in consumed_inputs.into_iter().filter(|id| known.units.contains_key(id)) {
            let ancestors = self.process_upstream(std::slice::from_ref(&input)).await?;
            known.ancestors.insert(input, ancestors.into_iter().collect());
        }
        Ok(known)
    }

    /// Every lot and batch upstream of these units through process edges (not the units themselves).
    async fn process_upstream(&self, from: &[String]) -> Result<HashSet<String>> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut frontier: Vec<String> = from.to_vec();
        while !frontier.is_empty() {
            let edges = self.store.trace_inputs(&frontier).await?;
            // Lots are received, not made: only batches have inputs to follow (one query less per trace).
            frontier = edges
                .into_iter()
                .filter(|e| matches!(e.input_kind, UnitKind::Lot | UnitKind::Batch))
                .filter_map(|e| {
                    (seen.insert(e.input_id.clone()) && e.input_kind == UnitKind::Batch).then_some(e.input_id)
                })
                .collect();
        }
        Ok(seen)
    }

    async fn visible_unit(&self, actor: &Actor, id: &str) -> Result<(StoredUnit, Option<String>)> {
        let own = trace_reader(actor)?;
        let unit = self.store.trace_units(&[id.to_string()]).await?.into_iter().next();
        match unit {
            Some(unit) if visible(&unit, own.as_deref()) => Ok((unit, own)),
            _ => Err(ServiceError::NotFound(format!("no traced unit `{id}`"))),
        }
    }

    /// Forward trace of a lot or batch: every batch, cell count, module, pack and passport holding its
    /// material, each with the share of it.
    pub async fn trace_downstream(&self, actor: &Actor, id: &str) -> Result<Downstream> {
        let (root, own) = self.forward_root(actor, id).await?;
        let Process { batches, usage, fractions } = self.process_part(&root).await?;
        let lot_used = root.used;
        let affected = |unit: StoredUnit, share: f64, cells: Option<i64>| Affected {
            unit,
            share,
            quantity: share * lot_used,
            cells,
        };
        let process: Vec<String> = batches.iter().map(|b| b.unit.id.clone()).collect();
        // The assembly part, through the shortcut: modules and packs that hold cells made from the batches.
        let mut reached: HashMap<String, (f64, i64)> = HashMap::new();
        for s in self.store.trace_reached_by(&process).await? {
            let source_usage = usage.get(&s.source_id).copied().unwrap_or_default();
            let quantity = (s.quantity > 0.0).then_some(s.quantity);
            let share = fractions.get(&s.source_id).copied().unwrap_or(0.0) * fraction(quantity, s.cells, source_usage);
            let entry = reached.entry(s.unit_id).or_insert((0.0, 0));
            entry.0 += share;
            // A cell taking two batches of the lot counts twice; lines feed a cell one batch per material.
            entry.1 += s.cells;
        }
        let ids: Vec<String> = reached.keys().cloned().collect();
        let (mut modules, mut packs) = (Vec::new(), Vec::new());
        for unit in self.store.trace_units(&ids).await? {
            if !visible(&unit, own.as_deref()) {
                continue;
            }
            let (share, cells) = reached[&unit.id];
            match unit.kind {
                UnitKind::Pack => packs.push(affected(unit, share, Some(cells))),
                _ => modules.push(affected(unit, share, Some(cells))),
            }
        }
        modules.sort_by(|a, b| a.unit.id.cmp(&b.unit.id));
        packs.sort_by(|a, b| a.unit.id.cmp(&b.unit.id));
        let mut passports: Vec<String> = packs.iter().filter_map(|p| p.unit.passport_id.clone()).collect();
        passports.sort();
        // A cell taking two batches of the lot counts twice; lines feed a cell one batch per material.
        let cells = batches.iter().map(|b| b.unit.cells_fed).sum();
        Ok(Downstream { unit: root, batches, cells, modules, packs, passports })
    }

    /// The lot or batch a forward trace starts at, if the caller may see it.
    async fn forward_root(&self, actor: &Actor, id: &str) -> Result<(StoredUnit, Option<String>)> {
        let (root, own) = self.visible_unit(actor, id).await?;
        if !matches!(root.kind, UnitKind::Lot | UnitKind::Batch) {
            return Err(ServiceError::BadRequest(format!(
                "{id} is a {}: a forward trace starts at a lot or batch",
                root.kind
            )));
        }
        Ok((root, own))
    }

    /// The process part of a forward trace: the lots and batches downstream of `root` (itself included), each
    /// with the share of `root` it holds.
    async fn process_part(&self, root: &StoredUnit) -> Result<Process> {
        let mut flows = Vec::new();
        let mut process: Vec<String> = vec![root.id.clone()];
        let mut frontier = vec![root.id.clone()];
        while !frontier.is_empty() {
            let edges = self.store.trace_process_outputs(&frontier).await?;
            frontier.clear();
            for edge in edges {
                if !process.contains(&edge.output_id) {
                    process.push(edge.output_id.clone());
                    frontier.push(edge.output_id.clone());
                }
                flows.push(Flow { input: edge.input_id, output: edge.output_id, quantity: edge.quantity });
            }
        }
        let units = self.store.trace_units(&process).await?;
        let usage: HashMap<String, Usage> =
            units.iter().map(|u| (u.id.clone(), Usage { used: u.used, consumers: u.consumers })).collect();
        let fractions = process_fractions(&root.id, &flows, &usage);
        let mut batches: Vec<Affected> = units
            .into_iter()
            .map(|unit| {
                let share = fractions.get(&unit.id).copied().unwrap_or(0.0);
                Affected { share, quantity: share * root.used, cells: None, unit }
            })
            .collect();
        batches.sort_by(|a, b| a.unit.id.cmp(&b.unit.id));
        Ok(Process { batches, usage, fractions })
    }

    /// The cells made from a lot or batch, by id, after `after`, with the share of it each holds.
    pub async fn trace_downstream_cells(
        &self,
        actor: &Actor,
        id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Affected>> {
        // Only the process part: the modules and packs a full recall reads are not needed for a page of cells.
        let (root, _) = self.forward_root(actor, id).await?;
        let Process { batches, .. } = self.process_part(&root).await?;
        let process: Vec<String> = batches.iter().map(|b| b.unit.id.clone()).collect();
        let by_id: HashMap<&str, &Affected> = batches.iter().map(|b| (b.unit.id.as_str(), b)).collect();
        let edges = self.store.trace_outputs(&process, &[UnitKind::Cell], after, limit).await?;
        let mut share: HashMap<String, f64> = HashMap::new();
        for edge in &edges {
            let Some(source) = by_id.get(edge.input_id.as_str()) else { continue };
            let usage = Usage { used: source.unit.used, consumers: source.unit.consumers };
            *share.entry(edge.output_id.clone()).or_insert(0.0) += source.share * fraction(edge.quantity, 1, usage);
        }
        let ids: Vec<String> = share.keys().cloned().collect();
        let mut cells: Vec<Affected> = self
            .store
            .trace_units(&ids)
            .await?
            .into_iter()
            .map(|u| {
                let s = share[&u.id];
                Affected { share: s, quantity: s * root.used, cells: None, unit: u }
            })
            .collect();
        cells.sort_by(|a, b| a.unit.id.cmp(&b.unit.id));
        Ok(cells)
    }

    /// Backward trace of a unit: its parts, the batches and lots it is made of, their CoAs and suppliers.
    pub async fn trace_upstream(&self, actor: &Actor, id: &str) -> Result<Upstream> {
        let own = trace_reader(actor)?;
        let here = [id.to_string()];
        // The unit, its parts, and the lots and batches upstream of it side by side (the store has a pool of
        // readers): one round trip. Parts and upstream are only used once the unit is found visible.
        let (unit, inputs, upstream) = futures::future::try_join3(
            self.store.trace_units(&here),
            self.store.trace_inputs(&here),
            self.store.trace_upstream_closure(id),
        )
        .await?;
        let unit = match unit.into_iter().next() {
            Some(unit) if visible(&unit, own.as_deref()) => unit,
            _ => return Err(ServiceError::NotFound(format!("no traced unit `{id}`"))),
        };
        let parts: Vec<String> =
            if unit.kind.is_assembly() { inputs.into_iter().map(|e| e.input_id).collect() } else { Vec::new() };
        let cells = unit.cell_count.unwrap_or(0);
        let (mut batches, mut lots) = (Vec::new(), Vec::new());
        // A lot or batch traced itself is not its own upstream.
        for u in upstream.into_iter().filter(|u| u.id != unit.id && visible(u, own.as_deref())) {
            match u.kind {
                UnitKind::Lot => lots.push(u),
                _ => batches.push(u),
            }
        }
        batches.sort_by(|a, b| a.id.cmp(&b.id));
        lots.sort_by(|a, b| a.id.cmp(&b.id));
        let mut suppliers: Vec<String> = lots.iter().filter_map(|l| l.supplier_id.clone()).collect();
        suppliers.sort();
        suppliers.dedup();
        // Two traced lots may name the same supplier's lot: each shows its CoA.
        let keys: Vec<Option<LotKey>> = lots.iter().map(lot_key).collect();
        let coas = self.lot_coas(keys.iter().flatten().cloned().collect()).await?;
        let traced = lots
            .into_iter()
            .zip(keys)
            .map(|(unit, key)| TracedLot { unit, coa: key.and_then(|key| coas.get(&key).cloned()) })
            .collect();
        Ok(Upstream { unit, parts, cells, batches, lots: traced, suppliers })
    }

    /// Composition and recycled content of a unit from the lots that reached it (mass balance), each value
    /// with the lots it came from. Computed on read, so it always follows the genealogy as stored.
    pub async fn trace_rollup(&self, actor: &Actor, id: &str, factors: &FootprintFactors) -> Result<UnitRollup> {
        let (unit, _) = self.visible_unit(actor, id).await?;
        self.rollup_of(unit, factors).await
    }

    /// The roll-up of a battery as its passport shows it: to whoever may read the passport, the values; to
    /// genealogy readers of the pack, also where each came from (lots, suppliers, masses, the pack itself).
    pub async fn passport_rollup(
        &self,
        reader: Option<&Actor>,
        passport_id: &str,
        factors: &FootprintFactors,
    ) -> Result<serde_json::Value> {
        let passport = self.passport(passport_id, None, reader).await?;
        let Some(pack) = self.store.trace_pack_of(&passport.head.id).await? else {
            return Err(ServiceError::NotFound(format!("no traced pack is linked to passport {passport_id}")));
        };
        let unit = self.store.trace_units(&[pack]).await?.into_iter().next();
        let unit = unit.ok_or_else(|| ServiceError::Internal("the linked pack vanished".into()))?;
        let sees_provenance =
            reader.and_then(|actor| trace_reader(actor).ok()).is_some_and(|own| visible(&unit, own.as_deref()));
        let rolled = self.rollup_of(unit, factors).await?;
        let mut value = serde_json::to_value(&rolled).map_err(|e| ServiceError::Internal(e.to_string()))?;
        if !sees_provenance {
            strip_provenance(&mut value);
        }
        Ok(value)
    }

    async fn rollup_of(&self, unit: StoredUnit, factors: &FootprintFactors) -> Result<UnitRollup> {
        // Where the material enters the unit, and the part of each entry point the unit holds.
        let mut entry: Vec<Entry> = Vec::new();
        if unit.kind.is_assembly() {
            for s in self.store.trace_sources_of(std::slice::from_ref(&unit.id)).await? {
                entry.push(Entry::from_source(s));
            }
        } else if unit.kind == UnitKind::Cell {
            for e in self.store.trace_inputs(std::slice::from_ref(&unit.id)).await? {
                entry.push(Entry { source: e.input_id, quantity: e.quantity, cells: 1 });
            }
        }
        let TracedLots { lots, shares, not_by_mass } = self.traced_lots(&entry, Some(&unit)).await?;
        let footprint = match &unit.passport_id {
            Some(passport) => self.footprint_of(passport, &lots, factors).await?,
            None => None,
        };
        let performance = self.performance_of(&unit).await?;
        Ok(UnitRollup {
            rollup: rollup(&lots),
            unit,
            lots: shares,
            not_by_mass,
            carbon_footprint: footprint,
            performance,
        })
    }

    /// The traced lots in what entered through `entry`, or, with no entry points, in `own` itself (a lot or a
    /// batch): each lot's mass there by mass balance over the process flows upstream.
    pub(super) async fn traced_lots(&self, entry: &[Entry], own: Option<&StoredUnit>) -> Result<TracedLots> {
        // The process cone upstream of the entry points, with its flows.
        let mut flows = Vec::new();
        let mut cone: Vec<String> = entry.iter().map(|e| e.source.clone()).collect();
        if let (true, Some(own)) = (entry.is_empty(), own) {
            cone.push(own.id.clone());
        }
        let mut frontier = cone.clone();
        while !frontier.is_empty() {
            let edges = self.store.trace_inputs(&frontier).await?;
            frontier.clear();
            for e in edges.into_iter().filter(|e| matches!(e.input_kind, UnitKind::Lot | UnitKind::Batch)) {
                if !cone.contains(&e.input_id) {
                    cone.push(e.input_id.clone());
                    frontier.push(e.input_id.clone());
                }
                flows.push(Flow { input: e.input_id, output: e.output_id, quantity: e.quantity });
            }
        }
        let units: HashMap<String, StoredUnit> =
            self.store.trace_units(&cone).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
        let usage: HashMap<String, Usage> =
            units.values().map(|u| (u.id.clone(), Usage { used: u.used, consumers: u.consumers })).collect();
        let mut traced = TracedLots::default();
        for lot in units.values().filter(|u| u.kind == UnitKind::Lot) {
            let fractions = process_fractions(&lot.id, &flows, &usage);
            let share: f64 = match own {
                Some(own) if entry.is_empty() => fractions.get(&own.id).copied().unwrap_or(0.0),
                _ => entry
                    .iter()
                    .map(|e| {
                        let at = usage.get(&e.source).copied().unwrap_or_default();
                        fractions.get(&e.source).copied().unwrap_or(0.0) * fraction(e.quantity, e.cells, at)
                    })
                    .sum(),
            };
            // A lot's own roll-up is the whole lot; otherwise what was taken from it.
            let basis = if own.is_some_and(|u| u.id == lot.id) { lot.quantity.unwrap_or(0.0) } else { lot.used };
            if lot.base_uom.as_deref().or(lot.used_uom.as_deref()) != Some("kg") {
                traced.not_by_mass.push(lot.id.clone());
                continue;
            }
            let declaration = LotDeclaration::from_attributes(lot.attributes.as_ref())
                .map_err(|e| ServiceError::Internal(format!("stored declaration of lot {}: {e}", lot.id)))?;
            traced.shares.push(LotShare { lot_id: lot.id.clone(), share, mass_kg: share * basis });
            traced.lots.push(LotInUnit {
                lot_id: lot.id.clone(),
                material: lot.material_id.clone(),
                supplier: lot.supplier_id.clone(),
                mass_kg: share * basis,
                declaration,
            });
        }
        traced.lots.sort_by(|a, b| a.lot_id.cmp(&b.lot_id));
        traced.shares.sort_by(|a, b| a.lot_id.cmp(&b.lot_id));
        traced.not_by_mass.sort();
        Ok(traced)
    }

    /// End-of-line figures of a cell, module or pack: its own latest results, and for an assembly the figures
    /// derived from its parts (a module's from its cells, a pack's from its modules' or cells').
    async fn performance_of(&self, unit: &StoredUnit) -> Result<Option<UnitPerformance>> {
        if !matches!(unit.kind, UnitKind::Cell | UnitKind::Module | UnitKind::Pack) {
            return Ok(None);
        }
        let parts = self.store.trace_inputs(std::slice::from_ref(&unit.id)).await?;
        let modules: Vec<String> =
            parts.iter().filter(|e| e.input_kind == UnitKind::Module).map(|e| e.input_id.clone()).collect();
        let module_cells = self.store.trace_inputs(&modules).await?;
        let module_units: HashMap<String, StoredUnit> =
            self.store.trace_units(&modules).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
        let mut ids: Vec<String> = vec![unit.id.clone()];
        ids.extend(parts.iter().map(|e| e.input_id.clone()));
        ids.extend(module_cells.iter().map(|e| e.input_id.clone()));
        // The latest results of each unit (they come oldest first).
        let mut latest: HashMap<String, Figures> = HashMap::new();
        for r in self.store.trace_results_of(&ids).await? {
            latest.insert(r.unit_id.clone(), Figures::from_results(&r.results));
        }
        let measured = latest.get(&unit.id).copied().filter(|f| !f.is_empty());
        if unit.kind == UnitKind::Cell {
            return Ok(Some(UnitPerformance {
                measured,
                derived: None,
                configuration: None,
                parts: 0,
                parts_with_figures: 0,
                note: None,
            }));
        }
        let mut notes = Vec::new();
        let mut figures_of_part = |part: &str, kind: UnitKind| -> Option<Figures> {
            if let Some(own) = latest.get(part).filter(|f| !f.is_empty()) {
                return Some(*own);
            }
            if kind != UnitKind::Module {
                return None;
            }
            let cells: Vec<Option<Figures>> =
                module_cells.iter().filter(|e| e.output_id == part).map(|e| latest.get(&e.input_id).copied()).collect();
            let attributes = module_units.get(part).and_then(|m| m.attributes.as_ref());
            match Configuration::of(attributes, cells.len()) {
                Ok(config) => Some(derive(&cells, config)).filter(|f| !f.is_empty()),
                Err(e) => {
                    notes.push(format!("module {part}: {e}"));
                    None
                }
            }
        };
        let part_figures: Vec<Option<Figures>> =
            parts.iter().map(|e| figures_of_part(&e.input_id, e.input_kind)).collect();
        let with_figures = part_figures.iter().filter(|f| f.is_some()).count();
        let (derived, configuration) = match Configuration::of(unit.attributes.as_ref(), parts.len()) {
            Ok(config) => (Some(derive(&part_figures, config)).filter(|f| !f.is_empty()), Some(config)),
            Err(e) => {
                notes.push(format!("{}: {e}", unit.id));
                (None, None)
            }
        };
        if derived.is_none() && notes.is_empty() && with_figures < parts.len() {
            notes.push(format!("{} of {} parts have no end-of-line figures", parts.len() - with_figures, parts.len()));
        }
        Ok(Some(UnitPerformance {
            measured,
            derived,
            configuration,
            parts: parts.len(),
            parts_with_figures: with_figures,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        }))
    }

    /// The carbon footprint of a pack, with the rated energy and cycles its passport states publicly.
    async fn footprint_of(
        &self,
        passport: &str,
        lots: &[LotInUnit],
        factors: &FootprintFactors,
    ) -> Result<Option<CarbonFootprint>> {
        let doc = match self.passport_for(passport, None, passport::access::Audience::Public).await {
            Ok(p) => p.document,
            Err(ServiceError::NotFound(_) | ServiceError::Gone(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let number = |pointer: &str| doc.pointer(pointer).and_then(serde_json::Value::as_f64);
        let energy = number("/performance/batteryTechicalProperties/ratedEnergy");
        let cycles = number("/performance/batteryTechicalProperties/expectedNumberOfCycles");
        Ok(energy.zip(cycles).and_then(|(energy, cycles)| carbon_footprint(lots, energy, cycles, factors)))
    }

    /// The latest CoA revision of each lot, with its decision, in one read.
    async fn lot_coas(&self, keys: Vec<LotKey>) -> Result<HashMap<LotKey, LotCoa>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let heads = self.store.latest_lot_coas(&keys).await?;
        Ok(heads
            .into_iter()
            .map(|h| (h.lot, LotCoa { id: h.coa_id, revision: h.revision, decision: h.outcome }))
            .collect())
    }

    /// One level of what a unit was built from, as the Catena-X `SingleLevelBomAsBuilt` 4.0.0 aspect. Material
    /// taken without a stated quantity counts as one piece.
    pub async fn trace_bom(&self, actor: &Actor, id: &str) -> Result<serde_json::Value> {
        use interop::catenax::bom::{BomChild, passport_asset_id, single_level_bom_as_built, unit_asset_id};
        let (unit, _) = self.visible_unit(actor, id).await?;
        let edges = self.store.trace_inputs(std::slice::from_ref(&unit.id)).await?;
        let mut ids: Vec<String> = edges.iter().map(|e| e.input_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let children: HashMap<String, StoredUnit> =
            self.store.trace_units(&ids).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
        let now = OffsetDateTime::now_utc();
        let mut items: Vec<BomChild> = Vec::with_capacity(ids.len());
        for id in &ids {
            let Some(child) = children.get(id) else { continue };
            let taken: Vec<f64> = edges.iter().filter(|e| &e.input_id == id).filter_map(|e| e.quantity).collect();
            let (quantity, base_uom) = match (taken.is_empty(), child.base_uom.as_ref().or(child.used_uom.as_ref())) {
                (false, Some(uom)) => (taken.iter().sum(), uom.clone()),
                _ => (1.0, "pcs".to_string()),
            };
            let partner = if child.kind == UnitKind::Lot { &child.supplier_id } else { &child.operator };
            items.push(BomChild {
                global_asset_id: child
                    .passport_id
                    .as_deref()
                    .map_or_else(|| unit_asset_id(&child.id), passport_asset_id),
                quantity,
                base_uom,
                created_on: child.produced_at.unwrap_or(now),
                business_partner: partner.clone(),
            });
        }
        let parent = unit.passport_id.as_deref().map_or_else(|| unit_asset_id(&unit.id), passport_asset_id);
        Ok(single_level_bom_as_built(&parent, &items))
    }

    /// Retries every operator's held events (a background task of the server; events are otherwise retried with
    /// the operator's next batch). Returns how many were applied.
    pub async fn retry_trace_backlog(&self, system: &Actor) -> Result<usize> {
        let held = self.store.trace_backlog(Some("held"), BACKLOG_RETRY).await?;
        let mut operators: Vec<Option<String>> = held.into_iter().map(|b| b.operator).collect();
        operators.sort();
        operators.dedup();
        let mut released = 0;
        for operator in operators {
            let actor = match &operator {
                Some(org) => Actor { role: Role::EconomicOperator, organisation: Some(org.clone()), ..system.clone() },
                None => Actor { role: Role::Admin, organisation: None, ..system.clone() },
            };
            released += self.ingest_trace(&actor, Vec::new()).await?.released;
        }
        Ok(released)
    }

    /// The backlog (of the caller's organisation): `held` or `failed` events, or all.
    pub async fn trace_backlog(&self, actor: &Actor, status: Option<&str>, limit: i64) -> Result<Vec<BacklogEvent>> {
        let own = trace_reader(actor)?;
        if let Some(s) = status
            && !matches!(s, "held" | "failed")
        {
            return Err(ServiceError::BadRequest(format!("unknown backlog status `{s}`: use held or failed")));
        }
        let all = self.store.trace_backlog(status, limit).await?;
        Ok(all.into_iter().filter(|b| own.is_none() || b.operator == own).collect())
    }
}
