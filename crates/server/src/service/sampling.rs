//! Dynamic sampling (issue 6): a skip-lot state machine per supplier-material ([`quality::spec::SkipLot`],
//! in the spirit of ISO 2859-3) says whether a lot needs our own lab test. Each received lot takes the next
//! place in its supplier-material's sequence: a lot to test gets a `lab_test_required` note with its
//! decision and waits in `pending` until its lab results are entered; a skipped lot is recorded at once with
//! its decision. Which lots wait is not kept in the state (it would grow with every untested lot and be
//! rewritten with every batch): a lot waits when its first decision carries the `lab_test_required` note
//! and no lab result was entered for its CoA. Lab results are compared with the CoA per characteristic (bias and agreement within the
//! method's reproducibility, else 5 %); a disagreement disqualifies skip-lot and holds an accepted lot.
//!
//! A re-sent CoA (a new revision) takes a new place in the sequence like a new lot.

use std::collections::HashMap;

use quality::ecoa::Coa;
use quality::spec::agreement::{self, LabResult, Tolerance};
use quality::spec::{self, LotRecord, SkipLot, SkipLotRules, SkipLotState};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Actor, AuditEvent, LabResultRecord, NewDecision, Role, StoreError, StoredSampling};
use time::OffsetDateTime;

use super::quality::Checked;
use super::{PassportService, Result, ServiceError};

/// Our lab and the CoA agree within this share of the larger value where the specification gives no
/// reproducibility limit.
const RELATIVE_TOLERANCE: f64 = 0.05;
const RETRIES: usize = 5;

/// The sampling state of one supplier-material, as stored. A state stored before the waiting lots were
/// derived has them in a `pending` member, which is ignored: they are derived the same from its decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplingState {
    pub skip_lot: SkipLot,
    /// The place the next lot of this supplier-material takes.
    pub next_sequence: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingLot {
    pub coa_id: String,
    pub lot: String,
    pub sequence: u64,
}

impl SamplingState {
    fn new() -> SamplingState {
        SamplingState { skip_lot: SkipLot::new(SkipLotRules::default()), next_sequence: 0 }
    }
}

/// A supplier-material's sampling state as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplingView {
    pub supplier_id: String,
    pub material_id: String,
    #[serde(flatten)]
    pub state: SamplingState,
    /// Lots that need our lab test and have no result yet, in sequence.
    pub pending: Vec<PendingLot>,
    pub next_lot_needs_lab_test: bool,
}

fn parse_state(stored: &StoredSampling) -> Result<SamplingState> {
    serde_json::from_value(stored.state.clone()).map_err(|e| {
        ServiceError::Internal(format!(
            "the sampling state of {}/{} is unreadable: {e}",
            stored.supplier_id, stored.material_id
        ))
    })
}

fn to_value(state: &SamplingState) -> Value {
    serde_json::to_value(state).unwrap_or_else(|e| json!({"unserializable": e.to_string()}))
}

/// The sampling states batches of CoAs touch and what the batches do to them; held across the batches of an
/// import like [`super::spc::WatchedSeries`].
#[derive(Default)]
pub(super) struct SkipLotStates {
    /// State, the version the next write expects in the store, changed since the last write.
    states: HashMap<(String, String), (SamplingState, i64, bool)>,
}

impl SkipLotStates {
    /// Reads the state of every (supplier, material) in the batch not held yet.
    pub(super) async fn load_missing(&mut self, store: &dyn store::Store, batch: &[Checked]) -> Result<()> {
        let pairs = super::quality::supplier_materials(batch.iter());
        for pair in pairs {
            if self.states.contains_key(&pair) {
                continue;
            }
            if let Some(stored) = store.sampling(Some(&pair.0), Some(&pair.1)).await?.into_iter().next() {
                self.states.insert(pair, (parse_state(&stored)?, stored.version, false));
            }
        }
        Ok(())
    }

    /// Gives a decided lot its place in the sequence; the note for its decision when our lab must test it.
    pub(super) fn observe(&mut self, coa: &Coa, accepted: bool) -> Option<Value> {
        let key = coa.lot_key();
        let pair = (key.supplier_id.trim().to_string(), key.material_id.trim().to_string());
        let (state, _, changed) = self.states.entry(pair).or_insert_with(|| (SamplingState::new(), 0, false));
        *changed = true;
        let sequence = state.next_sequence;
        state.next_sequence += 1;
        if state.skip_lot.needs_lab_test(sequence) {
            // The note in the lot's decision is what keeps it waiting (see the module docs).
            return Some(json!({
                "kind": "lab_test_required",
                "sequence": sequence,
                "detail": format!("our lab tests this lot ({})", describe(&state.skip_lot.state)),
            }));
        }
        state.skip_lot.record(&LotRecord { sequence, accepted, lab_tested: false, lab_agrees: None });
        None
    }

    /// The states changed since the last call; their held versions move on to those the write will store.
    pub(super) fn take_write(&mut self, now: OffsetDateTime) -> Vec<StoredSampling> {
        let mut out = Vec::new();
        for ((supplier_id, material_id), (state, version, changed)) in &mut self.states {
            if !*changed {
                continue;
            }
            out.push(StoredSampling {
                supplier_id: supplier_id.clone(),
                material_id: material_id.clone(),
                state: to_value(state),
                version: *version,
                updated_at: now,
            });
            *version += 1;
            *changed = false;
        }
        out.sort_by(|a, b| (&a.supplier_id, &a.material_id).cmp(&(&b.supplier_id, &b.material_id)));
        out
    }
}

/// The state in words, for the note on a decision.
fn describe(state: &SkipLotState) -> String {
    match state {
        SkipLotState::Qualification { accepted_in_row } => {
            format!("qualification: {accepted_in_row} lots in a row accepted on our test")
        }
        SkipLotState::Skipping { frequency, .. } => {
            format!("skip-lot at 1 in {}: this is a lot to test", frequency.denominator())
        }
        SkipLotState::Interrupted { .. } => "skip-lot interrupted by a rejected lot: every lot is tested".into(),
        SkipLotState::Disqualified => "skip-lot disqualified: every lot is tested until requalified".into(),
    }
}

/// Lab results as entered, and what they led to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabOutcome {
    pub lab_result: LabResultRecord,
    pub sampling: Option<SamplingView>,
    /// The decision added because our lab disagrees with an accepted CoA.
    pub decision: Option<store::CoaDecision>,
}

fn view(supplier_id: &str, material_id: &str, state: SamplingState, pending: Vec<PendingLot>) -> SamplingView {
    let next_lot_needs_lab_test = state.skip_lot.needs_lab_test(state.next_sequence);
    SamplingView {
        supplier_id: supplier_id.into(),
        material_id: material_id.into(),
        state,
        pending,
        next_lot_needs_lab_test,
    }
}

/// The place in its sequence of a lot whose first decision's reasons carry the `lab_test_required` note.
fn lab_test_required(reasons: &Value) -> Option<u64> {
    reasons.as_array()?.iter().find(|r| r["kind"] == "lab_test_required")?["sequence"].as_u64()
}

impl PassportService {
    /// Skip-lot states by supplier and/or material; a supplier sees only its own.
    pub async fn sampling_states(
        &self,
        actor: &Actor,
        supplier: Option<&str>,
        material: Option<&str>,
    ) -> Result<Vec<SamplingView>> {
        let own = super::quality::quality_reader(actor)?;
        let supplier = match (&own, supplier) {
            (Some(own), Some(asked)) if own != asked => return Ok(Vec::new()),
            (Some(own), _) => Some(own.as_str()),
            (None, asked) => asked,
        };
        let mut out = Vec::new();
        for stored in self.store.sampling(supplier, material).await? {
            let pending = self.pending_lots(&stored.supplier_id, &stored.material_id).await?;
            out.push(view(&stored.supplier_id, &stored.material_id, parse_state(&stored)?, pending));
        }
        Ok(out)
    }

    /// The lots of a supplier-material waiting for our lab test, in sequence.
    async fn pending_lots(&self, supplier: &str, material: &str) -> Result<Vec<PendingLot>> {
        let mut pending: Vec<PendingLot> = self
            .store
            .untested_lots(supplier, material)
            .await?
            .into_iter()
            .filter_map(|lot| {
                let sequence = lab_test_required(&lot.first_reasons)?;
                Some(PendingLot { coa_id: lot.coa_id, lot: lot.lot_number, sequence })
            })
            .collect();
        pending.sort_by_key(|p| p.sequence);
        Ok(pending)
    }

    /// Restarts qualification of a supplier-material after corrective action (audit `sampling.requalify`).
    pub async fn requalify(&self, actor: &Actor, supplier: &str, material: &str, reason: &str) -> Result<SamplingView> {
        if !matches!(actor.role, Role::Admin | Role::EconomicOperator) {
            return Err(ServiceError::Forbidden(format!("role {} may not requalify suppliers", actor.role)));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::BadRequest("requalifying needs a `reason` (the corrective action)".into()));
        }
        let stored = self
            .store
            .sampling(Some(supplier), Some(material))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::NotFound(format!("no lots of {material} from {supplier} yet")))?;
        let mut state = parse_state(&stored)?;
        state.skip_lot.requalify();
        let detail = json!({"supplier": supplier, "material": material, "reason": reason});
        let write = StoredSampling { state: to_value(&state), updated_at: super::quality::now(), ..stored };
        let subject = format!("{supplier}/{material}");
        self.store.put_sampling(write, AuditEvent::new(&actor.id, "sampling.requalify", subject, detail)).await?;
        let pending = self.pending_lots(supplier, material).await?;
        Ok(view(supplier, material, state, pending))
    }

    /// Our lab's results for a lot, compared with its CoA (audit `coa.lab_result`). Administrators and
    /// economic operators.
    pub async fn add_lab_results(&self, actor: &Actor, coa_id: &str, results: Vec<LabResult>) -> Result<LabOutcome> {
        if !matches!(actor.role, Role::Admin | Role::EconomicOperator) {
            return Err(ServiceError::Forbidden(format!("role {} may not enter lab results", actor.role)));
        }
        if results.is_empty() {
            return Err(ServiceError::BadRequest("send at least one lab result".into()));
        }
        let stored =
            self.store.coa(coa_id).await?.ok_or_else(|| ServiceError::NotFound(format!("CoA {coa_id} not found")))?;
        let coa: Coa = stored.parsed.as_ref().and_then(|p| p.parse().ok()).ok_or_else(|| {
            ServiceError::BadRequest(format!("CoA {coa_id} is a PDF: there are no results to compare"))
        })?;
        let specs = self.material_specs().await?;
        let spec = spec::select(&specs, &stored.material_id, &stored.supplier_id);
        let report =
            agreement::compare(&coa.characteristics, &results, &Tolerance { spec, relative: RELATIVE_TOLERANCE });
        if report.characteristics.iter().all(|c| c.verdict == agreement::Verdict::NotComparable) {
            return Err(ServiceError::BadRequest(
                "none of the results names a characteristic of the CoA in a unit that converts".into(),
            ));
        }
        let agrees = report.agrees();
        let accepted = stored.decision.as_ref().is_some_and(|d| d.outcome == "accepted");
        let record = LabResultRecord {
            id: format!("lab:{}", uuid::Uuid::now_v7().simple()),
            coa_id: coa_id.to_string(),
            supplier_id: stored.supplier_id.clone(),
            material_id: stored.material_id.clone(),
            lot_number: stored.lot_number.clone(),
            results: serde_json::to_value(&results).map_err(|e| ServiceError::Internal(e.to_string()))?,
            agreement: serde_json::to_value(&report).map_err(|e| ServiceError::Internal(e.to_string()))?,
            agrees,
            entered_by: actor.id.clone(),
            entered_at: super::quality::now(),
        };
        let mut attempt = 0;
        let sampling = loop {
            attempt += 1;
            let current = self.store.sampling(Some(&stored.supplier_id), Some(&stored.material_id)).await?;
            let (mut state, version) = match current.first() {
                Some(s) => (parse_state(s)?, s.version),
                None => (SamplingState::new(), 0),
            };
            // Waiting: the note in its first decision, and no lab result yet (this one settles it).
            let waiting = match self.store.lab_results(coa_id).await?.is_empty() {
                true => self.store.coa_decisions(coa_id).await?.first().and_then(|d| lab_test_required(&d.reasons)),
                false => None,
            };
            let changed = match waiting {
                Some(sequence) => {
                    let outcome = LotRecord { sequence, accepted, lab_tested: true, lab_agrees: Some(agrees) };
                    state.skip_lot.record(&outcome);
                    true
                }
                // A lot tested though skipped: only a disagreement changes anything.
                None if !agrees => {
                    let sequence = state.next_sequence.saturating_sub(1);
                    state.skip_lot.record(&LotRecord { sequence, accepted, lab_tested: true, lab_agrees: Some(false) });
                    true
                }
                None => false,
            };
            let write = changed.then(|| StoredSampling {
                supplier_id: stored.supplier_id.clone(),
                material_id: stored.material_id.clone(),
                state: to_value(&state),
                version,
                updated_at: record.entered_at,
            });
            let detail = json!({"lot": stored.lot_number, "agrees": agrees, "characteristics": results.len()});
            let event = AuditEvent::new(&actor.id, "coa.lab_result", coa_id, detail);
            match self.store.add_lab_result(record.clone(), write, event).await {
                Err(StoreError::VersionConflict { .. }) if attempt < RETRIES => continue,
                Err(e) => return Err(e.into()),
                Ok(()) => {
                    let pending = self.pending_lots(&stored.supplier_id, &stored.material_id).await?;
                    break view(&stored.supplier_id, &stored.material_id, state, pending);
                }
            }
        };
        let decision = if !agrees && accepted {
            let disagreeing: Vec<&str> = report
                .characteristics
                .iter()
                .filter(|c| c.verdict == agreement::Verdict::Disagrees)
                .map(|c| c.characteristic.as_str())
                .collect();
            let previous = stored.decision.as_ref();
            let mut reasons = previous.map_or_else(|| json!([]), |d| d.reasons.clone());
            if let Value::Array(list) = &mut reasons {
                list.push(json!({"kind": "lab_disagreement", "characteristics": disagreeing, "labResult": record.id}));
            }
            let decision = NewDecision {
                outcome: "hold".into(),
                reasons,
                spec_material: previous.and_then(|d| d.spec_material.clone()),
                spec_version: previous.and_then(|d| d.spec_version),
                decided_by: actor.id.clone(),
                decided_at: super::quality::now(),
                override_reason: None,
            };
            let detail =
                json!({"from": "accepted", "to": "hold", "reason": "lab_disagreement", "labResult": record.id});
            let event = AuditEvent::new(&actor.id, "coa.decide", coa_id, detail);
            Some(self.store.add_decision(coa_id, decision, event).await?)
        } else {
            None
        };
        Ok(LabOutcome { lab_result: record, sampling: Some(sampling), decision })
    }

    /// A CoA's lab results; readable like the CoA.
    pub async fn lab_results(&self, actor: &Actor, coa_id: &str) -> Result<Vec<LabResultRecord>> {
        self.coa_record(actor, coa_id).await?;
        Ok(self.store.lab_results(coa_id).await?)
    }
}
