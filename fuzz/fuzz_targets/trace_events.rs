//! Production events (`trace::event`): NDJSON (REST bulk and MQTT), a JSON array or one event
//! (`read_ndjson`, `read_json`, `read_one`), then the planner on what parsed (`trace::plan` with nothing stored).
#![no_main]

use libfuzzer_sys::fuzz_target;
use trace::{Known, event, plan};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let events = if selector % 2 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else { return };
        event::read_ndjson(text)
    } else {
        let _ = event::read_one(rest);
        event::read_json(rest)
    };
    if let Ok(events) = events {
        let _ = plan(events, &Known::default());
    }
});
