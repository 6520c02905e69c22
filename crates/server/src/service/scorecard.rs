//! Supplier ratings (issue 6): per supplier and period, what was received and decided, how complete and
//! timely the certificates were, how capable the characteristics are and which alarms are open, weighted
//! into a score and an A/B/C grade ([`quality::scorecard`]), with the trend over the periods.

use std::collections::{BTreeMap, HashMap};

use quality::ecoa::Coa;
use quality::scorecard::{
    self, CharacteristicCapability, Granularity, LotRecord, Period, Scorecard, ScorecardInput, Trend, Weights,
};
use quality::spc::SpecLimits;
use quality::spec::{self, MaterialSpec, Outcome, Requirement};
use store::{Actor, AlarmFilter, CoaFilter, Role, StoredAlarm};
use time::{Date, OffsetDateTime};

use super::{PassportService, Result, ServiceError};

/// A lot as the scorecard counts it, with the values of its characteristics.
struct RatedLot {
    record: LotRecord,
    values: Vec<(String, f64)>,
}

/// What to rate over.
#[derive(Debug, Clone)]
pub struct ScorecardQuery {
    pub granularity: Granularity,
    /// First day of the first period (the calendar boundary containing it); default: a year before `to`.
    pub from: Option<Date>,
    /// Day after the last period; default: tomorrow.
    pub to: Option<Date>,
    pub weights: Weights,
    /// A CoA received more than this many days after manufacture is late.
    pub on_time_days: u32,
}

impl Default for ScorecardQuery {
    fn default() -> Self {
        ScorecardQuery {
            granularity: Granularity::Quarter,
            from: None,
            to: None,
            weights: Weights::default(),
            on_time_days: DEFAULT_ON_TIME_DAYS,
        }
    }
}

/// A certificate is on time when it arrives within a week of manufacture (before the goods, by sea freight).
pub const DEFAULT_ON_TIME_DAYS: u32 = 7;

/// A supplier's scorecards over consecutive periods, the latest last, with their trend.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierReport {
    pub supplier: String,
    pub name: Option<String>,
    pub materials: Vec<String>,
    pub granularity: Granularity,
    pub weights: Weights,
    pub on_time_days: u32,
    pub periods: Vec<Scorecard>,
    pub trend: Trend,
    /// Capability of each characteristic over the whole range.
    pub capabilities: Vec<CharacteristicCapability>,
    pub open_alarms: Vec<StoredAlarm>,
}

impl SupplierReport {
    /// The latest period with lots, if any.
    pub fn latest(&self) -> Option<&Scorecard> {
        self.periods.iter().rev().find(|c| c.lots_received > 0)
    }
}

/// Capability (Cpk) of each characteristic from its values, against the specification's limits.
fn capabilities<'a>(
    lots: impl Iterator<Item = &'a RatedLot>,
    specs: &HashMap<String, MaterialSpec>,
) -> Vec<CharacteristicCapability> {
    let mut values: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for lot in lots {
        for (characteristic, value) in &lot.values {
            values.entry((lot.record.material.clone(), characteristic.clone())).or_default().push(*value);
        }
    }
    values
        .into_iter()
        .filter_map(|((material, characteristic), values)| {
            let wanted = specs.get(&material)?.characteristic(&characteristic)?;
            let limits = SpecLimits { lsl: wanted.lsl, usl: wanted.usl, target: wanted.target };
            if limits.lsl.is_none() && limits.usl.is_none() {
                return None;
            }
            let cpk = super::spc::capability_report(&values, limits).and_then(|report| report.cpk.map(|c| c.value));
            Some(CharacteristicCapability { material, characteristic, n: values.len(), cpk })
        })
        .collect()
}

/// Delivered quantity in kg, when it is given in a mass unit.
fn quantity_kg(coa: &Coa) -> Option<f64> {
    let quantity = coa.lot.quantity.as_ref()?;
    let factor = match quantity.unit.trim().to_ascii_lowercase().as_str() {
        "kg" => 1.0,
        "t" | "mt" | "tonne" => 1000.0,
        "g" => 0.001,
        _ => return None,
    };
    Some(quantity.value * factor)
}

fn outcome(text: &str) -> Outcome {
    match text {
        "accepted" => Outcome::Accepted,
        "rejected" => Outcome::Rejected,
        _ => Outcome::Hold,
    }
}

impl PassportService {
    /// The latest revision of each of a supplier's lots, rated, with the supplier's name as last certified.
    async fn rated_lots(
        &self,
        supplier: &str,
    ) -> Result<(Vec<RatedLot>, Option<String>, HashMap<String, MaterialSpec>)> {
        let specs = self.material_specs().await?;
        let filter = CoaFilter { supplier: Some(supplier.to_string()), ..CoaFilter::default() };
        let mut chosen: HashMap<String, MaterialSpec> = HashMap::new();
        let mut name = None;
        let (_, mut lots) = self
            .latest_per_lot(&filter, |stored| {
                let decided = stored.decision.as_ref().map_or(Outcome::Hold, |d| outcome(&d.outcome));
                let coa = stored.parsed.and_then(|p| p.parse::<Coa>().ok());
                let spec = spec::select(&specs, &stored.material_id, &stored.supplier_id);
                let (required_total, required_reported) = match spec {
                    Some(spec) => {
                        let required = spec.characteristics.iter().filter(|c| c.requirement == Requirement::Required);
                        let reported = |name: &str| {
                            coa.as_ref().is_some_and(|coa| {
                                coa.characteristics
                                    .iter()
                                    .any(|c| spec.characteristic(&c.name).is_some_and(|s| s.name == name))
                            })
                        };
                        let total = required.clone().count() as u32;
                        (total, required.filter(|c| reported(&c.name)).count() as u32)
                    }
                    None => (0, 0),
                };
                if let Some(spec) = spec {
                    chosen.insert(stored.material_id.clone(), spec.clone());
                }
                let received_on = stored.received_at.date();
                let manufactured_on = coa.as_ref().map_or(received_on, |c| c.lot.manufactured_on);
                if let Some(coa) = &coa {
                    name = Some(coa.supplier.name.clone());
                }
                let values = match (&coa, spec) {
                    (Some(coa), Some(spec)) => quality::spc::series::points_of(coa, spec),
                    _ => Vec::new(),
                };
                Some(RatedLot {
                    record: LotRecord {
                        material: stored.material_id,
                        lot: stored.lot_number,
                        manufactured_on,
                        received_on,
                        outcome: decided,
                        quantity_kg: coa.as_ref().and_then(quantity_kg),
                        required_total,
                        required_reported,
                    },
                    values,
                })
            })
            .await?;
        lots.sort_by_key(|l| (l.record.manufactured_on, l.record.received_on));
        Ok((lots, name, chosen))
    }

    /// A supplier's scorecards; a supplier may read only its own.
    pub async fn supplier_scorecard(
        &self,
        actor: &Actor,
        supplier: &str,
        query: &ScorecardQuery,
    ) -> Result<SupplierReport> {
        // Another supplier's rating is not found, as its CoAs are.
        if super::quality::quality_reader(actor)?.is_some_and(|own| own != supplier) {
            return Err(ServiceError::NotFound(format!("supplier {supplier} not found")));
        }
        let (lots, name, specs) = self.rated_lots(supplier).await?;
        if lots.is_empty() {
            return Err(ServiceError::NotFound(format!("supplier {supplier} has no CoAs")));
        }
        let today = OffsetDateTime::now_utc().date();
        let to = query.to.unwrap_or_else(|| today.next_day().unwrap_or(today));
        let from = query.from.unwrap_or_else(|| to.replace_year(to.year() - 1).unwrap_or(to));
        if from >= to {
            return Err(ServiceError::BadRequest(format!("`from` {from} must be before `to` {to}")));
        }
        let filter = AlarmFilter { supplier: Some(supplier.to_string()), open: Some(true), ..AlarmFilter::default() };
        let open_alarms = self.store.alarms(&filter, None, 100_000).await?;
        let periods: Vec<Period> = scorecard::periods(from, to, query.granularity);
        let cards: Vec<Scorecard> = periods
            .iter()
            .map(|period| {
                // A period rates what was received in it.
                let in_period: Vec<&RatedLot> = lots.iter().filter(|l| period.contains(l.record.received_on)).collect();
                let records: Vec<LotRecord> = in_period.iter().map(|l| l.record.clone()).collect();
                let capabilities = capabilities(in_period.iter().copied(), &specs);
                let open = open_alarms.iter().filter(|a| period.contains(a.alarm.manufactured_on)).count() as u32;
                let input = ScorecardInput {
                    supplier,
                    period: *period,
                    lots: &records,
                    capabilities: &capabilities,
                    open_alarms: open,
                    on_time_days: query.on_time_days,
                };
                scorecard::scorecard(&input, &query.weights)
            })
            .collect();
        let trend = scorecard::trend(&cards);
        let in_range = lots.iter().filter(|l| l.record.received_on >= from && l.record.received_on < to);
        let mut materials: Vec<String> = lots.iter().map(|l| l.record.material.clone()).collect();
        materials.sort();
        materials.dedup();
        Ok(SupplierReport {
            supplier: supplier.to_string(),
            name,
            materials,
            granularity: query.granularity,
            weights: query.weights.clone(),
            on_time_days: query.on_time_days,
            periods: cards,
            trend,
            capabilities: capabilities(in_range, &specs),
            open_alarms,
        })
    }

    /// Every supplier's report, best latest score first (suppliers without a score last).
    pub async fn supplier_ranking(&self, actor: &Actor, query: &ScorecardQuery) -> Result<Vec<SupplierReport>> {
        if !matches!(actor.role, Role::Admin | Role::EconomicOperator | Role::Authority) {
            return Err(ServiceError::Forbidden(format!("role {} may not rank suppliers", actor.role)));
        }
        let mut reports = Vec::new();
        for (supplier, _) in self.store.coa_suppliers().await? {
            match self.supplier_scorecard(actor, &supplier, query).await {
                Ok(report) => reports.push(report),
                Err(ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let score = |r: &SupplierReport| r.latest().and_then(|c| c.score).unwrap_or(f64::NEG_INFINITY);
        reports.sort_by(|a, b| score(b).total_cmp(&score(a)).then_with(|| a.supplier.cmp(&b.supplier)));
        Ok(reports)
    }
}
