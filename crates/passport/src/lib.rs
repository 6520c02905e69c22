//! The battery passport domain (Regulation (EU) 2023/1542, Art. 77-78, Annex XIII).
//!
//! - [`access`]: which attributes each access group may read (the one filter every read path uses);
//! - [`catalogue`]: every passport attribute with its pointer, unit, access group and obligations;
//! - [`document`]: the canonical document (Battery Pass Data Model v1.2), split into the model-level record
//!   (stored once per battery model) and the item-level record (one per battery), and composed again on read;
//! - [`validate`]: the embedded JSON schemas plus the regulation's rules the schemas do not carry;
//! - [`input`]: what a client may send (a full document or an item part referencing a model);
//! - [`hash`] and [`ids`]: RFC 8785 content hashes and passport identifiers;
//! - [`demo`]: realistic demo data.
//!
//! No HTTP, no SQL: this crate is pure and fast to test.

pub mod access;
pub mod catalogue;
pub mod demo;
pub mod document;
pub mod fixtures;
pub mod gs1;
pub mod hash;
pub mod ids;
pub mod input;
pub mod jsonld;
pub mod lifecycle;
pub mod readings;
mod rules;
pub mod schema;
pub mod validate;

pub use validate::Violation;
