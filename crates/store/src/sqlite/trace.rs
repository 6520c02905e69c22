//! Genealogy on SQLite.

use super::restore::{insert_chunked, page};
use super::trace_cells::{
    ASSEMBLY_EDGE, CELL_AS_UNIT, CELL_COLUMNS, CELL_SHARED, INPUT_EDGE, INSERT_CELLS, INSERT_PLAIN_CELLS,
    PLAIN_CELL_COLUMNS, Split, linked,
};
use super::{INSERT_CHUNK, SqliteStore, json_ids, trust::chain_audit};
use crate::trace::{
    BacklogEvent, LineDay, ModelSources, StoredEdge, StoredResult, StoredSource, StoredUnit, TraceStore, TraceWrite,
    parse_kind,
};
use crate::{Result, StoreError};
use crate::{TraceBackupStore, TraceEventRow, TraceUnitRow, TraceUsageRow};
use async_trait::async_trait;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, Connection, QueryBuilder, Row, Sqlite, Transaction};
use std::borrow::Borrow;
use time::OffsetDateTime;
use trace::UnitKind;
use trace::plan::NewUnit;

/// Rows per multi-row INSERT (at most 18 columns: well under SQLite's 32,766 bound values).
const ROWS: usize = 500;
/// Ids per JSON array parameter.
const IDS: usize = 10_000;

/// A unit's columns with its usage (`g`) and the assembly it went into, `FROM` the unit (`u`) with its usage.
const UNIT_COLUMNS: &str = "SELECT u.id, u.kind, u.unit_type, u.model, u.line, u.station, u.produced_at, u.quantity,
        u.base_uom, u.supplier_id, u.material_id, u.lot_number, u.passport_id, u.cell_count, u.attributes,
        u.operator, u.event_id, u.created_by, g.used, g.base_uom AS used_uom, g.consumers, g.cells AS cells_fed,
        -- Only cells and modules go into assemblies: a batch's thousands of edges are never scanned for one.
        CASE WHEN u.kind IN ('cell', 'module') THEN (SELECT e.output_id FROM trace_edges e
            WHERE e.input_id = u.id AND e.output_kind IN ('module', 'pack') LIMIT 1) END AS assembled_into";
const UNIT_FROM: &str = "FROM trace_units u LEFT JOIN trace_usage g ON g.unit_id = u.id";

/// The lots and batches upstream of unit `?1`: from its sources when it is an assembly (the lots and batches its
/// cells took), else from the unit itself (which comes back too); then their inputs, and the inputs of batches only
/// (lots are received, not made), as `process_upstream` in the service follows them.
const UPSTREAM_CLOSURE: &str = "WITH RECURSIVE up(id, follow) AS (
        SELECT s.source_id, 1 FROM trace_sources s WHERE s.unit_id = ?1
        UNION SELECT u.id, 1 FROM trace_units u WHERE u.id = ?1 AND u.kind NOT IN ('module', 'pack')
        UNION SELECT c.id, 1 FROM trace_cells c WHERE c.id = ?1
        UNION SELECT e.input_id, e.input_kind = 'batch' FROM trace_edges e JOIN up ON e.output_id = up.id AND up.follow
            WHERE e.input_kind IN ('lot', 'batch')
        -- A cell's inputs (inline): lots and batches only, as cells take nothing else.
        UNION SELECT j.value ->> 0, j.value ->> 1 = 'batch' FROM trace_cells c JOIN up ON c.id = up.id AND up.follow,
            json_each(c.inputs) j) ";

/// The cell a result is of (`c` in `trace_cells`, or `u`, a cell stored before them): results of other units
/// have neither.
const CELL_OF_RESULT: &str = "LEFT JOIN trace_cells c ON c.id = r.unit_id
    LEFT JOIN trace_units u ON u.id = r.unit_id AND u.kind = 'cell'";

/// Edge columns of `trace_edges`, in the order the inline forms give them.
const EDGE_COLUMNS: &str = "SELECT input_id, output_id, event_id, input_kind, output_kind, quantity FROM trace_edges";

fn unit_from(row: &SqliteRow) -> Result<StoredUnit> {
    // The usage columns come from a LEFT JOIN: absent for units nothing was taken from yet.
    let usage = match row.try_get::<Option<f64>, _>("used")? {
        Some(used) => Some(TraceUsageRow {
            unit_id: row.try_get("id")?,
            used,
            base_uom: row.try_get("used_uom")?,
            consumers: row.try_get("consumers")?,
            cells: row.try_get("cells_fed")?,
        }),
        None => None,
    };
    Ok(StoredUnit::with_usage(unit_row(row)?, usage, row.try_get("assembled_into")?))
}

fn edge_from(row: &SqliteRow) -> Result<StoredEdge> {
    Ok(StoredEdge {
        input_id: row.try_get("input_id")?,
        input_kind: parse_kind(&row.try_get::<String, _>("input_kind")?)?,
        output_id: row.try_get("output_id")?,
        output_kind: parse_kind(&row.try_get::<String, _>("output_kind")?)?,
        quantity: row.try_get("quantity")?,
        event_id: row.try_get("event_id")?,
    })
}

fn source_from(row: &SqliteRow) -> Result<StoredSource> {
    Ok(StoredSource {
        unit_id: row.try_get("unit_id")?,
        source_id: row.try_get("source_id")?,
        cells: row.try_get("cells")?,
        quantity: row.try_get("quantity")?,
    })
}

fn result_from(row: &SqliteRow) -> Result<StoredResult> {
    let results: String = row.try_get("results")?;
    Ok(StoredResult {
        event_id: row.try_get("event_id")?,
        unit_id: row.try_get("unit_id")?,
        tested_at: row.try_get("tested_at")?,
        results: serde_json::from_str(&results)
            .map_err(|e| StoreError::Database(format!("stored test results are not JSON: {e}")))?,
        passed: row.try_get("passed")?,
        actor_id: row.try_get("actor_id")?,
    })
}

fn backlog_from(row: &SqliteRow) -> Result<BacklogEvent> {
    let event: String = row.try_get("event")?;
    let missing: String = row.try_get("missing")?;
    let bad = |e: serde_json::Error| StoreError::Database(format!("stored backlog event: {e}"));
    Ok(BacklogEvent {
        event_id: row.try_get("event_id")?,
        event: serde_json::from_str(&event).map_err(bad)?,
        missing: serde_json::from_str(&missing).map_err(bad)?,
        status: row.try_get("status")?,
        reason: row.try_get("reason")?,
        actor_id: row.try_get("actor_id")?,
        operator: row.try_get("operator")?,
        first_seen: row.try_get("first_seen")?,
        last_tried: row.try_get("last_tried")?,
        attempts: row.try_get("attempts")?,
    })
}

/// `ids` without repeats, for reads that join from them (where `IN` would have dropped repeats).
fn distinct(ids: &[String]) -> std::borrow::Cow<'_, [String]> {
    let mut seen = foldhash::HashSet::with_capacity_and_hasher(ids.len(), Default::default());
    if ids.iter().all(|id| seen.insert(id.as_str())) {
        return std::borrow::Cow::Borrowed(ids);
    }
    seen.clear();
    std::borrow::Cow::Owned(ids.iter().filter(|id| seen.insert(id.as_str())).cloned().collect())
}

impl SqliteStore {
    /// Runs `select` (ending in `IN `) over `ids` in chunks, mapping each row.
    async fn rows_in<T>(
        &self,
        select: &str,
        ids: &[String],
        tail: &str,
        map: fn(&SqliteRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.rows_of(&format!("{select}(SELECT value FROM json_each(?1)){tail}"), ids, map).await
    }

    /// Runs `query` on a reader, mapping each row.
    async fn decoded<'q, T>(
        &self,
        query: sqlx::query::Query<'q, Sqlite, SqliteArguments>,
        map: fn(&SqliteRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        query.fetch_all(&self.reader).await?.iter().map(map).collect()
    }

    /// Runs `sql`, whose `?1` is a JSON array of ids, over `ids` in chunks, mapping each row.
    async fn rows_of<T>(&self, sql: &str, ids: &[String], map: fn(&SqliteRow) -> Result<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS) {
            out.extend(self.decoded(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(json_ids(chunk)?), map).await?);
        }
        Ok(out)
    }
}

/// `head` (`INSERT INTO t (a, b) VALUES `) with `rows` rows of `columns` placeholders, the last `shared` of which
/// are the same in every row: bound once, after the rows' values, as numbered parameters the rows are joined
/// with. The rows' parameters are anonymous: sqlx looks every parameter's name up, which SQLite does by scanning
/// the names, and it numbers anonymous parameters apart from named ones.
fn values_sql(head: &str, columns: usize, shared: usize, rows: usize) -> String {
    let own = columns - shared;
    let row = format!("({})", vec!["?"; own].join(", "));
    let values = vec![row; rows].join(", ");
    if shared == 0 {
        return format!("{head}{values}");
    }
    let insert = head.trim_end().strip_suffix("VALUES").unwrap_or(head);
    let first = own * rows + 1;
    let shared: Vec<String> = (first..first + shared).map(|n| format!("?{n}")).collect();
    format!("{insert} SELECT * FROM (VALUES {values}) v, (SELECT {}) w", shared.join(", "))
}

type Bound = std::result::Result<(), BoxDynError>;
/// Binds one row's values.
type Encode<'a, T> = &'a (dyn Fn(&T, &mut SqliteArguments) -> Bound + Sync);
/// How many values every row shares, and what binds them.
type Shared<'a> = (usize, &'a (dyn Fn(&mut SqliteArguments) -> Bound + Sync));

/// Multi-row INSERTs of `rows`, [`ROWS`] a statement (a full chunk's SQL repeats, so SQLite prepares it once per
/// connection). The next chunk's values are encoded while SQLite writes the previous one: binding thousands of
/// values costs about as much as writing them, and the two run on different threads.
async fn insert_rows<T: Sync>(
    tx: &mut Transaction<'_, Sqlite>,
    head: &str,
    columns: usize,
    rows: &[T],
    encode: impl Fn(&T, &mut SqliteArguments) -> Bound + Sync,
) -> Result<()> {
    insert_rows_sharing(tx, head, columns, (0, &|_: &mut SqliteArguments| Ok(())), rows, &encode).await
}

/// [`insert_rows`] whose rows end in `shared.0` values bound once a statement, after the rows', by `shared.1`
/// (what a whole batch has in common: who wrote it and when).
async fn insert_rows_sharing<T: Sync>(
    tx: &mut Transaction<'_, Sqlite>,
    head: &str,
    columns: usize,
    shared: Shared<'_>,
    rows: &[T],
    encode: Encode<'_, T>,
) -> Result<()> {
    let bad = |e: BoxDynError| StoreError::Invalid(format!("a value could not be bound: {e}"));
    let encode_chunk = |chunk: &[T]| -> Result<(usize, SqliteArguments)> {
        let mut args = SqliteArguments::default();
        for row in chunk {
            encode(row, &mut args).map_err(bad)?;
        }
        shared.1(&mut args).map_err(bad)?;
        Ok((chunk.len(), args))
    };
    let mut chunks = rows.chunks(ROWS);
    let Some(first) = chunks.next() else { return Ok(()) };
    // Every chunk but the last is full: its statement text is made once.
    let full = values_sql(head, columns, shared.0, ROWS);
    let mut pending = encode_chunk(first)?;
    for chunk in chunks {
        let (_, args) = pending;
        let run = sqlx::query_with(AssertSqlSafe(full.as_str()), args).execute(&mut **tx);
        // `join` polls the statement first (handing it to SQLite's thread), then encodes the next chunk here.
        let (done, next) = futures::future::join(run, async { encode_chunk(chunk) }).await;
        done?;
        pending = next?;
    }
    let (count, args) = pending;
    sqlx::query_with(AssertSqlSafe(values_sql(head, columns, shared.0, count)), args).execute(&mut **tx).await?;
    Ok(())
}

async fn insert_units(tx: &mut Transaction<'_, Sqlite>, write: &TraceWrite, units: &[&NewUnit]) -> Result<()> {
    let head = "INSERT INTO trace_units (id, kind, unit_type, model, line, station, produced_at, quantity, base_uom, \
                supplier_id, material_id, lot_number, passport_id, cell_count, attributes, operator, event_id, \
                created_by) VALUES ";
    insert_rows(tx, head, 18, units, |u, args| {
        let s = &u.spec;
        args.add(&s.id)?;
        args.add(s.kind.as_str())?;
        args.add(&s.unit_type)?;
        args.add(&s.model)?;
        args.add(&s.line)?;
        args.add(&s.station)?;
        args.add(s.at)?;
        args.add(u.quantity.map(|(v, _)| v))?;
        args.add(u.quantity.map(|(_, uom)| uom))?;
        args.add(&s.supplier)?;
        args.add(&s.material)?;
        args.add(s.lot_number.as_ref().or((s.kind == UnitKind::Lot).then_some(&s.id)))?;
        args.add(&s.passport)?;
        args.add(u.cells)?;
        args.add(s.attributes.as_ref().map(|a| a.to_string()))?;
        args.add(&write.operator)?;
        args.add(&u.event_id)?;
        args.add(&write.actor_id)
    })
    .await
}

/// Edges, from a planned batch or a backup alike.
async fn insert_edges<E: Borrow<StoredEdge> + Sync>(tx: &mut Transaction<'_, Sqlite>, edges: &[E]) -> Result<()> {
    let head = "INSERT INTO trace_edges (input_id, output_id, event_id, input_kind, output_kind, quantity) VALUES ";
    insert_rows(tx, head, 6, edges, |e, args| {
        let e = e.borrow();
        args.add(&e.input_id)?;
        args.add(&e.output_id)?;
        args.add(&e.event_id)?;
        args.add(e.input_kind.as_str())?;
        args.add(e.output_kind.as_str())?;
        args.add(e.quantity)
    })
    .await
}

async fn insert_sources_and_usage(tx: &mut Transaction<'_, Sqlite>, write: &TraceWrite) -> Result<()> {
    let head = "INSERT INTO trace_sources (source_id, unit_id, cells, quantity) VALUES ";
    insert_rows(tx, head, 4, &write.sources, |s, args| {
        args.add(&s.source.source_id)?;
        args.add(&s.unit_id)?;
        args.add(s.source.cells)?;
        args.add(s.source.quantity)
    })
    .await?;
    for chunk in write.usage.chunks(ROWS) {
        let mut upsert =
            QueryBuilder::<Sqlite>::new("INSERT INTO trace_usage (unit_id, used, base_uom, consumers, cells) ");
        upsert.push_values(chunk, |mut row, u| {
            row.push_bind(&u.unit_id).push_bind(u.used).push_bind(u.base_uom).push_bind(u.consumers).push_bind(u.cells);
        });
        upsert.push(
            " ON CONFLICT (unit_id) DO UPDATE SET used = trace_usage.used + excluded.used, \
             base_uom = COALESCE(trace_usage.base_uom, excluded.base_uom), \
             consumers = trace_usage.consumers + excluded.consumers, cells = trace_usage.cells + excluded.cells",
        );
        upsert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_results(tx: &mut Transaction<'_, Sqlite>, write: &TraceWrite) -> Result<()> {
    let head = "INSERT INTO trace_results (event_id, unit_id, tested_at, results, passed, actor_id) VALUES ";
    insert_rows(tx, head, 6, &write.results, |r, args| {
        args.add(&r.event_id)?;
        args.add(&r.unit_id)?;
        args.add(r.at)?;
        args.add(serde_json::to_string(&r.results).unwrap_or_default())?;
        args.add(r.passed)?;
        args.add(&write.actor_id)
    })
    .await
}

/// Applied events (but those of new cells, whose rows record them) and the backlog's changes.
async fn record_events(
    tx: &mut Transaction<'_, Sqlite>,
    write: &TraceWrite,
    applied: &[&(String, String, &'static str)],
) -> Result<()> {
    let head = "INSERT INTO trace_events (event_id, unit_id, kind, actor_id, applied_at) VALUES ";
    insert_rows(tx, head, 5, applied, |(event_id, unit_id, kind), args| {
        args.add(event_id)?;
        args.add(unit_id)?;
        args.add(*kind)?;
        args.add(&write.actor_id)?;
        args.add(write.at)
    })
    .await?;
    // An import usually finds the backlog empty: then the batch's thousands of ids are not sent to be looked for.
    if !write.applied.is_empty()
        && sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM trace_backlog)").fetch_one(&mut **tx).await?
    {
        let ids: Vec<String> = write.applied.iter().map(|(id, _, _)| id.clone()).collect();
        sqlx::query("DELETE FROM trace_backlog WHERE event_id IN (SELECT value FROM json_each(?1))")
            .bind(json_ids(&ids)?)
            .execute(&mut **tx)
            .await?;
    }
    for (event, missing) in &write.held {
        let json = serde_json::to_string(event).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let missing = serde_json::to_string(missing).map_err(|e| StoreError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO trace_backlog (event_id, event, missing, status, actor_id, operator, first_seen, last_tried, \
             attempts) VALUES (?1, ?2, ?3, 'held', ?4, ?5, ?6, ?6, 1)
             ON CONFLICT (event_id) DO UPDATE SET missing = excluded.missing, last_tried = excluded.last_tried,
                 attempts = trace_backlog.attempts + 1",
        )
        .bind(event.event_id())
        .bind(json)
        .bind(missing)
        .bind(&write.actor_id)
        .bind(&write.operator)
        .bind(write.at)
        .execute(&mut **tx)
        .await?;
    }
    for (event_id, reason) in &write.failed {
        sqlx::query(
            "UPDATE trace_backlog SET status = 'failed', reason = ?2, last_tried = ?3, attempts = attempts + 1 \
             WHERE event_id = ?1",
        )
        .bind(event_id)
        .bind(reason)
        .bind(write.at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A planned batch in one transaction on the writer connection.
async fn write_batch(conn: &mut SqliteConnection, write: TraceWrite) -> Result<()> {
    let started = std::time::Instant::now();
    let mut tx = conn.begin().await?;
    let next_seq: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM trace_cells").fetch_one(&mut *tx).await?;
    let mut split = Split::new(&write, next_seq);
    let split_at = started.elapsed();
    let shared = |args: &mut SqliteArguments| Split::bind_shared(&write, args);
    let shared = (CELL_SHARED, &shared as _);
    insert_rows_sharing(
        &mut tx,
        INSERT_PLAIN_CELLS,
        PLAIN_CELL_COLUMNS,
        shared,
        &split.plain_cells,
        &Split::bind_plain_cell,
    )
    .await?;
    insert_rows_sharing(&mut tx, INSERT_CELLS, CELL_COLUMNS, shared, &split.cells, &Split::bind_cell).await?;
    let cells_at = started.elapsed();
    insert_units(&mut tx, &write, &split.units).await?;
    let old_way = split.assemble_stored(&mut tx).await?;
    let edges: Vec<&StoredEdge> = split.edges.iter().copied().chain(&old_way).collect();
    insert_edges(&mut tx, &edges).await?;
    let head = "INSERT INTO trace_cell_links (unit_id, role, first_seq, seqs) VALUES ";
    insert_rows(&mut tx, head, 4, &split.links()?, |(unit, role, first, seqs), args| {
        args.add(*unit)?;
        args.add(*role)?;
        args.add(*first)?;
        args.add(seqs)
    })
    .await?;
    insert_sources_and_usage(&mut tx, &write).await?;
    insert_results(&mut tx, &write).await?;
    record_events(&mut tx, &write, &split.applied).await?;
    chain_audit(&mut tx, write.audit, write.at).await?;
    let rest_at = started.elapsed();
    tx.commit().await?;
    tracing::debug!(?split_at, ?cells_at, ?rest_at, committed = ?started.elapsed(), "genealogy batch written");
    Ok(())
}

#[async_trait]
impl TraceStore for SqliteStore {
    async fn lock_trace_writer(&self) -> Result<crate::WriterLock> {
        // One process writes an SQLite file; the service's own lock serialises its writers.
        Ok(crate::WriterLock(Box::new(())))
    }

    async fn write_trace(&self, write: TraceWrite) -> Result<()> {
        write_batch(&mut *self.writer.acquire().await?, write).await
    }

    async fn write_trace_batch(&self, write: TraceWrite) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        // WAL with `synchronous=NORMAL`: the commit is in the log (a crash of the process loses nothing), and the
        // log reaches the disk at the next checkpoint, or at `sync_trace_writes`.
        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
        let written = write_batch(&mut conn, write).await;
        // Every other write on this connection waits for the disk again; a connection that cannot is closed.
        if let Err(e) = sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await {
            drop(conn.detach());
            return written.and(Err(e.into()));
        }
        written
    }

    async fn sync_trace_writes(&self) -> Result<()> {
        // A checkpoint syncs the log before it copies it into the database file; FULL waits for readers (up to
        // the busy timeout) so that it copies all of it.
        let (busy, _, _): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(FULL)").fetch_one(&self.writer).await?;
        if busy != 0 {
            return Err(StoreError::Database(
                "the genealogy writes could not be synced: readers kept the log busy".into(),
            ));
        }
        Ok(())
    }

    async fn trace_units(&self, ids: &[String]) -> Result<Vec<StoredUnit>> {
        // Joined from the ids, so each is one lookup (`IN` would sort them into a temporary index first).
        let sql = format!(
            "{UNIT_COLUMNS} FROM json_each(?1) j JOIN trace_units u ON u.id = j.value \
                 LEFT JOIN trace_usage g ON g.unit_id = u.id \
             UNION ALL {CELL_AS_UNIT} FROM json_each(?1) j JOIN trace_cells c ON c.id = j.value"
        );
        self.rows_of(&sql, &distinct(ids), unit_from).await
    }

    async fn trace_upstream_closure(&self, unit_id: &str) -> Result<Vec<StoredUnit>> {
        let sql = format!(
            "{UPSTREAM_CLOSURE}{UNIT_COLUMNS} {UNIT_FROM} WHERE u.id IN (SELECT id FROM up) \
             UNION ALL {CELL_AS_UNIT} FROM trace_cells c WHERE c.id IN (SELECT id FROM up)"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(unit_id).fetch_all(&self.reader).await?;
        rows.iter().map(unit_from).collect()
    }

    async fn applied_trace_events(&self, ids: &[String]) -> Result<Vec<String>> {
        // The events recorded in their own rows, and those of cells, in theirs.
        let sql = "SELECT e.event_id FROM json_each(?1) j JOIN trace_events e ON e.event_id = j.value \
                   UNION ALL SELECT c.event_id FROM json_each(?1) j JOIN trace_cells c ON c.event_id = j.value";
        self.rows_of(sql, &distinct(ids), |r| Ok(r.try_get("event_id")?)).await
    }

    async fn trace_inputs(&self, output_ids: &[String]) -> Result<Vec<StoredEdge>> {
        let ids = "SELECT value FROM json_each(?1)";
        // Stored edges, the inline inputs of these cells, and the cells assembled inline into these units.
        let inline = format!(
            " UNION ALL {INPUT_EDGE} FROM trace_cells c, json_each(c.inputs) j WHERE c.id IN ({ids}) \
              UNION ALL {ASSEMBLY_EDGE}{}",
            linked(ids, "assembly", "")
        );
        self.rows_in(&format!("{EDGE_COLUMNS} WHERE output_id IN "), output_ids, &inline, edge_from).await
    }

    async fn trace_outputs(
        &self,
        input_ids: &[String],
        kinds: &[UnitKind],
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredEdge>> {
        // One input at a time: each is a range of the primary key already in output order, where one query over
        // several inputs would sort them all (or walk the output index end to end). Cells made from the input
        // (inline, through its links) and an inline assembly of the input come in beside its stored edges.
        let kinds: Vec<&str> = if kinds.is_empty() {
            UnitKind::ALL.iter().map(|k| k.as_str()).collect()
        } else {
            kinds.iter().map(|k| k.as_str()).collect()
        };
        let after_sql = |column: &str| if after.is_some() { format!(" AND {column} > ?2") } else { String::new() };
        let mut parts = vec![format!(
            "{EDGE_COLUMNS} WHERE input_id = ?1 AND output_kind IN (SELECT value FROM json_each(?3)){}",
            after_sql("output_id")
        )];
        if kinds.contains(&"cell") {
            parts.push(format!(
                "{INPUT_EDGE}{} AND j.value ->> 0 = ?1{}",
                linked("?1", "input", ", json_each(c.inputs) j"),
                after_sql("c.id")
            ));
        }
        parts.push(format!(
            "{ASSEMBLY_EDGE} FROM trace_cells c WHERE c.id = ?1 AND c.assembly_kind IN (SELECT value FROM json_each(?3)){}",
            after_sql("c.assembled_into")
        ));
        let sql = format!("SELECT * FROM ({}) ORDER BY output_id LIMIT ?4", parts.join(" UNION ALL "));
        let kinds = serde_json::to_string(&kinds).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut out = Vec::new();
        for input in input_ids {
            let query = sqlx::query(AssertSqlSafe(sql.as_str())).bind(input).bind(after).bind(&kinds).bind(limit);
            out.extend(self.decoded(query, edge_from).await?);
        }
        out.sort_by(|a, b| a.output_id.cmp(&b.output_id));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    async fn trace_process_outputs(&self, input_ids: &[String]) -> Result<Vec<StoredEdge>> {
        // The literal kind lets the partial index `trace_edges_into_batches` serve the query.
        self.rows_in("SELECT * FROM trace_edges WHERE output_kind = 'batch' AND input_id IN ", input_ids, "", edge_from)
            .await
    }

    async fn trace_sources_of(&self, unit_ids: &[String]) -> Result<Vec<StoredSource>> {
        self.rows_in("SELECT * FROM trace_sources WHERE unit_id IN ", unit_ids, "", source_from).await
    }

    async fn trace_reached_by(&self, source_ids: &[String]) -> Result<Vec<StoredSource>> {
        self.rows_in("SELECT * FROM trace_sources WHERE source_id IN ", source_ids, "", source_from).await
    }

    async fn trace_backlog(&self, status: Option<&str>, limit: i64) -> Result<Vec<BacklogEvent>> {
        let rows = sqlx::query(
            "SELECT * FROM trace_backlog WHERE (?1 IS NULL OR status = ?1) ORDER BY first_seen, event_id LIMIT ?2",
        )
        .bind(status)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(backlog_from).collect()
    }

    async fn trace_results_of(&self, unit_ids: &[String]) -> Result<Vec<StoredResult>> {
        self.rows_in(
            "SELECT * FROM trace_results WHERE unit_id IN ",
            unit_ids,
            " ORDER BY unit_id, tested_at, event_id",
            result_from,
        )
        .await
    }

    async fn trace_pack_of(&self, passport_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM trace_units WHERE passport_id = ?1 AND kind = 'pack' LIMIT 1")
            .bind(passport_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    async fn trace_model_sources(&self, model_id: &str, year: Option<i32>) -> Result<ModelSources> {
        // Packs reach their model through their passports; the year is the pack's production year (UTC).
        let packs: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM trace_units u JOIN passports p ON p.id = u.passport_id
             WHERE u.kind = 'pack' AND p.model_id = ?1 AND (?2 IS NULL OR substr(u.produced_at, 1, 4) = printf('%04d', ?2))",
        )
        .bind(model_id)
        .bind(year)
        .fetch_one(&self.reader)
        .await?;
        let rows = sqlx::query(
            "SELECT s.source_id, SUM(s.cells) AS cells, SUM(s.quantity) AS quantity
             FROM trace_units u JOIN passports p ON p.id = u.passport_id JOIN trace_sources s ON s.unit_id = u.id
             WHERE u.kind = 'pack' AND p.model_id = ?1 AND (?2 IS NULL OR substr(u.produced_at, 1, 4) = printf('%04d', ?2))
             GROUP BY s.source_id ORDER BY s.source_id",
        )
        .bind(model_id)
        .bind(year)
        .fetch_all(&self.reader)
        .await?;
        let sources = rows
            .iter()
            .map(|r| {
                Ok(StoredSource {
                    unit_id: model_id.to_string(),
                    source_id: r.try_get("source_id")?,
                    cells: r.try_get("cells")?,
                    quantity: r.try_get("quantity")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(ModelSources { packs, sources })
    }

    async fn trace_line_results(
        &self,
        line: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
        operator: Option<&str>,
    ) -> Result<Vec<StoredResult>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT r.* FROM trace_results r {CELL_OF_RESULT}
             WHERE COALESCE(c.line, u.line) = ?1 AND r.tested_at >= ?2 AND r.tested_at < ?3
               AND (?4 IS NULL OR COALESCE(c.operator, u.operator) = ?4)
             ORDER BY r.unit_id, r.tested_at, r.event_id"
        )))
        .bind(line)
        .bind(from)
        .bind(to)
        .bind(operator)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(result_from).collect()
    }

    async fn trace_first_pass_yield(&self, from: OffsetDateTime, operator: Option<&str>) -> Result<Vec<LineDay>> {
        // A unit's first test is its earliest result row; retests do not count towards first-pass yield.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT COALESCE(c.line, u.line) AS line, substr(r.tested_at, 1, 10) AS day, COUNT(*) AS tested, SUM(CASE WHEN r.passed THEN 1 ELSE 0 END) AS passed
             FROM trace_results r {CELL_OF_RESULT}
             WHERE COALESCE(c.line, u.line) IS NOT NULL AND r.passed IS NOT NULL AND r.tested_at >= ?1
               AND (?2 IS NULL OR COALESCE(c.operator, u.operator) = ?2)
               AND r.event_id = (SELECT f.event_id FROM trace_results f WHERE f.unit_id = r.unit_id
                                 ORDER BY f.tested_at, f.event_id LIMIT 1)
             GROUP BY 1, 2 ORDER BY day, line"
        )))
        .bind(from)
        .bind(operator)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LineDay {
                    line: r.try_get("line")?,
                    day: r.try_get("day")?,
                    tested: r.try_get("tested")?,
                    passed: r.try_get("passed")?,
                })
            })
            .collect()
    }

    async fn models_with_reason_prefix(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT v.model_id FROM model_versions v
             WHERE v.version = (SELECT MAX(w.version) FROM model_versions w WHERE w.model_id = v.model_id)
               AND substr(v.reason, 1, length(?1)) = ?1
             ORDER BY v.model_id",
        )
        .bind(prefix)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn count_trace_units(&self) -> Result<Vec<(UnitKind, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) AS n FROM (SELECT kind FROM trace_units UNION ALL SELECT 'cell' FROM trace_cells)
             GROUP BY kind ORDER BY kind",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((parse_kind(&r.try_get::<String, _>("kind")?)?, r.try_get("n")?))).collect()
    }
}

/// The first `limit` rows of keyset pages of one table kept in several places, in key order.
fn merged<T, const N: usize>(pages: [Vec<T>; N], limit: i64, order: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
    let mut rows: Vec<T> = pages.into_iter().flatten().collect();
    rows.sort_by(order);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows
}

impl SqliteStore {
    /// The inline input edges of cells after `(input, output, event)` in key order, at most `limit`: input by
    /// input (through their links), each input's cells in id order.
    async fn inline_input_edges_after(&self, after: (String, String, String), limit: i64) -> Result<Vec<StoredEdge>> {
        let (mut input, mut output, mut event) = after;
        let mut first = true;
        let sql = format!(
            "{INPUT_EDGE}{} AND j.value ->> 0 = ?1 AND (c.id, c.event_id) > (?2, ?3) ORDER BY c.id, c.event_id LIMIT ?4",
            linked("?1", "input", ", json_each(c.inputs) j")
        );
        let mut out = Vec::new();
        while (out.len() as i64) < limit {
            // The same input again first (the page may have stopped inside it), then the next one.
            let next: Option<String> = sqlx::query_scalar(if first {
                "SELECT MIN(unit_id) FROM trace_cell_links WHERE unit_id >= ?1 AND role = 'input'"
            } else {
                "SELECT MIN(unit_id) FROM trace_cell_links WHERE unit_id > ?1 AND role = 'input'"
            })
            .bind(&input)
            .fetch_one(&self.reader)
            .await?;
            let Some(next) = next else { break };
            if next != input {
                (output, event) = (String::new(), String::new());
            }
            input = next;
            first = false;
            let query = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(&input)
                .bind(&output)
                .bind(&event)
                .bind(limit - out.len() as i64);
            out.extend(self.decoded(query, edge_from).await?);
        }
        Ok(out)
    }
}

fn unit_row(row: &SqliteRow) -> Result<TraceUnitRow> {
    Ok(TraceUnitRow {
        id: row.try_get("id")?,
        kind: parse_kind(&row.try_get::<String, _>("kind")?)?,
        unit_type: row.try_get("unit_type")?,
        model: row.try_get("model")?,
        line: row.try_get("line")?,
        station: row.try_get("station")?,
        produced_at: row.try_get("produced_at")?,
        quantity: row.try_get("quantity")?,
        base_uom: row.try_get("base_uom")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        lot_number: row.try_get("lot_number")?,
        passport_id: row.try_get("passport_id")?,
        cell_count: row.try_get("cell_count")?,
        attributes: row
            .try_get::<Option<String>, _>("attributes")?
            .map(|a| serde_json::from_str(&a))
            .transpose()
            .map_err(|e| StoreError::Database(format!("stored unit attributes are not JSON: {e}")))?,
        operator: row.try_get("operator")?,
        event_id: row.try_get("event_id")?,
        created_by: row.try_get("created_by")?,
    })
}

fn usage_row(row: &SqliteRow) -> Result<TraceUsageRow> {
    Ok(TraceUsageRow {
        unit_id: row.try_get("unit_id")?,
        used: row.try_get("used")?,
        base_uom: row.try_get("base_uom")?,
        consumers: row.try_get("consumers")?,
        cells: row.try_get("cells")?,
    })
}

fn event_row(row: &SqliteRow) -> Result<TraceEventRow> {
    Ok(TraceEventRow {
        event_id: row.try_get("event_id")?,
        unit_id: row.try_get("unit_id")?,
        kind: row.try_get("kind")?,
        actor_id: row.try_get("actor_id")?,
        applied_at: row.try_get("applied_at")?,
    })
}

#[async_trait]
impl TraceBackupStore for SqliteStore {
    async fn trace_unit_rows_after(&self, after: Option<&TraceUnitRow>, limit: i64) -> Result<Vec<TraceUnitRow>> {
        let units = page(self, after, limit, unit_row).await?;
        let sql = format!("{CELL_AS_UNIT} FROM trace_cells c WHERE c.id > ?1 ORDER BY c.id LIMIT ?2");
        let query = sqlx::query(AssertSqlSafe(sql)).bind(after.map_or("", |u| u.id.as_str())).bind(limit);
        let cells = self.decoded(query, unit_row).await?;
        Ok(merged([units, cells], limit, |a, b| a.id.cmp(&b.id)))
    }

    async fn trace_edge_rows_after(&self, after: Option<&StoredEdge>, limit: i64) -> Result<Vec<StoredEdge>> {
        let key = |e: &StoredEdge| (e.input_id.clone(), e.output_id.clone(), e.event_id.clone());
        let (input, output, event) = after.map(key).unwrap_or_default();
        let stored = page(self, after, limit, edge_from).await?;
        let sql = format!(
            "{ASSEMBLY_EDGE} FROM trace_cells c WHERE c.assembled_into IS NOT NULL AND c.id >= ?1
             AND (c.id, c.assembled_into, c.assembly_event) > (?1, ?2, ?3) ORDER BY c.id LIMIT ?4"
        );
        let query = sqlx::query(AssertSqlSafe(sql)).bind(&input).bind(&output).bind(&event).bind(limit);
        let assembled = self.decoded(query, edge_from).await?;
        let made = self.inline_input_edges_after((input, output, event), limit).await?;
        Ok(merged([stored, assembled, made], limit, |a, b| key(a).cmp(&key(b))))
    }

    async fn trace_usage_rows_after(&self, after: Option<&TraceUsageRow>, limit: i64) -> Result<Vec<TraceUsageRow>> {
        page(self, after, limit, usage_row).await
    }

    async fn trace_source_rows_after(&self, after: Option<&StoredSource>, limit: i64) -> Result<Vec<StoredSource>> {
        page(self, after, limit, source_from).await
    }

    async fn trace_event_rows_after(&self, after: Option<&TraceEventRow>, limit: i64) -> Result<Vec<TraceEventRow>> {
        let events = page(self, after, limit, event_row).await?;
        let query = sqlx::query(
            "SELECT event_id, id AS unit_id, 'produced' AS kind, created_by AS actor_id, applied_at FROM trace_cells
             WHERE event_id > ?1 ORDER BY event_id LIMIT ?2",
        )
        .bind(after.map_or("", |e| e.event_id.as_str()))
        .bind(limit);
        let cells = self.decoded(query, event_row).await?;
        Ok(merged([events, cells], limit, |a, b| a.event_id.cmp(&b.event_id)))
    }

    async fn trace_backlog_rows_after(&self, after: Option<&BacklogEvent>, limit: i64) -> Result<Vec<BacklogEvent>> {
        page(self, after, limit, backlog_from).await
    }

    async fn trace_result_rows_after(&self, after: Option<&StoredResult>, limit: i64) -> Result<Vec<StoredResult>> {
        page(self, after, limit, result_from).await
    }

    async fn restore_trace_results(&self, rows: &[StoredResult]) -> Result<()> {
        insert_chunked!(
            self,
            rows,
            "INSERT INTO trace_results (event_id, unit_id, tested_at, results, passed, actor_id) ",
            |row, r| {
                row.push_bind(&r.event_id)
                    .push_bind(&r.unit_id)
                    .push_bind(r.tested_at)
                    .push_bind(serde_json::to_string(&r.results).unwrap_or_default())
                    .push_bind(r.passed)
                    .push_bind(&r.actor_id);
            }
        )
    }

    async fn restore_trace_units(&self, rows: &[TraceUnitRow]) -> Result<()> {
        insert_chunked!(
            self,
            rows,
            "INSERT INTO trace_units (id, kind, unit_type, model, line, station, produced_at, quantity, base_uom, \
             supplier_id, material_id, lot_number, passport_id, cell_count, attributes, operator, event_id, created_by) ",
            |row, u| {
                row.push_bind(&u.id)
                    .push_bind(u.kind.as_str())
                    .push_bind(&u.unit_type)
                    .push_bind(&u.model)
                    .push_bind(&u.line)
                    .push_bind(&u.station)
                    .push_bind(u.produced_at)
                    .push_bind(u.quantity)
                    .push_bind(&u.base_uom)
                    .push_bind(&u.supplier_id)
                    .push_bind(&u.material_id)
                    .push_bind(&u.lot_number)
                    .push_bind(&u.passport_id)
                    .push_bind(u.cell_count)
                    .push_bind(u.attributes.as_ref().map(|a| a.to_string()))
                    .push_bind(&u.operator)
                    .push_bind(&u.event_id)
                    .push_bind(&u.created_by);
            }
        )
    }

    async fn restore_trace_edges(&self, rows: &[StoredEdge]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_edges(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn restore_trace_usage(&self, rows: &[TraceUsageRow]) -> Result<()> {
        insert_chunked!(self, rows, "INSERT INTO trace_usage (unit_id, used, base_uom, consumers, cells) ", |row, u| {
            row.push_bind(&u.unit_id)
                .push_bind(u.used)
                .push_bind(&u.base_uom)
                .push_bind(u.consumers)
                .push_bind(u.cells);
        })
    }

    async fn restore_trace_sources(&self, rows: &[StoredSource]) -> Result<()> {
        insert_chunked!(self, rows, "INSERT INTO trace_sources (source_id, unit_id, cells, quantity) ", |row, s| {
            row.push_bind(&s.source_id).push_bind(&s.unit_id).push_bind(s.cells).push_bind(s.quantity);
        })
    }

    async fn restore_trace_events(&self, rows: &[TraceEventRow]) -> Result<()> {
        insert_chunked!(
            self,
            rows,
            "INSERT INTO trace_events (event_id, unit_id, kind, actor_id, applied_at) ",
            |row, e| {
                row.push_bind(&e.event_id)
                    .push_bind(&e.unit_id)
                    .push_bind(&e.kind)
                    .push_bind(&e.actor_id)
                    .push_bind(e.applied_at);
            }
        )
    }

    async fn restore_trace_backlog(&self, rows: &[BacklogEvent]) -> Result<()> {
        let mut encoded = Vec::with_capacity(rows.len());
        for b in rows {
            let event = serde_json::to_value(&b.event).map_err(|e| StoreError::Invalid(e.to_string()))?;
            encoded.push((b, event, serde_json::Value::from(b.missing.clone())));
        }
        insert_chunked!(
            self,
            encoded,
            "INSERT INTO trace_backlog (event_id, event, missing, status, reason, actor_id, operator, first_seen, \
             last_tried, attempts) ",
            |row, item| {
                let (b, event, missing) = item;
                row.push_bind(&b.event_id)
                    .push_bind(event.to_string())
                    .push_bind(missing.to_string())
                    .push_bind(&b.status)
                    .push_bind(&b.reason)
                    .push_bind(&b.actor_id)
                    .push_bind(&b.operator)
                    .push_bind(b.first_seen)
                    .push_bind(b.last_tried)
                    .push_bind(b.attempts);
            }
        )
    }
}
