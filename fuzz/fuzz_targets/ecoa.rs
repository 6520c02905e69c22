//! Electronic Certificates of Analysis from suppliers (`quality::ecoa`): the JSON reader (`parse_json`) and the
//! CSV reader (`parse_csv`); the first byte picks the format. An accepted CoA goes on to the incoming-inspection
//! decision (`quality::spec::decide`) against every catalogue specification for its material, as the server does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quality::ecoa::{self, Coa};
use quality::spec::{self, DecisionContext, MaterialSpec};
use std::sync::OnceLock;

fn specs() -> &'static [MaterialSpec] {
    static SPECS: OnceLock<Vec<MaterialSpec>> = OnceLock::new();
    SPECS.get_or_init(spec::catalogue)
}

fn use_coa(coa: &Coa) {
    let _ = coa.lot_key();
    for c in &coa.characteristics {
        assert!(coa.characteristic(&c.name).is_some());
        let _ = c.result.central();
    }
    let context = DecisionContext::received_on(time::macros::date!(2026 - 11 - 29));
    for spec in specs().iter().filter(|s| s.applies_to(&coa.material.id, &coa.supplier.id)) {
        let decision = spec::decide(coa, spec, &context);
        let _ = spec::outcome(&decision.reasons);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let result = if selector % 2 == 0 { ecoa::parse_json(rest) } else { ecoa::parse_csv(rest) };
    if let Ok(coa) = result {
        use_coa(&coa);
    }
});
