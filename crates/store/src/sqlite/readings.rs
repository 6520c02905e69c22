//! Dynamic data on SQLite: readings in a WITHOUT ROWID table keyed by (passport, metric, time, source).

use super::{INSERT_CHUNK, SqliteStore, trust::chain_audit};
use crate::audit::AuditEvent;
use crate::readings::{batch_detail, bucketize};
use crate::{Reading, ReadingBucket, ReadingQuery, ReadingStore, ReadingsWritten, RejectedReading, Result};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

fn reading_from(row: &SqliteRow) -> Result<Reading> {
    Ok(Reading {
        passport_id: row.try_get("passport_id")?,
        metric: row.try_get("metric")?,
        at_ms: row.try_get("at_ms")?,
        source: row.try_get("source")?,
        value: row.try_get("value")?,
        note: row.try_get("note")?,
        actor_id: row.try_get("actor_id")?,
    })
}

#[async_trait]
impl ReadingStore for SqliteStore {
    async fn insert_readings(&self, readings: &[Reading], actor_id: &str) -> Result<ReadingsWritten> {
        if readings.is_empty() {
            return Ok(ReadingsWritten::default());
        }
        let mut tx = self.writer.begin().await?;
        let mut inserted = 0;
        // 7 parameters a row: stays under SQLite's bound-parameter limit.
        for chunk in readings.chunks(INSERT_CHUNK * 2) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT OR IGNORE INTO readings (passport_id, metric, at_ms, source, value, note, actor_id) ",
            );
            insert.push_values(chunk, |mut row, r| {
                row.push_bind(&r.passport_id)
                    .push_bind(&r.metric)
                    .push_bind(r.at_ms)
                    .push_bind(&r.source)
                    .push_bind(r.value)
                    .push_bind(&r.note)
                    .push_bind(actor_id);
            });
            inserted += insert.build().execute(&mut *tx).await?.rows_affected();
        }
        let written = ReadingsWritten { inserted, duplicates: readings.len() as u64 - inserted };
        let (subject, detail) = batch_detail(readings, written);
        chain_audit(&mut tx, vec![AuditEvent::new(actor_id, "readings.append", subject, detail)], crate::record::now())
            .await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn reject_readings(&self, rejected: &[RejectedReading]) -> Result<()> {
        if rejected.is_empty() {
            return Ok(());
        }
        let now = crate::record::now();
        let mut tx = self.writer.begin().await?;
        for chunk in rejected.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO rejected_readings (id, passport_id, channel, payload, reason, actor_id, received_at) ",
            );
            insert.push_values(chunk, |mut row, r| {
                row.push_bind(format!("rejected:{}", uuid::Uuid::now_v7().simple()))
                    .push_bind(&r.passport_id)
                    .push_bind(&r.channel)
                    .push_bind(&r.payload)
                    .push_bind(&r.reason)
                    .push_bind(&r.actor_id)
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rejected_readings(&self, passport_id: Option<&str>, limit: i64) -> Result<Vec<RejectedReading>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM rejected_readings");
        if let Some(id) = passport_id {
            query.push(" WHERE passport_id = ").push_bind(id.to_string());
        }
        query.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter()
            .map(|row| {
                Ok(RejectedReading {
                    passport_id: row.try_get("passport_id")?,
                    channel: row.try_get("channel")?,
                    payload: row.try_get("payload")?,
                    reason: row.try_get("reason")?,
                    actor_id: row.try_get("actor_id")?,
                })
            })
            .collect()
    }

    async fn latest_readings(&self, passport_id: &str) -> Result<Vec<Reading>> {
        // Per metric, the newest time; of several sources at that time, the smallest source name.
        let rows = sqlx::query(
            "SELECT r.* FROM readings r
             JOIN (SELECT metric, max(at_ms) AS at_ms FROM readings WHERE passport_id = ?1 GROUP BY metric) m
               ON r.metric = m.metric AND r.at_ms = m.at_ms
             WHERE r.passport_id = ?1 ORDER BY r.metric, r.source",
        )
        .bind(passport_id)
        .fetch_all(&self.reader)
        .await?;
        let mut latest: Vec<Reading> = Vec::new();
        for row in &rows {
            let reading = reading_from(row)?;
            if latest.last().is_none_or(|last| last.metric != reading.metric) {
                latest.push(reading);
            }
        }
        Ok(latest)
    }

    async fn readings(&self, q: &ReadingQuery) -> Result<Vec<Reading>> {
        let rows = sqlx::query(
            "SELECT * FROM readings WHERE passport_id = ?1 AND metric = ?2 AND at_ms BETWEEN ?3 AND ?4
             ORDER BY at_ms, source LIMIT ?5",
        )
        .bind(&q.passport_id)
        .bind(&q.metric)
        .bind(q.from_ms)
        .bind(q.to_ms)
        .bind(q.limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(reading_from).collect()
    }

    async fn reading_buckets(&self, q: &ReadingQuery, buckets: i64) -> Result<Vec<ReadingBucket>> {
        let rows = sqlx::query(
            "SELECT at_ms, value FROM readings WHERE passport_id = ?1 AND metric = ?2 AND at_ms BETWEEN ?3 AND ?4
             ORDER BY at_ms LIMIT ?5",
        )
        .bind(&q.passport_id)
        .bind(&q.metric)
        .bind(q.from_ms)
        .bind(q.to_ms)
        .bind(q.limit)
        .fetch_all(&self.reader)
        .await?;
        let points: Vec<(i64, f64)> =
            rows.iter().map(|r| Ok((r.try_get("at_ms")?, r.try_get("value")?))).collect::<Result<_>>()?;
        Ok(bucketize(&points, q.from_ms, q.to_ms, buckets))
    }

    async fn count_readings(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT count(*) AS n FROM readings").fetch_one(&self.reader).await?.try_get("n")?)
    }
}
