//! Cells on SQLite, one row each (migration 0012): how a batch's writes split between `trace_cells` and the
//! general tables, and the SQL that reads the inline edges back as edges.
//!
//! An ingested cell keeps the edges of the event that made it (`inputs`) and the assembly it went into inline.
//! Everything else is where it always was: cells from before the migration or from a restore live in
//! `trace_units` with edges in `trace_edges`, and so do edges of later `consumed` events. Every read takes both.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Row, Sqlite, Transaction};
use trace::UnitKind;
use trace::plan::{NewEdge, NewUnit};

use super::json_ids;
use crate::trace::TraceWrite;
use crate::{Result, StoreError};

/// What binding a row's values gives.
type Bound = std::result::Result<(), sqlx::error::BoxDynError>;

/// A cell's (`c`) columns read as a unit (`UNIT_COLUMNS`; cells have no usage, and their assembly is inline).
pub(super) const CELL_AS_UNIT: &str = "SELECT c.id, 'cell' AS kind, c.unit_type, c.model, c.line, c.station,
        c.produced_at, c.quantity, c.base_uom, c.supplier_id, c.material_id, c.lot_number, c.passport_id,
        NULL AS cell_count, c.attributes, c.operator, c.event_id, c.created_by, NULL AS used, NULL AS used_uom,
        NULL AS consumers, NULL AS cells_fed, c.assembled_into";

/// A cell's inline input edges (`j` over `c.inputs`) as `trace_edges` columns.
pub(super) const INPUT_EDGE: &str = "SELECT j.value ->> 0 AS input_id, c.id AS output_id, c.event_id,
        j.value ->> 1 AS input_kind, 'cell' AS output_kind, j.value ->> 2 AS quantity";

/// A cell's inline assembly edge as `trace_edges` columns.
pub(super) const ASSEMBLY_EDGE: &str = "SELECT c.id AS input_id, c.assembled_into AS output_id,
        c.assembly_event AS event_id, 'cell' AS input_kind, c.assembly_kind AS output_kind, NULL AS quantity";

/// `FROM` the cells (`c`) linked to the units `units` (SQL giving ids) in `role` (`input` or `assembly`), and
/// `with` (more `FROM` items, after a comma, or nothing); conditions follow with `AND`.
pub(super) fn linked(units: &str, role: &str, with: &str) -> String {
    format!(
        " FROM trace_cell_links l, json_each(l.seqs) s JOIN trace_cells c ON c.seq = s.value{with} \
         WHERE l.unit_id IN ({units}) AND l.role = '{role}'"
    )
}

/// A new cell, with the edges written inline (its inputs as (id, kind, quantity)).
pub(super) struct CellRow<'a> {
    seq: i64,
    unit: &'a NewUnit,
    inputs: Vec<(&'a str, &'static str, Option<f64>)>,
    assembly: Option<&'a NewEdge>,
}

impl CellRow<'_> {
    /// Whether it states only what a cell off a line usually does (model, line, time): the narrow INSERT.
    fn is_plain(&self) -> bool {
        let s = &self.unit.spec;
        s.unit_type.is_none()
            && s.station.is_none()
            && self.unit.quantity.is_none()
            && s.supplier.is_none()
            && s.material.is_none()
            && s.lot_number.is_none()
            && s.passport.is_none()
            && s.attributes.is_none()
    }

    /// Both INSERTs start with these: `seq`, `id`, `event_id`.
    fn bind_key(&self, args: &mut SqliteArguments) -> Bound {
        args.add(self.seq)?;
        args.add(&self.unit.spec.id)?;
        args.add(&self.unit.event_id)
    }

    /// Both INSERTs end their own columns with these: the inline inputs (encoded here, while SQLite writes the
    /// chunk before) and the assembly.
    fn bind_inline(&self, args: &mut SqliteArguments) -> Bound {
        args.add(serde_json::to_string(&self.inputs)?)?;
        args.add(self.assembly.map(|e| &e.output_id))?;
        args.add(self.assembly.map(|e| e.output_kind.as_str()))?;
        args.add(self.assembly.map(|e| &e.event_id))
    }
}

/// Stored cells going into one assembly: their rows get it, or (cells stored the old way) `trace_edges` does.
pub(super) struct Assembly<'a> {
    edge: &'a NewEdge,
    cells: Vec<&'a str>,
}

/// A batch's writes split by where they are kept.
pub(super) struct Split<'a> {
    /// New cells that state only a model, line and time, and the others.
    pub plain_cells: Vec<CellRow<'a>>,
    pub cells: Vec<CellRow<'a>>,
    pub units: Vec<&'a NewUnit>,
    pub edges: Vec<&'a NewEdge>,
    pub assemblies: Vec<Assembly<'a>>,
    pub applied: Vec<&'a (String, String, &'static str)>,
    links: BTreeMap<(&'a str, &'static str), Vec<i64>>,
}

impl<'a> Split<'a> {
    /// Splits `write`: new cells get `seq`s from `next_seq` on.
    pub(super) fn new(write: &'a TraceWrite, next_seq: i64) -> Split<'a> {
        let mut cells = Vec::new();
        let mut units = Vec::new();
        let mut at: HashMap<&str, usize> = HashMap::new();
        for unit in &write.units {
            if unit.spec.kind == UnitKind::Cell {
                at.insert(unit.spec.id.as_str(), cells.len());
                let seq = next_seq + cells.len() as i64;
                cells.push(CellRow { seq, unit, inputs: Vec::new(), assembly: None });
            } else {
                units.push(unit);
            }
        }
        let mut links: BTreeMap<(&str, &'static str), Vec<i64>> = BTreeMap::new();
        let mut edges = Vec::new();
        let mut assemblies: BTreeMap<(&str, &str), Assembly> = BTreeMap::new();
        for edge in &write.edges {
            let made = (edge.output_kind == UnitKind::Cell)
                .then(|| at.get(edge.output_id.as_str()).copied())
                .flatten()
                .filter(|&i| cells[i].unit.event_id == edge.event_id);
            if let Some(i) = made {
                cells[i].inputs.push((&edge.input_id, edge.input_kind.as_str(), edge.quantity));
                links.entry((&edge.input_id, "input")).or_default().push(cells[i].seq);
            } else if edge.input_kind == UnitKind::Cell && edge.output_kind.is_assembly() {
                match at.get(edge.input_id.as_str()) {
                    Some(&i) => {
                        cells[i].assembly = Some(edge);
                        links.entry((&edge.output_id, "assembly")).or_default().push(cells[i].seq);
                    }
                    None => assemblies
                        .entry((&edge.output_id, &edge.event_id))
                        .or_insert_with(|| Assembly { edge, cells: Vec::new() })
                        .cells
                        .push(&edge.input_id),
                }
            } else {
                edges.push(edge);
            }
        }
        let made: HashSet<&str> = cells.iter().map(|c| c.unit.event_id.as_str()).collect();
        // A cell's row records the event that made it; other events keep their own rows.
        let applied = write
            .applied
            .iter()
            .filter(|(event, _, kind)| !(*kind == "produced" && made.contains(event.as_str())))
            .collect();
        let (plain_cells, cells) = cells.into_iter().partition(CellRow::is_plain);
        Split { plain_cells, cells, units, edges, assemblies: assemblies.into_values().collect(), applied, links }
    }

    /// Binds what every new cell of the batch has in common (`INSERT_CELLS`' last [`CELL_SHARED`] columns).
    pub(super) fn bind_shared(write: &TraceWrite, args: &mut SqliteArguments) -> Bound {
        args.add(&write.operator)?;
        args.add(&write.actor_id)?;
        args.add(write.at)
    }

    /// Binds a new cell's own columns (`INSERT_CELLS`' first).
    pub(super) fn bind_cell(cell: &CellRow, args: &mut SqliteArguments) -> Bound {
        let s = &cell.unit.spec;
        cell.bind_key(args)?;
        args.add(&s.unit_type)?;
        args.add(&s.model)?;
        args.add(&s.line)?;
        args.add(&s.station)?;
        args.add(s.at)?;
        args.add(cell.unit.quantity.map(|(v, _)| v))?;
        args.add(cell.unit.quantity.map(|(_, uom)| uom))?;
        args.add(&s.supplier)?;
        args.add(&s.material)?;
        args.add(&s.lot_number)?;
        args.add(&s.passport)?;
        args.add(s.attributes.as_ref().map(|a| a.to_string()))?;
        cell.bind_inline(args)
    }

    /// Binds a plain new cell's own columns (`INSERT_PLAIN_CELLS`' first).
    pub(super) fn bind_plain_cell(cell: &CellRow, args: &mut SqliteArguments) -> Bound {
        let s = &cell.unit.spec;
        cell.bind_key(args)?;
        args.add(&s.model)?;
        args.add(&s.line)?;
        args.add(s.at)?;
        cell.bind_inline(args)
    }

    /// Gives stored cells their assembly: rows of `trace_cells` take it inline, and cells stored the old way
    /// get an edge (returned, to be inserted with the batch's others).
    pub(super) async fn assemble_stored(&mut self, tx: &mut Transaction<'_, Sqlite>) -> Result<Vec<NewEdge>> {
        let mut old_way = Vec::new();
        for assembly in &self.assemblies {
            let ids: Vec<String> = assembly.cells.iter().map(|c| c.to_string()).collect();
            let edge = assembly.edge;
            let rows = sqlx::query(
                "UPDATE trace_cells SET assembled_into = ?1, assembly_kind = ?2, assembly_event = ?3
                 WHERE id IN (SELECT value FROM json_each(?4)) RETURNING id, seq",
            )
            .bind(&edge.output_id)
            .bind(edge.output_kind.as_str())
            .bind(&edge.event_id)
            .bind(json_ids(&ids)?)
            .fetch_all(&mut **tx)
            .await?;
            let mut inline = HashSet::new();
            for row in rows {
                inline.insert(row.try_get::<String, _>("id")?);
                self.links.entry((&edge.output_id, "assembly")).or_default().push(row.try_get("seq")?);
            }
            old_way.extend(
                assembly
                    .cells
                    .iter()
                    .filter(|c| !inline.contains(**c))
                    .map(|cell| NewEdge { input_id: cell.to_string(), ..edge.clone() }),
            );
        }
        Ok(old_way)
    }

    /// The links of this batch: one row per unit and role, with its cells' `seq`s as a JSON array.
    pub(super) fn links(&self) -> Result<Vec<(&str, &'static str, i64, String)>> {
        self.links
            .iter()
            .map(|((unit, role), seqs)| {
                let first = seqs.iter().copied().min().unwrap_or_default();
                let seqs = serde_json::to_string(seqs).map_err(|e| StoreError::Invalid(e.to_string()))?;
                Ok((*unit, *role, first, seqs))
            })
            .collect()
    }
}

/// The columns `bind_cell` binds, then those `bind_shared` does.
pub(super) const INSERT_CELLS: &str = "INSERT INTO trace_cells (seq, id, event_id, unit_type, model, line, station, \
    produced_at, quantity, base_uom, supplier_id, material_id, lot_number, passport_id, attributes, inputs, \
    assembled_into, assembly_kind, assembly_event, operator, created_by, applied_at) VALUES ";
pub(super) const CELL_COLUMNS: usize = 22;
/// The columns `bind_plain_cell` binds, then those `bind_shared` does.
pub(super) const INSERT_PLAIN_CELLS: &str = "INSERT INTO trace_cells (seq, id, event_id, model, line, produced_at, \
    inputs, assembled_into, assembly_kind, assembly_event, operator, created_by, applied_at) VALUES ";
pub(super) const PLAIN_CELL_COLUMNS: usize = 13;
pub(super) const CELL_SHARED: usize = 3;
