//! Genealogy: a planned batch is written whole; units come back with their usage and assembly, edges both
//! ways, the recall shortcut (sources) both ways, and held events wait in the backlog until applied.

use std::sync::Arc;

use store::{Store, TraceWrite};
use time::macros::datetime;
use trace::plan::{Known, plan};
use trace::{TraceEvent, UnitKind};

pub const LINES: &str = r#"
{"eventId":"e1","type":"produced","unit":{"id":"LOT-NMC","kind":"lot","material":"nmc811","supplier":"BPNL1","quantity":{"value":1,"unit":"t"},"attributes":{"recycled":{"Ni":0.04}}}}
{"eventId":"e2","type":"produced","unit":{"id":"CB-1","kind":"batch","type":"cathode coating","line":"L1","at":"2026-03-01T06:00:00Z"},"inputs":[{"id":"LOT-NMC","quantity":{"value":400,"unit":"kg"}}]}
{"eventId":"e3","type":"produced","unit":{"id":"C-1","kind":"cell","model":"VP50"},"inputs":[{"id":"CB-1","quantity":{"value":2,"unit":"kg"}}]}
{"eventId":"e4","type":"produced","unit":{"id":"C-2","kind":"cell","model":"VP50"},"inputs":[{"id":"CB-1","quantity":{"value":2,"unit":"kg"}}]}
{"eventId":"e5","type":"produced","unit":{"id":"M-1","kind":"module"},"inputs":[{"id":"C-1"},{"id":"C-2"}]}
{"eventId":"e6","type":"produced","unit":{"id":"P-1","kind":"pack"},"inputs":[{"id":"M-1"}]}
{"eventId":"e7","type":"produced","unit":{"id":"C-3","kind":"cell"},"inputs":[{"id":"CB-9"}]}
{"eventId":"e8t","type":"tested","unitId":"C-1","results":{"capacityAh":50.5,"internalResistanceMohm":0.8},"passed":true,"at":"2026-03-02T10:00:00Z"}
"#;

pub fn events(lines: &str) -> Vec<(usize, TraceEvent)> {
    lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| (i + 1, serde_json::from_str(l).unwrap()))
        .collect()
}

pub fn write_of(p: trace::Plan, at: time::OffsetDateTime) -> TraceWrite {
    TraceWrite {
        units: p.units,
        edges: p.edges,
        usage: p.usage,
        sources: p.sources,
        applied: p.applied,
        results: p.results,
        held: p.held.into_iter().map(|h| (h.event, h.missing)).collect(),
        failed: Vec::new(),
        actor_id: "actor:test".into(),
        operator: Some("BPNL-MAKER".into()),
        at,
        audit: vec![store::AuditEvent::new("actor:test", "trace.ingest", "batch", serde_json::json!({}))],
    }
}

pub async fn trace_genealogy_round_trip(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", store::Role::Admin)).await.unwrap();
    let t0 = datetime!(2026-11-01 00:00 UTC);
    let p = plan(events(LINES), &Known::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.held.len(), 1, "C-3 waits for CB-9");
    store.write_trace(write_of(p, t0)).await.unwrap();

    let ids: Vec<String> = ["LOT-NMC", "CB-1", "C-1", "M-1", "P-1", "C-3", "nope"].map(String::from).to_vec();
    let mut units = store.trace_units(&ids).await.unwrap();
    units.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(units.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["C-1", "CB-1", "LOT-NMC", "M-1", "P-1"]);
    let lot = units.iter().find(|u| u.id == "LOT-NMC").unwrap();
    assert_eq!((lot.quantity, lot.base_uom.as_deref(), lot.used, lot.consumers), (Some(1000.0), Some("kg"), 400.0, 1));
    assert_eq!(lot.lot_number.as_deref(), Some("LOT-NMC"), "a lot's number defaults to its id");
    assert_eq!(lot.attributes, Some(serde_json::json!({"recycled": {"Ni": 0.04}})));
    assert_eq!(lot.operator.as_deref(), Some("BPNL-MAKER"));
    let batch = units.iter().find(|u| u.id == "CB-1").unwrap();
    assert_eq!((batch.used, batch.consumers, batch.cells_fed, batch.kind), (4.0, 2, 2, UnitKind::Batch));
    let pack = units.iter().find(|u| u.id == "P-1").unwrap();
    assert_eq!((pack.cell_count, lot.cell_count, lot.cells_fed), (Some(2), None, 0));
    assert_eq!(batch.produced_at, Some(datetime!(2026-03-01 06:00 UTC)));
    let cell = units.iter().find(|u| u.id == "C-1").unwrap();
    assert_eq!(cell.assembled_into.as_deref(), Some("M-1"));

    let tested = store.trace_results_of(&["C-1".to_string(), "C-2".to_string()]).await.unwrap();
    assert_eq!(tested.len(), 1);
    assert_eq!((tested[0].results["capacityAh"], tested[0].passed), (50.5, Some(true)));
    assert_eq!(tested[0].tested_at, Some(datetime!(2026-03-02 10:00 UTC)));
    let inputs = store.trace_inputs(&["M-1".to_string()]).await.unwrap();
    assert_eq!(inputs.len(), 2);
    let cells = store.trace_outputs(&["CB-1".to_string()], &[UnitKind::Cell], None, 1).await.unwrap();
    assert_eq!((cells.len(), cells[0].output_id.as_str(), cells[0].quantity), (1, "C-1", Some(2.0)));
    let next = store.trace_outputs(&["CB-1".to_string()], &[UnitKind::Cell], Some("C-1"), 10).await.unwrap();
    assert_eq!(next.iter().map(|e| e.output_id.as_str()).collect::<Vec<_>>(), ["C-2"]);
    assert!(store.trace_outputs(&["CB-1".to_string()], &[UnitKind::Batch], None, 10).await.unwrap().is_empty());
    let process = store.trace_process_outputs(&["LOT-NMC".to_string(), "CB-1".to_string()]).await.unwrap();
    assert_eq!(
        process.iter().map(|e| (e.input_id.as_str(), e.output_id.as_str())).collect::<Vec<_>>(),
        [("LOT-NMC", "CB-1")]
    );

    let reached = store.trace_reached_by(&["CB-1".to_string()]).await.unwrap();
    let mut reached: Vec<(String, i64)> = reached.into_iter().map(|s| (s.unit_id, s.cells)).collect();
    reached.sort();
    assert_eq!(reached, [("M-1".to_string(), 2), ("P-1".to_string(), 2)]);
    let of_pack = store.trace_sources_of(&["P-1".to_string()]).await.unwrap();
    assert_eq!((of_pack.len(), of_pack[0].source_id.as_str(), of_pack[0].quantity), (1, "CB-1", 4.0));

    let applied = store.applied_trace_events(&["e1".to_string(), "e7".to_string()]).await.unwrap();
    assert_eq!(applied, ["e1"]);
    let backlog = store.trace_backlog(Some("held"), 10).await.unwrap();
    assert_eq!(backlog.len(), 1);
    assert_eq!((backlog[0].event_id.as_str(), backlog[0].missing.clone()), ("e7", vec!["CB-9".to_string()]));

    // A second batch brings CB-9; the held event is retried with it, applied, and leaves the backlog.
    let later = r#"{"eventId":"e8","type":"produced","unit":{"id":"CB-9","kind":"batch"},"inputs":[{"id":"LOT-NMC","quantity":{"value":100,"unit":"kg"}}]}"#;
    let mut batch = events(later);
    batch.push((2, backlog[0].event.clone()));
    let mut known = Known::default();
    for u in store.trace_units(&["LOT-NMC".to_string()]).await.unwrap() {
        known.units.insert(
            u.id.clone(),
            trace::KnownUnit {
                kind: u.kind,
                quantity: u.quantity,
                base_uom: u.base_uom.clone(),
                used: u.used,
                assembled_into: None,
                cells: 0,
            },
        );
    }
    let p = plan(batch, &known);
    assert!(p.errors.is_empty() && p.held.is_empty(), "{:?} {:?}", p.errors, p.held);
    store.write_trace(write_of(p, t0)).await.unwrap();
    assert!(store.trace_backlog(None, 10).await.unwrap().is_empty());
    let lot = store.trace_units(&["LOT-NMC".to_string()]).await.unwrap().remove(0);
    assert_eq!((lot.used, lot.consumers), (500.0, 2), "usage adds up across batches");
    let counts = store.count_trace_units().await.unwrap();
    assert!(counts.contains(&(UnitKind::Cell, 3)) && counts.contains(&(UnitKind::Pack, 1)), "{counts:?}");

    // A write that breaks the schema (a unit id twice) leaves nothing behind.
    let dup =
        plan(events(r#"{"eventId":"e9","type":"produced","unit":{"id":"NEW-1","kind":"batch"}}"#), &Known::default());
    let mut w = write_of(dup, t0);
    w.units.push(w.units[0].clone());
    assert!(store.write_trace(w).await.is_err());
    assert!(store.trace_units(&["NEW-1".to_string()]).await.unwrap().is_empty());
    assert!(store.applied_trace_events(&["e9".to_string()]).await.unwrap().is_empty());
}

/// Material made in two steps (a slurry batch into a coating batch), a second lot straight into the coating.
const PROCESS_CHAIN: &str = r#"
{"eventId":"x1","type":"produced","unit":{"id":"LOT-A","kind":"lot","quantity":{"value":1,"unit":"t"}}}
{"eventId":"x2","type":"produced","unit":{"id":"LOT-B","kind":"lot","quantity":{"value":1,"unit":"t"}}}
{"eventId":"x3","type":"produced","unit":{"id":"SL-1","kind":"batch","type":"slurry"},"inputs":[{"id":"LOT-A","quantity":{"value":100,"unit":"kg"}}]}
{"eventId":"x4","type":"produced","unit":{"id":"CB-2","kind":"batch","type":"cathode coating"},"inputs":[{"id":"SL-1","quantity":{"value":50,"unit":"kg"}},{"id":"LOT-B","quantity":{"value":5,"unit":"kg"}}]}
{"eventId":"x5","type":"produced","unit":{"id":"C-9","kind":"cell"},"inputs":[{"id":"CB-2","quantity":{"value":1,"unit":"kg"}}]}
{"eventId":"x6","type":"produced","unit":{"id":"M-9","kind":"module"},"inputs":[{"id":"C-9"}]}
"#;

pub async fn trace_upstream_closure_follows_batches_to_lots(store: Arc<dyn Store>) {
    store.create_actor(&super::actor("actor:test", store::Role::Admin)).await.unwrap();
    let p = plan(events(PROCESS_CHAIN), &Known::default());
    assert!(p.errors.is_empty() && p.held.is_empty(), "{:?} {:?}", p.errors, p.held);
    store.write_trace(write_of(p, datetime!(2026-11-02 00:00 UTC))).await.unwrap();
    let closure = async |id: &str| {
        let mut units: Vec<String> =
            store.trace_upstream_closure(id).await.unwrap().into_iter().map(|u| u.id).collect();
        units.sort();
        units
    };
    // A cell: its batch, the batch before that, both lots; the unit itself comes back too.
    assert_eq!(closure("C-9").await, ["C-9", "CB-2", "LOT-A", "LOT-B", "SL-1"]);
    assert_eq!(closure("CB-2").await, ["CB-2", "LOT-A", "LOT-B", "SL-1"]);
    assert_eq!(closure("LOT-A").await, ["LOT-A"]);
    // An assembly starts from its sources (what its cells took), not from itself: it is not in its upstream.
    assert_eq!(closure("M-9").await, ["CB-2", "LOT-A", "LOT-B", "SL-1"]);
    assert!(closure("nope").await.is_empty());
    let units = store.trace_upstream_closure("SL-1").await.unwrap();
    let lot = units.iter().find(|u| u.id == "LOT-A").expect("the slurry's lot");
    assert_eq!((lot.kind, lot.used, lot.consumers), (UnitKind::Lot, 100.0, 1), "units come with their usage");
}
