//! Material specifications, incoming-inspection decisions with every reason, and dynamic sampling.
//!
//! # Decision rules ([`decide`])
//!
//! Each check adds a [`Reason`]; the outcome is `rejected` if any reason rejects, else `hold` if any
//! holds, else `accepted` ([`Reason::effect`]). Results are converted to the specification's unit first;
//! limits are inclusive.
//!
//! | reason | effect | why |
//! | --- | --- | --- |
//! | out of specification, critical characteristic | reject | the lot cannot be used |
//! | out of specification, other characteristic | hold | material review may accept a deviation |
//! | supplier reports `fail` | reject | the supplier itself says the lot does not conform |
//! | expired (expiry before the received date) | reject | expired material may not be used |
//! | missing required characteristic | hold | unknown, not bad: test it or ask the supplier |
//! | unit mismatch (not convertible) | hold | never compare numbers in different units |
//! | indeterminate detection-limit result | hold | e.g. "<0.5" against a lower limit of 0.3 |
//! | statistical alarm (input from SPC) | hold | in specification but drifting: look before use |
//! | document hash mismatch | hold | the certificate is not the document received: clarify |
//! | specification for another material/supplier | hold | the caller picked the wrong specification |
//! | supplier limits wider than ours | note | the result itself is checked against ours; a supplier-agreement issue |
//!
//! Detection limits: "<v" meets an upper limit u when v <= u, is known to fail a lower limit l when
//! v <= l, and is indeterminate otherwise; ">v" mirrors this. A summary (n/mean/min/max) is checked with
//! min against the lower and max against the upper limit, the mean standing in for an absent min or max.
//!
//! Operator overrides are the store's: a [`Decision`] serializes with its reasons so an override can be
//! recorded with it.

pub mod agreement;
mod builder;
mod catalogue;
mod decide;
mod limits;
mod model;
pub mod skiplot;

pub use catalogue::catalogue;
pub use decide::{Alarm, Decision, DecisionContext, Effect, HashCheck, Outcome, Reason, SpecRef, decide, outcome};
pub use limits::{Bound, Statistic};
pub use model::{MaterialSpec, Requirement, SpecCharacteristic, select};
pub use skiplot::{Frequency, LotRecord, SkipLot, SkipLotRules, SkipLotState};
