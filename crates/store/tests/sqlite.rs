//! The store conformance suite on SQLite (a fresh file per test).

mod conformance;

use std::sync::Arc;
use store::{AppendOptions, SqliteStore, Store, testing};

async fn fresh() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&testing::fresh_sqlite_url()).await.expect("open sqlite"))
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            conformance::$name(fresh().await).await;
        }
    )*};
}

conformance!(
    actors_and_keys,
    keys_expire_and_are_revoked,
    models_are_versioned_and_chained,
    passports_append_and_chain,
    duplicate_battery_ids_write_nothing,
    listing_filters_and_pages,
    bulk_insert_many,
    readings_are_idempotent_and_queryable,
    grants_are_revocable_and_kept,
    signatures_keys_and_audit_chain,
    restore_round_trips_raw_rows,
    restore_round_trips_quality_rows,
    registry_descriptors_and_discovery,
    model_ids_page_in_order,
    quality_coas_revisions_and_decisions,
    quality_specs_are_versioned,
    quality_spc_state_and_alarms,
    quality_sampling_and_lab_results,
    trace_genealogy_round_trip,
    trace_upstream_closure_follows_batches_to_lots,
    job_leases_go_to_one_holder,
);

#[tokio::test]
async fn history_tables_refuse_update_and_delete() {
    let url = testing::fresh_sqlite_url();
    let store = fresh_at(&url).await;
    store.create_actor(&conformance::actor("actor:test", store::Role::Admin)).await.unwrap();
    store.append_passports(vec![conformance::new_passport("urn:t:1", "SN-1")], AppendOptions::default()).await.unwrap();
    use sqlx::Connection;
    let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for sql in ["UPDATE passport_versions SET reason = 'x'", "DELETE FROM passport_versions", "DELETE FROM passports"] {
        let err = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
        assert!(err.to_string().contains("append-only") || err.to_string().contains("never deleted"), "{sql}: {err}");
    }
}

async fn fresh_at(url: &str) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(url).await.unwrap())
}

#[tokio::test]
async fn analytics_records_round_trip() {
    conformance::analytics_records_round_trip(fresh().await, fresh().await).await;
}

/// A CoA's original and parsed JSON are stored packed (migration 0011), and rows written before, as received,
/// read back the same through every reader: the CoA, its original bytes, the SPC recompute's reads and backups.
#[tokio::test]
async fn coas_are_stored_packed_and_rows_from_before_still_read() {
    use serde_json::json;
    use sqlx::{Connection, Row};
    use store::{AuditEvent, CoaWrite, JsonText, NewCoa, NewDecision, QualityStore, RestoreStore, SpcWrite};
    let url = testing::fresh_sqlite_url();
    let store = SqliteStore::open(&url).await.unwrap();
    store.create_actor(&conformance::actor("actor:test", store::Role::Admin)).await.unwrap();
    let at = time::macros::datetime!(2026-11-01 00:00 UTC);
    let characteristics: Vec<_> = (0..20)
        .map(|i| json!({"name": format!("C{i}"), "unit": "µm", "result": {"value": 10.0 + f64::from(i) / 7.0}}))
        .collect();
    let coa_json =
        |lot: &str| json!({"lot": {"number": lot, "manufacturedOn": "2026-10-01"}, "characteristics": characteristics});
    let original = serde_json::to_vec_pretty(&coa_json("L-new")).unwrap();
    let parsed = JsonText::of(&coa_json("L-new")).unwrap();
    let coa = NewCoa {
        id: "coa:new".into(),
        supplier_id: "BPNL000000000CAM".into(),
        material_id: "NMC811".into(),
        lot_number: "L-new".into(),
        content_hash: "hash-new".into(),
        media_type: "application/json".into(),
        original: original.clone(),
        parsed: Some(parsed.clone()),
        actor_id: "actor:test".into(),
        received_at: at,
    };
    let decision = NewDecision {
        outcome: "accepted".into(),
        reasons: json!([]),
        spec_material: None,
        spec_version: None,
        decided_by: "actor:test".into(),
        decided_at: at,
        override_reason: None,
    };
    let event = AuditEvent::new("actor:test", "coa.receive", "coa:new", json!({}));
    store.insert_coas(vec![CoaWrite { coa, decision, event }], SpcWrite::default()).await.unwrap();

    // On disk: packed, and much smaller than what was received.
    let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let row = sqlx::query("SELECT packing, length(original) AS o, length(parsed) AS p FROM coas WHERE id = 'coa:new'")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(row.get::<Option<String>, _>("packing").as_deref(), Some("lz4"));
    assert!(row.get::<i64, _>("o") * 2 < original.len() as i64, "original packed: {} bytes", row.get::<i64, _>("o"));
    assert!(row.get::<i64, _>("p") * 2 < parsed.get().len() as i64, "parsed packed: {} bytes", row.get::<i64, _>("p"));

    // A row as an earlier version wrote it: original and parsed as received, no packing.
    let old_original = b"{\"lot\":{\"number\":\"L-old\"}}".to_vec();
    let old_parsed = coa_json("L-old").to_string();
    sqlx::query(
        "INSERT INTO coas (id, supplier_id, material_id, lot_number, revision, content_hash, media_type, original, \
         parsed, actor_id, received_at) VALUES ('coa:old', 'BPNL000000000CAM', 'NMC811', 'L-old', 1, 'hash-old', \
         'application/json', ?1, ?2, 'actor:test', ?3)",
    )
    .bind(&old_original)
    .bind(&old_parsed)
    .bind(at)
    .execute(&mut raw)
    .await
    .unwrap();

    assert_eq!(store.coa_original("coa:new").await.unwrap().unwrap().1, original);
    assert_eq!(store.coa_original("coa:old").await.unwrap().unwrap().1, old_original);
    assert_eq!(store.coa("coa:new").await.unwrap().unwrap().parsed, Some(parsed.clone()));
    let old = store.coa("coa:old").await.unwrap().unwrap().parsed.unwrap();
    assert_eq!(old, JsonText::from_text(old_parsed.clone()).unwrap());
    let bulk = store.parsed_coas(None, Some("NMC811"), None, 10).await.unwrap();
    let texts: Vec<_> = bulk.iter().map(|c| (c.id.as_str(), c.parsed.clone().unwrap())).collect();
    assert_eq!(texts, [("coa:new", parsed.get().to_string()), ("coa:old", old_parsed.clone())]);
    let rows = store.coa_rows_after(None, 10).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.original.clone()).collect::<Vec<_>>(), [original, old_original]);
    assert_eq!(rows[1].parsed, Some(coa_json("L-old")), "a backup carries the parsed JSON unpacked");
}

/// A store at `url` with the test actor, and the conformance genealogy planned against nothing stored, to be
/// written at the time returned.
async fn with_genealogy_planned(url: &str) -> (SqliteStore, trace::Plan, time::OffsetDateTime) {
    let store = SqliteStore::open(url).await.unwrap();
    store.create_actor(&conformance::actor("actor:test", store::Role::Admin)).await.unwrap();
    let planned = trace::plan::plan(conformance::events(conformance::LINES), &trace::plan::Known::default());
    (store, planned, time::macros::datetime!(2026-11-01 00:00 UTC))
}

/// Cells ingested since migration 0012 live in `trace_cells` with their edges inline; cells stored before (or by a
/// restore) live in `trace_units` with edges in `trace_edges`. Every read, the backup pages and a restore see both
/// as one genealogy, and a new module can take cells of either form.
#[tokio::test]
async fn cells_in_their_own_rows_and_cells_stored_before_read_as_one_genealogy() {
    use sqlx::{Connection, Row};
    use store::{TraceBackupStore, TraceStore};
    use trace::UnitKind;
    use trace::plan::{Known, plan};
    let url = testing::fresh_sqlite_url();
    let (store, first, at) = with_genealogy_planned(&url).await;
    store.write_trace(conformance::write_of(first, at)).await.unwrap();

    // A cell as a store from before migration 0012 holds it: a unit row, an edge row, an applied-event row.
    let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for sql in [
        "INSERT INTO trace_units (id, kind, line, operator, event_id, created_by) \
         VALUES ('C-OLD', 'cell', 'L9', 'BPNL-MAKER', 'old-1', 'actor:test')",
        "INSERT INTO trace_edges VALUES ('CB-1', 'C-OLD', 'old-1', 'batch', 'cell', 1.5)",
        "INSERT INTO trace_events VALUES ('old-1', 'C-OLD', 'produced', 'actor:test', '2026-10-01T00:00:00Z')",
    ] {
        sqlx::query(sql).execute(&mut raw).await.unwrap();
    }

    // Two more cells in one write, then a module of the old cell and one of them in the next.
    let known_of = async |ids: &[&str]| {
        let mut known = Known::default();
        let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        for u in store.trace_units(&ids).await.unwrap() {
            let unit = trace::KnownUnit {
                kind: u.kind,
                quantity: u.quantity,
                base_uom: u.base_uom.clone().or(u.used_uom.clone()),
                used: u.used,
                assembled_into: u.assembled_into.clone(),
                cells: u.cell_count.unwrap_or(0),
            };
            known.units.insert(u.id, unit);
        }
        known
    };
    let cells = r#"{"eventId":"c4","type":"produced","unit":{"id":"C-4","kind":"cell","line":"L9"},"inputs":[{"id":"CB-1","quantity":{"value":1,"unit":"kg"}}]}
{"eventId":"c5","type":"produced","unit":{"id":"C-5","kind":"cell","type":"pouch 50 Ah","station":"S3","attributes":{"chemistry":"NMC811"}},"inputs":[{"id":"CB-1"},{"id":"LOT-NMC","quantity":{"value":2,"unit":"kg"}}]}"#;
    let p = plan(conformance::events(cells), &known_of(&["CB-1", "LOT-NMC"]).await);
    assert!(p.errors.is_empty() && p.held.is_empty(), "{:?}", p.errors);
    store.write_trace(conformance::write_of(p, at)).await.unwrap();
    let module = r#"{"eventId":"m2","type":"produced","unit":{"id":"M-2","kind":"module"},"inputs":[{"id":"C-OLD"},{"id":"C-4"}]}"#;
    let p = plan(conformance::events(module), &known_of(&["C-OLD", "C-4"]).await);
    assert!(p.errors.is_empty() && p.held.is_empty(), "{:?}", p.errors);
    store.write_trace(conformance::write_of(p, at)).await.unwrap();

    // Where the rows went: new cells in their own table with the module inline; the old cell's module as an edge.
    let count = async |raw: &mut sqlx::SqliteConnection, sql: &'static str| -> i64 {
        sqlx::query(sql).fetch_one(raw).await.unwrap().get(0)
    };
    assert_eq!(count(&mut raw, "SELECT COUNT(*) FROM trace_cells").await, 4, "C-1, C-2, C-4 and C-5");
    assert_eq!(count(&mut raw, "SELECT COUNT(*) FROM trace_units WHERE kind = 'cell'").await, 1);
    assert_eq!(
        count(&mut raw, "SELECT COUNT(*) FROM trace_edges WHERE output_kind = 'cell' OR input_kind = 'cell'").await,
        2
    );
    assert_eq!(
        count(&mut raw, "SELECT COUNT(*) FROM trace_cells WHERE id = 'C-4' AND assembled_into = 'M-2'").await,
        1
    );
    assert_eq!(count(&mut raw, "SELECT COUNT(*) FROM trace_events WHERE event_id IN ('c4', 'c5', 'e3')").await, 0);
    for sql in [
        "UPDATE trace_cells SET assembled_into = 'M-9' WHERE id = 'C-4'",
        "UPDATE trace_cells SET line = 'X'",
        "DELETE FROM trace_cells",
        "UPDATE trace_cell_links SET seqs = '[]'",
    ] {
        let err = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // C-5 gets its module once.
    sqlx::query("UPDATE trace_cells SET assembled_into = 'M-X', assembly_kind = 'module', assembly_event = 'mx' WHERE id = 'C-5'")
        .execute(&mut raw)
        .await
        .unwrap();

    let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut units = store.trace_units(&ids(&["C-OLD", "C-4", "C-1", "CB-1"])).await.unwrap();
    units.sort_by(|a, b| a.id.cmp(&b.id));
    let seen: Vec<_> = units.iter().map(|u| (u.id.as_str(), u.kind, u.assembled_into.as_deref())).collect();
    assert_eq!(
        seen,
        [
            ("C-1", UnitKind::Cell, Some("M-1")),
            ("C-4", UnitKind::Cell, Some("M-2")),
            ("C-OLD", UnitKind::Cell, Some("M-2")),
            ("CB-1", UnitKind::Batch, None)
        ]
    );
    // A cell stating more than a model, line and time (written with every column) reads back whole.
    let c5 = store.trace_units(&ids(&["C-5"])).await.unwrap().remove(0);
    let stated = (c5.unit_type.as_deref(), c5.station.as_deref(), c5.attributes.clone());
    assert_eq!(stated, (Some("pouch 50 Ah"), Some("S3"), Some(serde_json::json!({"chemistry": "NMC811"}))));
    let c4 = units.iter().find(|u| u.id == "C-4").unwrap();
    assert_eq!(
        (c4.line.as_deref(), c4.operator.as_deref(), c4.event_id.as_str()),
        (Some("L9"), Some("BPNL-MAKER"), "c4")
    );

    let edge = |e: &store::StoredEdge| (e.input_id.clone(), e.output_id.clone(), e.event_id.clone(), e.quantity);
    let mut into_m2: Vec<_> = store.trace_inputs(&ids(&["M-2"])).await.unwrap().iter().map(edge).collect();
    into_m2.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        into_m2,
        [("C-4".into(), "M-2".into(), "m2".into(), None), ("C-OLD".into(), "M-2".into(), "m2".into(), None)]
    );
    let mut into_cells: Vec<_> = store.trace_inputs(&ids(&["C-OLD", "C-5"])).await.unwrap().iter().map(edge).collect();
    into_cells.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    assert_eq!(
        into_cells,
        [
            ("CB-1".into(), "C-5".into(), "c5".into(), None),
            ("LOT-NMC".into(), "C-5".into(), "c5".into(), Some(2.0)),
            ("CB-1".into(), "C-OLD".into(), "old-1".into(), Some(1.5))
        ]
    );
    let outputs = |after: Option<&'static str>, limit| {
        let store = &store;
        async move {
            let edges = store.trace_outputs(&ids(&["CB-1"]), &[UnitKind::Cell], after, limit).await.unwrap();
            edges.into_iter().map(|e| e.output_id).collect::<Vec<_>>()
        }
    };
    assert_eq!(outputs(None, 10).await, ["C-1", "C-2", "C-4", "C-5", "C-OLD"]);
    assert_eq!(outputs(Some("C-4"), 2).await, ["C-5", "C-OLD"]);
    let into_modules = store.trace_outputs(&ids(&["C-4", "C-OLD"]), &[UnitKind::Module], None, 10).await.unwrap();
    assert_eq!(into_modules.iter().map(edge).collect::<Vec<_>>().len(), 2);
    assert!(store.trace_outputs(&ids(&["C-4"]), &[UnitKind::Pack], None, 10).await.unwrap().is_empty());
    for cell in ["C-OLD", "C-5"] {
        let mut up: Vec<String> = store.trace_upstream_closure(cell).await.unwrap().into_iter().map(|u| u.id).collect();
        up.sort();
        let expected = if cell == "C-OLD" { vec!["C-OLD", "CB-1", "LOT-NMC"] } else { vec!["C-5", "CB-1", "LOT-NMC"] };
        assert_eq!(up, expected);
    }
    let mut applied = store.applied_trace_events(&ids(&["old-1", "c4", "e3", "m2", "none"])).await.unwrap();
    applied.sort();
    assert_eq!(applied, ["c4", "e3", "m2", "old-1"]);
    let counts = store.count_trace_units().await.unwrap();
    assert!(counts.contains(&(UnitKind::Cell, 5)), "{counts:?}");
    // An id asked for twice comes back once.
    assert_eq!(store.trace_units(&ids(&["C-4", "C-4", "CB-1", "C-OLD", "CB-1"])).await.unwrap().len(), 3);
    assert_eq!(store.applied_trace_events(&ids(&["c4", "c4", "e1", "e1"])).await.unwrap().len(), 2);

    // Backup pages take both forms in key order, a page at a time; a restore writes them the old way and reads
    // back the same rows.
    let target = SqliteStore::open(&testing::fresh_sqlite_url()).await.unwrap();
    macro_rules! all_pages {
        ($store:expr, $method:ident, $key:expr) => {{
            let mut rows = Vec::new();
            let mut after = None;
            loop {
                let page = $store.$method(after.as_ref(), 2).await.unwrap();
                if page.is_empty() {
                    break;
                }
                after = page.last().cloned();
                rows.extend(page);
            }
            let keys: Vec<_> = rows.iter().map($key).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{} in strict key order: {keys:?}", stringify!($method));
            rows
        }};
    }
    let units = all_pages!(store, trace_unit_rows_after, |u: &store::TraceUnitRow| u.id.clone());
    let edges = all_pages!(store, trace_edge_rows_after, |e: &store::StoredEdge| (
        e.input_id.clone(),
        e.output_id.clone(),
        e.event_id.clone()
    ));
    let events = all_pages!(store, trace_event_rows_after, |e: &store::TraceEventRow| e.event_id.clone());
    assert_eq!(units.iter().filter(|u| u.kind == UnitKind::Cell).count(), 5);
    assert_eq!(units.len(), 10, "a lot, a batch, five cells, two modules and a pack");
    // Five cells into modules, the module into the pack, the lot into the batch, six inputs of cells.
    assert_eq!(edges.len(), 5 + 1 + 1 + 6, "{edges:?}");
    assert!(
        edges.iter().any(|e| (e.input_id.as_str(), e.output_id.as_str(), e.event_id.as_str()) == ("C-5", "M-X", "mx"))
    );
    assert_eq!(events.len(), 7 + 1 + 2 + 1, "the first batch's seven, the old cell's, two cells and a module");
    let c4_event = events.iter().find(|e| e.event_id == "c4").unwrap();
    assert_eq!((c4_event.unit_id.as_str(), c4_event.kind.as_str(), c4_event.applied_at), ("C-4", "produced", at));
    target.create_actor(&conformance::actor("actor:test", store::Role::Admin)).await.unwrap();
    target.restore_trace_units(&units).await.unwrap();
    target.restore_trace_edges(&edges).await.unwrap();
    target.restore_trace_events(&events).await.unwrap();
    assert_eq!(all_pages!(target, trace_unit_rows_after, |u: &store::TraceUnitRow| u.id.clone()), units);
    assert_eq!(
        all_pages!(target, trace_edge_rows_after, |e: &store::StoredEdge| (
            e.input_id.clone(),
            e.output_id.clone(),
            e.event_id.clone()
        )),
        edges
    );
    assert_eq!(all_pages!(target, trace_event_rows_after, |e: &store::TraceEventRow| e.event_id.clone()), events);
}

/// `.cargo/config.toml` builds the bundled SQLite without memory statistics (a global lock on every allocation)
/// and without memory management (one page-cache group, behind another lock, shared by every connection).
#[tokio::test]
async fn sqlite_is_built_without_its_global_allocation_locks() {
    use sqlx::Connection;
    let mut raw = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
    let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options").fetch_all(&mut raw).await.unwrap();
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
    assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
}

/// A bulk import's batches are committed one by one and reach the disk together: `sync_trace_writes` checkpoints
/// the log (syncing it first), after which the database file holds every page.
#[tokio::test]
async fn batches_of_an_import_are_readable_at_once_and_in_the_database_file_once_synced() {
    use sqlx::Connection;
    use store::TraceStore;
    let url = testing::fresh_sqlite_url();
    let (store, planned, at) = with_genealogy_planned(&url).await;
    store.write_trace_batch(conformance::write_of(planned, at)).await.unwrap();
    let file = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let cells: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM trace_cells").fetch_one(&mut raw).await.unwrap();
    assert_eq!(cells, 2, "committed: another connection reads the batch's cells");
    let pages: i64 = sqlx::query_scalar("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    let in_file = || std::fs::metadata(&file).unwrap().len() as i64;
    assert!(in_file() < pages, "before the sync, pages are in the log only ({} of {pages} bytes)", in_file());
    store.sync_trace_writes().await.unwrap();
    assert_eq!(in_file(), pages, "synced: the log is checkpointed into the database file");
}
