//! Passport write bodies (`passport::input::Envelope`) and what the server does with them before storing:
//! split into model and item parts, compose, and validate (`passport::validate`: the embedded schemas and the
//! regulation's rules), plus the content hash and the JSON-LD view of what was sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passport::document::{compose, split};
use passport::input::Envelope;
use passport::validate::{Scope, validate_at, validate_item_at};
use serde_json::Value;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    // A fixed clock keeps runs reproducible (2026-11-29T00:00:00Z).
    let now = OffsetDateTime::from_unix_timestamp(1_795_910_400).unwrap();
    let _ = validate_at(&body, Scope::Passport, now);
    let _ = passport::hash::content_hash(&body);
    let _ = passport::jsonld::to_json_ld(&body, "https://passports.example.com/p/X");
    let Ok(envelope) = Envelope::parse(body) else { return };
    let document = envelope.document.clone();
    let (model, item) = split(&document);
    assert_eq!(compose(&model, &item), document, "compose(split(d)) == d");
    let _ = validate_at(&model, Scope::Model, now);
    let _ = validate_item_at(&item, &model, now);
    if let Ok(input) = envelope.clone().into_passport() {
        let _ = validate_at(&input.item, Scope::Item, now);
    }
    let _ = envelope.into_model();
});
