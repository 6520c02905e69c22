//! The trust commands end to end with the real binary: issuer keys, `audit verify` finding tampered rows,
//! `audit checkpoint`, backup and restore across backends, and offline credential checks.

use passport::access::Audience;
use passport::fixtures::item_body;
use quality::spec::agreement::LabResult;
use server::PassportService;
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use store::{Grant, PassportFilter, PassportHead, Reading, Store};

/// CLI writes are recorded as `local:<USER>`; a fixed user lets the tests find that actor.
const USER: &str = "trust-test";

fn voltpass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voltpass"))
        .args(args)
        .env("VOLTPASS_LOG", "warn")
        .env("USER", USER)
        .env_remove("VOLTPASS_DB")
        .output()
        .expect("run voltpass")
}

/// Runs a command that must succeed; returns its standard output.
fn ok(args: &[&str]) -> String {
    let out = voltpass(args);
    assert!(out.status.success(), "voltpass {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns standard output and standard error together.
fn fails(args: &[&str]) -> String {
    let out = voltpass(args);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "voltpass {args:?} should fail: {text}");
    text
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voltpass-trust-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("voltpass.db").display())
}

async fn all_heads(store: &Arc<dyn Store>) -> Vec<PassportHead> {
    let mut heads = Vec::new();
    loop {
        let after = heads.last().map(|h: &PassportHead| h.id.clone());
        let page = store.list_passports(&PassportFilter::default(), after.as_deref(), 100).await.unwrap();
        if page.is_empty() {
            return heads;
        }
        heads.extend(page);
    }
}

/// Demo passports (written unsigned by `voltpass demo`), keys for every operator they name and for the server,
/// then a second version of each passport written through a service that signs.
async fn signed_store(db: &str) {
    ok(&["keys", "issuer", "create", "--operator", "voltpass-server", "--db", db]);
    ok(&["demo", "--count", "6", "--db", db]);
    let store = store::open(db).await.unwrap();
    let heads = all_heads(&store).await;
    let mut operators: Vec<&str> = heads.iter().map(|h| h.responsible.as_str()).collect();
    operators.sort_unstable();
    operators.dedup();
    for operator in operators {
        ok(&["keys", "issuer", "create", "--operator", operator, "--db", db]);
    }
    let service = PassportService::new(store.clone());
    service.load_keys().await.unwrap();
    let actor = store.actor(&format!("local:{USER}")).await.unwrap().expect("the CLI recorded its actor");
    for head in &heads {
        let current = service.passport_for(&head.id, None, Audience::Operator).await.unwrap();
        let body = item_body(&current.document);
        service.update_passport(&actor, &head.id, body, Some(head.version)).await.unwrap();
    }
}

/// The good NMC811 eCoA fixture for lot `lot`, made on day `day` of January 2025 with D50 `d50` (mean, range
/// ±0.25) and an expiry far ahead (the fixture's own lies in the past, which would hold the lot).
fn ecoa(lot: &str, day: u32, d50: f64) -> String {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../quality/tests/fixtures/ecoa-nmc811-good.json");
    let made = time::macros::date!(2025 - 01 - 01) + time::Duration::days(i64::from(day) - 1);
    std::fs::read_to_string(fixture)
        .unwrap()
        .replace("\"expiresOn\": \"2026-04-10\"", "\"expiresOn\": \"2099-04-10\"")
        .replace("\"manufacturedOn\": \"2025-04-10\"", &format!("\"manufacturedOn\": \"{made}\""))
        .replace("L2504-0173", lot)
        .replace(
            "\"mean\": 11.2, \"min\": 11.0, \"max\": 11.5",
            &format!("\"mean\": {d50:.2}, \"min\": {:.2}, \"max\": {:.2}", d50 - 0.25, d50 + 0.25),
        )
}

/// Supplier-quality data through the CLI and the service: a supplier's NMC811 specification, the lots of an SPC
/// baseline and one far off, which raises alarms, a second revision of the first lot, an override, an
/// acknowledged alarm and a lab result (next to the demo's CoAs). Returns each imported file with its lot and
/// revision: the originals a restore must give back.
async fn quality_data(db: &str, dir: &Path) -> Vec<(String, i64, PathBuf)> {
    // Version 1 of the catalogue's specification is in force already: a supplier's own, tighter version 2.
    let mut spec = quality::spec::catalogue().into_iter().find(|s| s.material == "NMC811").unwrap();
    spec.version = 2;
    spec.supplier = Some("BPNL000000000CAM".into());
    let spec_path = dir.join("nmc811-spec.json");
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    ok(&["spec", "put", spec_path.to_str().unwrap(), "--db", db]);

    let mut files = Vec::new();
    let baseline = server::service::spc::BASELINE_LOTS as u32;
    for i in 0..=baseline {
        let d50 = if i == baseline { 12.6 } else { 11.1 + f64::from(i % 3) * 0.1 };
        let path = dir.join(format!("ecoa-{i:02}.json"));
        std::fs::write(&path, ecoa(&format!("L-{i:02}"), i + 1, d50)).unwrap();
        files.push((format!("L-{i:02}"), 1, path));
    }
    let revised = dir.join("ecoa-00-revised.json");
    std::fs::write(&revised, ecoa("L-00", 1, 11.1).replace("DN-88412", "DN-88412-R")).unwrap();
    let mut args = vec!["coa", "import", "--db", db];
    args.extend(files.iter().map(|(_, _, p)| p.to_str().unwrap()));
    ok(&args);
    let out = ok(&["coa", "import", revised.to_str().unwrap(), "--db", db]);
    assert!(out.contains("revision 2 of lot BPNL000000000CAM/NMC811/L-00"), "{out}");
    files.push(("L-00".into(), 2, revised));

    let store = store::open(db).await.unwrap();
    let service = PassportService::new(store.clone());
    let actor = store.actor(&format!("local:{USER}")).await.unwrap().unwrap();
    let first = store.coa_revisions("BPNL000000000CAM", "NMC811", "L-01").await.unwrap().remove(0);
    service.override_decision(&actor, &first.id, "rejected", "agreed with the supplier: 8D report 17").await.unwrap();
    let far_off = format!("L-{baseline:02}");
    let alarms = store.alarm_rows_after(None, 100_000).await.unwrap();
    let alarm = alarms.iter().find(|a| a.lot_number == far_off).expect("the lot far off the baseline raises an alarm");
    service.acknowledge_alarm(&actor, &alarm.id, "supplier changed the mill; agreed").await.unwrap();
    // Our own lab's result for a lot: a lab result row and the skip-lot state it moves.
    let tested = store.coa_revisions("BPNL000000000CAM", "NMC811", "L-02").await.unwrap().remove(0);
    let d50 = LabResult {
        characteristic: "D50".into(),
        unit: quality::ecoa::units::Unit::parse("µm"),
        result: quality::ecoa::Measurement::Single { value: 11.2, qualifier: None },
    };
    service.add_lab_results(&actor, &tested.id, vec![d50]).await.unwrap();
    files
}

async fn raw_sqlite(db: &str) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(db).await.unwrap()
}

#[tokio::test]
async fn issuer_keys_rotate_and_are_listed_without_secrets() {
    let dir = temp_dir();
    let db = db_url(&dir);
    let no_key = fails(&["audit", "checkpoint", "--db", &db]);
    assert!(no_key.contains("voltpass keys issuer create --operator voltpass-server"), "{no_key}");

    let first = ok(&["keys", "issuer", "create", "--operator", "ORG-1", "--db", &db]);
    assert!(first.starts_with("ORG-1-key-1\tORG-1\tz6Mk"), "{first}");
    let second = ok(&["keys", "issuer", "rotate", "--operator", "ORG-1", "--db", &db]);
    assert!(second.starts_with("ORG-1-key-2\tORG-1\tz6Mk"), "{second}");

    let listed = ok(&["keys", "issuer", "list", "--db", &db]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].starts_with("ORG-1-key-1\t") && !lines[0].ends_with("active"), "retired: {listed}");
    assert!(lines[1].starts_with("ORG-1-key-2\t") && lines[1].ends_with("\tactive"), "{listed}");
    let store = store::open(&db).await.unwrap();
    for key in store.issuer_keys().await.unwrap() {
        assert_eq!(key.secret_hex.len(), 64);
        assert!(!listed.contains(&key.secret_hex), "secrets are never listed");
    }
    let actions: Vec<String> = store.audit_entries(0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["actor.create", "issuer-key.create", "issuer-key.create"], "the local actor is recorded");
}

#[tokio::test]
async fn audit_verify_names_each_tampered_row() {
    let dir = temp_dir();
    let db = db_url(&dir);
    signed_store(&db).await;
    assert!(ok(&["audit", "checkpoint", "--db", &db]).starts_with("checkpoint at "));
    assert_eq!(ok(&["audit", "checkpoint", "--db", &db]).trim(), "nothing new since the last checkpoint");
    let intact = ok(&["audit", "verify", "--db", &db]);
    assert!(intact.starts_with("intact: 6 passports (12 versions), 3 models (3 versions), "), "{intact}");
    assert!(intact.contains(" 6 signatures, ") && intact.contains(" 1 checkpoints"), "{intact}");

    let mut raw = raw_sqlite(&db).await;
    let (id, item): (String, String) = sqlx::query_as(
        "SELECT passport_id, item FROM passport_versions WHERE version = 1 ORDER BY passport_id LIMIT 1",
    )
    .fetch_one(&mut raw)
    .await
    .unwrap();
    let at = item.find(|c: char| c.is_ascii_digit()).expect("a digit in the item");
    let digit = item.as_bytes()[at];
    let mut tampered = item.clone().into_bytes();
    tampered[at] = if digit == b'9' { b'8' } else { digit + 1 };
    sqlx::query("DROP TRIGGER passport_versions_append_only_u").execute(&mut raw).await.unwrap();
    sqlx::query("UPDATE passport_versions SET item = ?1 WHERE passport_id = ?2 AND version = 1")
        .bind(String::from_utf8(tampered).unwrap())
        .bind(&id)
        .execute(&mut raw)
        .await
        .unwrap();
    let broken = fails(&["audit", "verify", "--db", &db]);
    assert!(broken.contains(&format!("passport {id} version 1: content hash mismatch (stored ")), "{broken}");
    assert!(broken.contains("1 broken links found"), "only that row is named: {broken}");
    sqlx::query("UPDATE passport_versions SET item = ?1 WHERE passport_id = ?2 AND version = 1")
        .bind(&item)
        .bind(&id)
        .execute(&mut raw)
        .await
        .unwrap();
    ok(&["audit", "verify", "--db", &db]);

    sqlx::query("DROP TRIGGER audit_log_append_only_u").execute(&mut raw).await.unwrap();
    sqlx::query("UPDATE audit_log SET detail = '{\"tampered\":true}' WHERE seq = 3").execute(&mut raw).await.unwrap();
    sqlx::query("DROP TRIGGER audit_log_append_only_d").execute(&mut raw).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 5").execute(&mut raw).await.unwrap();
    let broken = fails(&["audit", "verify", "--db", &db]);
    let findings: Vec<&str> = broken.lines().filter(|l| l.starts_with("audit")).collect();
    assert_eq!(findings, ["audit entry 3: hash mismatch", "audit: sequence gap after 4"], "{broken}");
}

#[tokio::test]
async fn backup_restores_everything_equal_and_refuses_a_tampered_archive() {
    let dir = temp_dir();
    let db = db_url(&dir);
    signed_store(&db).await;
    {
        let store = store::open(&db).await.unwrap();
        let head = &all_heads(&store).await[0];
        let reading = |at_ms: i64, value: f64| Reading {
            passport_id: head.id.clone(),
            metric: "stateOfHealth".into(),
            at_ms,
            source: "bms-1".into(),
            value,
            note: None,
            actor_id: format!("local:{USER}"),
        };
        store
            .insert_readings(&[reading(1_000, 99.5), reading(2_000, 0.1 + 0.2)], &format!("local:{USER}"))
            .await
            .unwrap();
        let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let grant = Grant {
            id: "grant:trust".into(),
            grantor: head.responsible.clone(),
            grantee: format!("local:{USER}"),
            passports: vec![head.id.clone()],
            groups: vec!["readings".into()],
            valid_until: now + time::Duration::days(30),
            created_by: format!("local:{USER}"),
            created_at: now,
            revoked_at: None,
            revoked_by: None,
        };
        store.create_grant(&grant).await.unwrap();
        // A partner's registered AAS twin, found by discovery after the restore too.
        let body = serde_json::json!({"id": "urn:uuid:partner-1", "specificAssetIds": [{"name": "partInstanceId", "value": "P-1"}]});
        let descriptor = store::StoredDescriptor {
            id: "urn:uuid:partner-1".into(),
            owner: format!("local:{USER}"),
            body: body.clone(),
            created_at: now,
            updated_at: now,
        };
        let event =
            store::AuditEvent::new(format!("local:{USER}"), "aas.descriptor.create", "urn:uuid:partner-1", body);
        store.put_descriptor(&descriptor, event).await.unwrap();
    }
    let coa_files = quality_data(&db, &dir).await;
    trace_data(&db, &dir, &all_heads(&store::open(&db).await.unwrap()).await[0].id);
    analytics_data(&store::open(&db).await.unwrap()).await;
    ok(&["audit", "checkpoint", "--db", &db]);

    let archive = dir.join("archive");
    let out = ok(&["backup", "--out", archive.to_str().unwrap(), "--db", &db]);
    assert!(out.contains("manifest signed by voltpass-server-key-1"), "{out}");
    let keys = std::fs::read_to_string(archive.join("issuer_keys.ndjson")).unwrap();
    let source = store::open(&db).await.unwrap();
    for key in source.issuer_keys().await.unwrap() {
        assert!(keys.contains(&key.public_multibase) && !keys.contains(&key.secret_hex), "public parts only");
    }

    let target_url = match store::testing::fresh_postgres_url().await {
        Some(url) => url,
        None => store::testing::fresh_sqlite_url(),
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(archive.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "voltpass-backup/5");
    let lines =
        |name: &str| manifest["files"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["lines"].clone();
    let coas: i64 = source.coa_suppliers().await.unwrap().iter().map(|(_, n)| n).sum();
    assert!(coas > 52, "the demo's CoAs, 51 lots and a second revision: {coas}");
    assert_eq!(lines("coas.ndjson"), coas);

    let restored = ok(&["restore", archive.to_str().unwrap(), "--db", &target_url]);
    assert!(restored.contains("verified intact") && restored.contains(&format!(" {coas} CoAs, ")), "{restored}");
    let target = store::open(&target_url).await.unwrap();
    assert_same_records(&source, &target).await;
    assert_same_quality(&source, &target).await;
    assert_same_trace(&source, &target).await;
    assert_same_analytics(&source, &target).await;
    for (lot, revision, file) in &coa_files {
        let revisions = target.coa_revisions("BPNL000000000CAM", "NMC811", lot).await.unwrap();
        let coa = revisions.iter().find(|c| c.revision == *revision).expect("the revision is restored");
        let (_, original) = target.coa_original(&coa.id).await.unwrap().unwrap();
        assert_eq!(original, std::fs::read(file).unwrap(), "{} is restored byte for byte", file.display());
    }
    let overridden = target.coa_revisions("BPNL000000000CAM", "NMC811", "L-01").await.unwrap().remove(0);
    let decisions = target.coa_decisions(&overridden.id).await.unwrap();
    assert_eq!(decisions.len(), 2, "the first decision and the override");
    assert_eq!(overridden.decision.unwrap().outcome, "rejected");
    let closed = store::AlarmFilter { open: Some(false), ..Default::default() };
    assert!(!target.alarms(&closed, None, 10).await.unwrap().is_empty(), "the acknowledged alarm");
    assert!(ok(&["audit", "verify", "--db", &target_url]).starts_with("intact: 6 passports (12 versions)"));
    let again = fails(&["restore", archive.to_str().unwrap(), "--db", &target_url]);
    assert!(again.contains("the store is not empty"), "{again}");
    let listed = ok(&["keys", "issuer", "list", "--db", &target_url]);
    assert!(listed.lines().all(|l| l.ends_with("\tverify-only")), "restored keys cannot sign: {listed}");

    let tampered = dir.join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    for entry in std::fs::read_dir(&archive).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), tampered.join(entry.file_name())).unwrap();
    }
    let path = tampered.join("passports.ndjson");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.iter().position(|b| *b == b'"').unwrap() + 1;
    bytes[at] ^= 0x20; // "passportId" -> "PassportId"
    std::fs::write(&path, bytes).unwrap();
    let fresh = store::testing::fresh_sqlite_url();
    let refused = fails(&["restore", tampered.to_str().unwrap(), "--db", &fresh]);
    assert!(refused.contains("archive file passports.ndjson was altered or damaged"), "{refused}");
    assert!(store::open(&fresh).await.unwrap().is_empty().await.unwrap(), "nothing written from a tampered archive");

    // Archives of format 4 (before analytics were archived), 3 (before genealogy was) and 2 (before quality data
    // was) still restore, without what they do not hold.
    for (format, left_out) in [
        ("voltpass-backup/4", &ANALYTICS_FILES[..]),
        ("voltpass-backup/3", &[&ANALYTICS_FILES[..], &TRACE_FILES[..]].concat()[..]),
        ("voltpass-backup/2", &[&ANALYTICS_FILES[..], &QUALITY_FILES[..], &TRACE_FILES[..]].concat()[..]),
    ] {
        let older = dir.join(format.replace('/', "-"));
        std::fs::create_dir_all(&older).unwrap();
        let mut manifest = manifest.clone();
        manifest["format"] = format.into();
        manifest.as_object_mut().unwrap().remove("signature");
        let files = manifest["files"].as_array_mut().unwrap();
        files.retain(|f| !left_out.contains(&f["name"].as_str().unwrap()));
        for file in files.iter() {
            let name = file["name"].as_str().unwrap();
            std::fs::copy(archive.join(name), older.join(name)).unwrap();
        }
        std::fs::write(older.join("manifest.json"), serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
        let fresh = store::testing::fresh_sqlite_url();
        let restored = ok(&["restore", older.to_str().unwrap(), "--db", &fresh]);
        assert!(restored.contains("verified intact"), "{format}: {restored}");
        let target = store::open(&fresh).await.unwrap();
        assert!(target.analytics_models().await.unwrap().is_empty(), "{format}");
        assert_eq!(target.trace_unit_rows_after(None, 1).await.unwrap().is_empty(), !format.ends_with('4'), "{format}");
        assert_eq!(target.coa_rows_after(None, 1).await.unwrap().is_empty(), format.ends_with('2'), "{format}");
        assert_eq!(all_heads(&target).await, all_heads(&source).await);
    }
}

const ANALYTICS_FILES: [&str; 3] = ["analytics_models.ndjson", "analytics_results.ndjson", "unit_holds.ndjson"];

/// A registered model, a screening result and a hold put on and released.
async fn analytics_data(store: &Arc<dyn store::Store>) {
    let at = time::macros::datetime!(2026-03-03 09:00:00.5 UTC);
    let actor = format!("local:{USER}");
    let model = store::AnalyticsModelRow {
        name: "eol-screening".into(),
        version: "1".into(),
        training_data_sha256: "none".into(),
        model: serde_json::json!({"zThreshold": 3.5}),
        registered_at: at,
    };
    store.register_analytics_model(&model).await.unwrap();
    let result = store::AnalyticsResult {
        id: "r-1".into(),
        kind: "eol-screening".into(),
        subject: "C-B2".into(),
        line: Some("L1".into()),
        run_id: "run-1".into(),
        model_name: model.name.clone(),
        model_version: model.version.clone(),
        input_sha256: "00".repeat(32),
        output: serde_json::json!({"univariate": {"score": 2.1}}),
        flagged: true,
        actor_id: actor.clone(),
        created_at: at,
    };
    let hold = |action: &str| store::UnitHold {
        seq: 0,
        unit_id: "C-B2".into(),
        action: action.into(),
        reason: format!("{action} for the backup test"),
        result_id: Some("r-1".into()),
        actor_id: actor.clone(),
        at,
    };
    let audit = vec![store::AuditEvent::new(&actor, "analytics.screen", "L1", serde_json::json!({}))];
    store.write_analytics(&[result], &[hold("hold"), hold("release"), hold("hold")], audit, at).await.unwrap();
}

async fn assert_same_analytics(a: &Arc<dyn store::Store>, b: &Arc<dyn store::Store>) {
    assert_eq!(a.analytics_models().await.unwrap(), b.analytics_models().await.unwrap());
    let results = a.analytics_result_rows_after(None, 100).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results, b.analytics_result_rows_after(None, 100).await.unwrap());
    let holds = |rows: Vec<store::UnitHold>| -> Vec<(String, String, String)> {
        rows.into_iter().map(|h| (h.unit_id, h.action, h.reason)).collect()
    };
    let left = holds(a.unit_hold_rows_after(None, 100).await.unwrap());
    assert_eq!(left.len(), 3);
    assert_eq!(left, holds(b.unit_hold_rows_after(None, 100).await.unwrap()), "hold events in their order");
    assert_eq!(b.holds_in_force(None).await.unwrap().len(), 1);
}

const TRACE_FILES: [&str; 7] = [
    "trace_units.ndjson",
    "trace_edges.ndjson",
    "trace_sources.ndjson",
    "trace_usage.ndjson",
    "trace_events.ndjson",
    "trace_backlog.ndjson",
    "trace_results.ndjson",
];

/// Genealogy through the CLI: a declared lot, a batch, two cells, a module, a pack linked to `passport`, and
/// an event waiting in the backlog for a lot not seen yet.
fn trace_data(db: &str, dir: &Path, passport: &str) {
    let events = [
        serde_json::json!({"eventId": "t-lot", "type": "produced", "unit": {"id": "LOT-B", "kind": "lot", "supplier": "BPNL000000000CAM",
            "material": "NMC811", "quantity": {"value": 1, "unit": "t"}, "at": "2026-03-01T06:00:00Z",
            "attributes": {"category": "cathode", "substances": [{"name": "cobalt", "massFraction": 0.06, "critical": true}]}}}),
        serde_json::json!({"eventId": "t-b", "type": "produced", "unit": {"id": "B-B", "kind": "batch"}, "inputs": [{"id": "LOT-B", "quantity": {"value": 0.5, "unit": "t"}}]}),
        serde_json::json!({"eventId": "t-c1", "type": "produced", "unit": {"id": "C-B1", "kind": "cell"}, "inputs": [{"id": "B-B"}]}),
        serde_json::json!({"eventId": "t-c2", "type": "produced", "unit": {"id": "C-B2", "kind": "cell"}, "inputs": [{"id": "B-B", "quantity": {"value": 2, "unit": "kg"}}]}),
        serde_json::json!({"eventId": "t-m", "type": "produced", "unit": {"id": "M-B", "kind": "module"}, "inputs": [{"id": "C-B1"}, {"id": "C-B2"}]}),
        serde_json::json!({"eventId": "t-p", "type": "produced", "unit": {"id": "P-B", "kind": "pack", "passport": passport}, "inputs": [{"id": "M-B"}]}),
        serde_json::json!({"eventId": "t-eol", "type": "tested", "unitId": "C-B1", "results": {"capacityAh": 50.1, "internalResistanceMohm": 0.9},
            "passed": true, "at": "2026-03-02T10:00:00.123456Z"}),
        serde_json::json!({"eventId": "t-wait", "type": "produced", "unit": {"id": "B-W", "kind": "batch"}, "inputs": [{"id": "LOT-LATER", "quantity": {"value": 1, "unit": "kg"}}]}),
    ];
    let path = dir.join("events.ndjson");
    std::fs::write(&path, events.iter().map(|e| format!("{e}\n")).collect::<String>()).unwrap();
    let out = ok(&["trace", "import", path.to_str().unwrap(), "--db", db]);
    assert!(out.contains("\"applied\":7") && out.contains("\"held\":1"), "{out}");
}

/// Every row of every genealogy table is equal, read in pages of 3.
async fn assert_same_trace(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    macro_rules! same_rows {
        ($read:ident, $at_least:expr) => {{
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for (store, rows) in [(a, &mut left), (b, &mut right)] {
                loop {
                    let page = store.$read(rows.last(), 3).await.unwrap();
                    if page.is_empty() {
                        break;
                    }
                    rows.extend(page);
                }
            }
            assert!(left.len() >= $at_least, "{}: {} rows", stringify!($read), left.len());
            assert_eq!(left, right, "{}", stringify!($read));
        }};
    }
    same_rows!(trace_unit_rows_after, 6);
    same_rows!(trace_edge_rows_after, 6);
    same_rows!(trace_source_rows_after, 2);
    same_rows!(trace_usage_rows_after, 2);
    same_rows!(trace_event_rows_after, 6);
    same_rows!(trace_backlog_rows_after, 1);
    same_rows!(trace_result_rows_after, 1);
    // And what the service reads back is the same: the recall of the lot reaches the passport.
    let local = a.actor(&format!("local:{USER}")).await.unwrap().unwrap();
    let (sa, sb) = (server::PassportService::new(a.clone()), server::PassportService::new(b.clone()));
    let (da, db) =
        (sa.trace_downstream(&local, "LOT-B").await.unwrap(), sb.trace_downstream(&local, "LOT-B").await.unwrap());
    assert_eq!(db.passports, da.passports);
    assert_eq!(db.passports.len(), 1);
}

const QUALITY_FILES: [&str; 8] = [
    "coas.ndjson",
    "coa_decisions.ndjson",
    "lab_results.ndjson",
    "material_specs.ndjson",
    "spc_series.ndjson",
    "sampling_states.ndjson",
    "spc_alarms.ndjson",
    "spc_alarm_acks.ndjson",
];

/// Every row of every supplier-quality table is equal, read in pages of 7 (so paging is crossed).
async fn assert_same_quality(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    macro_rules! same_rows {
        ($read:ident, $at_least:expr) => {{
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for (store, rows) in [(a, &mut left), (b, &mut right)] {
                loop {
                    let page = store.$read(rows.last(), 7).await.unwrap();
                    if page.is_empty() {
                        break;
                    }
                    rows.extend(page);
                }
            }
            assert!(left.len() >= $at_least, "{}: {} rows", stringify!($read), left.len());
            assert_eq!(left, right, "{}", stringify!($read));
        }};
    }
    same_rows!(coa_rows_after, 28);
    same_rows!(decision_rows_after, 28);
    same_rows!(spec_rows_after, 1);
    same_rows!(series_rows_after, 1);
    same_rows!(alarm_rows_after, 1);
    same_rows!(alarm_ack_rows_after, 1);
    same_rows!(lab_result_rows_after, 1);
    same_rows!(sampling_state_rows_after, 1);
}

/// Every version, signature, model version, audit entry, checkpoint, key, actor, reading and grant is equal.
async fn assert_same_records(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    let heads = all_heads(a).await;
    assert_eq!(heads, all_heads(b).await);
    for head in &heads {
        assert_eq!(a.passport_versions(&head.id).await.unwrap(), b.passport_versions(&head.id).await.unwrap());
        assert_eq!(a.version_signatures(&head.id).await.unwrap(), b.version_signatures(&head.id).await.unwrap());
    }
    let models = a.model_ids().await.unwrap();
    assert_eq!(models, b.model_ids().await.unwrap());
    for id in &models {
        let history = a.model_history(id).await.unwrap();
        assert_eq!(history, b.model_history(id).await.unwrap());
        for meta in history {
            assert_eq!(a.model(id, Some(meta.version)).await.unwrap(), b.model(id, Some(meta.version)).await.unwrap());
        }
    }
    assert_eq!(a.audit_entries(0, 100_000).await.unwrap(), b.audit_entries(0, 100_000).await.unwrap());
    let descriptors = a.descriptors(&[], None, None, 1000).await.unwrap();
    assert!(!descriptors.is_empty());
    assert_eq!(descriptors, b.descriptors(&[], None, None, 1000).await.unwrap());
    let pair = [("partInstanceId".to_string(), "P-1".to_string())];
    assert_eq!(b.descriptors(&pair, None, None, 10).await.unwrap().len(), 1, "the discovery index is restored");
    assert_eq!(a.checkpoints().await.unwrap(), b.checkpoints().await.unwrap());
    let public = |keys: Vec<store::IssuerKeyRecord>| -> Vec<_> {
        keys.into_iter().map(|k| (k.key_id, k.operator, k.public_multibase, k.created_at, k.retired_at)).collect()
    };
    assert_eq!(public(a.issuer_keys().await.unwrap()), public(b.issuer_keys().await.unwrap()));
    assert_eq!(a.actor_records().await.unwrap(), b.actor_records().await.unwrap());
    let readings = a.readings_after(None, 1000).await.unwrap();
    assert_eq!(readings.len(), 2);
    assert_eq!(readings, b.readings_after(None, 1000).await.unwrap());
    assert_eq!(a.grants_for(None, None).await.unwrap(), b.grants_for(None, None).await.unwrap());
}

#[test]
fn verify_checks_a_credential_against_a_did_document() {
    let dir = temp_dir();
    let did = interop::did_web_for_base_url("https://passports.example.com").unwrap();
    let key = interop::IssuerKey::generate("ORG-1-key-1").unwrap();
    let record = store::IssuerKeyRecord {
        key_id: key.key_id().into(),
        operator: "ORG-1".into(),
        public_multibase: key.public_multibase(),
        secret_hex: String::new(),
        created_at: time::OffsetDateTime::now_utc(),
        retired_at: None,
    };
    let document = server::service::signing::did_document(&did, &[record]).unwrap().to_json();
    let created = time::macros::datetime!(2026-11-29 10:00 UTC);
    let subject = serde_json::json!({"id": "https://passports.example.com/p/urn:voltpass:1", "version": 1});
    let credential =
        interop::issue_credential(subject, &did, &key, created, created, None, &["BatteryPassportCredential"]);
    let (credential_path, did_path) = (dir.join("credential.json"), dir.join("did.json"));
    std::fs::write(&credential_path, serde_json::to_vec(&credential).unwrap()).unwrap();
    std::fs::write(&did_path, serde_json::to_vec(&document).unwrap()).unwrap();

    let valid = ok(&["verify", credential_path.to_str().unwrap(), "--did", did_path.to_str().unwrap()]);
    assert_eq!(
        valid.trim(),
        "valid: issuer did:web:passports.example.com, key did:web:passports.example.com#ORG-1-key-1, \
         created 2026-11-29T10:00:00Z"
    );

    let mut altered = credential.clone();
    altered["credentialSubject"]["version"] = serde_json::json!(2);
    let altered_path = dir.join("altered.json");
    std::fs::write(&altered_path, serde_json::to_vec(&altered).unwrap()).unwrap();
    let out = voltpass(&["verify", altered_path.to_str().unwrap(), "--did", did_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!("INVALID: {}", interop::VerifyError::SignatureMismatch);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expected);
}
