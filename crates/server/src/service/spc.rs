//! SPC over supplier characteristics (issue 6): every received CoA's values are points of their series
//! (supplier × material × characteristic), watched by a [`SeriesMonitor`] whose state the store keeps. A new
//! point beyond its control limits, or completing a CUSUM signal, holds the lot; run-rule patterns are raised
//! as alarms for review without holding it (with 20 characteristics × 4 rules, holding on every pattern
//! would quarantine a large share of good lots). A recompute rebuilds every series from the stored CoAs in
//! manufacturing order, counting only the latest revision of each lot.

use std::collections::HashMap;
use std::sync::Arc;

use quality::spc::monitor::{MonitorOptions, SeriesMonitor, Signal};
use quality::spc::series::{CoaPoints, points_of};
use quality::spec;
use serde_json::json;
use store::{
    Actor, AlarmAck, AlarmFilter, AuditEvent, NewAlarm, Role, SeriesId, SpcWrite, Store, StoredAlarm, StoredSeries,
};
use time::{Date, OffsetDateTime};

use super::quality::{Checked, quality_reader};
use super::{PassportService, Result, ServiceError};

/// Signals that hold the lot; the others are for review.
const HOLDING_RULES: [&str; 4] = ["beyond-ucl", "beyond-lcl", "cusum-upper", "cusum-lower"];

/// Run rules that restate a point beyond the limits (reported as `beyond-ucl`/`beyond-lcl` already).
const DUPLICATE_RULES: [&str; 2] = ["WE1", "N1"];

/// The signals worth an alarm: each cause once.
fn distinct(signals: Vec<Signal>) -> impl Iterator<Item = Signal> {
    signals.into_iter().filter(|s| !DUPLICATE_RULES.contains(&s.rule.as_str()))
}

/// Lots in a series' Phase I baseline. Individuals limits from 25 points are too uncertain: a low sigma
/// estimate makes a steady supplier raise alarm after alarm (Quesenberry recommends 100 and more for
/// individuals charts); 50 is about a year of weekly lots.
pub const BASELINE_LOTS: usize = 50;

/// How every series is watched.
pub fn monitor_options() -> MonitorOptions {
    MonitorOptions { baseline_size: BASELINE_LOTS, ..MonitorOptions::default() }
}

/// The series batches of CoAs touch, as read from the store, and what the batches do to them. Held across the
/// batches of one import ([`super::coa_pipeline`]), it is the state each series will have once the batches
/// decided before are written: the next batch is decided while the one before is written.
#[derive(Default)]
pub(super) struct WatchedSeries {
    /// By (supplier, material), then characteristic: a point is looked up without building its series id.
    series: HashMap<(String, String), HashMap<String, Watched>>,
    alarms: Vec<NewAlarm>,
}

struct Watched {
    monitor: SeriesMonitor,
    /// The version the next write expects in the store (0: new).
    version: i64,
    changed: bool,
}

impl WatchedSeries {
    /// Reads the series of every (supplier, material) in the batch not held yet.
    pub(super) async fn load_missing(&mut self, store: &dyn Store, batch: &[Checked]) -> Result<()> {
        let pairs = super::quality::supplier_materials(batch.iter());
        for pair in pairs {
            if self.series.contains_key(&pair) {
                continue;
            }
            let stored = store.series(Some(&pair.0), Some(&pair.1)).await?;
            let of_pair = self.series.entry(pair).or_default();
            for stored in stored {
                let monitor = monitor_from(&stored)?;
                of_pair.insert(stored.id.characteristic, Watched { monitor, version: stored.version, changed: false });
            }
        }
        Ok(())
    }

    /// Adds a CoA's values to their series; returns the signals that hold the lot, for its decision.
    pub(super) fn observe(&mut self, coa_id: &str, checked: &Checked) -> Vec<spec::Alarm> {
        let key = checked.coa.lot_key();
        let pair = (key.supplier_id.trim().to_string(), key.material_id.trim().to_string());
        let mut holding = Vec::new();
        let of_pair = self.series.entry(pair).or_default();
        for (characteristic, value) in points_of(&checked.coa, &checked.spec) {
            if !of_pair.contains_key(&characteristic) {
                let fresh = Watched { monitor: SeriesMonitor::new(monitor_options()), version: 0, changed: false };
                of_pair.insert(characteristic.clone(), fresh);
            }
            let watched = of_pair.get_mut(&characteristic).expect("the series was added above");
            watched.changed = true;
            for signal in distinct(watched.monitor.observe(value)) {
                if HOLDING_RULES.contains(&signal.rule.as_str()) {
                    holding.push(spec::Alarm {
                        characteristic: characteristic.clone(),
                        rule: signal.rule.clone(),
                        detail: signal.detail.clone(),
                    });
                }
                let id = series_id((key.supplier_id.trim(), key.material_id.trim(), &characteristic));
                let lot = (checked.coa.lot.number.trim(), checked.coa.lot.manufactured_on);
                self.alarms.push(new_alarm(&id, coa_id, lot, signal, checked.received_at));
            }
        }
        holding
    }

    /// The series changed since the last call (with the versions the store holds) and the new alarms. Their
    /// held versions move on to those the write will store.
    pub(super) fn take_write(&mut self, now: OffsetDateTime) -> SpcWrite {
        let mut series: Vec<StoredSeries> = Vec::new();
        for ((supplier_id, material_id), of_pair) in &mut self.series {
            for (characteristic, w) in of_pair.iter_mut().filter(|(_, w)| w.changed) {
                series.push(StoredSeries {
                    id: SeriesId {
                        supplier_id: supplier_id.clone(),
                        material_id: material_id.clone(),
                        characteristic: characteristic.clone(),
                    },
                    state: state_of(&w.monitor),
                    version: w.version,
                    updated_at: now,
                });
                w.version += 1;
                w.changed = false;
            }
        }
        // One order for every writer, so two batches lock rows alike.
        series.sort_by(|a, b| a.id.cmp(&b.id));
        SpcWrite { series, alarms: std::mem::take(&mut self.alarms), sampling: Vec::new() }
    }
}

fn series_id((supplier, material, characteristic): (&str, &str, &str)) -> SeriesId {
    SeriesId {
        supplier_id: supplier.to_string(),
        material_id: material.to_string(),
        characteristic: characteristic.to_string(),
    }
}

fn monitor_from(stored: &StoredSeries) -> Result<SeriesMonitor> {
    serde_json::from_value(stored.state.clone()).map_err(|e| {
        ServiceError::Internal(format!(
            "the SPC state of {}/{}/{} is unreadable ({e}): rebuild it with `voltpass spc recompute`",
            stored.id.supplier_id, stored.id.material_id, stored.id.characteristic
        ))
    })
}

fn state_of(monitor: &SeriesMonitor) -> serde_json::Value {
    serde_json::to_value(monitor).unwrap_or_else(|e| json!({"unserializable": e.to_string()}))
}

fn new_alarm(id: &SeriesId, coa_id: &str, lot: (&str, Date), signal: Signal, raised_at: OffsetDateTime) -> NewAlarm {
    NewAlarm {
        id: format!("alarm:{}", uuid::Uuid::now_v7().simple()),
        series: id.clone(),
        coa_id: coa_id.to_string(),
        lot_number: lot.0.to_string(),
        manufactured_on: lot.1,
        rule: signal.rule,
        detail: signal.detail,
        value: signal.value,
        raised_at,
    }
}

/// What a recompute did.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecomputeReport {
    pub coas_read: usize,
    pub lots: usize,
    pub series: usize,
    pub points: usize,
    pub alarms_found: usize,
    pub seconds: f64,
}

/// One point of a series as a chart shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesPoint {
    #[serde(with = "quality_date")]
    pub manufactured_on: Date,
    pub lot: String,
    pub coa_id: String,
    pub value: f64,
}

time::serde::format_description!(quality_date, Date, "[year]-[month]-[day]");

/// A series with everything its chart and capability need.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesView {
    #[serde(flatten)]
    pub id: SeriesId,
    /// Unit of the values (the specification's).
    pub unit: String,
    pub lsl: Option<f64>,
    pub usl: Option<f64>,
    pub target: Option<f64>,
    pub points: Vec<SeriesPoint>,
    /// The monitor rebuilt over `points` (stage, frozen limits).
    pub monitor: SeriesMonitor,
    pub alarms: Vec<StoredAlarm>,
}

/// A lot's points from the latest revision of its CoA, keyed for ordering by manufacturing date. A point is
/// its characteristic's place in the specification (`spec`, a place in the specifications read) and its
/// value: a recompute holds every point of the store at once.
struct LotPoints {
    manufactured_on: Date,
    coa_id: String,
    received_at: OffsetDateTime,
    spec: usize,
    points: Vec<(usize, f64)>,
}

impl PassportService {
    /// Every lot of a supplier-material (or all, when `None`): the latest revision of each lot's CoA with
    /// its points under the specification in force, in manufacturing order. Reads page by page without the
    /// decisions; a page's CoAs are parsed on every core while the next page is read.
    async fn lot_points(&self, supplier: Option<&str>, material: Option<&str>) -> Result<LotsRead> {
        let specs = Arc::new(self.material_specs().await?);
        let mut latest: HashMap<(String, String, String), (i64, LotPoints)> = HashMap::new();
        let mut read = 0;
        let mut page = self.store.parsed_coas(supplier, material, None, POINTS_PAGE).await?;
        while let Some(last) = page.last() {
            let after = last.id.clone();
            read += page.len();
            let specs = specs.clone();
            let parse = tokio::task::spawn_blocking(move || {
                use rayon::prelude::*;
                page.into_par_iter().map(|row| lot_for(row, &specs)).collect::<Vec<_>>()
            });
            let (parsed, next) =
                tokio::join!(parse, self.store.parsed_coas(supplier, material, Some(&after), POINTS_PAGE));
            let parsed = parsed.map_err(|e| ServiceError::Internal(format!("reading the lots' points failed: {e}")))?;
            for (key, revision, lot) in parsed {
                super::quality::keep_latest(&mut latest, key, revision, || lot);
            }
            page = next?;
        }
        let mut lots: Vec<LotFor> = latest
            .into_iter()
            .map(|((supplier, material, lot_number), (_, lot))| LotFor { supplier, material, lot_number, lot })
            .collect();
        lots.sort_by(|a, b| (a.lot.manufactured_on, &a.lot.coa_id).cmp(&(b.lot.manufactured_on, &b.lot.coa_id)));
        Ok(LotsRead { read, specs, lots })
    }

    /// Rebuilds every series from the stored CoAs in manufacturing order and records the alarms not raised
    /// before (audit `spc.recompute`). Administrators only.
    pub async fn recompute_spc(&self, actor: &Actor) -> Result<RecomputeReport> {
        if actor.role != Role::Admin {
            return Err(ServiceError::Forbidden(format!("role {} may not recompute SPC", actor.role)));
        }
        let started = std::time::Instant::now();
        let LotsRead { read: coas_read, specs, lots } = self.lot_points(None, None).await?;
        let read = started.elapsed();
        // One monitor per characteristic of a supplier-material's specification, found by its place: a point
        // costs no hashing of its series' names, and no allocation unless it raises an alarm.
        let mut by_pair: HashMap<(&str, &str, usize), Vec<Option<SeriesMonitor>>> = HashMap::new();
        let mut alarms = Vec::new();
        let mut points = 0;
        for lot in &lots {
            let characteristics = &specs[lot.lot.spec].characteristics;
            let pair = (lot.supplier.as_str(), lot.material.as_str(), lot.lot.spec);
            let monitors = by_pair.entry(pair).or_insert_with(|| characteristics.iter().map(|_| None).collect());
            for &(characteristic, value) in &lot.lot.points {
                points += 1;
                let monitor = monitors[characteristic].get_or_insert_with(|| SeriesMonitor::new(monitor_options()));
                for signal in distinct(monitor.observe(value)) {
                    let id = series_id((pair.0, pair.1, &characteristics[characteristic].name));
                    let at = (lot.lot_number.as_str(), lot.lot.manufactured_on);
                    alarms.push(new_alarm(&id, &lot.lot.coa_id, at, signal, lot.lot.received_at));
                }
            }
        }
        let now = super::quality::now();
        let mut series: Vec<StoredSeries> = by_pair
            .into_iter()
            .flat_map(|((supplier, material, spec), monitors)| {
                let characteristics = &specs[spec].characteristics;
                monitors.into_iter().zip(characteristics).filter_map(move |(monitor, c)| {
                    Some(StoredSeries {
                        id: series_id((supplier, material, &c.name)),
                        state: state_of(&monitor?),
                        version: 0,
                        updated_at: now,
                    })
                })
            })
            .collect();
        series.sort_by(|a, b| a.id.cmp(&b.id));
        let report = RecomputeReport {
            coas_read,
            lots: lots.len(),
            series: series.len(),
            points,
            alarms_found: alarms.len(),
            seconds: started.elapsed().as_secs_f64(),
        };
        let detail = serde_json::to_value(&report).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let monitored = started.elapsed() - read;
        self.store.replace_spc(series, alarms, AuditEvent::new(&actor.id, "spc.recompute", "spc", detail)).await?;
        let written = started.elapsed() - read - monitored;
        tracing::debug!(?read, ?monitored, ?written, "spc recompute");
        Ok(RecomputeReport { seconds: started.elapsed().as_secs_f64(), ..report })
    }

    /// Alarms by filter after a cursor (an alarm id); a supplier's listing is always of its own.
    pub async fn spc_alarms(
        &self,
        actor: &Actor,
        mut filter: AlarmFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredAlarm>> {
        if let Some(own) = quality_reader(actor)? {
            if filter.supplier.as_ref().is_some_and(|s| *s != own) {
                return Ok(Vec::new());
            }
            filter.supplier = Some(own);
        }
        Ok(self.store.alarms(&filter, after, limit).await?)
    }

    /// Suppliers with CoAs and how many; a supplier sees only itself.
    pub async fn coa_suppliers(&self, actor: &Actor) -> Result<Vec<(String, i64)>> {
        let own = quality_reader(actor)?;
        let mut all = self.store.coa_suppliers().await?;
        if let Some(own) = own {
            all.retain(|(s, _)| *s == own);
        }
        Ok(all)
    }

    /// Closes an alarm with the reason (audit `spc.acknowledge`).
    pub async fn acknowledge_alarm(&self, actor: &Actor, id: &str, reason: &str) -> Result<StoredAlarm> {
        if !matches!(actor.role, Role::Admin | Role::EconomicOperator) {
            return Err(ServiceError::Forbidden(format!("role {} may not acknowledge alarms", actor.role)));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::BadRequest("an acknowledgement needs a `reason`".into()));
        }
        let ack =
            AlarmAck { actor_id: actor.id.clone(), reason: reason.to_string(), acknowledged_at: super::quality::now() };
        let event = AuditEvent::new(&actor.id, "spc.acknowledge", id, json!({"reason": reason}));
        Ok(self.store.acknowledge_alarm(id, ack, event).await?)
    }

    /// One series with its points, specification limits, rebuilt monitor and alarms.
    pub async fn spc_series(&self, actor: &Actor, id: &SeriesId) -> Result<SeriesView> {
        if let Some(own) = quality_reader(actor)?
            && own != id.supplier_id
        {
            return Err(ServiceError::NotFound("no such series".into()));
        }
        let specs = self.material_specs().await?;
        let spec = spec::select(&specs, &id.material_id, &id.supplier_id)
            .ok_or_else(|| ServiceError::NotFound(format!("no specification for material {}", id.material_id)))?;
        let wanted = spec.characteristic(&id.characteristic).ok_or_else(|| {
            ServiceError::NotFound(format!("{} has no characteristic {}", id.material_id, id.characteristic))
        })?;
        let read = self.lot_points(Some(&id.supplier_id), Some(&id.material_id)).await?;
        let points: Vec<SeriesPoint> = read
            .lots
            .into_iter()
            .filter_map(|l| {
                let characteristics = &read.specs[l.lot.spec].characteristics;
                let value = l.lot.points.iter().find(|(c, _)| characteristics[*c].name == wanted.name)?.1;
                Some(SeriesPoint {
                    manufactured_on: l.lot.manufactured_on,
                    lot: l.lot_number,
                    coa_id: l.lot.coa_id,
                    value,
                })
            })
            .collect();
        if points.is_empty() {
            return Err(ServiceError::NotFound(format!(
                "no values of {} for {} from {}",
                id.characteristic, id.material_id, id.supplier_id
            )));
        }
        let mut monitor = SeriesMonitor::new(monitor_options());
        for p in &points {
            monitor.observe(p.value);
        }
        let filter = AlarmFilter {
            supplier: Some(id.supplier_id.clone()),
            material: Some(id.material_id.clone()),
            characteristic: Some(wanted.name.clone()),
            open: None,
        };
        let alarms = self.store.alarms(&filter, None, 10_000).await?;
        Ok(SeriesView {
            id: SeriesId { characteristic: wanted.name.clone(), ..id.clone() },
            unit: wanted.unit.symbol().to_string(),
            lsl: wanted.lsl,
            usl: wanted.usl,
            target: wanted.target,
            points,
            monitor,
            alarms,
        })
    }
}

/// Capability of a series against its specification limits (within sigma from its moving ranges); `None`
/// without limits or with fewer than two values.
pub fn capability_of(view: &SeriesView) -> Option<quality::spc::CapabilityReport> {
    let values: Vec<f64> = view.points.iter().map(|p| p.value).collect();
    capability_report(&values, quality::spc::SpecLimits { lsl: view.lsl, usl: view.usl, target: view.target })
}

/// Capability of individual values in time order against `limits`, sigma within from the moving ranges.
pub(super) fn capability_report(
    values: &[f64],
    limits: quality::spc::SpecLimits,
) -> Option<quality::spc::CapabilityReport> {
    use quality::spc::{Constants, WithinSigma, capability, imr};
    let chart = imr(values, Constants::Exact).ok()?;
    capability(values, WithinSigma::from(&chart.individuals), &limits, 0.95).ok()
}

/// CoAs per page when rebuilding series (a parsed CoA is a few kB of JSON text).
const POINTS_PAGE: i64 = 1000;

/// A stored CoA's lot key and revision, with its points under the specification in force (`None` for a PDF,
/// an unreadable CoA or a material without a specification).
fn lot_for(row: store::ParsedCoa, specs: &[spec::MaterialSpec]) -> ((String, String, String), i64, Option<LotPoints>) {
    let key = (row.supplier_id, row.material_id, row.lot_number);
    let lot = (|| {
        let coa = serde_json::from_str::<CoaPoints>(row.parsed.as_deref()?).ok()?;
        let spec = spec::select(specs, &key.1, &key.0)?;
        let place = specs.iter().position(|s| std::ptr::eq(s, spec))?;
        let points = coa.places(spec);
        Some(LotPoints {
            manufactured_on: coa.manufactured_on(),
            coa_id: row.id,
            received_at: row.received_at,
            spec: place,
            points,
        })
    })();
    (key, row.revision, lot)
}

/// A lot's points with the supplier, material and lot number they belong to.
pub(super) struct LotFor {
    supplier: String,
    material: String,
    lot_number: String,
    lot: LotPoints,
}

/// What [`PassportService::lot_points`] read: how many CoAs, the specifications the points refer to, and the lots.
struct LotsRead {
    read: usize,
    specs: Arc<Vec<spec::MaterialSpec>>,
    lots: Vec<LotFor>,
}
