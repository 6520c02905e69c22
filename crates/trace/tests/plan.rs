//! The checks on production events: what is applied, held, refused, and what each write carries.

use trace::plan::{Known, KnownUnit, plan};
use trace::{TraceEvent, UnitKind};

fn events(lines: &str) -> Vec<(usize, TraceEvent)> {
    lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| (i + 1, serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))))
        .collect()
}

const FACTORY: &str = r#"
{"eventId":"e1","type":"produced","unit":{"id":"LOT-NMC","kind":"lot","material":"nmc811","supplier":"BPNL1","quantity":{"value":1,"unit":"t"}}}
{"eventId":"e2","type":"produced","unit":{"id":"LOT-GR","kind":"lot","material":"graphite","supplier":"BPNL2","quantity":{"value":800,"unit":"kg"}}}
{"eventId":"e3","type":"produced","unit":{"id":"CB-1","kind":"batch","type":"cathode coating"},"inputs":[{"id":"LOT-NMC","quantity":{"value":400,"unit":"kg"}}]}
{"eventId":"e4","type":"produced","unit":{"id":"AB-1","kind":"batch","type":"anode coating"},"inputs":[{"id":"LOT-GR","quantity":{"value":300000,"unit":"g"}}]}
{"eventId":"e5","type":"produced","unit":{"id":"C-1","kind":"cell","model":"VP50"},"inputs":[{"id":"CB-1","quantity":{"value":2,"unit":"kg"}},{"id":"AB-1"}]}
{"eventId":"e6","type":"produced","unit":{"id":"C-2","kind":"cell","model":"VP50"},"inputs":[{"id":"CB-1","quantity":{"value":2,"unit":"kg"}},{"id":"AB-1"}]}
{"eventId":"e7","type":"produced","unit":{"id":"M-1","kind":"module"},"inputs":[{"id":"C-1"},{"id":"C-2"}]}
{"eventId":"e8","type":"produced","unit":{"id":"P-1","kind":"pack","passport":"pp-1"},"inputs":[{"id":"M-1"}]}
"#;

fn with_passport() -> Known {
    let mut known = Known::default();
    known.passports.insert("pp-1".into(), false);
    known
}

#[test]
fn a_cell_on_hold_does_not_go_into_a_module() {
    let mut known = with_passport();
    known.on_hold.insert("C-2".into(), "end-of-line anomaly, score 9.1".into());
    let p = plan(events(FACTORY), &known);
    let refused: Vec<(&str, &str)> = p.errors.iter().map(|e| (e.event_id.as_str(), e.message.as_str())).collect();
    let module = refused.iter().find(|(id, _)| *id == "e7").unwrap_or_else(|| panic!("{refused:?}"));
    assert!(module.1.contains("C-2 is on hold (end-of-line anomaly, score 9.1)"), "{refused:?}");
    assert!(refused.iter().all(|(id, _)| ["e7", "e8"].contains(id)), "only the module and its pack: {refused:?}");
}

#[test]
fn a_factory_in_order_is_applied_with_usage_and_module_sources() {
    let p = plan(events(FACTORY), &with_passport());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert!(p.held.is_empty());
    assert_eq!(p.units.len(), 8);
    assert_eq!(p.edges.len(), 2 + 4 + 2 + 1);
    let lot = p.usage.iter().find(|u| u.unit_id == "LOT-NMC").unwrap();
    assert_eq!((lot.used, lot.base_uom, lot.consumers), (400.0, Some("kg"), 1));
    let graphite = p.usage.iter().find(|u| u.unit_id == "LOT-GR").unwrap();
    assert_eq!(graphite.used, 300.0, "grams are converted to the lot's kg");
    let cathode = p.usage.iter().find(|u| u.unit_id == "CB-1").unwrap();
    assert_eq!((cathode.used, cathode.consumers), (4.0, 2));
    // The module carries what its two cells took; the pack carries the module's.
    let of = |unit: &str, source: &str| {
        p.sources.iter().find(|s| s.unit_id == unit && s.source.source_id == source).map(|s| s.source.clone())
    };
    assert_eq!(of("M-1", "CB-1").map(|s| (s.cells, s.quantity)), Some((2, 4.0)));
    assert_eq!(of("M-1", "AB-1").map(|s| (s.cells, s.quantity)), Some((2, 0.0)));
    assert_eq!(of("P-1", "CB-1").map(|s| s.cells), Some(2));
    assert_eq!(p.applied.len(), 8);
    // Cells are counted where they are: the batch fed two, the module and the pack hold two.
    assert_eq!(cathode.cells, 2);
    assert_eq!(lot.cells, 0, "a lot feeds batches here, not cells");
    let cells_of = |id: &str| p.units.iter().find(|u| u.spec.id == id).unwrap().cells;
    assert_eq!((cells_of("M-1"), cells_of("P-1"), cells_of("C-1")), (Some(2), Some(2), None));
}

#[test]
fn events_naming_units_not_seen_yet_are_held_or_applied_once_the_batch_has_them() {
    // Reversed: every event comes before what it names, and the retry puts them all through.
    let mut reversed = events(FACTORY);
    reversed.reverse();
    let p = plan(reversed, &with_passport());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.applied.len(), 8);
    // Without the lots, the batches and everything after them wait, naming what they miss.
    let without_lots: Vec<_> = events(FACTORY).into_iter().skip(2).collect();
    let p = plan(without_lots, &with_passport());
    assert!(p.errors.is_empty());
    assert_eq!(p.applied.len(), 0);
    assert_eq!(p.held.len(), 6);
    let cb = p.held.iter().find(|h| h.event.event_id() == "e3").unwrap();
    assert_eq!(cb.missing, vec!["LOT-NMC".to_string()]);
}

#[test]
fn duplicates_are_ignored_and_reused_serials_refused() {
    let mut known = with_passport();
    known.events.insert("e1".into());
    known.units.insert(
        "LOT-NMC".into(),
        KnownUnit {
            kind: UnitKind::Lot,
            quantity: Some(1000.0),
            base_uom: Some("kg".into()),
            used: 0.0,
            assembled_into: None,
            cells: 0,
        },
    );
    let p = plan(events(FACTORY), &known);
    assert_eq!(p.duplicates, vec!["e1".to_string()]);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let again =
        r#"{"eventId":"x9","type":"produced","unit":{"id":"LOT-NMC","kind":"lot","quantity":{"value":5,"unit":"kg"}}}"#;
    let p = plan(events(again), &known);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].to_string().contains("x9"), "{}", p.errors[0]);
    assert!(p.errors[0].message.contains("never reused"));
}

fn refused(lines: &str) -> String {
    let p = plan(events(&format!("{FACTORY}\n{lines}")), &with_passport());
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    p.errors[0].to_string()
}

#[test]
fn broken_rules_are_refused_naming_the_event() {
    let excess = refused(
        r#"{"eventId":"bad","type":"produced","unit":{"id":"CB-2","kind":"batch"},"inputs":[{"id":"LOT-NMC","quantity":{"value":0.7,"unit":"t"}}]}"#,
    );
    assert!(excess.contains("bad") && excess.contains("LOT-NMC had 1000 kg") && excess.contains("1100"), "{excess}");
    let unit = refused(
        r#"{"eventId":"bad","type":"produced","unit":{"id":"CB-2","kind":"batch"},"inputs":[{"id":"LOT-NMC","quantity":{"value":3,"unit":"L"}}]}"#,
    );
    assert!(unit.contains("does not convert"), "{unit}");
    let negative = refused(
        r#"{"eventId":"bad","type":"produced","unit":{"id":"CB-2","kind":"batch"},"inputs":[{"id":"LOT-NMC","quantity":{"value":-3,"unit":"kg"}}]}"#,
    );
    assert!(negative.contains("not a positive"), "{negative}");
    let twice =
        refused(r#"{"eventId":"bad","type":"produced","unit":{"id":"M-2","kind":"module"},"inputs":[{"id":"C-1"}]}"#);
    assert!(twice.contains("cell C-1 is already in M-1"), "{twice}");
    let kind = refused(
        r#"{"eventId":"bad","type":"produced","unit":{"id":"M-2","kind":"module"},"inputs":[{"id":"LOT-GR"}]}"#,
    );
    assert!(kind.contains("a module cannot take in a lot"), "{kind}");
    let circle = refused(
        r#"{"eventId":"bad","type":"consumed","unitId":"CB-1","inputs":[{"id":"CB-1","quantity":{"value":1,"unit":"kg"}}]}"#,
    );
    assert!(circle.contains("cannot take itself in"), "{circle}");
    let ceased = {
        let mut known = with_passport();
        known.passports.insert("pp-old".into(), true);
        let p = plan(
            events(r#"{"eventId":"bad","type":"produced","unit":{"id":"P-9","kind":"pack","passport":"pp-old"}}"#),
            &known,
        );
        p.errors[0].to_string()
    };
    assert!(ceased.contains("has ceased"), "{ceased}");
    let no_passport =
        refused(r#"{"eventId":"bad","type":"produced","unit":{"id":"P-9","kind":"pack","passport":"nope"}}"#);
    assert!(no_passport.contains("does not exist"), "{no_passport}");
}

#[test]
fn material_cannot_flow_in_a_circle() {
    let lines = r#"
{"eventId":"c1","type":"produced","unit":{"id":"S-1","kind":"batch","type":"slurry"},"inputs":[{"id":"LOT-NMC","quantity":{"value":10,"unit":"kg"}}]}
{"eventId":"c2","type":"produced","unit":{"id":"S-2","kind":"batch","type":"coating"},"inputs":[{"id":"S-1"}]}
{"eventId":"c3","type":"consumed","unitId":"S-1","inputs":[{"id":"S-2"}]}
"#;
    let circle = refused(lines);
    assert!(circle.contains("c3") && circle.contains("would close a circle"), "{circle}");
    // The same circle through stored ancestry.
    let mut known = with_passport();
    for (id, kind) in [("S-1", UnitKind::Batch), ("S-2", UnitKind::Batch)] {
        known.units.insert(
            id.into(),
            KnownUnit { kind, quantity: None, base_uom: None, used: 0.0, assembled_into: None, cells: 0 },
        );
    }
    known.ancestors.insert("S-2".into(), ["S-1".to_string()].into_iter().collect());
    let p = plan(events(r#"{"eventId":"c4","type":"consumed","unitId":"S-1","inputs":[{"id":"S-2"}]}"#), &known);
    assert!(p.errors[0].message.contains("circle"), "{:?}", p.errors);
}

#[test]
fn end_of_line_tests_are_kept_held_or_refused() {
    let lines = r#"
{"eventId":"t1","type":"tested","unitId":"C-1","results":{"capacityAh":50.2,"internalResistanceMohm":0.81,"ocvV":3.65},"passed":true,"at":"2026-03-02T10:00:00Z"}
{"eventId":"t2","type":"tested","unitId":"C-9","results":{"capacityAh":49.0}}
"#;
    let p = plan(events(&format!("{FACTORY}\n{lines}")), &with_passport());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.results.len(), 1);
    assert_eq!(
        (p.results[0].unit_id.as_str(), p.results[0].results["capacityAh"], p.results[0].passed),
        ("C-1", 50.2, Some(true))
    );
    assert_eq!(p.held.len(), 1, "the test of a cell not seen yet waits for it");
    assert!(p.applied.iter().any(|(id, _, kind)| id == "t1" && *kind == "tested"));
    let negative = refused(r#"{"eventId":"bad","type":"tested","unitId":"C-2","results":{"capacityAh":-1}}"#);
    assert!(negative.contains("not a possible value"), "{negative}");
    let lot = refused(r#"{"eventId":"bad","type":"tested","unitId":"LOT-NMC","results":{"x":1}}"#);
    assert!(lot.contains("end-of-line tests are of cells, modules and packs"), "{lot}");
    let empty = refused(r#"{"eventId":"bad","type":"tested","unitId":"C-2","results":{}}"#);
    assert!(empty.contains("has no results"), "{empty}");
}

#[test]
fn a_serial_made_twice_in_a_batch_or_an_input_named_twice_is_refused() {
    let twice = r#"
{"eventId":"t1","type":"produced","unit":{"id":"C-9","kind":"cell"},"inputs":[{"id":"CB-1"}]}
{"eventId":"t2","type":"produced","unit":{"id":"C-9","kind":"cell"},"inputs":[{"id":"AB-1"}]}
{"eventId":"t3","type":"produced","unit":{"id":"C-8","kind":"cell"},"inputs":[{"id":"CB-1"},{"id":"AB-1"},{"id":"CB-1"}]}"#;
    let p = plan(events(&format!("{FACTORY}{twice}")), &with_passport());
    let refused: Vec<(&str, &str)> = p.errors.iter().map(|e| (e.event_id.as_str(), e.message.as_str())).collect();
    assert_eq!(
        refused,
        [("t2", "unit C-9 was produced already by event t1"), ("t3", "input CB-1 is named twice")],
        "{refused:?}"
    );
}

/// Lines of `count` cathode batches (`CB-i`, from LOT-NMC) and a cell from each, `C-i`.
fn cells_from_batches_of_their_own(count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                r#"{{"eventId":"b{i}","type":"produced","unit":{{"id":"CB-{i}","kind":"batch"}},"inputs":[{{"id":"LOT-NMC","quantity":{{"value":1,"unit":"kg"}}}}]}}
{{"eventId":"c{i}","type":"produced","unit":{{"id":"C-{i}","kind":"cell"}},"inputs":[{{"id":"CB-{i}","quantity":{{"value":0.5,"unit":"kg"}}}}]}}
"#
            )
        })
        .collect()
}

#[test]
fn a_module_of_cells_from_many_batches_sums_its_sources_and_refuses_a_cell_named_twice() {
    let lot =
        r#"{"eventId":"l1","type":"produced","unit":{"id":"LOT-NMC","kind":"lot","quantity":{"value":1,"unit":"t"}}}"#;
    let (count, cell) = (12, |i: usize| format!(r#"{{"id":"C-{i}"}}"#));
    // Cells 0..12 from batches of their own, and two more cells from batch 0: 12 distinct sources, one of 3 cells.
    let extra = r#"{"eventId":"x1","type":"produced","unit":{"id":"C-X1","kind":"cell"},"inputs":[{"id":"CB-0","quantity":{"value":0.5,"unit":"kg"}}]}
{"eventId":"x2","type":"produced","unit":{"id":"C-X2","kind":"cell"},"inputs":[{"id":"CB-0","quantity":{"value":0.5,"unit":"kg"}}]}"#;
    let mut names: Vec<String> = (0..count).map(cell).collect();
    names.extend([r#"{"id":"C-X1"}"#.to_string(), r#"{"id":"C-X2"}"#.to_string()]);
    let module = format!(
        r#"{{"eventId":"m1","type":"produced","unit":{{"id":"M-1","kind":"module"}},"inputs":[{}]}}"#,
        names.join(",")
    );
    let lines = format!("{lot}\n{}{extra}\n{module}", cells_from_batches_of_their_own(count));
    let p = plan(events(&lines), &with_passport());
    assert!(p.errors.is_empty() && p.held.is_empty(), "{:?} {:?}", p.errors, p.held);
    let sources: Vec<(&str, i64, f64)> = p
        .sources
        .iter()
        .filter(|s| s.unit_id == "M-1")
        .map(|s| (s.source.source_id.as_str(), s.source.cells, s.source.quantity))
        .collect();
    assert_eq!(sources.len(), count, "{sources:?}");
    assert_eq!(sources[0], ("CB-0", 3, 1.5), "{sources:?}");
    assert!(sources[1..].iter().all(|(_, cells, quantity)| *cells == 1 && *quantity == 0.5), "{sources:?}");
    // Named twice among more inputs than are compared one by one.
    names.push(cell(5));
    let module = format!(
        r#"{{"eventId":"m2","type":"produced","unit":{{"id":"M-2","kind":"module"}},"inputs":[{}]}}"#,
        names.join(",")
    );
    let lines = format!("{lot}\n{}{extra}\n{module}", cells_from_batches_of_their_own(count));
    let p = plan(events(&lines), &with_passport());
    assert_eq!(p.errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(), ["input C-5 is named twice"]);
}
