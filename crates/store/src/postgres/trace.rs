//! Genealogy on PostgreSQL.

use super::restore::{insert_chunked, page};
use super::{INSERT_CHUNK, PostgresStore, trust::chain_audit};
use crate::trace::{
    BacklogEvent, LineDay, ModelSources, StoredEdge, StoredResult, StoredSource, StoredUnit, TraceStore, TraceWrite,
    parse_kind,
};
use crate::{Result, StoreError};
use crate::{TraceBackupStore, TraceEventRow, TraceUnitRow, TraceUsageRow};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};
use time::OffsetDateTime;
use trace::UnitKind;

/// Rows per multi-row INSERT. Full chunks repeat the same SQL text, so the statement is prepared once per
/// connection.
const ROWS: usize = 200;
/// Ids per array parameter.
const IDS: usize = 10_000;

const UNIT_SELECT: &str = "SELECT u.id, u.kind, u.unit_type, u.model, u.line, u.station, u.produced_at, u.quantity,
        u.base_uom, u.supplier_id, u.material_id, u.lot_number, u.passport_id, u.cell_count, u.attributes,
        u.operator, u.event_id, u.created_by, g.used, g.base_uom AS used_uom, g.consumers, g.cells AS cells_fed,
        -- Only cells and modules go into assemblies: a batch's thousands of edges are never scanned for one.
        CASE WHEN u.kind IN ('cell', 'module') THEN (SELECT e.output_id FROM trace_edges e
            WHERE e.input_id = u.id AND e.output_kind IN ('module', 'pack') LIMIT 1) END AS assembled_into
    FROM trace_units u LEFT JOIN trace_usage g ON g.unit_id = u.id WHERE u.id = ANY($1)";

/// Where an upstream closure starts: an assembly's sources (the lots and batches its cells took), else the unit.
const UPSTREAM_SEEDS: &str = "SELECT s.source_id FROM trace_sources s WHERE s.unit_id = $1
    UNION SELECT u.id FROM trace_units u WHERE u.id = $1 AND u.kind NOT IN ('module', 'pack')";

/// The session-level advisory lock key of genealogy writers (any constant other locks do not use).
const TRACE_WRITER_LOCK: i64 = 0x766f_6c74_7472_6163; // "volttrac"

/// A pooled connection holding the genealogy writers' advisory lock: unlocked (off the async caller's path) when
/// dropped, and closed instead of returned to the pool if unlocking fails, which ends the session and its lock.
struct AdvisoryLock(Option<sqlx::pool::PoolConnection<Postgres>>);

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let Some(mut connection) = self.0.take() else { return };
        let unlock = async move {
            let unlocked =
                sqlx::query("SELECT pg_advisory_unlock($1)").bind(TRACE_WRITER_LOCK).execute(&mut *connection).await;
            if unlocked.is_err() {
                let _ = connection.detach();
            }
        };
        // The pool lives on a runtime; there is one wherever a store was used.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(unlock);
        }
    }
}

fn unit_from(row: &PgRow) -> Result<StoredUnit> {
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

fn edge_from(row: &PgRow) -> Result<StoredEdge> {
    Ok(StoredEdge {
        input_id: row.try_get("input_id")?,
        input_kind: parse_kind(&row.try_get::<String, _>("input_kind")?)?,
        output_id: row.try_get("output_id")?,
        output_kind: parse_kind(&row.try_get::<String, _>("output_kind")?)?,
        quantity: row.try_get("quantity")?,
        event_id: row.try_get("event_id")?,
    })
}

fn source_from(row: &PgRow) -> Result<StoredSource> {
    Ok(StoredSource {
        unit_id: row.try_get("unit_id")?,
        source_id: row.try_get("source_id")?,
        cells: row.try_get("cells")?,
        quantity: row.try_get("quantity")?,
    })
}

fn result_from(row: &PgRow) -> Result<StoredResult> {
    let results: serde_json::Value = row.try_get("results")?;
    Ok(StoredResult {
        event_id: row.try_get("event_id")?,
        unit_id: row.try_get("unit_id")?,
        tested_at: row.try_get("tested_at")?,
        results: serde_json::from_value(results)
            .map_err(|e| StoreError::Database(format!("stored test results are not numbers: {e}")))?,
        passed: row.try_get("passed")?,
        actor_id: row.try_get("actor_id")?,
    })
}

fn backlog_from(row: &PgRow) -> Result<BacklogEvent> {
    let event: serde_json::Value = row.try_get("event")?;
    let missing: serde_json::Value = row.try_get("missing")?;
    let bad = |e: serde_json::Error| StoreError::Database(format!("stored backlog event: {e}"));
    Ok(BacklogEvent {
        event_id: row.try_get("event_id")?,
        event: serde_json::from_value(event).map_err(bad)?,
        missing: serde_json::from_value(missing).map_err(bad)?,
        status: row.try_get("status")?,
        reason: row.try_get("reason")?,
        actor_id: row.try_get("actor_id")?,
        operator: row.try_get("operator")?,
        first_seen: row.try_get("first_seen")?,
        last_tried: row.try_get("last_tried")?,
        attempts: row.try_get("attempts")?,
    })
}

/// Appends `(?, ?, ...)` for `ids`.
fn push_ids(query: &mut QueryBuilder<Postgres>, ids: &[String]) {
    query.push("(");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(id.clone());
    }
    list.push_unseparated(")");
}

impl PostgresStore {
    /// Runs `select` (with the ids as the array `$1`) over `ids` in chunks, mapping each row. One array keeps one
    /// statement text (prepared once) whatever the number of ids.
    async fn rows_in<T>(
        &self,
        select: &str,
        ids: &[String],
        tail: &str,
        map: fn(&PgRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let sql = format!("{select}{tail}");
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS) {
            for row in sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(chunk).fetch_all(&self.pool).await? {
                out.push(map(&row)?);
            }
        }
        Ok(out)
    }
}

async fn insert_units(tx: &mut Transaction<'_, Postgres>, write: &TraceWrite) -> Result<()> {
    if write.units.is_empty() {
        return Ok(());
    }
    // One statement per batch: a column array each (UNNEST), not thousands of bound values.
    let units = &write.units;
    let text = |f: fn(&trace::plan::NewUnit) -> Option<&String>| -> Vec<Option<String>> {
        units.iter().map(|u| f(u).cloned()).collect()
    };
    sqlx::query(
        "INSERT INTO trace_units (id, kind, unit_type, model, line, station, produced_at, quantity, base_uom, \
         supplier_id, material_id, lot_number, passport_id, cell_count, attributes, operator, event_id, created_by) \
         SELECT u.id, u.kind, u.unit_type, u.model, u.line, u.station, u.produced_at, u.quantity, u.base_uom, \
             u.supplier_id, u.material_id, u.lot_number, u.passport_id, u.cell_count, u.attributes, $16, u.event_id, $17 \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], \
             $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int8[], $15::jsonb[], \
             $18::text[]) AS u(id, kind, unit_type, model, line, station, produced_at, quantity, base_uom, \
             supplier_id, material_id, lot_number, passport_id, cell_count, attributes, event_id)",
    )
    .bind(units.iter().map(|u| u.spec.id.clone()).collect::<Vec<_>>())
    .bind(units.iter().map(|u| u.spec.kind.as_str()).collect::<Vec<_>>())
    .bind(text(|u| u.spec.unit_type.as_ref()))
    .bind(text(|u| u.spec.model.as_ref()))
    .bind(text(|u| u.spec.line.as_ref()))
    .bind(text(|u| u.spec.station.as_ref()))
    .bind(units.iter().map(|u| u.spec.at).collect::<Vec<_>>())
    .bind(units.iter().map(|u| u.quantity.map(|(v, _)| v)).collect::<Vec<_>>())
    .bind(units.iter().map(|u| u.quantity.map(|(_, uom)| uom)).collect::<Vec<_>>())
    .bind(text(|u| u.spec.supplier.as_ref()))
    .bind(text(|u| u.spec.material.as_ref()))
    .bind(text(|u| u.spec.lot_number.as_ref().or((u.spec.kind == UnitKind::Lot).then_some(&u.spec.id))))
    .bind(text(|u| u.spec.passport.as_ref()))
    .bind(units.iter().map(|u| u.cells).collect::<Vec<_>>())
    .bind(units.iter().map(|u| u.spec.attributes.clone()).collect::<Vec<_>>())
    .bind(&write.operator)
    .bind(&write.actor_id)
    .bind(units.iter().map(|u| u.event_id.clone()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Edges, from a planned batch or a backup alike.
async fn insert_edges(tx: &mut Transaction<'_, Postgres>, edges: &[StoredEdge]) -> Result<()> {
    if edges.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO trace_edges (input_id, output_id, event_id, input_kind, output_kind, quantity) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[])",
    )
    .bind(edges.iter().map(|e| e.input_id.clone()).collect::<Vec<_>>())
    .bind(edges.iter().map(|e| e.output_id.clone()).collect::<Vec<_>>())
    .bind(edges.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>())
    .bind(edges.iter().map(|e| e.input_kind.as_str()).collect::<Vec<_>>())
    .bind(edges.iter().map(|e| e.output_kind.as_str()).collect::<Vec<_>>())
    .bind(edges.iter().map(|e| e.quantity).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_edges_and_sources(tx: &mut Transaction<'_, Postgres>, write: &TraceWrite) -> Result<()> {
    insert_edges(tx, &write.edges).await?;
    if !write.sources.is_empty() {
        let sources = &write.sources;
        sqlx::query(
            "INSERT INTO trace_sources (source_id, unit_id, cells, quantity) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::float8[])",
        )
        .bind(sources.iter().map(|s| s.source.source_id.clone()).collect::<Vec<_>>())
        .bind(sources.iter().map(|s| s.unit_id.clone()).collect::<Vec<_>>())
        .bind(sources.iter().map(|s| s.source.cells).collect::<Vec<_>>())
        .bind(sources.iter().map(|s| s.source.quantity).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
    }
    if !write.usage.is_empty() {
        // The plan sums usage per unit, so no unit appears twice in one upsert.
        let usage = &write.usage;
        sqlx::query(
            "INSERT INTO trace_usage (unit_id, used, base_uom, consumers, cells) \
             SELECT * FROM UNNEST($1::text[], $2::float8[], $3::text[], $4::int8[], $5::int8[]) \
             ON CONFLICT (unit_id) DO UPDATE SET used = trace_usage.used + excluded.used, \
             base_uom = COALESCE(trace_usage.base_uom, excluded.base_uom), \
             consumers = trace_usage.consumers + excluded.consumers, cells = trace_usage.cells + excluded.cells",
        )
        .bind(usage.iter().map(|u| u.unit_id.clone()).collect::<Vec<_>>())
        .bind(usage.iter().map(|u| u.used).collect::<Vec<_>>())
        .bind(usage.iter().map(|u| u.base_uom).collect::<Vec<_>>())
        .bind(usage.iter().map(|u| u.consumers).collect::<Vec<_>>())
        .bind(usage.iter().map(|u| u.cells).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_results(tx: &mut Transaction<'_, Postgres>, write: &TraceWrite) -> Result<()> {
    for chunk in write.results.chunks(ROWS) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO trace_results (event_id, unit_id, tested_at, results, passed, actor_id) ",
        );
        insert.push_values(chunk, |mut row, r| {
            row.push_bind(&r.event_id)
                .push_bind(&r.unit_id)
                .push_bind(r.at)
                .push_bind(serde_json::to_value(&r.results).unwrap_or_default())
                .push_bind(r.passed)
                .push_bind(&write.actor_id);
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn record_events(tx: &mut Transaction<'_, Postgres>, write: &TraceWrite) -> Result<()> {
    if !write.applied.is_empty() {
        let applied = &write.applied;
        let ids: Vec<String> = applied.iter().map(|(id, _, _)| id.clone()).collect();
        sqlx::query(
            "INSERT INTO trace_events (event_id, unit_id, kind, actor_id, applied_at) \
             SELECT e.event_id, e.unit_id, e.kind, $4, $5 FROM UNNEST($1::text[], $2::text[], $3::text[]) \
                 AS e(event_id, unit_id, kind)",
        )
        .bind(&ids)
        .bind(applied.iter().map(|(_, unit, _)| unit.clone()).collect::<Vec<_>>())
        .bind(applied.iter().map(|(_, _, kind)| *kind).collect::<Vec<_>>())
        .bind(&write.actor_id)
        .bind(write.at)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM trace_backlog WHERE event_id = ANY($1)").bind(&ids).execute(&mut **tx).await?;
    }
    for (event, missing) in &write.held {
        let json = serde_json::to_value(event).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let missing = serde_json::Value::from(missing.clone());
        sqlx::query(
            "INSERT INTO trace_backlog (event_id, event, missing, status, actor_id, operator, first_seen, last_tried, \
             attempts) VALUES ($1, $2, $3, 'held', $4, $5, $6, $6, 1)
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
            "UPDATE trace_backlog SET status = 'failed', reason = $2, last_tried = $3, attempts = attempts + 1 \
             WHERE event_id = $1",
        )
        .bind(event_id)
        .bind(reason)
        .bind(write.at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl TraceStore for PostgresStore {
    async fn lock_trace_writer(&self) -> Result<crate::WriterLock> {
        let mut connection = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(TRACE_WRITER_LOCK).execute(&mut *connection).await?;
        Ok(crate::WriterLock(Box::new(AdvisoryLock(Some(connection)))))
    }

    async fn write_trace(&self, write: TraceWrite) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_units(&mut tx, &write).await?;
        insert_edges_and_sources(&mut tx, &write).await?;
        insert_results(&mut tx, &write).await?;
        record_events(&mut tx, &write).await?;
        chain_audit(&mut tx, write.audit, write.at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn trace_units(&self, ids: &[String]) -> Result<Vec<StoredUnit>> {
        self.rows_in(UNIT_SELECT, ids, "", unit_from).await
    }

    async fn trace_upstream_closure(&self, unit_id: &str) -> Result<Vec<StoredUnit>> {
        // Level by level, each an index scan, rather than one recursive query as on SQLite: PostgreSQL plans a
        // recursive join from table statistics, and until ANALYZE has seen a bulk load it hash-joins the whole
        // edge table (1.3 s instead of 0.5 ms per trace at a million cells).
        let seeds: Vec<String> = sqlx::query_scalar(UPSTREAM_SEEDS).bind(unit_id).fetch_all(&self.pool).await?;
        let mut upstream: std::collections::BTreeSet<String> = seeds.iter().cloned().collect();
        let mut frontier = seeds;
        while !frontier.is_empty() {
            let inputs: Vec<(String, String)> = sqlx::query_as(
                "SELECT input_id, input_kind FROM trace_edges
                 WHERE output_id = ANY($1) AND input_kind IN ('lot', 'batch')",
            )
            .bind(&frontier)
            .fetch_all(&self.pool)
            .await?;
            // Lots are received, not made: only batches have inputs to follow.
            frontier = inputs
                .into_iter()
                .filter_map(|(id, kind)| (upstream.insert(id.clone()) && kind == "batch").then_some(id))
                .collect();
        }
        self.trace_units(&upstream.into_iter().collect::<Vec<_>>()).await
    }

    async fn applied_trace_events(&self, ids: &[String]) -> Result<Vec<String>> {
        self.rows_in("SELECT event_id FROM trace_events WHERE event_id = ANY($1)", ids, "", |r| {
            Ok(r.try_get("event_id")?)
        })
        .await
    }

    async fn trace_inputs(&self, output_ids: &[String]) -> Result<Vec<StoredEdge>> {
        self.rows_in("SELECT * FROM trace_edges WHERE output_id = ANY($1)", output_ids, "", edge_from).await
    }

    async fn trace_outputs(
        &self,
        input_ids: &[String],
        kinds: &[UnitKind],
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredEdge>> {
        // One input at a time: each is a range of the primary key already in output order, where one query over
        // several inputs would sort them all (or walk the output index end to end).
        let mut out = Vec::new();
        for input in input_ids {
            let mut query = QueryBuilder::<Postgres>::new("SELECT * FROM trace_edges WHERE input_id = ");
            query.push_bind(input.clone());
            if !kinds.is_empty() {
                query.push(" AND output_kind IN ");
                push_ids(&mut query, &kinds.iter().map(|k| k.as_str().to_string()).collect::<Vec<_>>());
            }
            if let Some(after) = after {
                query.push(" AND output_id > ").push_bind(after.to_string());
            }
            query.push(" ORDER BY output_id LIMIT ").push_bind(limit);
            for row in query.build().fetch_all(&self.pool).await? {
                out.push(edge_from(&row)?);
            }
        }
        out.sort_by(|a, b| a.output_id.cmp(&b.output_id));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    async fn trace_process_outputs(&self, input_ids: &[String]) -> Result<Vec<StoredEdge>> {
        // The literal kind lets the partial index `trace_edges_into_batches` serve the query.
        self.rows_in(
            "SELECT * FROM trace_edges WHERE output_kind = 'batch' AND input_id = ANY($1)",
            input_ids,
            "",
            edge_from,
        )
        .await
    }

    async fn trace_sources_of(&self, unit_ids: &[String]) -> Result<Vec<StoredSource>> {
        self.rows_in("SELECT * FROM trace_sources WHERE unit_id = ANY($1)", unit_ids, "", source_from).await
    }

    async fn trace_reached_by(&self, source_ids: &[String]) -> Result<Vec<StoredSource>> {
        self.rows_in("SELECT * FROM trace_sources WHERE source_id = ANY($1)", source_ids, "", source_from).await
    }

    async fn trace_backlog(&self, status: Option<&str>, limit: i64) -> Result<Vec<BacklogEvent>> {
        let rows = sqlx::query(
            "SELECT * FROM trace_backlog WHERE ($1::text IS NULL OR status = $1) ORDER BY first_seen, event_id LIMIT $2",
        )
        .bind(status)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(backlog_from).collect()
    }

    async fn trace_results_of(&self, unit_ids: &[String]) -> Result<Vec<StoredResult>> {
        self.rows_in(
            "SELECT * FROM trace_results WHERE unit_id = ANY($1)",
            unit_ids,
            " ORDER BY unit_id, tested_at, event_id",
            result_from,
        )
        .await
    }

    async fn trace_pack_of(&self, passport_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM trace_units WHERE passport_id = $1 AND kind = 'pack' LIMIT 1")
            .bind(passport_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    async fn trace_model_sources(&self, model_id: &str, year: Option<i32>) -> Result<ModelSources> {
        // Packs reach their model through their passports; the year is the pack's production year (UTC).
        let packs: i64 = sqlx::query_scalar(
            "SELECT COUNT(*)::BIGINT FROM trace_units u JOIN passports p ON p.id = u.passport_id
             WHERE u.kind = 'pack' AND p.model_id = $1 AND ($2 IS NULL OR EXTRACT(YEAR FROM u.produced_at AT TIME ZONE 'UTC') = $2)",
        )
        .bind(model_id)
        .bind(year)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT s.source_id, SUM(s.cells)::BIGINT AS cells, SUM(s.quantity)::DOUBLE PRECISION AS quantity
             FROM trace_units u JOIN passports p ON p.id = u.passport_id JOIN trace_sources s ON s.unit_id = u.id
             WHERE u.kind = 'pack' AND p.model_id = $1 AND ($2 IS NULL OR EXTRACT(YEAR FROM u.produced_at AT TIME ZONE 'UTC') = $2)
             GROUP BY s.source_id ORDER BY s.source_id",
        )
        .bind(model_id)
        .bind(year)
        .fetch_all(&self.pool)
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
        let rows = sqlx::query(
            "SELECT r.* FROM trace_results r JOIN trace_units u ON u.id = r.unit_id
             WHERE u.kind = 'cell' AND u.line = $1 AND r.tested_at >= $2 AND r.tested_at < $3
               AND ($4 IS NULL OR u.operator = $4)
             ORDER BY r.unit_id, r.tested_at, r.event_id",
        )
        .bind(line)
        .bind(from)
        .bind(to)
        .bind(operator)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(result_from).collect()
    }

    async fn trace_first_pass_yield(&self, from: OffsetDateTime, operator: Option<&str>) -> Result<Vec<LineDay>> {
        // A unit's first test is its earliest result row; retests do not count towards first-pass yield.
        let rows = sqlx::query(
            "SELECT u.line AS line, to_char(r.tested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*)::BIGINT AS tested, SUM(CASE WHEN r.passed THEN 1 ELSE 0 END)::BIGINT AS passed
             FROM trace_results r JOIN trace_units u ON u.id = r.unit_id
             WHERE u.kind = 'cell' AND u.line IS NOT NULL AND r.passed IS NOT NULL AND r.tested_at >= $1
               AND ($2 IS NULL OR u.operator = $2)
               AND r.event_id = (SELECT f.event_id FROM trace_results f WHERE f.unit_id = r.unit_id
                                 ORDER BY f.tested_at, f.event_id LIMIT 1)
             GROUP BY u.line, to_char(r.tested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') ORDER BY day, line",
        )
        .bind(from)
        .bind(operator)
        .fetch_all(&self.pool)
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
               AND substr(v.reason, 1, length($1)) = $1
             ORDER BY v.model_id",
        )
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn count_trace_units(&self) -> Result<Vec<(UnitKind, i64)>> {
        let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM trace_units GROUP BY kind ORDER BY kind")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((parse_kind(&r.try_get::<String, _>("kind")?)?, r.try_get("n")?))).collect()
    }
}

fn unit_row(row: &PgRow) -> Result<TraceUnitRow> {
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
        attributes: row.try_get("attributes")?,
        operator: row.try_get("operator")?,
        event_id: row.try_get("event_id")?,
        created_by: row.try_get("created_by")?,
    })
}

fn usage_row(row: &PgRow) -> Result<TraceUsageRow> {
    Ok(TraceUsageRow {
        unit_id: row.try_get("unit_id")?,
        used: row.try_get("used")?,
        base_uom: row.try_get("base_uom")?,
        consumers: row.try_get("consumers")?,
        cells: row.try_get("cells")?,
    })
}

fn event_row(row: &PgRow) -> Result<TraceEventRow> {
    Ok(TraceEventRow {
        event_id: row.try_get("event_id")?,
        unit_id: row.try_get("unit_id")?,
        kind: row.try_get("kind")?,
        actor_id: row.try_get("actor_id")?,
        applied_at: row.try_get("applied_at")?,
    })
}

#[async_trait]
impl TraceBackupStore for PostgresStore {
    async fn trace_unit_rows_after(&self, after: Option<&TraceUnitRow>, limit: i64) -> Result<Vec<TraceUnitRow>> {
        page(self, after, limit, unit_row).await
    }

    async fn trace_edge_rows_after(&self, after: Option<&StoredEdge>, limit: i64) -> Result<Vec<StoredEdge>> {
        page(self, after, limit, edge_from).await
    }

    async fn trace_usage_rows_after(&self, after: Option<&TraceUsageRow>, limit: i64) -> Result<Vec<TraceUsageRow>> {
        page(self, after, limit, usage_row).await
    }

    async fn trace_source_rows_after(&self, after: Option<&StoredSource>, limit: i64) -> Result<Vec<StoredSource>> {
        page(self, after, limit, source_from).await
    }

    async fn trace_event_rows_after(&self, after: Option<&TraceEventRow>, limit: i64) -> Result<Vec<TraceEventRow>> {
        page(self, after, limit, event_row).await
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
                    .push_bind(serde_json::to_value(&r.results).unwrap_or_default())
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
                    .push_bind(&u.attributes)
                    .push_bind(&u.operator)
                    .push_bind(&u.event_id)
                    .push_bind(&u.created_by);
            }
        )
    }

    async fn restore_trace_edges(&self, rows: &[StoredEdge]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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
                    .push_bind(event)
                    .push_bind(missing)
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
