//! A batch checked against what the batch before it will have written (its overlay) plans what one batch of
//! both would have: the pipeline's second batch needs no read of the first.

use std::collections::BTreeMap;

use trace::TraceEvent;
use trace::plan::{Known, Plan, plan};

const FACTORY: &str = r#"
{"eventId":"e1","type":"produced","unit":{"id":"LOT-NMC","kind":"lot","quantity":{"value":1,"unit":"t"}}}
{"eventId":"e2","type":"produced","unit":{"id":"LOT-GR","kind":"lot","quantity":{"value":800,"unit":"kg"}}}
{"eventId":"e3","type":"produced","unit":{"id":"CB-1","kind":"batch"},"inputs":[{"id":"LOT-NMC","quantity":{"value":400,"unit":"kg"}}]}
{"eventId":"e4","type":"produced","unit":{"id":"AB-1","kind":"batch"},"inputs":[{"id":"LOT-GR","quantity":{"value":300000,"unit":"g"}}]}
{"eventId":"e5","type":"produced","unit":{"id":"C-1","kind":"cell"},"inputs":[{"id":"CB-1","quantity":{"value":2,"unit":"kg"}},{"id":"AB-1"}]}
{"eventId":"e6","type":"produced","unit":{"id":"C-2","kind":"cell"},"inputs":[{"id":"CB-1","quantity":{"value":2,"unit":"kg"}},{"id":"AB-1"}]}
{"eventId":"e7","type":"produced","unit":{"id":"M-1","kind":"module"},"inputs":[{"id":"C-1"},{"id":"C-2"}]}
{"eventId":"e8","type":"produced","unit":{"id":"C-3","kind":"cell"},"inputs":[{"id":"CB-1","quantity":{"value":396,"unit":"kg"}}]}
{"eventId":"e9","type":"produced","unit":{"id":"P-1","kind":"pack","passport":"pp-1"},"inputs":[{"id":"M-1"},{"id":"C-3"}]}
{"eventId":"e10","type":"tested","unitId":"C-3","results":{"capacityAh":50.1}}
"#;

fn events(lines: &str) -> Vec<(usize, TraceEvent)> {
    lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| (i + 1, serde_json::from_str(l).unwrap()))
        .collect()
}

fn with_passport() -> Known {
    let mut known = Known::default();
    known.passports.insert("pp-1".into(), false);
    known
}

/// Usage summed per unit: (used, consumers, cells).
fn usage(plans: &[&Plan]) -> BTreeMap<String, (f64, i64, i64)> {
    let mut sum = BTreeMap::new();
    for u in plans.iter().flat_map(|p| &p.usage) {
        let entry = sum.entry(u.unit_id.clone()).or_insert((0.0, 0, 0));
        *entry = (entry.0 + u.used, entry.1 + u.consumers, entry.2 + u.cells);
    }
    sum
}

/// The batch after the overlay of `first`, checked against a read that does not hold `first` yet.
fn second_after(first: &Plan, rest: Vec<(usize, TraceEvent)>) -> Plan {
    let mut read = with_passport();
    first.overlay.clone().lay_over(&mut read);
    plan(rest, &read)
}

#[test]
fn two_batches_over_an_overlay_plan_what_one_batch_does() {
    let all = events(FACTORY);
    let whole = plan(all.clone(), &with_passport());
    assert!(whole.errors.is_empty() && whole.held.is_empty(), "{:?} {:?}", whole.errors, whole.held);
    for split in 1..all.len() {
        let known = with_passport();
        let first = plan(all[..split].to_vec(), &known);
        let second = second_after(&first, all[split..].to_vec());
        assert!(
            second.errors.is_empty() && second.held.is_empty(),
            "split {split}: {:?} {:?}",
            second.errors,
            second.held
        );
        let units: Vec<_> = first.units.iter().chain(&second.units).cloned().collect();
        assert_eq!(units, whole.units, "split {split}");
        let edges: Vec<_> = first.edges.iter().chain(&second.edges).cloned().collect();
        assert_eq!(edges, whole.edges, "split {split}");
        let sources: Vec<_> = first.sources.iter().chain(&second.sources).cloned().collect();
        assert_eq!(sources, whole.sources, "split {split}: a pack's sources come through cells of either batch");
        assert_eq!(usage(&[&first, &second]), usage(&[&whole]), "split {split}");
        assert_eq!(first.results.len() + second.results.len(), 1);
    }
}

#[test]
fn the_overlay_keeps_the_rules_across_batches() {
    let all = events(FACTORY);
    let known = with_passport();
    let first = plan(all[..7].to_vec(), &known);
    // Sent again: ignored. The same serial from another event, a cell already in a module, more of a lot than
    // it had (400 kg of its tonne went into CB-1): refused, as within one batch.
    let again = r#"{"eventId":"e5","type":"produced","unit":{"id":"C-1","kind":"cell"},"inputs":[{"id":"CB-1"}]}
{"eventId":"x1","type":"produced","unit":{"id":"C-2","kind":"cell"},"inputs":[{"id":"CB-1"}]}
{"eventId":"x2","type":"produced","unit":{"id":"M-2","kind":"module"},"inputs":[{"id":"C-1"}]}
{"eventId":"x3","type":"produced","unit":{"id":"C-9","kind":"cell"},"inputs":[{"id":"LOT-NMC","quantity":{"value":700,"unit":"kg"}}]}"#;
    let second = second_after(&first, events(again));
    assert_eq!(second.duplicates, ["e5"]);
    let refused: Vec<(&str, &str)> = second.errors.iter().map(|e| (e.event_id.as_str(), e.message.as_str())).collect();
    assert_eq!(refused.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ["x1", "x2", "x3"], "{refused:?}");
    assert!(refused[1].1.contains("already in M-1"), "{refused:?}");
    assert!(refused[2].1.contains("LOT-NMC"), "{refused:?}");
}

#[test]
fn a_batch_that_consumed_into_stored_units_is_not_overlaid() {
    let known = with_passport();
    let first = plan(events(FACTORY), &known);
    assert!(first.overlay.complete());
    let consumed = r#"{"eventId":"k1","type":"consumed","unitId":"CB-1","inputs":[{"id":"LOT-GR","quantity":{"value":1,"unit":"kg"}}]}"#;
    let mut read = with_passport();
    first.overlay.lay_over(&mut read);
    let second = plan(events(consumed), &read);
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert!(!second.overlay.complete(), "its edges into CB-1 are not in the overlay");
}

#[test]
fn the_overlay_holds_applied_events_only() {
    let known = with_passport();
    // e3 names a lot no one has made: held, so the next batch may still send it.
    let unknown_lot =
        FACTORY.replace(r#""id":"LOT-NMC","quantity":{"value":400"#, r#""id":"LOT-X","quantity":{"value":400"#);
    let first = plan(events(&unknown_lot)[..4].to_vec(), &known);
    assert_eq!(first.held.iter().map(|h| h.event.event_id()).collect::<Vec<_>>(), ["e3"]);
    assert!(first.overlay.has_applied("e1") && first.overlay.has_applied("e4"));
    assert!(!first.overlay.has_applied("e3"), "a held event is not applied");
    let again = r#"{"eventId":"e3","type":"produced","unit":{"id":"CB-1","kind":"batch"},"inputs":[{"id":"LOT-NMC","quantity":{"value":400,"unit":"kg"}}]}"#;
    let second = second_after(&first, events(again));
    assert!(second.duplicates.is_empty() && second.errors.is_empty(), "{:?} {:?}", second.duplicates, second.errors);
    assert_eq!(second.applied.len(), 1, "the held event goes through when sent again");
    assert_eq!(usage(&[&first, &second])["LOT-NMC"].0, 400.0, "its usage counts once");
}
