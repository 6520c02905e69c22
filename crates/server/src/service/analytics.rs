//! Analytics in the service: end-of-line screening of a line's cells (flagged cells can be put on hold, and held
//! units cannot go into modules or packs), cycle-life predictions and state-of-health estimates for passports,
//! and each line's first-pass yield with its forecast. Every result is stored with the model that made it (name,
//! version, hash of its training data) and the hash of its input, attributed to the actor who asked.

use std::collections::{BTreeMap, HashSet};

use analytics::anomaly::{CellFeatures, CellScreening, ScreenConfig, Screening, screen};
use analytics::cycle_life::{EarlyCycles, Model, Prediction};
use analytics::health::{HealthConfig, HealthEstimate, Reading as HealthReading};
use analytics::line_yield::{DayCount, YieldForecast, forecast};
use passport::access::Audience;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{
    Actor, AnalyticsModelRow, AnalyticsResult, AuditEvent, ReadingQuery, ResultFilter, Role, StoredUnit, UnitHold,
};
use time::OffsetDateTime;

use super::reads::audience;
use super::{PassportService, Result, ServiceError, may_write_for};

/// The end-of-line screening method, as results name it (robust z and reweighted FastMCD Mahalanobis).
pub const SCREENING_MODEL: (&str, &str) = ("eol-screening-robust-z-fastmcd", "1");
/// The state-of-health estimator (Theil-Sen level, block-bootstrap first passage).
pub const HEALTH_MODEL: (&str, &str) = ("soh-theil-sen-bootstrap", "1");
/// Results listed at most per request.
pub const RESULTS_LIMIT: i64 = 1_000;

/// A screening of one line's cells tested in a window.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScreenRequest {
    pub line: String,
    /// Start of the window (inclusive, RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    /// End of the window (exclusive, RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub to: OffsetDateTime,
    /// Put flagged cells on hold (default true).
    #[serde(default = "yes")]
    pub hold: bool,
    /// Screen only these result names (all numeric results when absent).
    #[serde(default)]
    pub features: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

/// A flagged cell, with why.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlaggedCell {
    pub unit_id: String,
    pub result_id: String,
    /// The larger of the univariate and multivariate scores (1 or more is flagged).
    pub score: f64,
    /// The features that drove the score, strongest first.
    pub drivers: Vec<String>,
    /// Put on hold by this screening (false when it was already on hold or holds were not asked for).
    pub held: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenOutcome {
    pub run_id: String,
    pub line: String,
    pub cells: usize,
    pub flagged: Vec<FlaggedCell>,
    pub model: String,
    pub screening: Screening,
}

/// A model reference as predictions carry it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelRef {
    pub name: String,
    pub version: String,
    pub training_data_sha256: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleLifeOutcome {
    pub prediction: Prediction,
    pub model: ModelRef,
    /// The stored result, when the prediction was made for a passport.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthOutcome {
    pub passport_id: String,
    pub rated_capacity_ah: f64,
    /// What the readings were paired on: equivalent full cycles, or days when the battery reports no cycles.
    pub axis: &'static str,
    pub readings: usize,
    pub estimate: HealthEstimate,
    pub model: ModelRef,
    pub result_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineYield {
    pub line: String,
    #[serde(flatten)]
    pub forecast: YieldForecast,
}

/// What is stored of one prediction for a passport (besides its input and output).
struct PassportResult<'a> {
    kind: &'static str,
    passport_id: &'a str,
    model: &'a ModelRef,
    /// Outside the model's training range, or an extrapolation the data cannot support.
    flagged: bool,
    /// The figures the audit entry names.
    summary: Value,
}

fn sha256_of(value: &impl Serialize) -> String {
    let json = serde_json::to_value(value).unwrap_or(Value::Null);
    passport::hash::sha256_hex(passport::hash::canonical_json(&json).as_bytes())
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Who records production analytics: administrators (all units) and economic operators (their own).
fn analytics_writer(actor: &Actor) -> Result<Option<String>> {
    match (actor.role, &actor.organisation) {
        (Role::Admin, _) => Ok(None),
        (Role::EconomicOperator, Some(org)) => Ok(Some(org.clone())),
        (role, _) => Err(ServiceError::Forbidden(format!("role {role} may not run production analytics"))),
    }
}

/// Who reads production analytics: administrators and authorities (all), economic operators (their own).
fn analytics_reader(actor: &Actor) -> Result<Option<String>> {
    match (actor.role, &actor.organisation) {
        (Role::Admin | Role::Authority, _) => Ok(None),
        (Role::EconomicOperator, Some(org)) => Ok(Some(org.clone())),
        (role, _) => Err(ServiceError::Forbidden(format!("role {role} may not read production analytics"))),
    }
}

fn owned(unit: &StoredUnit, own: Option<&str>) -> bool {
    own.is_none() || unit.operator.as_deref() == own
}

/// The larger score of a screened cell and the features behind it.
fn score_and_drivers(cell: &CellScreening) -> (f64, Vec<String>) {
    let multi = cell.multivariate.as_ref();
    let score = cell.univariate.score.max(multi.map_or(0.0, |m| m.score));
    let mut drivers: Vec<String> = match multi.filter(|m| m.score >= cell.univariate.score) {
        Some(m) => m.drivers.iter().take(3).map(|d| d.feature.clone()).collect(),
        None => cell.univariate.z.iter().take(3).map(|z| z.feature.clone()).collect(),
    };
    drivers.dedup();
    (score, drivers)
}

impl PassportService {
    /// Registers a model (idempotent) and returns its reference.
    async fn registered(&self, name: &str, version: &str, hash: &str, model: Value) -> Result<ModelRef> {
        let row = AnalyticsModelRow {
            name: name.to_string(),
            version: version.to_string(),
            training_data_sha256: hash.to_string(),
            model,
            registered_at: OffsetDateTime::now_utc(),
        };
        self.store.register_analytics_model(&row).await?;
        Ok(ModelRef { name: row.name, version: row.version, training_data_sha256: row.training_data_sha256 })
    }

    async fn registered_cycle_life(&self, model: &Model) -> Result<ModelRef> {
        let value = serde_json::to_value(model).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.registered(&model.name, &model.version, &model.training.training_data_sha256, value).await
    }

    /// Screens the cells of one line tested in a window, stores every cell's result, and (unless asked not to)
    /// puts the flagged ones on hold.
    pub async fn screen_line(&self, actor: &Actor, request: ScreenRequest) -> Result<ScreenOutcome> {
        let own = analytics_writer(actor)?;
        if request.to <= request.from {
            return Err(ServiceError::BadRequest("the window ends before it starts: `to` must be after `from`".into()));
        }
        let results = self.store.trace_line_results(&request.line, request.from, request.to, own.as_deref()).await?;
        // The latest result of each cell (they come by unit, oldest first).
        let wanted = |name: &String| request.features.as_ref().is_none_or(|f| f.contains(name));
        let mut latest: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for r in results {
            let numbers = r.results.into_iter().filter(|(k, _)| wanted(k)).collect();
            latest.insert(r.unit_id, numbers);
        }
        let cells: Vec<CellFeatures> = latest.into_iter().map(|(id, features)| CellFeatures { id, features }).collect();
        let screening = screen(&cells, &ScreenConfig::default()).map_err(|e| {
            ServiceError::BadRequest(format!("cannot screen line {} in this window: {e}", request.line))
        })?;
        let model = self
            .registered(
                SCREENING_MODEL.0,
                SCREENING_MODEL.1,
                "none (unsupervised, per group)",
                json!({
                    "zThreshold": screening.z_threshold, "chi2Quantile": screening.chi2_quantile,
                }),
            )
            .await?;
        let flagged_ids: Vec<String> = screening.cells.iter().filter(|c| c.flagged).map(|c| c.id.clone()).collect();
        let already: Vec<String> =
            self.store.holds_in_force(Some(&flagged_ids)).await?.into_iter().map(|h| h.unit_id).collect();
        let (run_id, now) = (new_id(), OffsetDateTime::now_utc());
        let inputs: BTreeMap<&str, &CellFeatures> = cells.iter().map(|c| (c.id.as_str(), c)).collect();
        let (mut rows, mut holds, mut flagged) = (Vec::new(), Vec::new(), Vec::new());
        for cell in &screening.cells {
            let result_id = new_id();
            rows.push(AnalyticsResult {
                id: result_id.clone(),
                kind: "eol-screening".into(),
                subject: cell.id.clone(),
                line: Some(request.line.clone()),
                run_id: run_id.clone(),
                model_name: model.name.clone(),
                model_version: model.version.clone(),
                input_sha256: sha256_of(&inputs.get(cell.id.as_str())),
                output: serde_json::to_value(cell).map_err(|e| ServiceError::Internal(e.to_string()))?,
                flagged: cell.flagged,
                actor_id: actor.id.clone(),
                created_at: now,
            });
            if !cell.flagged {
                continue;
            }
            let (score, drivers) = score_and_drivers(cell);
            let held = request.hold && !already.contains(&cell.id);
            if held {
                holds.push(UnitHold {
                    seq: 0,
                    unit_id: cell.id.clone(),
                    action: "hold".into(),
                    reason: format!(
                        "end-of-line anomaly on line {}, score {score:.2}, driven by {}",
                        request.line,
                        drivers.join(", ")
                    ),
                    result_id: Some(result_id.clone()),
                    actor_id: actor.id.clone(),
                    at: now,
                });
            }
            flagged.push(FlaggedCell { unit_id: cell.id.clone(), result_id, score, drivers, held });
        }
        let detail =
            json!({"runId": run_id, "cells": screening.n_cells, "flagged": flagged.len(), "held": holds.len()});
        let audit = vec![AuditEvent::new(&actor.id, "analytics.screen", &request.line, detail)];
        self.store.write_analytics(&rows, &holds, audit, now).await?;
        Ok(ScreenOutcome {
            run_id,
            line: request.line,
            cells: screening.n_cells,
            flagged,
            model: format!("{}@{}", model.name, model.version),
            screening,
        })
    }

    /// Puts a unit on hold (`hold`) or releases it (`release`), with a reason.
    pub async fn set_hold(&self, actor: &Actor, unit_id: &str, action: &str, reason: &str) -> Result<UnitHold> {
        let own = analytics_writer(actor)?;
        if reason.trim().is_empty() {
            return Err(ServiceError::BadRequest("say why: `reason` may not be empty".into()));
        }
        let unit = self.store.trace_units(&[unit_id.to_string()]).await?.into_iter().next();
        let unit = unit.filter(|u| owned(u, own.as_deref()));
        let Some(unit) = unit else { return Err(ServiceError::NotFound(format!("no traced unit `{unit_id}`"))) };
        let on_hold = !self.store.holds_in_force(Some(std::slice::from_ref(&unit.id))).await?.is_empty();
        match (action, on_hold) {
            ("hold", true) => return Err(ServiceError::Duplicate(format!("{unit_id} is already on hold"))),
            ("release", false) => return Err(ServiceError::BadRequest(format!("{unit_id} is not on hold"))),
            ("hold" | "release", _) => {}
            _ => return Err(ServiceError::BadRequest(format!("unknown hold action `{action}`"))),
        }
        let now = OffsetDateTime::now_utc();
        let hold = UnitHold {
            seq: 0,
            unit_id: unit.id.clone(),
            action: action.to_string(),
            reason: reason.to_string(),
            result_id: None,
            actor_id: actor.id.clone(),
            at: now,
        };
        let audit =
            vec![AuditEvent::new(&actor.id, &format!("analytics.{action}"), &unit.id, json!({"reason": reason}))];
        self.store.write_analytics(&[], std::slice::from_ref(&hold), audit, now).await?;
        Ok(hold)
    }

    /// Of these unit ids, the ones the reader may see (all for administrators and authorities).
    async fn visible_units(&self, own: Option<&str>, ids: &[String]) -> Result<HashSet<String>> {
        if own.is_none() {
            return Ok(ids.iter().cloned().collect());
        }
        let units = self.store.trace_units(ids).await?;
        Ok(units.into_iter().filter(|u| owned(u, own)).map(|u| u.id).collect())
    }

    /// Holds in force on the reader's units.
    pub async fn holds(&self, actor: &Actor) -> Result<Vec<UnitHold>> {
        let own = analytics_reader(actor)?;
        let holds = self.store.holds_in_force(None).await?;
        let ids: Vec<String> = holds.iter().map(|h| h.unit_id.clone()).collect();
        let mine = self.visible_units(own.as_deref(), &ids).await?;
        Ok(holds.into_iter().filter(|h| mine.contains(&h.unit_id)).collect())
    }

    /// The hold in force on a unit the reader may see, if any.
    pub async fn hold_of(&self, actor: &Actor, unit_id: &str) -> Result<Option<UnitHold>> {
        let own = analytics_reader(actor)?;
        let ids = [unit_id.to_string()];
        if self.visible_units(own.as_deref(), &ids).await?.is_empty() {
            return Ok(None);
        }
        Ok(self.store.holds_in_force(Some(&ids)).await?.into_iter().next())
    }

    /// Screening results (flagged only, or all) of the reader's units, newest first.
    pub async fn screening_results(&self, actor: &Actor, filter: ResultFilter) -> Result<Vec<AnalyticsResult>> {
        let own = analytics_reader(actor)?;
        let filter = ResultFilter { kind: Some("eol-screening".into()), ..filter };
        let results = self.store.analytics_results(&filter, RESULTS_LIMIT).await?;
        let ids: Vec<String> = results.iter().map(|r| r.subject.clone()).collect();
        let mine = self.visible_units(own.as_deref(), &ids).await?;
        Ok(results.into_iter().filter(|r| mine.contains(&r.subject)).collect())
    }

    /// Predicts a cell's cycle life from its first 100 cycles; for a passport (its operator or an administrator),
    /// the prediction is stored as the passport's expected-lifetime suggestion.
    pub async fn predict_cycle_life(
        &self,
        actor: &Actor,
        passport_id: Option<&str>,
        input: EarlyCycles,
    ) -> Result<CycleLifeOutcome> {
        if let Some(id) = passport_id {
            may_write_for(actor, &self.head(id).await?.responsible)?;
        }
        let model = match input.capacity_fade {
            Some(_) => analytics::cycle_life::embedded_model(),
            None => analytics::cycle_life::embedded_curves_model(),
        };
        let prediction = model.predict(&input).map_err(|e| ServiceError::BadRequest(format!("early cycles: {e}")))?;
        let reference = self.registered_cycle_life(model).await?;
        let Some(passport_id) = passport_id else {
            return Ok(CycleLifeOutcome { prediction, model: reference, result_id: None });
        };
        let flagged = !prediction.outside_training_range.is_empty();
        let summary = json!({"model": prediction.model, "cycleLife": prediction.cycle_life});
        let record = PassportResult { kind: "cycle-life", passport_id, model: &reference, flagged, summary };
        let id = self.record_for_passport(actor, record, &input, &prediction).await?;
        Ok(CycleLifeOutcome { prediction, model: reference, result_id: Some(id) })
    }

    /// Estimates a passport's state of health and remaining useful life from its readings (remaining capacity
    /// against equivalent full cycles, or days when it reports no cycles), and stores the estimate.
    pub async fn estimate_health(&self, actor: &Actor, passport_id: &str, eol_fraction: f64) -> Result<HealthOutcome> {
        let head = self.head(passport_id).await?;
        may_write_for(actor, &head.responsible)?;
        let doc = self.passport_for(passport_id, None, Audience::Operator).await?.document;
        let rated = doc
            .pointer("/performance/batteryTechicalProperties/ratedCapacity")
            .and_then(Value::as_f64)
            .filter(|r| *r > 0.0)
            .ok_or_else(|| ServiceError::BadRequest(format!("passport {passport_id} states no rated capacity")))?;
        let series = |metric: &str| ReadingQuery {
            passport_id: passport_id.to_string(),
            metric: metric.to_string(),
            from_ms: i64::MIN / 2,
            to_ms: i64::MAX / 2,
            limit: 1_000_000,
        };
        let capacity = self.store.readings(&series("remainingCapacity")).await?;
        let cycles = self.store.readings(&series("numberOfFullCycles")).await?;
        let (axis, readings) = pair_readings(&capacity, &cycles);
        let config = HealthConfig { eol_fraction, ..HealthConfig::default() };
        let estimate = analytics::health::estimate(&readings, rated, &config)
            .map_err(|e| ServiceError::BadRequest(format!("cannot estimate the state of health: {e}")))?;
        let parameters =
            json!({"eolFraction": eol_fraction, "interval": config.interval, "bootstrap": config.bootstrap});
        let reference =
            self.registered(HEALTH_MODEL.0, HEALTH_MODEL.1, "none (fitted per battery)", parameters).await?;
        let summary = json!({"soh": estimate.soh, "rul": estimate.rul});
        let flagged = !estimate.extrapolation_supported;
        let record = PassportResult { kind: "state-of-health", passport_id, model: &reference, flagged, summary };
        let id = self.record_for_passport(actor, record, &readings, &estimate).await?;
        Ok(HealthOutcome {
            passport_id: passport_id.to_string(),
            rated_capacity_ah: rated,
            axis,
            readings: readings.len(),
            estimate,
            model: reference,
            result_id: id,
        })
    }

    /// Stores one prediction or estimate for a passport, with its input's hash and an audit entry; returns its id.
    async fn record_for_passport(
        &self,
        actor: &Actor,
        record: PassportResult<'_>,
        input: &impl Serialize,
        output: &impl Serialize,
    ) -> Result<String> {
        let (id, now) = (new_id(), OffsetDateTime::now_utc());
        let row = AnalyticsResult {
            id: id.clone(),
            kind: record.kind.to_string(),
            subject: record.passport_id.to_string(),
            line: None,
            run_id: id.clone(),
            model_name: record.model.name.clone(),
            model_version: record.model.version.clone(),
            input_sha256: sha256_of(input),
            output: serde_json::to_value(output).map_err(|e| ServiceError::Internal(e.to_string()))?,
            flagged: record.flagged,
            actor_id: actor.id.clone(),
            created_at: now,
        };
        let mut detail = record.summary;
        detail["resultId"] = json!(id);
        let action = format!("analytics.{}", record.kind);
        let audit = vec![AuditEvent::new(&actor.id, &action, record.passport_id, detail)];
        self.store.write_analytics(std::slice::from_ref(&row), &[], audit, now).await?;
        Ok(id)
    }

    /// A passport's predictions and estimates, newest first: for its operator, administrators, authorities and
    /// persons with a legitimate interest (expected lifetime and state of health are theirs to see, Annex XIII).
    pub async fn passport_analytics(&self, reader: Option<&Actor>, passport_id: &str) -> Result<Vec<AnalyticsResult>> {
        let head = self.head(passport_id).await?;
        if audience(reader, &head) == Audience::Public {
            return Err(match reader {
                None => ServiceError::Forbidden("sign in to read a passport's predictions".into()),
                Some(_) => ServiceError::Forbidden(
                    "only the operator, authorities and persons with a legitimate interest read predictions".into(),
                ),
            });
        }
        let filter = ResultFilter { subject: Some(passport_id.to_string()), ..ResultFilter::default() };
        let results = self.store.analytics_results(&filter, RESULTS_LIMIT).await?;
        Ok(results.into_iter().filter(|r| r.kind != "eol-screening").collect())
    }

    /// First-pass yield per line and day since `days` ago, each line with its forecast.
    pub async fn line_yield(&self, actor: &Actor, days: i64) -> Result<Vec<LineYield>> {
        let own = analytics_reader(actor)?;
        let from = OffsetDateTime::now_utc() - time::Duration::days(days.clamp(1, 3_650));
        let mut by_line: BTreeMap<String, Vec<DayCount>> = BTreeMap::new();
        for d in self.store.trace_first_pass_yield(from, own.as_deref()).await? {
            let count = DayCount { day: d.day, tested: d.tested.max(0) as u64, passed: d.passed.max(0) as u64 };
            by_line.entry(d.line).or_default().push(count);
        }
        Ok(by_line.into_iter().map(|(line, days)| LineYield { line, forecast: forecast(&days, 0.9) }).collect())
    }

    /// The models results were made with.
    pub async fn analytics_models(&self) -> Result<Vec<AnalyticsModelRow>> {
        Ok(self.store.analytics_models().await?)
    }
}

/// Remaining capacity against equivalent full cycles (the latest cycle count at or before each capacity
/// reading); against days since the first reading when the battery reports no cycle count.
fn pair_readings(capacity: &[store::Reading], cycles: &[store::Reading]) -> (&'static str, Vec<HealthReading>) {
    let mut out: Vec<HealthReading> = Vec::new();
    if cycles.is_empty() {
        let first = capacity.first().map_or(0, |r| r.at_ms);
        for r in capacity {
            let at = (r.at_ms - first) as f64 / 86_400_000.0;
            if out.last().is_none_or(|last| at > last.at) {
                out.push(HealthReading { at, capacity: r.value });
            }
        }
        return ("days", out);
    }
    let mut next = 0;
    let mut count: Option<f64> = None;
    for r in capacity {
        while next < cycles.len() && cycles[next].at_ms <= r.at_ms {
            count = Some(cycles[next].value);
            next += 1;
        }
        // The axis must increase: of readings at one cycle count, the first stands.
        if let Some(at) = count
            && out.last().is_none_or(|last| at > last.at)
        {
            out.push(HealthReading { at, capacity: r.value });
        }
    }
    ("equivalentFullCycles", out)
}
