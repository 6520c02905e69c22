//! Genealogy, the part of the passport's data chain inside the factory: which material lots went into which
//! process batches, which batches into which cells, which cells into which modules and packs.
//!
//! Pure functions over plain data: no I/O. The store keeps units and edges; the server feeds the checks with
//! what is stored and writes what they plan.
//!
//! - [`unit`]: unit kinds (lot, batch, cell, module, pack) and quantities with their conversions.
//! - [`event`]: production events as the line sends them (REST batch, NDJSON, MQTT).
//! - [`plan`]: checks a batch of events against what is stored and plans the writes (or holds events that
//!   name units not seen yet).
//! - [`overlay`]: what a planned batch changes of what is known, to check the next batch while it is written.
//! - [`share`]: how much of a lot ended up in each unit downstream of it.

pub mod event;
pub mod overlay;
pub mod performance;
pub mod plan;
pub mod rollup;
pub mod share;
pub mod unit;

pub use event::{Input, TraceEvent, UnitSpec};
pub use plan::{Known, KnownUnit, Plan, PlanError, plan};
pub use unit::{Quantity, UnitKind, Uom};
