//! Imports of outside passport data (`interop`): the Catena-X battery pass 6.1.0 aspect
//! (`catenax::from_battery_pass`, `validate_battery_pass`) and the CX-0160 / IDTA parts
//! (`cx0160::import`, `cx0160::validate`). The first byte picks the CX-0160 aspect for a single-part import; a
//! JSON object keyed by aspect slugs is also imported as a multi-part set. Imported documents are validated
//! as passports and exported again, as the server does.
#![no_main]

use interop::catenax;
use interop::cx0160::{self, Aspect};
use libfuzzer_sys::fuzz_target;
use passport::validate::{Scope, validate_at};
use serde_json::Value;
use time::OffsetDateTime;

fn check(doc: &Value) {
    let now = OffsetDateTime::from_unix_timestamp(1_795_910_400).unwrap();
    let _ = validate_at(doc, Scope::Passport, now);
    let _ = catenax::to_battery_pass(doc);
    let _ = cx0160::export_all(doc);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(value) = serde_json::from_slice::<Value>(rest) else { return };
    let _ = catenax::validate_battery_pass(&value);
    if let Ok(doc) = catenax::from_battery_pass(&value) {
        check(&doc);
    }
    let aspect = Aspect::ALL[usize::from(selector) % Aspect::ALL.len()];
    let _ = cx0160::validate(aspect, &value);
    if let Ok(doc) = cx0160::import(&[(aspect, value.clone())]) {
        check(&doc);
    }
    if let Some(members) = value.as_object() {
        let parts: Vec<(Aspect, Value)> =
            members.iter().filter_map(|(slug, v)| Some((Aspect::from_slug(slug)?, v.clone()))).collect();
        if !parts.is_empty()
            && let Ok(doc) = cx0160::import(&parts)
        {
            check(&doc);
        }
    }
});
