//! Dynamic sampling: a skip-lot state machine per supplier-material, in the spirit of ISO 2859-3.
//!
//! - **Qualification**: every lot gets our own lab test; `qualify_after` consecutive lots accepted on our
//!   test start skipping at 1/2.
//! - **Skipping** at 1/2, 1/3, 1/4 or 1/5: only every k-th lot (counted from entering the frequency) is
//!   tested; `step_after` consecutive tested-and-accepted lots step down to the next lower frequency
//!   (1/5 is the floor). Any rejected lot interrupts.
//! - **Interrupted**: every lot is tested; `requalify_after` consecutive accepted lots resume skipping one
//!   step more frequent than before the interruption (1/2 stays 1/2); a rejection now disqualifies.
//! - **Disqualified**: every lot is tested until someone calls [`SkipLot::requalify`] (after corrective
//!   action), which restarts qualification.
//!
//! Our lab disagreeing with the CoA ([`super::agreement`]) disqualifies from any state: skipping relies
//! on trusting the CoA.

use serde::{Deserialize, Serialize};

/// Fraction of lots tested while skipping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Frequency {
    #[serde(rename = "1/2")]
    Half,
    #[serde(rename = "1/3")]
    Third,
    #[serde(rename = "1/4")]
    Quarter,
    #[serde(rename = "1/5")]
    Fifth,
}

impl Frequency {
    /// k in "1 lot in k".
    pub fn denominator(self) -> u64 {
        match self {
            Frequency::Half => 2,
            Frequency::Third => 3,
            Frequency::Quarter => 4,
            Frequency::Fifth => 5,
        }
    }

    /// One step less frequent (1/5 stays).
    pub fn reduced(self) -> Frequency {
        match self {
            Frequency::Half => Frequency::Third,
            Frequency::Third => Frequency::Quarter,
            Frequency::Quarter | Frequency::Fifth => Frequency::Fifth,
        }
    }

    /// One step more frequent (1/2 stays).
    pub fn tightened(self) -> Frequency {
        match self {
            Frequency::Half | Frequency::Third => Frequency::Half,
            Frequency::Quarter => Frequency::Third,
            Frequency::Fifth => Frequency::Quarter,
        }
    }
}

/// How many lots each transition takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkipLotRules {
    pub qualify_after: u32,
    pub step_after: u32,
    pub requalify_after: u32,
}

impl Default for SkipLotRules {
    fn default() -> Self {
        SkipLotRules { qualify_after: 10, step_after: 5, requalify_after: 4 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SkipLotState {
    Qualification {
        accepted_in_row: u32,
    },
    Skipping {
        frequency: Frequency,
        /// Sequence number of the first lot at this frequency; it is tested.
        since: u64,
        accepted_in_row: u32,
    },
    Interrupted {
        resume: Frequency,
        accepted_in_row: u32,
    },
    Disqualified,
}

/// What happened to one lot of this supplier-material, in delivery order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotRecord {
    /// The lot's position in this supplier-material's delivery sequence.
    pub sequence: u64,
    pub accepted: bool,
    /// Whether our own lab tested it.
    pub lab_tested: bool,
    /// Whether our lab results agreed with the CoA (when tested and compared).
    pub lab_agrees: Option<bool>,
}

/// The skip-lot state of one supplier-material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipLot {
    pub rules: SkipLotRules,
    pub state: SkipLotState,
}

impl SkipLot {
    /// A new supplier-material starts in qualification.
    pub fn new(rules: SkipLotRules) -> SkipLot {
        SkipLot { rules, state: SkipLotState::Qualification { accepted_in_row: 0 } }
    }

    /// Whether the lot with this sequence number needs our own lab test. Deterministic: a function of the
    /// state and the number only.
    pub fn needs_lab_test(&self, lot_sequence: u64) -> bool {
        match self.state {
            SkipLotState::Skipping { frequency, since, .. } => {
                lot_sequence < since || (lot_sequence - since).is_multiple_of(frequency.denominator())
            }
            _ => true,
        }
    }

    /// Restarts qualification after corrective action (the only way out of disqualification).
    pub fn requalify(&mut self) {
        self.state = SkipLotState::Qualification { accepted_in_row: 0 };
    }

    /// Moves the state on by one lot's outcome.
    pub fn record(&mut self, lot: &LotRecord) {
        self.state = self.next(lot);
    }

    fn next(&self, lot: &LotRecord) -> SkipLotState {
        use SkipLotState::*;
        if lot.lab_agrees == Some(false) {
            return Disqualified;
        }
        // Qualification and interruption count only lots accepted on our own test.
        let tested_ok = lot.accepted && lot.lab_tested;
        let rules = self.rules;
        match self.state {
            Disqualified => Disqualified,
            Qualification { .. } if !lot.accepted => Qualification { accepted_in_row: 0 },
            Qualification { accepted_in_row } if tested_ok => {
                if accepted_in_row + 1 >= rules.qualify_after {
                    skipping(Frequency::Half, lot.sequence)
                } else {
                    Qualification { accepted_in_row: accepted_in_row + 1 }
                }
            }
            Skipping { frequency, .. } if !lot.accepted => {
                Interrupted { resume: frequency.tightened(), accepted_in_row: 0 }
            }
            Skipping { frequency, since, accepted_in_row } if tested_ok => {
                if accepted_in_row + 1 >= rules.step_after && frequency != Frequency::Fifth {
                    skipping(frequency.reduced(), lot.sequence)
                } else {
                    Skipping { frequency, since, accepted_in_row: accepted_in_row + 1 }
                }
            }
            Interrupted { .. } if !lot.accepted => Disqualified,
            Interrupted { resume, accepted_in_row } if tested_ok => {
                if accepted_in_row + 1 >= rules.requalify_after {
                    skipping(resume, lot.sequence)
                } else {
                    Interrupted { resume, accepted_in_row: accepted_in_row + 1 }
                }
            }
            // Accepted without our test: nothing learned.
            state => state,
        }
    }
}

/// Skipping at `frequency`, starting with the lot after `sequence`.
fn skipping(frequency: Frequency, sequence: u64) -> SkipLotState {
    SkipLotState::Skipping { frequency, since: sequence + 1, accepted_in_row: 0 }
}
