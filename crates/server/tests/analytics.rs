//! Analytics over REST: a line's cells screened at end of line (the planted outliers flagged with the features
//! that drove them and put on hold, a held cell refused in a module until released), first-pass yield per line
//! with its forecast, a cycle-life prediction stored for a passport with its model, a state-of-health estimate
//! from a passport's readings, and who may do and see what.

mod common;

use analytics::cycle_life::Dataset;
use common::{TestServer, documents, problem};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use server::Config;
use std::path::Path;
use std::sync::Arc;
use store::Store;

on_both_backends!(end_of_line_screening_holds_outliers, predictions_for_a_passport);

/// A normal deviate (Box-Muller), so the test needs no distribution crate.
fn normal(rng: &mut StdRng, mean: f64, sd: f64) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    mean + sd * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

async fn send(s: &TestServer, key: &str, events: &[Value]) -> reqwest::Response {
    s.post("/api/v1/trace/events", Some(key)).json(&events).send().await.unwrap()
}

/// 80 cells on line L1 tested over five days (day 5 worse), two of them planted outliers: C-LOW with low
/// capacity, C-OHM with high resistance.
fn line_of_cells() -> Vec<Value> {
    let mut rng = StdRng::seed_from_u64(8);
    let mut events = vec![
        json!({"eventId": "lot", "type": "produced", "unit": {"id": "LOT-1", "kind": "lot", "quantity": {"value": 100, "unit": "kg"}}}),
        json!({"eventId": "b", "type": "produced", "unit": {"id": "B-1", "kind": "batch"}, "inputs": [{"id": "LOT-1", "quantity": {"value": 50, "unit": "kg"}}]}),
    ];
    for i in 0..80 {
        let id = match i {
            0 => "C-LOW".to_string(),
            1 => "C-OHM".to_string(),
            _ => format!("C-{i:03}"),
        };
        events.push(json!({"eventId": format!("p-{id}"), "type": "produced",
            "unit": {"id": id, "kind": "cell", "line": "L1"}, "inputs": [{"id": "B-1"}]}));
        let capacity = if i == 0 { 46.0 } else { normal(&mut rng, 50.0, 0.25) };
        let resistance = if i == 1 { 1.6 } else { normal(&mut rng, 1.0, 0.02) };
        let day = 20 + i % 5;
        let passed = !(i == 0 || i == 1 || (day == 24 && i % 3 == 0));
        events.push(json!({"eventId": format!("t-{id}"), "type": "tested", "unitId": id,
            "at": format!("2026-11-{day}T10:00:00Z"), "passed": passed,
            "results": {"capacityAh": capacity, "internalResistanceMohm": resistance, "ocvV": normal(&mut rng, 3.65, 0.002)}}));
    }
    events
}

async fn end_of_line_screening_holds_outliers(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let response = send(&s, &s.operator, &line_of_cells()).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let window = json!({"line": "L1", "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"});
    let response = s.post("/api/v1/analytics/eol/screenings", Some(&s.operator)).json(&window).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["cells"], 80);
    let flagged = outcome["flagged"].as_array().unwrap();
    let of =
        |id: &str| flagged.iter().find(|f| f["unitId"] == id).unwrap_or_else(|| panic!("{id} not flagged: {outcome}"));
    assert_eq!(of("C-LOW")["drivers"][0], "capacityAh");
    assert_eq!(of("C-OHM")["drivers"][0], "internalResistanceMohm");
    assert!(of("C-LOW")["score"].as_f64().unwrap() >= 1.0 && of("C-LOW")["held"] == true);
    assert!(flagged.len() <= 4, "few false alarms among 78 normal cells: {flagged:?}");
    let run = outcome["runId"].as_str().unwrap();

    // Every cell's result is stored; the flagged ones are listed, and held.
    let all = s.get_json(&format!("/api/v1/analytics/eol/results?run={run}&all=true"), Some(&s.operator)).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 80);
    let listed = s.get_json("/api/v1/analytics/eol/results?line=L1", Some(&s.authority)).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), flagged.len());
    let holds = s.get_json("/api/v1/analytics/holds", Some(&s.operator)).await;
    let held: Vec<&str> = holds["items"].as_array().unwrap().iter().map(|h| h["unitId"].as_str().unwrap()).collect();
    assert!(held.contains(&"C-LOW") && held.contains(&"C-OHM"), "{held:?}");
    assert!(holds["items"][0]["reason"].as_str().unwrap().contains("end-of-line anomaly on line L1"));
    // Screening again does not hold a held cell twice.
    let again: Value = s
        .post("/api/v1/analytics/eol/screenings", Some(&s.operator))
        .json(&window)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(again["flagged"].as_array().unwrap().iter().all(|f| f["held"] == false), "{again}");

    // A held cell does not go into a module; with the others it does.
    let module = |id: &str, cells: &[&str]| {
        json!([{"eventId": format!("m-{id}"), "type": "produced", "unit": {"id": id, "kind": "module"},
            "inputs": cells.iter().map(|c| json!({"id": c})).collect::<Vec<_>>()}])
    };
    let refused = problem(
        s.post("/api/v1/trace/events", Some(&s.operator))
            .json(&module("M-1", &["C-LOW", "C-010"]))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(refused["events"][0]["message"].as_str().unwrap().contains("C-LOW is on hold"), "{refused}");
    let response = send(&s, &s.operator, module("M-2", &["C-010", "C-011"]).as_array().unwrap()).await;
    assert_eq!(response.status(), 200);
    // Released (with a reason), it goes in.
    let path = "/api/v1/analytics/holds/C-LOW/release";
    problem(s.post(path, Some(&s.operator)).json(&json!({"reason": " "})).send().await.unwrap(), 400).await;
    let released = s.post(path, Some(&s.operator)).json(&json!({"reason": "retested: 50.1 Ah"})).send().await.unwrap();
    assert_eq!(released.status(), 200);
    problem(s.post(path, Some(&s.operator)).json(&json!({"reason": "again"})).send().await.unwrap(), 400).await;
    let response = send(&s, &s.operator, module("M-1", &["C-LOW", "C-012"]).as_array().unwrap()).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    // A hold by hand, on a cell not yet assembled.
    let response = s
        .post("/api/v1/analytics/holds/C-020", Some(&s.operator))
        .json(&json!({"reason": "dropped"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    problem(
        s.post("/api/v1/analytics/holds/C-020", Some(&s.operator)).json(&json!({"reason": "x"})).send().await.unwrap(),
        409,
    )
    .await;

    // First-pass yield per line and day: 16 cells a day; day 24 lost 6 of them to the retest rule, the outliers
    // failed on days 20 and 21.
    let yield_ = s.get_json("/api/v1/analytics/lines/yield?days=3650", Some(&s.operator)).await;
    let line = &yield_["lines"][0];
    assert_eq!(line["line"], "L1", "{yield_}");
    let days = line["days"].as_array().unwrap();
    assert_eq!(days.len(), 5);
    assert_eq!(days[0]["tested"], 16);
    assert!((days[0]["yieldRate"].as_f64().unwrap() - 15.0 / 16.0).abs() < 1e-9, "{days:?}");
    assert!(days[3]["predicted"].is_number() && days[2].get("predicted").is_none(), "three days warm up");
    assert!(line["next"].is_number());

    // Who: another operator screens nothing of ours (no cells, so a clear refusal) and sees no holds;
    // a legitimate-interest reader may not; the public must sign in.
    let none = problem(
        s.post("/api/v1/analytics/eol/screenings", Some(&s.other_operator)).json(&window).send().await.unwrap(),
        400,
    )
    .await;
    assert!(none["detail"].as_str().unwrap().contains("cannot screen line L1"), "{none}");
    assert!(
        s.get_json("/api/v1/analytics/holds", Some(&s.other_operator)).await["items"].as_array().unwrap().is_empty()
    );
    problem(s.get("/api/v1/analytics/holds", Some(&s.legitimate)).send().await.unwrap(), 403).await;
    problem(
        s.post("/api/v1/analytics/holds/C-021", Some(&s.other_operator))
            .json(&json!({"reason": "x"}))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    problem(s.get("/api/v1/analytics/holds", None).send().await.unwrap(), 401).await;
    let bad = json!({"line": "L1", "from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"});
    problem(s.post("/api/v1/analytics/eol/screenings", Some(&s.operator)).json(&bad).send().await.unwrap(), 400).await;
    let unknown = json!({"line": "L1", "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "colour": 1});
    problem(s.post("/api/v1/analytics/eol/screenings", Some(&s.operator)).json(&unknown).send().await.unwrap(), 400)
        .await;

    // The dashboard page lists the flagged cells and the holds.
    let page = s.get("/analytics", Some(&s.operator)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("C-OHM") && page.contains("dropped") && page.contains("Line L1"), "{page}");
}

async fn predictions_for_a_passport(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 3).remove(0);
    let created: Value = s
        .post("/api/v1/passports", Some(&s.operator))
        .json(&item_body(&doc))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();

    // Cycle life from a fixture cell's first 100 cycles, stored for the passport with its model.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../analytics/fixtures/severson");
    let cells = Dataset::load(&fixture).unwrap().cells;
    let cell = &cells[0];
    let path = format!("/api/v1/analytics/cycle-life?passportId={id}");
    let response = s.post(&path, Some(&s.operator)).json(&cell.early).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let predicted: Value = response.json().await.unwrap();
    let model = analytics::cycle_life::embedded_model();
    assert_eq!(predicted["prediction"]["model"], model.id());
    assert_eq!(predicted["model"]["trainingDataSha256"], model.training.training_data_sha256);
    let (life, lower, upper) = (
        predicted["prediction"]["cycleLife"].as_f64().unwrap(),
        predicted["prediction"]["lower"].as_f64().unwrap(),
        predicted["prediction"]["upper"].as_f64().unwrap(),
    );
    assert!(lower < life && life < upper, "{predicted}");
    assert!((life - cell.cycle_life).abs() / cell.cycle_life < 0.3, "{life} vs {}", cell.cycle_life);
    // Without the per-cycle capacities the curves-only model answers; without a passport nothing is stored.
    let mut curves_only = serde_json::to_value(&cell.early).unwrap();
    curves_only.as_object_mut().unwrap().remove("capacityFade");
    let response = s.post("/api/v1/analytics/cycle-life", Some(&s.legitimate)).json(&curves_only).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let other: Value = response.json().await.unwrap();
    assert_eq!(other["prediction"]["model"], analytics::cycle_life::embedded_curves_model().id());
    assert!(other.get("resultId").is_none());
    // Bad input says what is wrong; another operator may not store a prediction on our passport.
    let mut broken = serde_json::to_value(&cell.early).unwrap();
    broken["curves"].as_array_mut().unwrap().retain(|c| c["cycle"] != 100);
    let refused =
        problem(s.post("/api/v1/analytics/cycle-life", Some(&s.operator)).json(&broken).send().await.unwrap(), 400)
            .await;
    assert!(refused["detail"].as_str().unwrap().contains("cycle 100"), "{refused}");
    problem(s.post(&path, Some(&s.other_operator)).json(&cell.early).send().await.unwrap(), 403).await;

    // State of health from readings: 2 % capacity lost per 100 cycles from the rated capacity.
    let rated = s.get_json(&format!("/api/v1/passports/{id}"), Some(&s.operator)).await["performance"]
        ["batteryTechicalProperties"]["ratedCapacity"]
        .as_f64()
        .unwrap();
    let mut lines = String::new();
    for k in 0..30 {
        let at = format!("2026-{:02}-{:02}T00:00:00Z", 1 + k / 28, 1 + k % 28);
        let cycles = 20.0 * k as f64;
        let capacity = rated * (1.0 - 0.0002 * cycles) * (1.0 + 0.002 * ((k * 7 % 5) as f64 - 2.0) / 2.0);
        lines += &format!("{}\n", json!({"metric": "numberOfFullCycles", "at": at, "value": cycles, "source": "bms"}));
        lines += &format!("{}\n", json!({"metric": "remainingCapacity", "at": at, "value": capacity, "source": "bms"}));
    }
    let response = s
        .post(&format!("/api/v1/passports/{id}/readings"), Some(&s.operator))
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let response = s.post(&format!("/api/v1/passports/{id}/state-of-health"), Some(&s.operator)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let health: Value = response.json().await.unwrap();
    assert_eq!(health["axis"], "equivalentFullCycles");
    assert_eq!(health["readings"], 30);
    // After 580 cycles: 88.4 % of rated; 80 % is reached at 1,000 cycles, 420 to go.
    let soh = health["estimate"]["soh"].as_f64().unwrap();
    assert!((soh - 0.884).abs() < 0.01, "{health}");
    let rul = health["estimate"]["rul"].as_f64().unwrap();
    assert!((rul - 420.0).abs() < 60.0, "{health}");
    problem(
        s.post(&format!("/api/v1/passports/{id}/state-of-health?eolFraction=1.5"), Some(&s.operator))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;

    // The passport's predictions, newest first, each naming its model; not for the public.
    let listed = s.get_json(&format!("/api/v1/passports/{id}/analytics"), Some(&s.legitimate)).await;
    let kinds: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["state-of-health", "cycle-life"]);
    assert_eq!(listed["items"][1]["modelVersion"], model.version);
    problem(s.get(&format!("/api/v1/passports/{id}/analytics"), None).send().await.unwrap(), 403).await;
    let models = s.get_json("/api/v1/analytics/models", Some(&s.authority)).await;
    let names: Vec<&str> = models["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert!(names.contains(&model.name.as_str()) && names.contains(&"soh-theil-sen-bootstrap"), "{names:?}");
}
