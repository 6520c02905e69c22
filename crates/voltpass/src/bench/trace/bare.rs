//! The ingest baseline of `bench trace`, in the same run: the rows the genealogy keeps for each event (the unit,
//! an edge per input, the applied event id) inserted straight into SQLite tables with the same columns, keys and
//! indexes, in multi-row INSERTs (one statement a row costs sqlx more than SQLite), in the same batches and
//! transactions. No reads, no checks, no running totals and no recall shortcut: what storing these rows costs
//! by itself. The file is then the naive layout the naive traces run on: every unit and edge in a row of its own,
//! as PostgreSQL keeps them (SQLite's store keeps cells in one row each, which a recursive query cannot walk).

use super::{BATCH, Factory};
use sqlx::{Connection, QueryBuilder, Sqlite};
use std::path::Path;
use std::time::{Duration, Instant};
use trace::{TraceEvent, UnitKind};

/// `trace_units`, `trace_edges` (with its index by output) and `trace_events` as migration 0007 makes them.
const SCHEMA: [&str; 4] = [
    "CREATE TABLE trace_units (id TEXT PRIMARY KEY, kind TEXT NOT NULL, unit_type TEXT, model TEXT, line TEXT, \
     station TEXT, produced_at TEXT, quantity REAL, base_uom TEXT, supplier_id TEXT, material_id TEXT, \
     lot_number TEXT, passport_id TEXT, cell_count INTEGER, attributes TEXT, operator TEXT, event_id TEXT NOT NULL, \
     created_by TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE trace_edges (input_id TEXT NOT NULL, output_id TEXT NOT NULL, event_id TEXT NOT NULL, \
     input_kind TEXT NOT NULL, output_kind TEXT NOT NULL, quantity REAL, \
     PRIMARY KEY (input_id, output_id, event_id)) WITHOUT ROWID",
    "CREATE INDEX trace_edges_by_output ON trace_edges(output_id)",
    "CREATE TABLE trace_events (event_id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, kind TEXT NOT NULL, \
     actor_id TEXT NOT NULL, applied_at TEXT NOT NULL) WITHOUT ROWID",
];

const ACTOR: &str = "actor:bench";
/// Rows per multi-row INSERT (18 columns at most: well under SQLite's bound on parameters).
const ROWS: usize = 500;

/// The kind of a unit the bench factory made, from its identifier's prefix (no lookup while timing).
fn kind_of(id: &str) -> UnitKind {
    match id.split('-').next() {
        Some("LOT") => UnitKind::Lot,
        Some("B") => UnitKind::Batch,
        Some("C") => UnitKind::Cell,
        Some("M") => UnitKind::Module,
        _ => UnitKind::Pack,
    }
}

/// Time to insert the factory's rows, summed over the batches' transactions.
pub(super) async fn same_rows(path: &Path, factory: Factory) -> anyhow::Result<Duration> {
    let mut conn = crate::bench::bare_sqlite(path).await?;
    for sql in SCHEMA {
        sqlx::query(sql).execute(&mut conn).await?;
    }
    let passports = (0..factory.packs).map(|p| format!("urn:bench:passport:{p}")).collect();
    let mut events = factory.events(passports);
    let applied_at = time::OffsetDateTime::now_utc();
    let mut elapsed = Duration::ZERO;
    loop {
        let batch: Vec<TraceEvent> = events.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            return Ok(elapsed);
        }
        let produced: Vec<_> = batch
            .iter()
            .filter_map(|e| match e {
                TraceEvent::Produced { event_id, unit, inputs } => Some((event_id, unit, inputs)),
                _ => None,
            })
            .collect();
        let edges: Vec<_> = produced
            .iter()
            .flat_map(|(event_id, unit, inputs)| inputs.iter().map(move |input| (*event_id, unit, input)))
            .collect();
        let started = Instant::now();
        let mut tx = conn.begin().await?;
        for chunk in produced.chunks(ROWS) {
            let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO trace_units ");
            insert.push_values(chunk, |mut row, (event_id, unit, inputs)| {
                row.push_bind(&unit.id)
                    .push_bind(unit.kind.as_str())
                    .push_bind(&unit.unit_type)
                    .push_bind(&unit.model)
                    .push_bind(&unit.line)
                    .push_bind(&unit.station)
                    .push_bind(unit.at)
                    .push_bind(unit.quantity.as_ref().map(|q| q.value))
                    .push_bind(unit.quantity.as_ref().map(|q| q.unit.as_str()))
                    .push_bind(&unit.supplier)
                    .push_bind(&unit.material)
                    .push_bind(&unit.lot_number)
                    .push_bind(&unit.passport)
                    .push_bind(unit.kind.is_assembly().then_some(inputs.len() as i64))
                    .push_bind(None::<String>)
                    .push_bind(None::<String>)
                    .push_bind(*event_id)
                    .push_bind(ACTOR);
            });
            insert.build().execute(&mut *tx).await?;
            let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO trace_events ");
            insert.push_values(chunk, |mut row, (event_id, unit, _)| {
                row.push_bind(*event_id)
                    .push_bind(&unit.id)
                    .push_bind("produced")
                    .push_bind(ACTOR)
                    .push_bind(applied_at);
            });
            insert.build().execute(&mut *tx).await?;
        }
        for chunk in edges.chunks(ROWS) {
            let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO trace_edges ");
            insert.push_values(chunk, |mut row, (event_id, unit, input)| {
                row.push_bind(&input.id)
                    .push_bind(&unit.id)
                    .push_bind(*event_id)
                    .push_bind(kind_of(&input.id).as_str())
                    .push_bind(unit.kind.as_str())
                    .push_bind(input.quantity.as_ref().map(|q| q.value));
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        elapsed += started.elapsed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_identifiers_name_their_kind() {
        assert_eq!(kind_of("LOT-0001"), UnitKind::Lot);
        assert_eq!(kind_of(&super::super::batch_id(3)), UnitKind::Batch);
        assert_eq!(kind_of(&super::super::cell_id(3)), UnitKind::Cell);
        assert_eq!(kind_of("M-0000003"), UnitKind::Module);
        assert_eq!(kind_of(&super::super::pack_id(3)), UnitKind::Pack);
    }
}
