//! SPC and supplier ratings over REST: a series of lots freezes its limits after the Phase I baseline, a lot
//! beyond the control limits is held with the alarm as its reason, alarms are listed per reader and closed
//! with a reason, a recompute rebuilds the state without raising an alarm twice, specifications get new
//! versions, and a supplier's scorecard counts what was received and decided.

mod common;

use common::quality::{BASELINE, CAM, SHIFTED_D50, baseline_and_shift, baseline_d50, lot, post_coa, supplier_key};
use common::{TestServer, problem};
use serde_json::{Value, json};
use server::Config;
use server::service::coa_pipeline::CoaPipeline;
use server::service::quality::{CoaFormat, CoaSubmission};
use std::sync::Arc;
use store::Store;

on_both_backends!(
    alarms_hold_lots_and_are_acknowledged,
    scorecards_and_specifications,
    skip_lot_sampling_and_lab_results,
    pipelined_batches_decide_in_order,
    pipeline_decides_again_after_another_writer
);

async fn alarms_hold_lots_and_are_acknowledged(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let cam = supplier_key(&s.store, CAM).await;
    let other = supplier_key(&s.store, "BPNL000000000OTH").await;

    let shifted = baseline_and_shift(&s, &cam).await;
    assert_eq!(shifted["decision"]["outcome"], "hold", "{shifted}");
    let reasons = shifted["decision"]["reasons"].as_array().unwrap();
    let alarm_reason = reasons
        .iter()
        .find(|r| r["kind"] == "statistical_alarm" && r["rule"] == "beyond-ucl")
        .expect("a statistical alarm reason");
    assert_eq!(alarm_reason["characteristic"], "D50");
    let coa_id = shifted["id"].as_str().unwrap();

    // The alarm is listed for operators and the supplier itself, not for another supplier.
    let open = s.get_json("/api/v1/spc/alarms", Some(&s.operator)).await;
    let items = open["items"].as_array().unwrap();
    let alarm = items.iter().find(|a| a["coaId"] == coa_id && a["rule"] == "beyond-ucl").expect("the alarm").clone();
    assert_eq!(alarm["characteristic"], "D50");
    assert_eq!(alarm["supplierId"], CAM);
    assert_eq!(alarm["lotNumber"], format!("L-{:03}", BASELINE + 1));
    assert_eq!(alarm["value"], common::quality::SHIFTED_D50);
    assert!(alarm["acknowledged"].is_null());
    let own = s.get_json("/api/v1/spc/alarms", Some(&cam)).await;
    assert_eq!(own["items"].as_array().unwrap().len(), items.len());
    let foreign = s.get_json("/api/v1/spc/alarms", Some(&other)).await;
    assert!(foreign["items"].as_array().unwrap().is_empty());
    assert_eq!(s.get("/api/v1/spc/alarms", None).send().await.unwrap().status(), 401);
    problem(s.get("/api/v1/spc/alarms?open=maybe", Some(&s.admin)).send().await.unwrap(), 400).await;

    // Closing needs an operator and a reason; it is recorded once.
    let id = alarm["id"].as_str().unwrap();
    let path = format!("/api/v1/spc/alarms/{}/acknowledge", common::urlencode(id));
    problem(s.post(&path, Some(&cam)).json(&json!({"reason": "ours"})).send().await.unwrap(), 403).await;
    problem(s.post(&path, Some(&s.operator)).json(&json!({"reason": " "})).send().await.unwrap(), 400).await;
    let closed = s
        .post(&path, Some(&s.operator))
        .json(&json!({"reason": "new milling media; lot retested"}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 201);
    let closed: Value = closed.json().await.unwrap();
    assert_eq!(closed["acknowledged"]["reason"], "new milling media; lot retested");
    problem(s.post(&path, Some(&s.operator)).json(&json!({"reason": "again"})).send().await.unwrap(), 409).await;
    let open_after = s.get_json("/api/v1/spc/alarms", Some(&s.operator)).await;
    assert!(!open_after["items"].as_array().unwrap().iter().any(|a| a["id"] == id));
    let closed_list = s.get_json("/api/v1/spc/alarms?open=false", Some(&s.operator)).await;
    assert_eq!(closed_list["items"].as_array().unwrap().len(), 1);

    // The series: every lot in manufacturing order, limits frozen after the baseline, the alarm on the last.
    let series_path = format!("/api/v1/spc/series?supplier={CAM}&material=NMC811&characteristic=d50");
    let series = s.get_json(&series_path, Some(&s.operator)).await;
    assert_eq!(series["characteristic"], "D50", "the specification's name, whatever the query's case");
    let points = series["points"].as_array().unwrap();
    assert_eq!(points.len(), BASELINE + 1);
    assert_eq!(points[0]["lot"], "L-001");
    assert_eq!(points[BASELINE]["value"], common::quality::SHIFTED_D50);
    assert_eq!(series["unit"], "µm");
    assert_eq!((series["lsl"].as_f64(), series["usl"].as_f64()), (Some(9.0), Some(13.0)));
    assert_eq!(
        series["alarms"].as_array().unwrap().len(),
        items.iter().filter(|a| a["characteristic"] == "D50").count()
    );
    problem(s.get(&series_path, Some(&other)).send().await.unwrap(), 404).await;

    // A recompute rebuilds every series; no alarm is raised twice.
    problem(s.post("/api/v1/spc/recompute", Some(&s.operator)).send().await.unwrap(), 403).await;
    let report = s.post("/api/v1/spc/recompute", Some(&s.admin)).send().await.unwrap();
    assert_eq!(report.status(), 200);
    let report: Value = report.json().await.unwrap();
    assert_eq!(report["lots"], BASELINE + 1);
    assert!(report["alarmsFound"].as_u64().unwrap() >= 1, "{report}");
    let all = s.get_json("/api/v1/spc/alarms?open=all", Some(&s.admin)).await;
    assert_eq!(all["items"].as_array().unwrap().len(), items.len(), "{all}");

    // Another lot after the recompute continues from the rebuilt state: in control again, accepted.
    let back = post_coa(&s, &cam, lot(BASELINE + 2, 11.0)).await;
    assert_eq!(back["decision"]["outcome"], "accepted", "{back}");

    let audit = s.store.audit_entries(0, 10_000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "spc.acknowledge" && e.subject == id));
    assert!(audit.iter().any(|e| e.action == "spc.recompute"));
}

async fn scorecards_and_specifications(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let cam = supplier_key(&s.store, CAM).await;
    let other = supplier_key(&s.store, "BPNL000000000OTH").await;
    baseline_and_shift(&s, &cam).await;

    let year = time::OffsetDateTime::now_utc().year();
    let (from, to) = (year - 1, year + 1);
    let path = format!("/api/v1/suppliers/{CAM}/scorecard?granularity=year&from={from}-01-01&to={to}-01-01");
    let card = s.get_json(&path, Some(&s.operator)).await;
    let periods = card["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2, "last year and this year");
    assert_eq!(periods[0]["lotsReceived"], 0, "periods rate what was received in them: all arrived today");
    let this_year = &periods[1];
    assert_eq!(this_year["lotsReceived"], BASELINE + 1);
    assert_eq!(this_year["accepted"], BASELINE);
    assert_eq!(this_year["hold"], 1);
    assert_eq!(this_year["completeness"], 1.0);
    assert_eq!(this_year["onTimeRate"], 0.0, "received today, long after manufacture");
    assert_eq!(card["name"], "Example Cathode Materials GmbH");
    assert!(card["capabilities"].as_array().unwrap().iter().any(|c| c["characteristic"] == "D50"));
    let score = this_year["score"].as_f64().unwrap();

    // Weights from the request: only acceptance counts.
    let weighted = s
        .get_json(
            &format!("{path}&weights=acceptance=1,ppm=0,completeness=0,onTime=0,capability=0,alarms=0"),
            Some(&s.admin),
        )
        .await;
    let only_acceptance = weighted["periods"][1]["score"].as_f64().unwrap();
    let accepted_share = 100.0 * BASELINE as f64 / (BASELINE + 1) as f64;
    assert!((only_acceptance - accepted_share).abs() < 1e-6, "{only_acceptance}");
    assert_ne!(only_acceptance, score);
    problem(s.get(&format!("{path}&weights=speed=3"), Some(&s.admin)).send().await.unwrap(), 400).await;
    problem(s.get(&format!("{path}&granularity=week"), Some(&s.admin)).send().await.unwrap(), 400).await;

    // A supplier reads its own scorecard only; the ranking lists the supplier.
    assert_eq!(s.get(&path, Some(&cam)).send().await.unwrap().status(), 200);
    problem(s.get(&path, Some(&other)).send().await.unwrap(), 404).await;
    problem(s.get("/api/v1/suppliers", Some(&other)).send().await.unwrap(), 403).await;
    let ranking = s.get_json("/api/v1/suppliers", Some(&s.operator)).await;
    assert!(ranking["items"].as_array().unwrap().iter().any(|r| r["supplier"] == CAM));

    // Specifications: the catalogue's NMC811 is in force (stored on first use); a new version tightens D50.
    let specs = s.get_json("/api/v1/specs?material=NMC811", Some(&s.operator)).await;
    let mut spec = specs["items"][0].clone();
    assert_eq!(spec["version"], 1);
    let d50 = spec["characteristics"].as_array_mut().unwrap().iter_mut().find(|c| c["name"] == "D50").unwrap();
    d50["usl"] = json!(12.0);
    problem(s.post("/api/v1/specs", Some(&s.admin)).json(&spec).send().await.unwrap(), 409).await;
    spec["version"] = json!(2);
    problem(s.post("/api/v1/specs", Some(&s.operator)).json(&spec).send().await.unwrap(), 403).await;
    let mut inverted = spec.clone();
    inverted["characteristics"][0]["lsl"] = json!(20.0);
    problem(s.post("/api/v1/specs", Some(&s.admin)).json(&inverted).send().await.unwrap(), 400).await;
    let stored = s.post("/api/v1/specs", Some(&s.admin)).json(&spec).send().await.unwrap();
    assert_eq!(stored.status(), 201, "{}", stored.text().await.unwrap());
    let now = s.get_json("/api/v1/specs?material=NMC811", Some(&s.operator)).await;
    assert_eq!(now["items"].as_array().unwrap().len(), 1);
    assert_eq!(now["items"][0]["version"], 2);

    // The next lot is judged by version 2: D50 12.5 is now out of specification, and D50 is critical.
    let judged = post_coa(&s, &cam, lot(BASELINE + 2, 12.5)).await;
    assert_eq!(judged["decision"]["specVersion"], 2);
    assert_eq!(judged["decision"]["outcome"], "rejected", "{judged}");
    let reasons = judged["decision"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["kind"] == "out_of_spec" && r["characteristic"] == "D50"), "{judged}");
}

fn lab_test_required(stored: &Value) -> bool {
    stored["decision"]["reasons"].as_array().unwrap().iter().any(|r| r["kind"] == "lab_test_required")
}

async fn enter_lab(s: &TestServer, key: &str, coa: &Value, d50: f64) -> reqwest::Response {
    let path = format!("/api/v1/coas/{}/lab-results", common::urlencode(coa["id"].as_str().unwrap()));
    let body = json!({"results": [{"characteristic": "D50", "unit": "µm", "result": {"value": d50}}]});
    s.post(&path, Some(key)).json(&body).send().await.unwrap()
}

async fn sampling_state(s: &TestServer) -> Value {
    let listing = s.get_json(&format!("/api/v1/sampling?supplier={CAM}&material=NMC811"), Some(&s.operator)).await;
    let items = listing["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listing}");
    items[0].clone()
}

async fn skip_lot_sampling_and_lab_results(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let cam = supplier_key(&s.store, CAM).await;
    // Qualification: every lot is tested; ten lots accepted on our test start skipping at 1 in 2.
    let mut lots = Vec::new();
    for n in 1..=10 {
        let stored = post_coa(&s, &cam, lot(n, baseline_d50(n))).await;
        assert!(lab_test_required(&stored), "lot {n} in qualification: {stored}");
        assert_eq!(stored["decision"]["outcome"], "accepted", "a note, not a hold");
        lots.push(stored);
    }
    let waiting = sampling_state(&s).await;
    assert_eq!(waiting["pending"].as_array().unwrap().len(), 10);
    assert_eq!(waiting["skipLot"]["state"]["state"], "qualification");

    // Who may enter results, and what they must name.
    assert_eq!(enter_lab(&s, &cam, &lots[0], 11.0).await.status(), 403);
    let unknown = json!({"results": [{"characteristic": "Colour", "unit": "1", "result": {"value": 1.0}}]});
    let path = format!("/api/v1/coas/{}/lab-results", common::urlencode(lots[0]["id"].as_str().unwrap()));
    problem(s.post(&path, Some(&s.operator)).json(&unknown).send().await.unwrap(), 400).await;
    for (i, stored) in lots.iter().enumerate() {
        let response = enter_lab(&s, &s.operator, stored, baseline_d50(i + 1) + 0.05).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
    let skipping = sampling_state(&s).await;
    assert!(skipping["pending"].as_array().unwrap().is_empty(), "{skipping}");
    assert_eq!(skipping["skipLot"]["state"]["state"], "skipping");
    assert_eq!(skipping["skipLot"]["state"]["frequency"], "1/2");
    let listed = s.get_json(&path, Some(&cam)).await;
    assert_eq!(listed["items"][0]["agrees"], true);
    assert_eq!(listed["items"][0]["agreement"]["characteristics"][0]["verdict"], "agrees");

    // Skipping at 1 in 2: lot 11 is tested, lot 12 not, lot 13 again.
    let eleven = post_coa(&s, &cam, lot(11, 11.0)).await;
    let twelve = post_coa(&s, &cam, lot(12, 11.0)).await;
    let thirteen = post_coa(&s, &cam, lot(13, 11.0)).await;
    assert_eq!(
        [lab_test_required(&eleven), lab_test_required(&twelve), lab_test_required(&thirteen)],
        [true, false, true]
    );

    // Our lab disagrees with lot 13 (12.0 against 11.0 µm, beyond 5 %): skip-lot is disqualified and the
    // accepted lot is held.
    let response = enter_lab(&s, &s.operator, &thirteen, 12.0).await;
    assert_eq!(response.status(), 201);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["labResult"]["agrees"], false);
    assert_eq!(outcome["sampling"]["skipLot"]["state"]["state"], "disqualified");
    assert_eq!(outcome["decision"]["outcome"], "hold");
    let record = s
        .get_json(&format!("/api/v1/coas/{}", common::urlencode(thirteen["id"].as_str().unwrap())), Some(&s.admin))
        .await;
    assert_eq!(record["decision"]["outcome"], "hold");
    assert!(record["decision"]["reasons"].as_array().unwrap().iter().any(|r| r["kind"] == "lab_disagreement"));
    let fourteen = post_coa(&s, &cam, lot(14, 11.0)).await;
    assert!(lab_test_required(&fourteen), "disqualified: every lot is tested");

    // Requalifying after corrective action restarts qualification.
    let requalify = json!({"supplier": CAM, "material": "NMC811", "reason": "8D closed: new calibration"});
    problem(s.post("/api/v1/sampling/requalify", Some(&cam)).json(&requalify).send().await.unwrap(), 403).await;
    let empty = json!({"supplier": CAM, "material": "NMC811", "reason": ""});
    problem(s.post("/api/v1/sampling/requalify", Some(&s.operator)).json(&empty).send().await.unwrap(), 400).await;
    let back: Value = s
        .post("/api/v1/sampling/requalify", Some(&s.operator))
        .json(&requalify)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(back["skipLot"]["state"]["state"], "qualification", "{back}");
    let other = supplier_key(&s.store, "BPNL000000000OTH").await;
    let foreign = s.get_json("/api/v1/sampling", Some(&other)).await;
    assert!(foreign["items"].as_array().unwrap().is_empty());
    let audit = s.store.audit_entries(0, 10_000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "coa.lab_result").count(), 11);
    assert!(audit.iter().any(|e| e.action == "sampling.requalify"));
}

/// Batches through the pipeline (as `coa import` sends them) are decided as if received one by one: outcomes
/// come back batch by batch in submission order, a refused CoA in its place, and the lot past the baseline
/// is held.
async fn pipelined_batches_decide_in_order(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let admin = s.store.actor_by_key_hash(&server::auth::key_hash(&s.admin)).await.unwrap().unwrap();
    let service = server::PassportService::new(s.store.clone());
    let json = |body: String| CoaSubmission { bytes: body.into_bytes(), format: CoaFormat::Json, received_at: None };
    let first: Vec<CoaSubmission> = (1..=30).map(|i| json(lot(i, baseline_d50(i)))).collect();
    let mut second: Vec<CoaSubmission> = (31..=BASELINE).map(|i| json(lot(i, baseline_d50(i)))).collect();
    second.push(json("{ not json".into()));
    second.push(json(lot(BASELINE + 1, SHIFTED_D50)));

    let mut pipeline = CoaPipeline::new(&service, &admin);
    assert!(pipeline.push(first).await.unwrap().is_none(), "the first batch is only checked");
    let stored = pipeline.push(second).await.unwrap().expect("the first batch's outcomes");
    assert_eq!(pipeline.redecided(), 0, "no other writer: the second batch was decided once, from held state");
    let last = pipeline.finish().await.unwrap().expect("the second batch's outcomes");
    assert_eq!((stored.len(), last.len()), (30, BASELINE - 30 + 2));
    assert!(last[last.len() - 2].is_err(), "the malformed CoA is refused in its place");
    let coas: Vec<&store::StoredCoa> = stored.iter().chain(&last).filter_map(|o| o.as_ref().ok()).collect();
    let lots: Vec<&str> = coas.iter().map(|c| c.lot_number.as_str()).collect();
    let expected: Vec<String> = (1..=BASELINE + 1).map(|n| format!("L-{n:03}")).collect();
    assert_eq!(lots, expected);
    let outcomes: Vec<&str> = coas.iter().map(|c| c.decision.as_ref().unwrap().outcome.as_str()).collect();
    assert!(outcomes[..BASELINE].iter().all(|o| *o == "accepted"), "{outcomes:?}");
    assert_eq!(outcomes[BASELINE], "hold");

    // The lots arrived in manufacturing order, so a recompute from the stored CoAs rebuilds the very states
    // the pipeline left, series by series.
    let states = |series: Vec<store::StoredSeries>| -> Vec<(store::SeriesId, Value)> {
        let mut states: Vec<_> = series.into_iter().map(|s| (s.id, s.state)).collect();
        states.sort_by(|a, b| a.0.cmp(&b.0));
        states
    };
    let pipelined = states(s.store.series(None, None).await.unwrap());
    assert!(pipelined.len() >= 10, "{} series", pipelined.len());
    let alarms = || async { s.store.alarms(&store::AlarmFilter::default(), None, 100).await.unwrap().len() };
    let raised = alarms().await;
    assert!(raised >= 1);
    let report = service.recompute_spc(&admin).await.unwrap();
    assert_eq!((report.lots, report.alarms_found), (BASELINE + 1, raised), "{report:?}");
    assert_eq!(states(s.store.series(None, None).await.unwrap()), pipelined);
    assert_eq!(alarms().await, raised, "the recompute raises no alarm twice");
}

/// The pipeline decides a batch from the states the batch in flight will leave. When another writer moves
/// one of them meanwhile, the batch in flight is stored from fresh state, and the batch decided after it
/// is decided again: every value is counted once, in arrival order, and the shifted lot is still held.
async fn pipeline_decides_again_after_another_writer(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let admin = s.store.actor_by_key_hash(&server::auth::key_hash(&s.admin)).await.unwrap().unwrap();
    let cam = supplier_key(&s.store, CAM).await;
    let service = server::PassportService::new(s.store.clone());
    let json = |body: String| CoaSubmission { bytes: body.into_bytes(), format: CoaFormat::Json, received_at: None };
    let first: Vec<CoaSubmission> = (1..=30).map(|i| json(lot(i, baseline_d50(i)))).collect();
    let mut second: Vec<CoaSubmission> = (31..BASELINE).map(|i| json(lot(i, baseline_d50(i)))).collect();
    second.push(json(lot(BASELINE + 1, SHIFTED_D50)));

    let mut pipeline = CoaPipeline::new(&service, &admin);
    assert!(pipeline.push(first).await.unwrap().is_none());
    // Another writer: the supplier's own lot arrives while the first batch waits for its write.
    let other = post_coa(&s, &cam, lot(BASELINE, baseline_d50(BASELINE))).await;
    assert_eq!(other["decision"]["outcome"], "accepted");
    let stored = pipeline.push(second).await.unwrap().expect("the first batch's outcomes");
    assert_eq!(pipeline.redecided(), 1, "the first batch's write found the state moved and was decided again");
    let last = pipeline.finish().await.unwrap().expect("the second batch's outcomes");
    let outcomes: Vec<&str> =
        stored.iter().chain(&last).map(|o| o.as_ref().unwrap().decision.as_ref().unwrap().outcome.as_str()).collect();
    assert_eq!(outcomes.len(), BASELINE);
    assert!(outcomes[..BASELINE - 1].iter().all(|o| *o == "accepted"), "{outcomes:?}");
    assert_eq!(outcomes[BASELINE - 1], "hold", "the lot past the baseline (the other writer's lot included)");

    // Each D50 value is in its series once: the other writer's lot, both batches.
    let series = s.store.series(Some(CAM), Some("NMC811")).await.unwrap();
    let d50 = series.iter().find(|s| s.id.characteristic == "D50").expect("the D50 series");
    assert_eq!(d50.state["moments"]["n"], json!(BASELINE + 1), "{}", d50.state);
    let alarms = s.store.alarms(&store::AlarmFilter::default(), None, 100).await.unwrap();
    assert_eq!(alarms.iter().filter(|a| a.alarm.rule == "beyond-ucl").count(), 1, "{alarms:?}");
}
