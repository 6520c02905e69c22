//! The `voltpass` binary end to end: keys, import, export, and durability of acknowledged writes (passports,
//! readings, production events) across kill -9, once and in twenty rounds at random moments.

use passport::demo::{self, DemoModel};
use passport::fixtures::{item_body, model_body};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn voltpass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voltpass")).args(args).env("VOLTPASS_LOG", "warn").output().expect("run voltpass")
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voltpass-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("voltpass.db").display())
}

fn create_key(db: &str, role: &str) -> String {
    let out = voltpass(&["keys", "create", "--role", role, "--name", "tester", "--db", db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("vpk_"), "the key is printed on stdout: {key}");
    key
}

#[test]
fn keys_are_printed_once_and_listed_without_secrets() {
    let dir = temp_dir();
    let db = db_url(&dir);
    let key = create_key(&db, "admin");
    let list = voltpass(&["keys", "list", "--db", &db]);
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(listed.contains("admin") && listed.contains("tester"), "{listed}");
    assert!(!listed.contains(&key[4..]), "keys are never listed");
    let raw = std::fs::read(dir.join("voltpass.db")).unwrap();
    assert!(!raw.windows(key.len()).any(|w| w == key.as_bytes()), "the database holds only the key's hash");

    let bad = voltpass(&["keys", "create", "--role", "wizard", "--name", "x", "--db", &db]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role `wizard`"));
    let no_org = voltpass(&["keys", "create", "--role", "economic-operator", "--name", "x", "--db", &db]);
    assert!(String::from_utf8_lossy(&no_org.stderr).contains("--organisation"));
}

/// A key with an expiry, listed by fingerprint (never the key), then revoked by that fingerprint.
#[test]
fn keys_expire_and_are_revoked_from_the_command_line() {
    let dir = temp_dir();
    let db = db_url(&dir);
    let out = voltpass(&[
        "keys",
        "create",
        "--role",
        "supplier",
        "--organisation",
        "BPNL1",
        "--name",
        "qa",
        "--expires-in-days",
        "30",
        "--db",
        &db,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("valid until"));
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let listed = String::from_utf8(voltpass(&["keys", "list", "--keys", "--db", &db]).stdout).unwrap();
    assert!(!listed.contains(&key[4..]), "keys are never listed: {listed}");
    let line = listed.lines().next().unwrap_or_default();
    assert!(line.contains("expires 20"), "{listed}");
    let fingerprint = line.split('\t').next().unwrap().to_string();
    assert_eq!(fingerprint.len(), 16, "{listed}");

    let short = voltpass(&["keys", "revoke", "--fingerprint", "abc", "--db", &db]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 hex digits"));
    let revoked = voltpass(&["keys", "revoke", "--fingerprint", &fingerprint, "--db", &db]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(String::from_utf8_lossy(&revoked.stdout).trim(), "revoked 1 key(s)");
    let listed = String::from_utf8(voltpass(&["keys", "list", "--keys", "--db", &db]).stdout).unwrap();
    assert!(listed.contains("revoked 20") && listed.contains("by local:"), "{listed}");
    let again = voltpass(&["keys", "revoke", "--fingerprint", &fingerprint, "--db", &db]);
    assert!(!again.status.success(), "revoked once only");
}

#[test]
fn import_reports_bad_lines_and_keeps_the_good_ones_then_export_streams_them() {
    let dir = temp_dir();
    let db = db_url(&dir);
    let models = dir.join("models.ndjson");
    let mut file = std::fs::File::create(&models).unwrap();
    for model in DemoModel::ALL {
        writeln!(file, "{}", model_body(model)).unwrap();
    }
    let out = voltpass(&["import", "--models", models.to_str().unwrap(), "--db", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let items = dir.join("items.ndjson");
    let mut file = std::fs::File::create(&items).unwrap();
    let docs: Vec<Value> = demo::passports(40, 3).collect();
    for (i, doc) in docs.iter().enumerate() {
        if i == 7 {
            writeln!(file, "{{\"modelId\": \"VOLTA-EV-NMC811-P96\", \"generalProductInformation\": 3}}").unwrap();
        }
        writeln!(file, "{}", item_body(doc)).unwrap();
    }
    let out = voltpass(&["import", items.to_str().unwrap(), "--db", &db]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a rejected line makes the import fail");
    assert!(stderr.contains("items.ndjson:8: /generalProductInformation"), "the bad line is named: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 40 passports"));

    let exported = dir.join("export.ndjson");
    let out = voltpass(&["export", "--out", exported.to_str().unwrap(), "--db", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(text.lines().count(), 40);
    for line in text.lines() {
        let doc: Value = serde_json::from_str(line).unwrap();
        passport::validate::validate_passport(&doc).expect("exported documents are complete, valid passports");
    }
    let again = voltpass(&["import", items.to_str().unwrap(), "--db", &db]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already has passport"),
        "re-import: duplicates are refused"
    );
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// SIGKILL: no shutdown, no flush.
    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(db: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_voltpass"))
        .args(["serve", "--db", db, "--addr", &addr])
        .env("VOLTPASS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://{addr}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return Server { child, base };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("voltpass serve did not start on {addr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledged_write_survives_kill_9() {
    let dir = temp_dir();
    let db = db_url(&dir);
    let key = create_key(&db, "admin");
    let client = reqwest::Client::new();
    let mut server = start_server(&db);

    let model = client
        .post(format!("{}/api/v1/models", server.base))
        .bearer_auth(&key)
        .json(&model_body(DemoModel::StationaryLfp));
    assert_eq!(model.send().await.unwrap().status(), 201);
    let doc =
        demo::passports(3, 9).find(|d| d["generalProductInformation"]["batteryCategory"] == "stationary").unwrap();
    let response = client
        .post(format!("{}/api/v1/passports", server.base))
        .bearer_auth(&key)
        .json(&item_body(&doc))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    server.kill_9();

    let mut server = start_server(&db);
    let read = client.get(format!("{}{location}", server.base)).bearer_auth(&key).send().await.unwrap();
    assert_eq!(read.status(), 200, "the passport acknowledged with 201 is there after kill -9");
    assert_eq!(read.json::<Value>().await.unwrap(), created);
    server.kill_9();
}

#[test]
fn export_and_import_move_passports_to_another_store_unchanged() {
    let (a, b) = (temp_dir(), temp_dir());
    let (db_a, db_b) = (db_url(&a), db_url(&b));
    let seeded = voltpass(&["demo", "--count", "30", "--db", &db_a]);
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let models = a.join("models.ndjson");
    let passports = a.join("passports.ndjson");
    assert!(voltpass(&["export", "--models", "--out", models.to_str().unwrap(), "--db", &db_a]).status.success());
    assert!(voltpass(&["export", "--out", passports.to_str().unwrap(), "--db", &db_a]).status.success());
    assert_eq!(std::fs::read_to_string(&models).unwrap().lines().count(), 3);

    let out = voltpass(&["import", "--models", models.to_str().unwrap(), "--db", &db_b]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = voltpass(&["import", "--keep-ids", passports.to_str().unwrap(), "--db", &db_b]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let again = b.join("passports.ndjson");
    assert!(voltpass(&["export", "--out", again.to_str().unwrap(), "--db", &db_b]).status.success());
    let lines = |p: &Path| {
        let mut v: Vec<String> = std::fs::read_to_string(p).unwrap().lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(lines(&passports), lines(&again), "same identifiers, same documents");
    let models_b = b.join("models.ndjson");
    assert!(voltpass(&["export", "--models", "--out", models_b.to_str().unwrap(), "--db", &db_b]).status.success());
    assert_eq!(lines(&models), lines(&models_b), "model records keep their ids");

    // Without --keep-ids the document's identifier is refused: the server assigns identifiers.
    let out = voltpass(&["import", passports.to_str().unwrap(), "--db", &db_b]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("assigned by the server"));

    // The Catena-X battery pass: one schema-valid document per passport, the same batteries.
    let catenax = a.join("catenax.ndjson");
    let out =
        voltpass(&["export", "--format", "catenax-battery-pass", "--out", catenax.to_str().unwrap(), "--db", &db_a]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let exported: Vec<Value> =
        std::fs::read_to_string(&catenax).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(exported.len(), 30);
    for (bp, line) in exported.iter().zip(lines(&catenax)) {
        interop::catenax::validate_battery_pass(bp).unwrap_or_else(|e| panic!("{e:?}: {line}"));
    }
    let canonical: Vec<Value> =
        std::fs::read_to_string(&passports).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for (doc, bp) in canonical.iter().zip(&exported) {
        assert_eq!(bp, &interop::catenax::to_battery_pass(doc).unwrap(), "exported as the mapping says");
    }
}

/// Readings batches of `LINES` lines, batch `b` covering its own seconds after `T0_MS`.
const LINES: usize = 2000;
const T0_MS: i64 = 1_767_225_600_000;

fn readings_batch(batch: usize) -> String {
    (0..LINES)
        .map(|k| {
            let at = T0_MS + ((batch * LINES + k) as i64) * 1000;
            format!("{{\"metric\":\"stateOfCharge\",\"atMs\":{at},\"value\":50,\"source\":\"bms\"}}\n")
        })
        .collect()
}

/// kill -9 at random moments while readings stream in, several rounds: every acknowledged batch is there after
/// the restart, a batch cut off is all there or not at all, and the audit chain verifies.
#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_readings_survive_kill_9_during_ingest() {
    let dir = temp_dir();
    let db = db_url(&dir);
    let key = create_key(&db, "admin");
    let client = reqwest::Client::new();
    let mut server = start_server(&db);
    let model = client
        .post(format!("{}/api/v1/models", server.base))
        .bearer_auth(&key)
        .json(&model_body(DemoModel::StationaryLfp));
    assert_eq!(model.send().await.unwrap().status(), 201);
    let doc =
        demo::passports(3, 9).find(|d| d["generalProductInformation"]["batteryCategory"] == "stationary").unwrap();
    let created: Value = client
        .post(format!("{}/api/v1/passports", server.base))
        .bearer_auth(&key)
        .json(&item_body(&doc))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();

    let mut acknowledged: Vec<usize> = Vec::new();
    let mut next = 0usize;
    for round in 0..5u64 {
        let url = format!("{}/api/v1/passports/{id}/readings", server.base);
        let (client2, key2, first) = (client.clone(), key.clone(), next);
        let sender = tokio::spawn(async move {
            let mut acked = Vec::new();
            for batch in first.. {
                let sent = client2
                    .post(&url)
                    .bearer_auth(&key2)
                    .header("content-type", "application/x-ndjson")
                    .body(readings_batch(batch))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => acked.push(batch),
                    _ => break,
                }
            }
            acked
        });
        // A different moment each round, mid-stream.
        tokio::time::sleep(Duration::from_millis(150 + (round * 137) % 400)).await;
        server.kill_9();
        let acked = sender.await.unwrap();
        assert!(!acked.is_empty(), "round {round}: nothing was acknowledged before the kill");
        next = acked.last().unwrap() + 2; // skip the batch that may have been cut off
        acknowledged.extend(acked);
        server = start_server(&db);
    }
    server.kill_9();

    let store = store::open(&db).await.unwrap();
    let stored: std::collections::HashSet<i64> = store
        .readings(&store::ReadingQuery {
            passport_id: id.clone(),
            metric: "stateOfCharge".into(),
            from_ms: T0_MS,
            to_ms: i64::MAX,
            limit: 10_000_000,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.at_ms)
        .collect();
    for batch in 0..next {
        let present = (0..LINES).filter(|k| stored.contains(&(T0_MS + ((batch * LINES + k) as i64) * 1000))).count();
        if acknowledged.contains(&batch) {
            assert_eq!(present, LINES, "acknowledged batch {batch} is complete after kill -9");
        } else {
            assert!(present == 0 || present == LINES, "batch {batch} is half there ({present} of {LINES})");
        }
    }
    drop(store);
    let out = voltpass(&["audit", "verify", "--db", &db]);
    assert!(
        out.status.success(),
        "audit verify after kill -9:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `voltpass demo` seeds suppliers whose scorecards tell them apart: the drifting one raises the most SPC
/// alarms, the one sending incomplete certificates has the lowest completeness.
#[test]
fn demo_suppliers_are_told_apart_by_their_scorecards() {
    use quality::demo::{Profile, suppliers};
    let dir = temp_dir();
    let db = db_url(&dir);
    let seeded = voltpass(&["demo", "--count", "5", "--db", &db]);
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let stdout = String::from_utf8_lossy(&seeded.stdout);
    assert!(stdout.contains(&format!("seeded {} suppliers and", suppliers().len())), "{stdout}");
    let card = |supplier: &str| -> Value {
        let out = voltpass(&["coa", "scorecard", supplier, "--db", &db]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let open_alarms = |c: &Value| c["openAlarms"].as_array().unwrap().len();
    let completeness = |c: &Value| {
        let (reported, lots) = c["periods"].as_array().unwrap().iter().fold((0.0, 0.0), |(r, n), p| {
            let lots = p["lotsReceived"].as_f64().unwrap();
            (r + p["completeness"].as_f64().unwrap_or(0.0) * lots, n + lots)
        });
        reported / lots
    };
    let of = |profile: Profile| -> Vec<Value> {
        suppliers().into_iter().filter(|s| s.profile == profile).map(|s| card(&s.id)).collect()
    };
    let (drifting, incomplete, steady) = (of(Profile::Drifting), of(Profile::Incomplete), of(Profile::Steady));
    assert_eq!((drifting.len(), incomplete.len()), (1, 1));
    let steady_alarms: Vec<usize> = steady.iter().map(open_alarms).collect();
    assert!(
        open_alarms(&drifting[0]) > *steady_alarms.iter().max().unwrap(),
        "{} vs {steady_alarms:?}",
        open_alarms(&drifting[0])
    );
    let steady_completeness: Vec<f64> = steady.iter().map(completeness).collect();
    assert!(steady_completeness.iter().all(|c| (c - 1.0).abs() < 1e-9), "{steady_completeness:?}");
    assert!(completeness(&incomplete[0]) < 0.97, "{}", completeness(&incomplete[0]));
}

#[test]
fn serve_refuses_unknown_scorecard_weights() {
    let dir = temp_dir();
    let out = voltpass(&["serve", "--db", &db_url(&dir), "--addr", "127.0.0.1:0", "--scorecard-weights", "speed=3"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown weight \"speed\""), "{stderr}");
}

#[test]
fn serve_refuses_footprint_factors_it_cannot_read() {
    let dir = temp_dir();
    let factors = dir.join("factors.json");
    std::fs::write(&factors, r#"{"productionKwhPerKwh": 40, "plantKgCo2ePerKwh": 0.3}"#).unwrap();
    let out = voltpass(&[
        "serve",
        "--db",
        &db_url(&dir),
        "--addr",
        "127.0.0.1:0",
        "--footprint-factors",
        factors.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a set of footprint factors") && stderr.contains("missing field"), "{stderr}");
}

/// What the writers of one crash round sent and what the server acknowledged.
#[derive(Default)]
struct Sent {
    passports: Vec<String>,
    readings: Vec<i64>,
    /// Every production-event batch sent: its cell ids, and whether it was acknowledged.
    batches: Vec<(Vec<String>, bool)>,
}

/// Writes until the server dies: passports one by one, readings in NDJSON batches, production events in batches
/// of a process batch and 20 cells.
async fn write_until_killed(base: String, key: String, passport: String, round: usize) -> Sent {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut sent = Sent::default();
    let mut docs = demo::passports(10_000, 100 + round as u64)
        .filter(|d| d["generalProductInformation"]["batteryCategory"] == "stationary");
    for n in 0.. {
        // A passport.
        let Some(doc) = docs.next() else { break };
        let Ok(response) =
            client.post(format!("{base}/api/v1/passports")).bearer_auth(&key).json(&item_body(&doc)).send().await
        else {
            break;
        };
        if response.status() == 201 {
            sent.passports.push(
                response.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1/passports/").to_string(),
            );
        }
        // Ten readings.
        let at0 = 1_780_000_000_000 + (round * 1_000_000 + n * 10) as i64 * 1_000;
        let lines: String = (0..10)
            .map(|i| {
                let at =
                    time::OffsetDateTime::from_unix_timestamp_nanos((at0 + i * 1_000) as i128 * 1_000_000).unwrap();
                let at = at.format(&time::format_description::well_known::Rfc3339).unwrap();
                format!(
                    "{}\n",
                    serde_json::json!({"metric": "stateOfCharge", "at": at, "value": 50, "source": "crash"})
                )
            })
            .collect();
        let readings = client
            .post(format!("{base}/api/v1/passports/{passport}/readings"))
            .bearer_auth(&key)
            .header("content-type", "application/x-ndjson")
            .body(lines)
            .send()
            .await;
        match readings {
            Ok(r) if r.status() == 200 => sent.readings.extend((0..10).map(|i| at0 + i * 1_000)),
            Ok(_) => {}
            Err(_) => break,
        }
        // A process batch and its 20 cells.
        let batch = format!("B-{round}-{n}");
        let cells: Vec<String> = (0..20).map(|c| format!("C-{round}-{n}-{c}")).collect();
        let mut events =
            vec![serde_json::json!({"eventId": batch, "type": "produced", "unit": {"id": batch, "kind": "batch"},
            "inputs": [{"id": "LOT-CRASH", "quantity": {"value": 1, "unit": "g"}}]})];
        events.extend(cells.iter().map(|c| serde_json::json!({"eventId": c, "type": "produced", "unit": {"id": c, "kind": "cell"}, "inputs": [{"id": batch}]})));
        let trace = client.post(format!("{base}/api/v1/trace/events")).bearer_auth(&key).json(&events).send().await;
        let acknowledged = matches!(&trace, Ok(r) if r.status() == 200);
        let mut ids = cells;
        ids.push(batch);
        sent.batches.push((ids, acknowledged));
        if trace.is_err() {
            break;
        }
    }
    sent
}

/// Twenty rounds of writes (passports, readings, production events) cut by kill -9 at a random moment: after
/// each restart every acknowledged write is there, no batch of production events is half there, and the
/// whole store verifies.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_random_moments_loses_no_acknowledged_write() {
    use rand::{Rng, SeedableRng};
    let dir = temp_dir();
    let db = db_url(&dir);
    let key = create_key(&db, "admin");
    let client = reqwest::Client::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);

    // A model, a passport for the readings, and a lot for the batches.
    let mut server = start_server(&db);
    let base = server.base.clone();
    let model =
        client.post(format!("{base}/api/v1/models")).bearer_auth(&key).json(&model_body(DemoModel::StationaryLfp));
    assert_eq!(model.send().await.unwrap().status(), 201);
    let doc =
        demo::passports(3, 9).find(|d| d["generalProductInformation"]["batteryCategory"] == "stationary").unwrap();
    let created =
        client.post(format!("{base}/api/v1/passports")).bearer_auth(&key).json(&item_body(&doc)).send().await.unwrap();
    let passport = created.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1/passports/").to_string();
    let lot = serde_json::json!([{"eventId": "lot", "type": "produced", "unit": {"id": "LOT-CRASH", "kind": "lot", "quantity": {"value": 1, "unit": "t"}}}]);
    assert_eq!(
        client.post(format!("{base}/api/v1/trace/events")).bearer_auth(&key).json(&lot).send().await.unwrap().status(),
        200
    );
    server.kill_9();

    let (mut passports, mut readings, mut batches) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..20 {
        let mut server = start_server(&db);
        let writer = tokio::spawn(write_until_killed(server.base.clone(), key.clone(), passport.clone(), round));
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..900))).await;
        server.kill_9();
        let sent = writer.await.unwrap();
        passports.extend(sent.passports);
        readings.extend(sent.readings);
        batches.extend(sent.batches);
    }
    assert!(
        passports.len() >= 20 && batches.len() >= 20,
        "the rounds wrote: {} passports, {} batches",
        passports.len(),
        batches.len()
    );

    let store = store::open(&db).await.unwrap();
    let heads = store.passport_heads(&passports).await.unwrap();
    assert_eq!(heads.len(), passports.len(), "every passport acknowledged with 201 is there");
    let query = store::ReadingQuery {
        passport_id: passport.clone(),
        metric: "stateOfCharge".into(),
        from_ms: 0,
        to_ms: i64::MAX / 2,
        limit: 10_000_000,
    };
    let stored: std::collections::HashSet<i64> =
        store.readings(&query).await.unwrap().into_iter().map(|r| r.at_ms).collect();
    let lost = readings.iter().filter(|at| !stored.contains(at)).count();
    assert_eq!(lost, 0, "of {} acknowledged readings, {lost} are missing", readings.len());
    for (ids, acknowledged) in &batches {
        let present = store.trace_units(ids).await.unwrap().len();
        assert!(
            present == 0 || present == ids.len(),
            "a batch of production events is half there: {present} of {}",
            ids.len()
        );
        assert!(!acknowledged || present == ids.len(), "an acknowledged batch is missing");
    }
    let acknowledged = batches.iter().filter(|(_, a)| *a).count();
    eprintln!(
        "20 kill -9 rounds: {} passports, {} readings and {acknowledged} of {} event batches acknowledged, all present",
        passports.len(),
        readings.len(),
        batches.len()
    );
    let verified = voltpass(&["audit", "verify", "--db", &db]);
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && report.starts_with("intact"),
        "{report}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// Needs root (CI and the project's machines run tests as root).
    fn mount(megabytes: u32) -> SmallDisk {
        let dir = temp_dir();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs", dir.to_str().unwrap()])
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a {megabytes} MiB tmpfs at {} needs root", dir.display());
        SmallDisk(dir)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The SQLite file's disk fills up: writes are refused with 507 and a clear problem, nothing half-written, and
/// the store stays readable and verifies.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_writes_and_keeps_the_store_readable() {
    let disk = SmallDisk::mount(6);
    let db = db_url(&disk.0);
    let key = create_key(&db, "admin");
    let client = reqwest::Client::new();
    let mut server = start_server(&db);
    let base = server.base.clone();
    let model =
        client.post(format!("{base}/api/v1/models")).bearer_auth(&key).json(&model_body(DemoModel::StationaryLfp));
    assert_eq!(model.send().await.unwrap().status(), 201);
    let mut created = Vec::new();
    let mut refusal = None;
    for doc in demo::passports(20_000, 5).filter(|d| d["generalProductInformation"]["batteryCategory"] == "stationary")
    {
        let response = client
            .post(format!("{base}/api/v1/passports"))
            .bearer_auth(&key)
            .json(&item_body(&doc))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            201 => created.push(response.headers()["location"].to_str().unwrap().to_string()),
            _ => {
                refusal = Some((response.status().as_u16(), response.json::<Value>().await.unwrap()));
                break;
            }
        }
    }
    let (status, problem) = refusal.expect("the 6 MiB disk fills up");
    assert_eq!(status, 507, "{problem}");
    assert_eq!(problem["type"], "https://voltpass.dev/problems/storage-full");
    assert!(problem["detail"].as_str().unwrap().contains("out of disk space"), "{problem}");
    assert!(created.len() > 50, "{} passports fitted", created.len());
    // Reads still work, for every passport written before the disk filled up.
    for location in [&created[0], created.last().unwrap()] {
        let read = client.get(format!("{base}{location}")).bearer_auth(&key).send().await.unwrap();
        assert_eq!(read.status(), 200);
    }
    server.kill_9();
    let verified = voltpass(&["audit", "verify", "--db", &db]);
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && report.starts_with("intact"),
        "{report}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(report.contains(&format!("intact: {} passports", created.len())), "nothing half-written: {report}");
}
