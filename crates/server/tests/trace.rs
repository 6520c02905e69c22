//! Genealogy over REST: production events in (NDJSON and JSON), events waiting for units held and released,
//! duplicates ignored, a backward trace of a pack to its lots, CoAs and suppliers, a forward trace (recall)
//! of a lot to every module, pack and passport with its share, cells paged, who may see what, and refused
//! batches that write nothing.

mod common;

use common::quality::{CAM, lot, post_coa, supplier_key};
use common::{TestServer, documents, operator_of, problem};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use serde_json::{Value, json};
use server::Config;
use std::sync::Arc;
use store::Store;

on_both_backends!(
    genealogy_in_and_traces_out,
    pipelined_batches_store_what_one_batch_does,
    model_rollups_fill_the_model_record,
    refused_batches_write_nothing,
    events_over_mqtt
);

/// Creates one EV passport as the demo operator; returns its id.
async fn ev_passport(s: &TestServer) -> String {
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 7).remove(0);
    let response = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let created: Value = response.json().await.unwrap();
    created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string()
}

/// A factory in miniature: a cathode lot split 300/200 kg over two coating batches, a graphite lot, eight
/// cells (four per cathode batch), two modules of four, one pack linked to `passport`.
fn factory(passport: &str) -> Vec<Value> {
    let mut events = vec![
        json!({"eventId": "lot-a", "type": "produced", "unit": {"id": "LOT-A", "kind": "lot", "supplier": CAM,
            "material": "NMC811", "lotNumber": "L-001", "quantity": {"value": 1, "unit": "t"},
            "attributes": {"category": "cathode",
                "substances": [{"name": "cobalt", "massFraction": 0.06, "critical": true},
                               {"name": "nickel", "massFraction": 0.48, "critical": true},
                               {"name": "lithium", "massFraction": 0.07, "critical": true}],
                "recycledContent": {"cobalt": {"preConsumer": 0.1, "postConsumer": 0.1}, "nickel": {"postConsumer": 0.07}},
                "pcf": {"pcfExcludingBiogenic": 20.0, "declaredUnit": "kilogram", "id": "pcf-cam-2026"}}}}),
        json!({"eventId": "cb-1", "type": "produced", "unit": {"id": "CB-1", "kind": "batch", "type": "cathode coating"},
            "inputs": [{"id": "LOT-A", "quantity": {"value": 300, "unit": "kg"}}]}),
        json!({"eventId": "cb-2", "type": "produced", "unit": {"id": "CB-2", "kind": "batch", "type": "cathode coating"},
            "inputs": [{"id": "LOT-A", "quantity": {"value": 200000, "unit": "g"}}]}),
        json!({"eventId": "ab-1", "type": "produced", "unit": {"id": "AB-1", "kind": "batch", "type": "anode coating"},
            "inputs": [{"id": "LOT-G", "quantity": {"value": 100, "unit": "kg"}}]}),
    ];
    for i in 1..=8 {
        let cathode = if i <= 4 { "CB-1" } else { "CB-2" };
        events.push(json!({"eventId": format!("c-{i}"), "type": "produced",
            "unit": {"id": format!("C-0{i}"), "kind": "cell", "model": "VP-C50", "line": "L1"},
            "inputs": [{"id": cathode}, {"id": "AB-1"}]}));
    }
    for (m, cells) in [(1, 1..=4), (2, 5..=8)] {
        let inputs: Vec<Value> = cells.map(|i| json!({"id": format!("C-0{i}")})).collect();
        // M-1 is wired 2s2p; M-2 states nothing (all in series).
        let attributes = if m == 1 { json!({"series": 2, "parallel": 2}) } else { json!({}) };
        events.push(json!({"eventId": format!("m-{m}"), "type": "produced",
            "unit": {"id": format!("M-{m}"), "kind": "module", "attributes": attributes}, "inputs": inputs}));
    }
    events.push(json!({"eventId": "p-1", "type": "produced",
        "unit": {"id": "P-1", "kind": "pack", "model": "VP-P8", "passport": passport},
        "inputs": [{"id": "M-1"}, {"id": "M-2"}]}));
    events
}

fn ndjson(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

async fn send(s: &TestServer, key: &str, body: String) -> reqwest::Response {
    s.post("/api/v1/trace/events", Some(key))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn receipt(s: &TestServer, key: &str, body: String) -> Value {
    let response = send(s, key, body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn genealogy_in_and_traces_out(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let passport = ev_passport(&s).await;
    let cam = supplier_key(&s.store, CAM).await;
    let coa = post_coa(&s, &cam, lot(1, 11.0)).await;

    // Everything but the graphite lot: the anode batch waits for it, and the cells, modules and pack with it.
    let events = factory(&passport);
    let first = receipt(&s, &s.operator, ndjson(&events)).await;
    assert_eq!(first, json!({"applied": 3, "duplicates": 0, "held": 12, "released": 0, "failed": 0}));
    let backlog = s.get_json("/api/v1/trace/backlog?status=held", Some(&s.operator)).await;
    let waiting = backlog["items"].as_array().unwrap();
    assert_eq!(waiting.len(), 12);
    let anode = waiting.iter().find(|b| b["eventId"] == "ab-1").unwrap();
    assert_eq!(anode["missing"], json!(["LOT-G"]));
    let other_backlog = s.get_json("/api/v1/trace/backlog", Some(&s.other_operator)).await;
    assert!(other_backlog["items"].as_array().unwrap().is_empty(), "another operator's backlog is not shown");

    // The graphite lot arrives (as a JSON array this time): every held event goes through with it.
    let graphite = json!([{"eventId": "lot-g", "type": "produced", "unit": {"id": "LOT-G", "kind": "lot",
        "supplier": "BPNL000000000GRA", "material": "GRAPHITE", "quantity": {"value": 500, "unit": "kg"},
        "attributes": {"category": "anode", "substances": [{"name": "natural graphite", "massFraction": 0.95, "critical": true}]}}}]);
    let response = s.post("/api/v1/trace/events", Some(&s.operator)).json(&graphite).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second, json!({"applied": 1, "duplicates": 0, "held": 0, "released": 12, "failed": 0}));
    assert!(s.get_json("/api/v1/trace/backlog", Some(&s.operator)).await["items"].as_array().unwrap().is_empty());
    // Sent again: nothing new.
    let again = receipt(&s, &s.operator, ndjson(&events)).await;
    assert_eq!(again["duplicates"], 15);
    assert_eq!(again["applied"], 0);

    // Backward: the pack's modules, cells, batches, lots with the CoA and our decision, and suppliers.
    let up = s.get_json("/api/v1/trace/P-1/upstream", Some(&s.operator)).await;
    assert_eq!(up["unit"]["passportId"], passport.as_str(), "{up}");
    assert_eq!(up["parts"], json!(["M-1", "M-2"]));
    assert_eq!(up["cells"], 8);
    let batches: Vec<&str> = up["batches"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(batches, ["AB-1", "CB-1", "CB-2"]);
    let lots = up["lots"].as_array().unwrap();
    assert_eq!(lots.len(), 2);
    let cathode = lots.iter().find(|l| l["id"] == "LOT-A").unwrap();
    assert_eq!(cathode["coa"]["id"], coa["id"]);
    assert_eq!(cathode["coa"]["decision"], coa["decision"]["outcome"]);
    assert!(lots.iter().find(|l| l["id"] == "LOT-G").unwrap()["coa"].is_null(), "no CoA was sent for graphite");
    assert_eq!(up["suppliers"], json!([CAM, "BPNL000000000GRA"]));
    let cell_up = s.get_json("/api/v1/trace/C-05/upstream", Some(&s.operator)).await;
    let cell_batches: Vec<&str> =
        cell_up["batches"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(cell_batches, ["AB-1", "CB-2"]);
    assert_eq!(cell_up["unit"]["assembledInto"], "M-2");

    // The pack's bill of material as built (Catena-X): its two modules, as the passport's twin.
    let bom = s.get_json("/api/v1/trace/P-1/bom", Some(&s.operator)).await;
    interop::catenax::bom::validate_single_level_bom(&bom).unwrap_or_else(|e| panic!("{e:?}: {bom}"));
    assert_eq!(bom["globalAssetId"], interop::catenax::bom::passport_asset_id(&passport));
    assert!(bom["globalAssetId"].as_str().unwrap().starts_with("urn:uuid:"));
    let children: Vec<&str> =
        bom["childItems"].as_array().unwrap().iter().map(|c| c["globalAssetId"].as_str().unwrap()).collect();
    let module_ids = ["M-1", "M-2"].map(interop::catenax::bom::unit_asset_id);
    assert_eq!(children, module_ids.iter().map(String::as_str).collect::<Vec<_>>());
    let batch_bom = s.get_json("/api/v1/trace/CB-2/bom", Some(&s.operator)).await;
    interop::catenax::bom::validate_single_level_bom(&batch_bom).unwrap();
    assert_eq!(batch_bom["childItems"][0]["quantity"], json!({"value": 200.0, "unit": "unit:kilogram"}));
    assert_eq!(batch_bom["childItems"][0]["businessPartner"], CAM);

    // Roll-up: the pack holds the 500 kg taken from the cathode lot and the 100 kg of graphite, by mass balance.
    let rolled = s.get_json("/api/v1/trace/P-1/rollup", Some(&s.operator)).await;
    let composition = &rolled["composition"];
    assert_eq!(composition["tracedMassKg"], 600.0, "{rolled}");
    let by_category: Vec<(&str, f64)> = composition["byCategory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["massKg"].as_f64().unwrap()))
        .collect();
    assert_eq!(by_category, [("anode", 100.0), ("cathode", 500.0)]);
    let cobalt =
        composition["criticalRawMaterials"].as_array().unwrap().iter().find(|c| c["name"] == "cobalt").unwrap();
    assert!((cobalt["massKg"].as_f64().unwrap() - 30.0).abs() < 1e-9);
    assert_eq!(cobalt["from"][0]["lotId"], "LOT-A");
    let recycled = rolled["recycledContent"].as_array().unwrap();
    let co = recycled.iter().find(|m| m["metal"] == "cobalt").unwrap();
    assert!((co["share"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert_eq!((co["meets2031"].as_bool(), co["meets2036"].as_bool()), (Some(true), Some(false)));
    let li = recycled.iter().find(|m| m["metal"] == "lithium").unwrap();
    assert_eq!((li["share"].as_f64(), li["meets2031"].as_bool()), (Some(0.0), Some(false)));
    // The carbon footprint per kWh of lifetime energy, from the passport's rated energy and cycles.
    let doc = s.get_json(&format!("/api/v1/passports/{passport}"), None).await;
    let technical = &doc["performance"]["batteryTechicalProperties"];
    let lifetime = technical["ratedEnergy"].as_f64().unwrap() * technical["expectedNumberOfCycles"].as_f64().unwrap();
    let footprint = &rolled["carbonFootprint"];
    assert_eq!(footprint["lifetimeEnergyKwh"].as_f64().unwrap(), lifetime, "{footprint}");
    assert_eq!(footprint["stages"][0]["stage"], "rawMaterialAcquisition");
    assert_eq!(footprint["stages"][0]["kgCo2e"], 10_000.0, "500 kg at 20 kg CO2e/kg");
    assert_eq!(footprint["lotsWithoutPcf"], json!(["LOT-G"]));
    let total: f64 = footprint["stages"].as_array().unwrap().iter().map(|s| s["kgCo2e"].as_f64().unwrap()).sum();
    assert!((footprint["kgCo2ePerKwh"].as_f64().unwrap() - total / lifetime).abs() < 1e-12);
    assert!(footprint["performanceClass"].is_string());
    // End-of-line results: cells of 51..58 Ah, 180 Wh, 1 mΩ; the pack measured 54 Ah itself.
    let mut tests: Vec<Value> = (1..=8)
        .map(|i| json!({"eventId": format!("eol-{i}"), "type": "tested", "unitId": format!("C-0{i}"),
            "results": {"capacityAh": 50.0 + f64::from(i), "energyWh": 180.0, "internalResistanceMohm": 1.0}, "passed": true}))
        .collect();
    tests.push(json!({"eventId": "eol-p", "type": "tested", "unitId": "P-1", "results": {"capacityAh": 54.0}}));
    let response = s.post("/api/v1/trace/events", Some(&s.operator)).json(&tests).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let module = s.get_json("/api/v1/trace/M-1/rollup", Some(&s.operator)).await;
    assert_eq!(
        module["performance"]["derived"],
        json!({"capacityAh": 102.0, "energyWh": 720.0, "internalResistanceMohm": 1.0}),
        "2 × 51 Ah: {module}"
    );
    let pack = s.get_json("/api/v1/trace/P-1/rollup", Some(&s.operator)).await;
    let performance = &pack["performance"];
    // M-2 (4s1p) gives 55 Ah and 4 mΩ; the modules in series: the smaller capacity, the summed energy and 2 × the mean resistance.
    assert_eq!(
        performance["derived"],
        json!({"capacityAh": 55.0, "energyWh": 1440.0, "internalResistanceMohm": 5.0}),
        "{performance}"
    );
    assert_eq!(performance["measured"], json!({"capacityAh": 54.0}));
    assert_eq!((performance["parts"].as_u64(), performance["partsWithFigures"].as_u64()), (Some(2), Some(2)));
    assert_eq!(performance["configuration"], json!({"series": 2, "parallel": 1}));

    // Through the passport: the public sees the values, not where they came from; the operator sees both.
    let public = s.get_json(&format!("/api/v1/passports/{passport}/rollup"), None).await;
    assert_eq!(public["composition"]["tracedMassKg"], 600.0, "{public}");
    assert_eq!(public["carbonFootprint"]["kgCo2ePerKwh"], footprint["kgCo2ePerKwh"]);
    let text = public.to_string();
    assert!(!text.contains("LOT-A") && !text.contains(CAM) && public.get("lots").is_none(), "{text}");
    let operator_view = s.get_json(&format!("/api/v1/passports/{passport}/rollup"), Some(&s.operator)).await;
    assert_eq!(operator_view["lots"][0]["lotId"], "LOT-A");
    let other_view = s.get_json(&format!("/api/v1/passports/{passport}/rollup"), Some(&s.other_operator)).await;
    assert!(other_view.get("lots").is_none(), "another operator sees what the public sees");
    problem(s.get("/api/v1/passports/urn:voltpass:nope/rollup", None).send().await.unwrap(), 404).await;

    // A module has no passport, hence no footprint.
    assert!(s.get_json("/api/v1/trace/M-1/rollup", Some(&s.operator)).await.get("carbonFootprint").is_none());

    // A module holds its part: M-1's cells took CB-1 (60 % of the cathode lot) and half of the graphite batch.
    let module = s.get_json("/api/v1/trace/M-1/rollup", Some(&s.operator)).await;
    let lots: Vec<(&str, f64)> = module["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["lotId"].as_str().unwrap(), l["massKg"].as_f64().unwrap()))
        .collect();
    assert_eq!(lots, [("LOT-A", 300.0), ("LOT-G", 50.0)]);

    // Forward (recall): the lot split 300/200 kg, so M-1 holds 60 % of it, M-2 40 %, the pack all of it.
    let down = s.get_json("/api/v1/trace/LOT-A/downstream", Some(&s.operator)).await;
    let share = |list: &str, id: &str| {
        down[list].as_array().unwrap().iter().find(|u| u["id"] == id).map(|u| u["share"].as_f64().unwrap())
    };
    assert!((share("batches", "CB-1").unwrap() - 0.6).abs() < 1e-9, "{down}");
    assert!((share("batches", "CB-2").unwrap() - 0.4).abs() < 1e-9);
    assert!((share("modules", "M-1").unwrap() - 0.6).abs() < 1e-9);
    assert!((share("modules", "M-2").unwrap() - 0.4).abs() < 1e-9);
    assert!((share("packs", "P-1").unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(down["packs"][0]["quantity"], 500.0, "all 500 kg taken from the lot are in the pack");
    assert_eq!(down["packs"][0]["cells"], 8);
    assert_eq!(down["cells"], 8);
    assert_eq!(down["passports"], json!([passport]));
    assert!(share("batches", "AB-1").is_none(), "the anode batch holds no cathode material");
    let graphite_down = s.get_json("/api/v1/trace/LOT-G/downstream", Some(&s.operator)).await;
    assert_eq!(graphite_down["cells"], 8);
    assert!((graphite_down["modules"][0]["share"].as_f64().unwrap() - 0.5).abs() < 1e-9);

    // The cells, a page at a time, each with its share (a quarter of its batch's).
    let page = s.get_json("/api/v1/trace/LOT-A/downstream/cells?limit=3", Some(&s.operator)).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|c| c["id"].as_str().unwrap()).collect::<Vec<_>>(), ["C-01", "C-02", "C-03"]);
    assert!((items[0]["share"].as_f64().unwrap() - 0.15).abs() < 1e-9);
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest =
        s.get_json(&format!("/api/v1/trace/LOT-A/downstream/cells?limit=10&cursor={cursor}"), Some(&s.operator)).await;
    let rest = rest["items"].as_array().unwrap();
    assert_eq!(rest.len(), 5);
    assert!((rest[4]["share"].as_f64().unwrap() - 0.1).abs() < 1e-9, "C-08 holds a quarter of CB-2's 40 %");

    // Who sees it: the operator that recorded it, administrators and authorities; not another operator
    // (as if it did not exist), not a person with a legitimate interest, not the public.
    assert_eq!(s.get("/api/v1/trace/P-1/upstream", Some(&s.authority)).send().await.unwrap().status(), 200);
    assert_eq!(s.get("/api/v1/trace/LOT-A/downstream", Some(&s.admin)).send().await.unwrap().status(), 200);
    problem(s.get("/api/v1/trace/P-1/upstream", Some(&s.other_operator)).send().await.unwrap(), 404).await;
    problem(s.get("/api/v1/trace/P-1/upstream", Some(&s.legitimate)).send().await.unwrap(), 403).await;
    problem(s.get("/api/v1/trace/P-1/upstream", None).send().await.unwrap(), 401).await;
    problem(send(&s, &s.supplier, ndjson(&events[..1])).await, 403).await;
    let wrong_start =
        problem(s.get("/api/v1/trace/P-1/downstream", Some(&s.operator)).send().await.unwrap(), 400).await;
    assert!(wrong_start["detail"].as_str().unwrap().contains("starts at a lot or batch"));

    // A second delivery of the same supplier lot (L-001), received as a lot of its own: a cell made from both
    // traces back to two lots, and each shows the CoA of that supplier lot.
    let second_delivery = json!([
        {"eventId": "lot-a2", "type": "produced", "unit": {"id": "LOT-A2", "kind": "lot", "supplier": CAM,
            "material": "NMC811", "lotNumber": "L-001", "quantity": {"value": 200, "unit": "kg"},
            "attributes": {"category": "cathode"}}},
        {"eventId": "cb-3", "type": "produced", "unit": {"id": "CB-3", "kind": "batch", "type": "cathode coating"},
            "inputs": [{"id": "LOT-A", "quantity": {"value": 100, "unit": "kg"}},
                       {"id": "LOT-A2", "quantity": {"value": 100, "unit": "kg"}}]},
        {"eventId": "c-9", "type": "produced", "unit": {"id": "C-09", "kind": "cell", "model": "VP-C50", "line": "L1"},
            "inputs": [{"id": "CB-3"}, {"id": "AB-1"}]}
    ]);
    let response = s.post("/api/v1/trace/events", Some(&s.operator)).json(&second_delivery).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let up = s.get_json("/api/v1/trace/C-09/upstream", Some(&s.operator)).await;
    let lots: Vec<(&str, &Value)> =
        up["lots"].as_array().unwrap().iter().map(|l| (l["id"].as_str().unwrap(), &l["coa"]["id"])).collect();
    assert_eq!(lots, [("LOT-A", &coa["id"]), ("LOT-A2", &coa["id"]), ("LOT-G", &Value::Null)], "{up}");
}

/// Two packs of the EV model, one made in 2025 and one in 2026, each holding 200 kg of one cathode lot: the
/// model's roll-up per average pack, per year, written into the model record, and carried by a passport
/// created afterwards.
async fn model_rollups_fill_the_model_record(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let (first, second) = (ev_passport(&s).await, {
        let doc = documents(DemoModel::EvNmc811Pack, 1, 8).remove(0);
        let response = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string()
    });
    let model = DemoModel::EvNmc811Pack.model_id();
    let mut events = vec![
        json!({"eventId": "lot", "type": "produced", "unit": {"id": "LOT-N", "kind": "lot", "supplier": CAM,
            "material": "NMC811", "quantity": {"value": 1, "unit": "t"},
            "attributes": {"category": "cathode",
                "substances": [{"name": "cobalt", "cas": "7440-48-4", "massFraction": 0.06, "critical": true},
                               {"name": "nickel", "cas": "7440-02-0", "massFraction": 0.48, "critical": true},
                               {"name": "nickel oxide", "cas": "1313-99-1", "massFraction": 0.01, "hazardous": true,
                                "hazardClass": "AcuteToxicity", "hazardStatements": ["H332: Harmful if inhaled"]},
                               {"name": "binder", "massFraction": 0.02, "hazardous": true}],
                "recycledContent": {"cobalt": {"preConsumer": 0.1, "postConsumer": 0.15}},
                "pcf": {"pcfExcludingBiogenic": 20.0, "declaredUnit": "kilogram"}}}}),
        json!({"eventId": "cb", "type": "produced", "unit": {"id": "CB", "kind": "batch"},
            "inputs": [{"id": "LOT-N", "quantity": {"value": 400, "unit": "kg"}}]}),
    ];
    for i in 1..=4 {
        events.push(
            json!({"eventId": format!("c{i}"), "type": "produced", "unit": {"id": format!("C{i}"), "kind": "cell"},
            "inputs": [{"id": "CB"}]}),
        );
    }
    for (pack, cells, passport, at) in
        [("PA", [1, 2], &first, "2025-06-01T08:00:00Z"), ("PB", [3, 4], &second, "2026-03-01T08:00:00Z")]
    {
        events.push(json!({"eventId": pack, "type": "produced",
            "unit": {"id": pack, "kind": "pack", "passport": passport, "at": at},
            "inputs": cells.map(|i| json!({"id": format!("C{i}")}))}));
    }
    let applied = receipt(&s, &s.operator, ndjson(&events)).await;
    assert_eq!(applied["applied"], 8, "{applied}");

    // All years: two packs, each with 200 kg of the lot.
    let all = s.get_json(&format!("/api/v1/models/{model}/rollup"), Some(&s.admin)).await;
    assert_eq!(all["packs"], 2, "{all}");
    assert_eq!(all["lots"][0]["massKg"], 200.0);
    assert!(
        (all["lots"][0]["share"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "all 400 kg taken from the lot are in the two packs"
    );
    let cobalt = all["recycledContent"].as_array().unwrap().iter().find(|m| m["metal"] == "cobalt").unwrap();
    assert!((cobalt["massKg"].as_f64().unwrap() - 12.0).abs() < 1e-9);
    assert!((cobalt["share"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    // One year: one pack, the same per-pack values.
    let year = s.get_json(&format!("/api/v1/models/{model}/rollup?year=2026"), Some(&s.authority)).await;
    assert_eq!((year["packs"].as_i64(), year["year"].as_i64()), (Some(1), Some(2026)), "{year}");
    assert_eq!(year["lots"][0]["massKg"], 200.0);
    problem(s.get(&format!("/api/v1/models/{model}/rollup?year=2019"), Some(&s.admin)).send().await.unwrap(), 404)
        .await;
    // The genealogy names lots and suppliers: not for the public, a legitimate-interest reader, or an operator
    // that does not own the (administrator-managed) model.
    problem(s.get(&format!("/api/v1/models/{model}/rollup"), None).send().await.unwrap(), 401).await;
    problem(s.get(&format!("/api/v1/models/{model}/rollup"), Some(&s.legitimate)).send().await.unwrap(), 403).await;
    problem(s.get(&format!("/api/v1/models/{model}/rollup"), Some(&s.operator)).send().await.unwrap(), 404).await;

    // Written into the model record: the substances with a CAS number per average pack, the recycled shares in %,
    // the reporting year, the carbon footprint; the study link the operator wrote stays.
    let before = s.get_json(&format!("/api/v1/models/{model}"), Some(&s.admin)).await;
    problem(s.post(&format!("/api/v1/models/{model}/rollup?year=2026"), Some(&s.operator)).send().await.unwrap(), 403)
        .await;
    let response = s.post(&format!("/api/v1/models/{model}/rollup?year=2026"), Some(&s.admin)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert!(
        after["meta"]["reason"].as_str().unwrap().starts_with("roll-up from genealogy: 1 packs (year 2026)"),
        "{after}"
    );
    let doc = &after["document"];
    let materials: Vec<(&str, &str, f64, bool)> = doc["materialComposition"]["batteryMaterials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["batteryMaterialLocation"]["componentName"].as_str().unwrap(),
                m["batteryMaterialIdentifier"].as_str().unwrap(),
                m["batteryMaterialMass"].as_f64().unwrap(),
                m["isCriticalRawMaterial"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        materials,
        [
            ("cathode", "1313-99-1", 2.0, false),
            ("cathode", "7440-02-0", 96.0, true),
            ("cathode", "7440-48-4", 12.0, true)
        ]
    );
    // Hazardous substances declared with class and CAS number, as % w/w of their part (2 kg in 200 kg of
    // cathode); the binder, declared hazardous without either, is left out.
    let mut hazardous = doc["materialComposition"]["hazardousSubstances"].clone();
    let concentration = hazardous[0].as_object_mut().unwrap().remove("hazardousSubstanceConcentration");
    assert_eq!(concentration.and_then(|c| c.as_f64()), Some(1.0));
    assert_eq!(
        hazardous,
        json!([{"hazardousSubstanceClass": "AcuteToxicity", "hazardousSubstanceName": "nickel oxide",
            "hazardousSubstanceIdentifier": "1313-99-1", "hazardousSubstanceImpact": ["H332: Harmful if inhaled"],
            "hazardousSubstanceLocation": {"componentName": "cathode"}}])
    );
    let recycled = doc["circularity"]["recycledContent"].as_array().unwrap();
    assert_eq!(
        recycled,
        &[
            json!({"recycledMaterial": "Cobalt", "preConsumerShare": 10, "postConsumerShare": 15}),
            json!({"recycledMaterial": "Nickel", "preConsumerShare": 0, "postConsumerShare": 0}),
        ],
        "cobalt and nickel are in the traced lots (lithium and lead are not)"
    );
    assert_eq!(doc["circularity"]["recycledContentReporting"]["reportingYear"], 2026);
    let technical = &doc["performance"]["batteryTechicalProperties"];
    let lifetime = technical["ratedEnergy"].as_f64().unwrap() * technical["expectedNumberOfCycles"].as_f64().unwrap();
    let footprint = &doc["carbonFootprint"];
    let per_kwh = year["carbonFootprint"]["kgCo2ePerKwh"].as_f64().unwrap();
    assert!((footprint["batteryCarbonFootprint"].as_f64().unwrap() - per_kwh).abs() < 1e-6, "{footprint}");
    assert!(per_kwh * lifetime > 4_000.0, "200 kg at 20 kg CO2e/kg is in the raw-material stage");
    let shares: f64 = footprint["carbonFootprintPerLifecycleStage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["carbonFootprint"].as_f64().unwrap())
        .sum();
    assert!((shares - 100.0).abs() <= 1.0, "stage shares sum to 100 %: {shares}");
    assert_eq!(footprint["carbonFootprintStudy"], before["document"]["carbonFootprint"]["carbonFootprintStudy"]);
    // Nothing changed since: no new version.
    let again = s.post(&format!("/api/v1/models/{model}/rollup?year=2026"), Some(&s.admin)).send().await.unwrap();
    assert_eq!(again.status(), 204);

    // A passport created now carries the rolled-up values, publicly.
    let doc = documents(DemoModel::EvNmc811Pack, 1, 9).remove(0);
    let response = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap();
    let public = s.get_json(&format!("/api/v1/passports/{id}"), None).await;
    assert_eq!(public["circularity"]["recycledContent"][0]["postConsumerShare"], 15.0, "{public}");
    assert_eq!(public["carbonFootprint"]["batteryCarbonFootprint"], footprint["batteryCarbonFootprint"]);

    // More packs of 2026 (with another lot, twice the recycled cobalt): the background recomputation writes a
    // new version, attributed to the server's own actor.
    let more = vec![
        json!({"eventId": "lot2", "type": "produced", "unit": {"id": "LOT-R", "kind": "lot", "supplier": CAM, "quantity": {"value": 500, "unit": "kg"},
            "attributes": {"category": "cathode", "substances": [{"name": "cobalt", "cas": "7440-48-4", "massFraction": 0.06, "critical": true}],
                "recycledContent": {"cobalt": {"postConsumer": 0.5}}}}}),
        json!({"eventId": "cb2", "type": "produced", "unit": {"id": "CB2", "kind": "batch"},
            "inputs": [{"id": "LOT-R", "quantity": {"value": 200, "unit": "kg"}}]}),
        json!({"eventId": "c5", "type": "produced", "unit": {"id": "C5", "kind": "cell"}, "inputs": [{"id": "CB2"}]}),
        json!({"eventId": "PC", "type": "produced", "unit": {"id": "PC", "kind": "pack", "passport": id, "at": "2026-07-01T08:00:00Z"},
            "inputs": [{"id": "C5"}]}),
    ];
    assert_eq!(receipt(&s, &s.operator, ndjson(&more)).await["applied"], 4);
    let system = s.store.actor_by_key_hash(&server::auth::key_hash(&s.admin)).await.unwrap().unwrap();
    let service = server::service::PassportService::new(s.store.clone());
    let factors = Config::default().footprint_factors;
    assert_eq!(service.refresh_model_rollups(&system, &factors).await.unwrap(), 1);
    let refreshed = s.get_json(&format!("/api/v1/models/{model}"), Some(&s.admin)).await;
    assert_eq!(refreshed["version"], after["version"].as_i64().unwrap() + 1);
    assert!(refreshed["meta"]["reason"].as_str().unwrap().contains("2 packs (year 2026)"), "{refreshed}");
    // Pack PB: 12 kg cobalt at 25 %; pack PC: 12 kg at 50 %: per average pack 12 kg at 37.5 %.
    let co = &refreshed["document"]["circularity"]["recycledContent"][0];
    assert_eq!((co["preConsumerShare"].as_f64(), co["postConsumerShare"].as_f64()), (Some(5.0), Some(32.5)), "{co}");
    assert_eq!(service.refresh_model_rollups(&system, &factors).await.unwrap(), 0);
    // A version written by hand afterwards ends the automatic recomputation.
    let mut manual = refreshed["document"].clone();
    manual["modelId"] = json!(model);
    manual["reason"] = json!("corrected by hand");
    let response = s.put(&format!("/api/v1/models/{model}"), Some(&s.admin)).json(&manual).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(service.refresh_model_rollups(&system, &factors).await.unwrap(), 0);
}

async fn refused_batches_write_nothing(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let lot = json!({"eventId": "lot-a", "type": "produced", "unit": {"id": "LOT-A", "kind": "lot",
        "quantity": {"value": 100, "unit": "kg"}}});
    assert_eq!(receipt(&s, &s.operator, ndjson(&[lot])).await["applied"], 1);

    // One good batch, one taking more than the lot has left, one in litres: the whole request is refused,
    // every bad event named, and the good batch is not stored.
    let body = ndjson(&[
        json!({"eventId": "ok", "type": "produced", "unit": {"id": "B-OK", "kind": "batch"},
            "inputs": [{"id": "LOT-A", "quantity": {"value": 60, "unit": "kg"}}]}),
        json!({"eventId": "too-much", "type": "produced", "unit": {"id": "B-2", "kind": "batch"},
            "inputs": [{"id": "LOT-A", "quantity": {"value": 50, "unit": "kg"}}]}),
        json!({"eventId": "litres", "type": "produced", "unit": {"id": "B-3", "kind": "batch"},
            "inputs": [{"id": "LOT-A", "quantity": {"value": 5, "unit": "L"}}]}),
    ]);
    let refused = problem(send(&s, &s.operator, body).await, 422).await;
    let events = refused["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{refused}");
    assert_eq!((events[0]["eventId"].as_str(), events[0]["position"].as_u64()), (Some("too-much"), Some(2)));
    assert!(events[0]["message"].as_str().unwrap().contains("LOT-A had 100 kg"), "{refused}");
    assert!(events[1]["message"].as_str().unwrap().contains("does not convert"), "{refused}");
    problem(s.get("/api/v1/trace/B-OK/upstream", Some(&s.operator)).send().await.unwrap(), 404).await;
    let lot = s.get_json("/api/v1/trace/LOT-A/downstream", Some(&s.operator)).await;
    assert_eq!(lot["unit"]["used"], 0.0, "nothing was taken from the lot");

    // A line that is not an event: its line and column; a pack for a passport that does not exist.
    let malformed =
        problem(send(&s, &s.operator, format!("{}\n{{\"eventId\": nope}}\n", ndjson(&[json!({})]))).await, 422).await;
    let lines: Vec<u64> =
        malformed["events"].as_array().unwrap().iter().map(|e| e["position"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 3], "{malformed}");
    assert!(malformed["events"][1]["message"].as_str().unwrap().contains("column"), "{malformed}");
    let pack = ndjson(&[
        json!({"eventId": "p", "type": "produced", "unit": {"id": "P-X", "kind": "pack", "passport": "urn:uuid:0000"}}),
    ]);
    let no_passport = problem(send(&s, &s.operator, pack).await, 422).await;
    assert!(no_passport["events"][0]["message"].as_str().unwrap().contains("does not exist"), "{no_passport}");
    // Another operator may not build on this operator's lot.
    let foreign =
        ndjson(&[json!({"eventId": "theirs", "type": "produced", "unit": {"id": "B-THEIRS", "kind": "batch"},
        "inputs": [{"id": "LOT-A", "quantity": {"value": 1, "unit": "kg"}}]})]);
    let refused = problem(send(&s, &s.other_operator, foreign).await, 422).await;
    assert!(refused["events"][0]["message"].as_str().unwrap().contains("another economic operator"), "{refused}");
    // Held events are retried by the server's background task too, not only with the operator's next batch.
    let waiting = ndjson(&[json!({"eventId": "w", "type": "produced", "unit": {"id": "B-W", "kind": "batch"},
        "inputs": [{"id": "LOT-LATE", "quantity": {"value": 1, "unit": "kg"}}]})]);
    assert_eq!(receipt(&s, &s.operator, waiting).await["held"], 1);
    let late = ndjson(&[
        json!({"eventId": "late", "type": "produced", "unit": {"id": "LOT-LATE", "kind": "lot", "quantity": {"value": 5, "unit": "kg"}}}),
    ]);
    // Recorded by an administrator: the operator's held event is not retried with the admin's batch ...
    assert_eq!(receipt(&s, &s.admin, late).await["released"], 0);
    let system = s.store.actor_by_key_hash(&server::auth::key_hash(&s.admin)).await.unwrap().unwrap();
    let service = server::service::PassportService::new(s.store.clone());
    // ... but an operator may not build on an administrator's lot either, so the retry refuses it, and says so.
    assert_eq!(service.retry_trace_backlog(&system).await.unwrap(), 0);
    let failed = s.get_json("/api/v1/trace/backlog?status=failed", Some(&s.operator)).await;
    assert_eq!(failed["items"][0]["eventId"], "w", "{failed}");
    assert!(failed["items"][0]["reason"].as_str().unwrap().contains("another economic operator"), "{failed}");

    // A serial used twice.
    let twice = ndjson(&[
        json!({"eventId": "again", "type": "produced", "unit": {"id": "LOT-A", "kind": "lot", "quantity": {"value": 1, "unit": "kg"}}}),
    ]);
    let reused = problem(send(&s, &s.operator, twice).await, 422).await;
    assert!(reused["events"][0]["message"].as_str().unwrap().contains("never reused"), "{reused}");
}

/// Production events published on the operator's MQTT topic are stored for that operator; a refused event
/// and a payload that is not JSON are left out, the rest of the batch goes through.
async fn events_over_mqtt(store: Arc<dyn Store>) {
    use rumqttc::{AsyncClient, MqttOptions, QoS};
    let s = TestServer::start(store.clone(), Config::default()).await;
    let prefix = format!("voltpass-test/{}", uuid::Uuid::now_v7().simple());
    let subscriber = common::mqtt_subscriber(&store, &prefix).await;
    let (publisher, mut events) =
        AsyncClient::new(MqttOptions::new(format!("pub-{}", uuid::Uuid::now_v7().simple()), "127.0.0.1", 1883), 64);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let topic = format!("{prefix}/trace/{}", operator_of(DemoModel::EvNmc811Pack));
    let lot = json!({"eventId": "m-lot", "type": "produced", "unit": {"id": "LOT-M", "kind": "lot", "quantity": {"value": 10, "unit": "kg"}}});
    let batch = json!({"eventId": "m-b", "type": "produced", "unit": {"id": "B-M", "kind": "batch"}, "inputs": [{"id": "LOT-M", "quantity": {"value": 4, "unit": "kg"}}]});
    let excess = json!({"eventId": "m-x", "type": "produced", "unit": {"id": "B-X", "kind": "batch"}, "inputs": [{"id": "LOT-M", "quantity": {"value": 40, "unit": "kg"}}]});
    publisher.publish(&topic, QoS::AtLeastOnce, false, lot.to_string()).await.unwrap();
    publisher.publish(&topic, QoS::AtLeastOnce, false, "not json").await.unwrap();
    publisher.publish(&topic, QoS::AtLeastOnce, false, ndjson(&[batch, excess])).await.unwrap();

    let mut up = Value::Null;
    for _ in 0..100 {
        let response = s.get("/api/v1/trace/B-M/upstream", Some(&s.operator)).send().await.unwrap();
        if response.status() == 200 {
            up = response.json().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(up["lots"][0]["id"], "LOT-M", "the operator sees the events of its topic: {up}");
    assert_eq!(up["lots"][0]["used"], 4.0);
    problem(s.get("/api/v1/trace/B-X/upstream", Some(&s.operator)).send().await.unwrap(), 404).await;
    subscriber.abort();
}

/// Batches through the pipeline (as `trace import` sends them), each checked while the one before it is written,
/// store what one batch of all of them does: cells and the modules taking them, modules and their pack, fall in
/// different batches; a batch re-sending events of the one in flight has them ignored; a refused batch leaves the
/// batches before it stored.
async fn pipelined_batches_store_what_one_batch_does(store: Arc<dyn Store>) {
    use server::service::trace_pipeline::TracePipeline;
    let s = TestServer::start(store, Config::default()).await;
    let passport = ev_passport(&s).await;
    let operator = s.store.actor_by_key_hash(&server::auth::key_hash(&s.operator)).await.unwrap().unwrap();
    let service = server::PassportService::new(s.store.clone());
    let graphite = json!({"eventId": "lot-g", "type": "produced", "unit": {"id": "LOT-G", "kind": "lot",
        "quantity": {"value": 500, "unit": "kg"}}});
    let events: Vec<(usize, trace::TraceEvent)> = std::iter::once(graphite)
        .chain(factory(&passport))
        .enumerate()
        .map(|(i, e)| (i + 1, serde_json::from_value(e).unwrap()))
        .collect();

    let mut pipeline = TracePipeline::new(&service, &operator).await.unwrap();
    let mut receipts = Vec::new();
    let batches: Vec<_> = events.chunks(3).collect();
    for batch in &batches {
        receipts.extend(pipeline.push(batch.to_vec()).await.unwrap());
    }
    // The last batch again, while it is being written: every event of it is a duplicate.
    receipts.extend(pipeline.push(batches[batches.len() - 1].to_vec()).await.unwrap());
    assert_eq!(pipeline.overlapped(), batches.len(), "every batch after the first was checked during a write");
    receipts.extend(pipeline.finish().await.unwrap());
    assert_eq!(receipts.len(), batches.len() + 1);
    assert_eq!(receipts.iter().map(|r| r.applied).sum::<usize>(), events.len());
    assert_eq!(receipts.iter().map(|r| r.held).sum::<usize>(), 0);
    assert_eq!(receipts.last().map(|r| (r.applied, r.duplicates)), Some((0, batches[batches.len() - 1].len())));

    let up = s.get_json("/api/v1/trace/P-1/upstream", Some(&s.operator)).await;
    assert_eq!((up["parts"].clone(), up["cells"].clone()), (json!(["M-1", "M-2"]), json!(8)), "{up}");
    let batches_up: Vec<&str> = up["batches"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(batches_up, ["AB-1", "CB-1", "CB-2"]);
    let down = s.get_json("/api/v1/trace/LOT-A/downstream", Some(&s.operator)).await;
    assert_eq!(down["passports"].as_array().unwrap().len(), 1, "{down}");
    let units = s.store.trace_units(&["LOT-A".into(), "CB-1".into(), "AB-1".into(), "C-05".into()]).await.unwrap();
    let of = |id: &str| units.iter().find(|u| u.id == id).unwrap();
    assert_eq!((of("LOT-A").used, of("LOT-A").consumers), (500.0, 2), "usage adds up across batches");
    assert_eq!((of("AB-1").consumers, of("AB-1").cells_fed), (8, 8));
    assert_eq!(of("C-05").assembled_into.as_deref(), Some("M-2"));
    let pack_sources = s.store.trace_sources_of(&["P-1".into()]).await.unwrap();
    let cells_of = |id: &str| pack_sources.iter().find(|s| s.source_id == id).map(|s| s.cells);
    assert_eq!((cells_of("CB-1"), cells_of("CB-2"), cells_of("AB-1")), (Some(4), Some(4), Some(8)));

    // A refused batch: the batch in flight before it is stored, nothing of it is.
    let mut pipeline = TracePipeline::new(&service, &operator).await.unwrap();
    let fine = json!({"eventId": "c-9", "type": "produced", "unit": {"id": "C-09", "kind": "cell"}, "inputs": [{"id": "CB-1"}]});
    let reused = json!({"eventId": "c-10", "type": "produced", "unit": {"id": "C-01", "kind": "cell"}, "inputs": [{"id": "CB-1"}]});
    assert!(pipeline.push(vec![(1, serde_json::from_value(fine).unwrap())]).await.unwrap().is_none());
    let refused = pipeline.push(vec![(1, serde_json::from_value(reused).unwrap())]).await;
    assert!(matches!(refused, Err(server::service::ServiceError::Trace(_))), "{:?}", refused.err());
    drop(pipeline);
    let stored = s.store.trace_units(&["C-09".into()]).await.unwrap();
    assert_eq!(stored.len(), 1, "the batch before the refused one is stored");
    assert!(s.store.applied_trace_events(&["c-10".into()]).await.unwrap().is_empty());

    // A pipeline dropped with a write in flight keeps other writers out until that write is done: a module of
    // its cells, sent right after, finds them.
    let mut pipeline = TracePipeline::new(&service, &operator).await.unwrap();
    let cells: Vec<(usize, trace::TraceEvent)> = (20..30)
        .map(|i| {
            json!({"eventId": format!("c-{i}"), "type": "produced",
            "unit": {"id": format!("C-{i}"), "kind": "cell"}, "inputs": [{"id": "CB-1"}]})
        })
        .enumerate()
        .map(|(i, e)| (i + 1, serde_json::from_value(e).unwrap()))
        .collect();
    assert!(pipeline.push(cells).await.unwrap().is_none());
    drop(pipeline);
    let inputs: Vec<Value> = (20..30).map(|i| json!({"id": format!("C-{i}")})).collect();
    let module =
        json!({"eventId": "m-9", "type": "produced", "unit": {"id": "M-9", "kind": "module"}, "inputs": inputs});
    let receipt = service.ingest_trace(&operator, vec![(1, serde_json::from_value(module).unwrap())]).await.unwrap();
    assert_eq!((receipt.applied, receipt.held), (1, 0), "{receipt:?}");
}
