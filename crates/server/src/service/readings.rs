//! Dynamic data in: readings from battery management systems, workshops and test benches, over REST (JSON or
//! NDJSON, one passport or many) and MQTT. Every reading is checked (`passport::readings::parse`), every
//! refusal is kept with its reason and counted; duplicates (same passport, metric, time and source) are
//! ignored, so a client or broker may resend freely. Out-of-order readings are stored at their own time.

use passport::access::Audience;
use passport::readings::{self, ParsedReading, check_monotonic};
use quick_cache::sync::Cache;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use store::{Actor, Grant, PassportHead, Reading, ReadingBucket, ReadingQuery, RejectedReading};
use time::OffsetDateTime;

use super::grants::grant_covering;
use super::reads::{CEASED, audience};
use super::{PassportService, Result, ServiceError, may_write_for};

/// Payloads kept with a refusal are cut to this size.
const MAX_KEPT_PAYLOAD: usize = 2048;
/// Refusals listed in an answer (all are counted and stored).
const MAX_LISTED: usize = 100;

/// Where readings came from, for the record of refusals (a line's own `origin`, e.g. its MQTT topic, is
/// more precise and wins).
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    Rest,
    Mqtt,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Channel::Rest => "rest",
            Channel::Mqtt => "mqtt",
        }
    }
}

/// One input line: its text (for the record of a refusal) and the parsed JSON, or why it did not parse.
pub struct ReadingLine {
    pub text: String,
    pub json: std::result::Result<Value, String>,
    /// Where this line came from when batches mix origins (e.g. `mqtt:<topic>`); else the batch's channel.
    pub origin: Option<String>,
    /// The passport the channel says this line is for (an MQTT topic), kept with a refusal even when the
    /// line itself is unreadable.
    pub passport: Option<String>,
}

impl ReadingLine {
    pub fn parse(text: &str) -> ReadingLine {
        ReadingLine {
            text: text.to_string(),
            json: serde_json::from_str(text).map_err(|e| format!("malformed JSON: {e}")),
            origin: None,
            passport: None,
        }
    }

    pub fn value(value: Value) -> ReadingLine {
        ReadingLine { text: value.to_string(), json: Ok(value), origin: None, passport: None }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    /// 1-based line (or array element) number.
    pub line: usize,
    pub reason: String,
}

/// What became of a batch of readings.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestOutcome {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// The first refusals, each with its line and reason.
    pub refusals: Vec<Refusal>,
}

/// Latest value of each counter per passport, so counters running backwards are caught without a query per
/// reading. Filled from the store on first use; a server only sees its own writes after that, so in a
/// cluster each server checks against what it has seen (documented limit).
pub struct CounterCache {
    latest: Cache<(String, &'static str), (i64, f64)>,
    loaded: Cache<String, ()>,
}

impl Default for CounterCache {
    fn default() -> Self {
        CounterCache { latest: Cache::new(1_000_000), loaded: Cache::new(200_000) }
    }
}

impl PassportService {
    /// Checks and stores a batch of readings written by `actor`. `passport` is the one the URL names (lines may
    /// then leave `passportId` out); without it every line names its passport.
    pub async fn ingest_readings(
        &self,
        actor: &Actor,
        passport: Option<&str>,
        lines: Vec<ReadingLine>,
        channel: Channel,
    ) -> Result<IngestOutcome> {
        let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let origins: Vec<Option<String>> = lines.iter().map(|l| l.origin.clone()).collect();
        let mut refused: Vec<(usize, Option<String>, String, String)> = Vec::new();
        let mut parsed: Vec<(usize, String, ParsedReading, String)> = Vec::with_capacity(lines.len());
        for (i, line) in lines.into_iter().enumerate() {
            let named = line.passport.or_else(|| passport.map(str::to_string)).or_else(|| {
                line.json.as_ref().ok().and_then(|j| j.get("passportId")).and_then(Value::as_str).map(str::to_string)
            });
            let result = line.json.and_then(|json| readings::parse(&json, now_ms)).and_then(|r| {
                match (passport, r.passport_id.as_deref()) {
                    (Some(url), Some(line)) if url != line => {
                        Err(format!("passportId {line} differs from the passport in the URL"))
                    }
                    (Some(url), _) => Ok((url.to_string(), r)),
                    (None, Some(line)) => Ok((line.to_string(), r)),
                    (None, None) => Err("`passportId` is missing".into()),
                }
            });
            match result {
                Ok((id, r)) => parsed.push((i, id, r, line.text)),
                Err(reason) => refused.push((i, named, line.text, reason)),
            }
        }

        // Who may write to which passport: one query for the heads, one for the actor's grants.
        let mut ids: Vec<String> = parsed.iter().map(|(_, id, _, _)| id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        let heads: HashMap<String, PassportHead> =
            self.store.passport_heads(&ids).await?.into_iter().map(|h| (h.id.clone(), h)).collect();
        let mut verdicts: HashMap<String, std::result::Result<(), String>> = HashMap::new();
        let mut held = None;
        for id in &ids {
            let verdict = match heads.get(id) {
                None => Err(format!("passport {id} not found")),
                Some(head) => self.may_write_readings(actor, head, &mut held).await?,
            };
            verdicts.insert(id.clone(), verdict);
        }

        // Counters in time order per passport and metric, against what is stored.
        parsed.sort_by(|a, b| (&a.1, a.2.metric.name, a.2.at_ms).cmp(&(&b.1, b.2.metric.name, b.2.at_ms)));
        let mut accepted: Vec<Reading> = Vec::with_capacity(parsed.len());
        for (i, id, r, text) in parsed {
            if let Some(Err(why)) = verdicts.get(&id) {
                refused.push((i, Some(id), text, why.clone()));
                continue;
            }
            if r.metric.cumulative
                && let Err(why) = self.check_counter(&id, &r).await?
            {
                refused.push((i, Some(id), text, why));
                continue;
            }
            accepted.push(Reading {
                passport_id: id,
                metric: r.metric.name.to_string(),
                at_ms: r.at_ms,
                source: r.source,
                value: r.value,
                note: r.note,
                actor_id: actor.id.clone(),
            });
        }

        let written = match self.store.insert_readings(&accepted, &actor.id).await {
            Ok(written) => written,
            Err(e) => {
                // The counters cached above may include readings that were never stored.
                for r in &accepted {
                    self.counters.loaded.remove(&r.passport_id);
                }
                return Err(e.into());
            }
        };
        refused.sort_by_key(|r| r.0);
        let records: Vec<RejectedReading> = refused
            .iter()
            .map(|(i, id, text, reason)| RejectedReading {
                passport_id: id.clone(),
                channel: origins[*i].clone().unwrap_or_else(|| channel.name().to_string()),
                payload: truncate(text),
                reason: reason.clone(),
                actor_id: actor.id.clone(),
            })
            .collect();
        self.store.reject_readings(&records).await?;
        Ok(IngestOutcome {
            accepted: written.inserted,
            duplicates: written.duplicates,
            rejected: refused.len() as u64,
            refusals: refused
                .into_iter()
                .take(MAX_LISTED)
                .map(|(i, _, _, reason)| Refusal { line: i + 1, reason })
                .collect(),
        })
    }

    /// The responsible operator (and admins) may write readings, and actors holding a grant for `readings`.
    /// Ended and superseded passports take none. `held` is the actor's grants, read once per batch when first
    /// needed (a grantee's batch may span thousands of passports).
    async fn may_write_readings(
        &self,
        actor: &Actor,
        head: &PassportHead,
        held: &mut Option<Vec<Grant>>,
    ) -> Result<std::result::Result<(), String>> {
        if head.status == CEASED {
            return Ok(Err(format!("passport {} has ended (battery recycled)", head.id)));
        }
        if let Some(successor) = &head.successor_id {
            return Ok(Err(format!("passport {} was succeeded by {successor}: send readings there", head.id)));
        }
        if may_write_for(actor, &head.responsible).is_ok() {
            return Ok(Ok(()));
        }
        if held.is_none() {
            *held = Some(self.store.grants_for(Some(&actor.id), None).await?);
        }
        let groups = ["readings".to_string()];
        match grant_covering(held.as_deref().unwrap_or_default(), head, &groups, OffsetDateTime::now_utc()) {
            Some(_) => Ok(Ok(())),
            None => {
                Ok(Err(format!("{} may not write readings of passport {} (no grant for readings)", actor.id, head.id)))
            }
        }
    }

    /// A counter reading must not be below an earlier value nor above a later one (as far as this server knows
    /// the latest value); accepted ones become the new reference.
    async fn check_counter(&self, id: &str, r: &ParsedReading) -> Result<std::result::Result<(), String>> {
        if self.counters.loaded.get(id).is_none() {
            for stored in self.store.latest_readings(id).await? {
                if let Some(metric) = readings::metric(&stored.metric).filter(|m| m.cumulative) {
                    self.counters.latest.insert((id.to_string(), metric.name), (stored.at_ms, stored.value));
                }
            }
            self.counters.loaded.insert(id.to_string(), ());
        }
        let key = (id.to_string(), r.metric.name);
        let latest = self.counters.latest.get(&key);
        let verdict = match latest {
            Some((at, value)) if r.at_ms >= at => check_monotonic(r.metric, r.value, Some(value), None),
            Some((_, value)) => check_monotonic(r.metric, r.value, None, Some(value)),
            None => Ok(()),
        };
        if verdict.is_ok() && latest.is_none_or(|(at, _)| r.at_ms >= at) {
            self.counters.latest.insert(key, (r.at_ms, r.value));
        }
        Ok(verdict)
    }

    /// Readings of one metric over a time range, raw or in `points` buckets, for readers who may see the
    /// passport's dynamic data (legitimate interest, authorities, the responsible operator).
    pub async fn reading_history(
        &self,
        reader: Option<&Actor>,
        query: ReadingQuery,
        points: Option<i64>,
    ) -> Result<ReadingHistory> {
        let head = self.head(&query.passport_id).await?;
        if audience(reader, &head) == Audience::Public {
            return Err(ServiceError::Forbidden(
                "dynamic data is for persons with a legitimate interest, authorities and the responsible operator"
                    .into(),
            ));
        }
        if readings::metric(&query.metric).is_none() {
            return Err(ServiceError::BadRequest(format!("unknown metric `{}`", query.metric)));
        }
        Ok(match points {
            Some(points) => ReadingHistory::Buckets(self.store.reading_buckets(&query, points).await?),
            None => ReadingHistory::Raw(self.store.readings(&query).await?),
        })
    }

    /// State of health (%) over the battery's life, in at most 60 points: the state of certified energy where
    /// it is measured (EV), else 100 % minus capacity fade.
    pub async fn health_curve(&self, id: &str) -> Result<Vec<(i64, f64)>> {
        let latest = self.store.latest_readings(id).await?;
        for (metric, to_health) in [("stateOfCertifiedEnergy", false), ("capacityFade", true)] {
            let mut query = ReadingQuery {
                passport_id: id.to_string(),
                metric: metric.to_string(),
                from_ms: i64::MIN / 2,
                to_ms: i64::MAX / 2,
                limit: 1,
            };
            // The buckets span from the first reading to the last.
            let Some(first) = self.store.readings(&query).await?.into_iter().next() else { continue };
            let Some(last) = latest.iter().find(|r| r.metric == metric) else { continue };
            (query.from_ms, query.to_ms, query.limit) = (first.at_ms, last.at_ms, 1_000_000);
            let buckets = self.store.reading_buckets(&query, 60).await?;
            if buckets.len() >= 2 {
                return Ok(buckets
                    .iter()
                    .map(|b| (b.last_ms, if to_health { 100.0 - b.mean } else { b.mean }))
                    .collect());
            }
        }
        Ok(Vec::new())
    }

    /// Refused readings of a passport (its operator and admins) or of all passports (admins).
    pub async fn rejected_readings(&self, actor: &Actor, passport: Option<&str>) -> Result<Vec<RejectedReading>> {
        match passport {
            Some(id) => may_write_for(actor, &self.head(id).await?.responsible)?,
            None if actor.role == store::Role::Admin => {}
            None => return Err(ServiceError::Forbidden("name a passport: `passportId`".into())),
        }
        Ok(self.store.rejected_readings(passport, 1000).await?)
    }
}

/// Readings as asked for: every reading, or aggregated buckets.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ReadingHistory {
    Raw(Vec<Reading>),
    Buckets(Vec<ReadingBucket>),
}

fn truncate(text: &str) -> String {
    if text.len() <= MAX_KEPT_PAYLOAD {
        return text.to_string();
    }
    let mut end = MAX_KEPT_PAYLOAD;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
