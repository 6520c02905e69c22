//! Supplier quality, the part of the passport's data chain before production: what suppliers certify for each
//! lot (eCoA), what we require of it, what we decide, and whether characteristics drift over time.
//!
//! Pure functions over plain data: no I/O. The store keeps CoAs and decisions; the server exposes them.
//!
//! - [`ecoa`]: electronic Certificates of Analysis (JSON and CSV), units and their conversions.
//! - [`spec`]: material specifications, incoming-quality decisions with every reason, skip-lot sampling.
//! - [`spc`]: control charts, run rules, Phase I limits, process capability; [`spc::monitor`] watches a
//!   series point by point.
//! - [`scorecard`]: supplier ratings per period.
//! - [`demo`]: deterministic demo suppliers and CoAs, and the benchmark's CoAs.

pub mod demo;
pub mod ecoa;
pub mod scorecard;
pub mod spc;
pub mod spec;
