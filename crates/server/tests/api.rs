//! The operator REST API end to end: a real server on loopback, SQLite and (with VOLTPASS_TEST_PG_URL)
//! PostgreSQL behind it. Each scenario runs on both backends.

mod common;

use common::{TestServer, documents, has_error, problem, urlencode};
use passport::demo::DemoModel;
use passport::document::compose;
use passport::fixtures::{item_body, model_body};
use serde_json::{Value, json};
use server::Config;
use std::sync::Arc;
use store::Store;

on_both_backends!(
    model_and_item_compose_on_read,
    model_records_are_versioned_and_owned,
    full_documents_share_one_model_record,
    updates_append_versions_with_a_hash_chain,
    bad_input_is_refused_and_changes_nothing,
    authentication_and_roles,
    listing_filters_and_cursor_paging,
    bulk_per_line_and_atomic,
);

async fn model_and_item_compose_on_read(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let model: Value = s.get_json("/api/v1/models/VOLTA-EV-NMC811-P96", Some(&s.admin)).await;
    assert_eq!(model["version"], 1);

    let doc = &documents(DemoModel::EvNmc811Pack, 1, 7)[0];
    let response = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(doc)).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let created: Value = response.json().await.unwrap();
    let id = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/passports/{id}"));
    assert!(id.starts_with("urn:voltpass:"));

    let read: Value = s.get_json(&location, Some(&s.admin)).await;
    let mut expected = doc.clone();
    expected["generalProductInformation"]["batteryPassportIdentifier"] = json!(id);
    assert_eq!(read, expected, "the composed read equals the document the item was cut from");
    assert_eq!(
        read,
        compose(&model["document"], &{
            let mut item = item_body(doc);
            item.as_object_mut().unwrap().remove("modelId");
            item["generalProductInformation"]["batteryPassportIdentifier"] = json!(id);
            item
        })
    );
    passport::validate::validate_passport(&read).expect("what is served validates");
}

async fn model_records_are_versioned_and_owned(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let body = model_body(DemoModel::EvNmc811Pack);
    let created = s.post("/api/v1/models", Some(&s.operator)).json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "/api/v1/models/VOLTA-EV-NMC811-P96");
    problem(s.post("/api/v1/models", Some(&s.operator)).json(&body).send().await.unwrap(), 409).await;

    let url = "/api/v1/models/VOLTA-EV-NMC811-P96";
    let mut changed = body.clone();
    changed["carbonFootprint"]["batteryCarbonFootprint"] = json!(70.1);
    changed["reason"] = json!("updated LCA");
    problem(s.put(url, Some(&s.other_operator)).json(&changed).send().await.unwrap(), 403).await;
    let updated = s.put(url, Some(&s.admin)).header("if-match", "\"1\"").json(&changed).send().await.unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(updated.headers()["etag"], "\"2\"");
    let v2: Value = updated.json().await.unwrap();
    assert_eq!(v2["owner"], common::operator_of(DemoModel::EvNmc811Pack), "ownership stays with the operator");
    problem(s.put(url, Some(&s.operator)).header("if-match", "\"1\"").json(&changed).send().await.unwrap(), 412).await;

    let mut item_value = body.clone();
    item_value["generalProductInformation"]["productIdentifier"] = json!("SN-1");
    let err = problem(s.put(url, Some(&s.operator)).json(&item_value).send().await.unwrap(), 422).await;
    assert!(has_error(&err, "/generalProductInformation/productIdentifier", "item-level"), "{err}");

    let history: Value = s.get_json(&format!("{url}/versions"), Some(&s.admin)).await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["prevHash"], items[0]["contentHash"]);
    let v1: Value = s.get_json(&format!("{url}/versions/1"), Some(&s.admin)).await;
    assert_eq!(
        v1["document"]["carbonFootprint"]["batteryCarbonFootprint"],
        body["carbonFootprint"]["batteryCarbonFootprint"]
    );
    problem(s.get("/api/v1/models/NOPE", Some(&s.admin)).send().await.unwrap(), 404).await;
}

async fn full_documents_share_one_model_record(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let docs = documents(DemoModel::LmtLfp, 3, 11);
    for doc in &docs {
        let response = s.post("/api/v1/passports", Some(&s.admin)).json(doc).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
    let list: Value = s.get_json("/api/v1/passports", Some(&s.admin)).await;
    let models: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["modelId"].as_str().unwrap()).collect();
    assert_eq!(models.len(), 3);
    assert!(models.iter().all(|m| *m == models[0] && m.starts_with("auto-")), "{models:?}");
    let id = list["items"][2]["id"].as_str().unwrap();
    let read: Value = s.get_json(&format!("/api/v1/passports/{id}"), Some(&s.admin)).await;
    assert_eq!(
        read["generalProductInformation"]["productIdentifier"],
        docs[2]["generalProductInformation"]["productIdentifier"]
    );
    assert_eq!(read["carbonFootprint"], docs[2]["carbonFootprint"]);
}

async fn create_one(s: &TestServer, doc: &Value) -> String {
    let response = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(doc)).send().await.unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn updates_append_versions_with_a_hash_chain(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let doc = &documents(DemoModel::EvNmc811Pack, 1, 3)[0];
    let url = create_one(&s, doc).await;

    let mut body = item_body(doc);
    body["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"] = json!(12.5);
    body["reason"] = json!("BMS reading after first service");
    let response = s.put(&url, Some(&s.operator)).header("if-match", "\"1\"").json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(response.headers()["etag"], "\"2\"");

    // Stale If-Match: 412, nothing written.
    let response = s.put(&url, Some(&s.operator)).header("if-match", "\"1\"").json(&body).send().await.unwrap();
    problem(response, 412).await;

    let history: Value = s.get_json(&format!("{url}/versions"), Some(&s.admin)).await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["reason"], "BMS reading after first service");
    assert_eq!(items[1]["prevHash"], items[0]["contentHash"]);
    assert!(items[0]["actorId"].as_str().unwrap().starts_with("actor:"));
    let v1: Value = s.get_json(&format!("{url}/versions/1"), Some(&s.admin)).await;
    let v2: Value = s.get_json(&url, Some(&s.admin)).await;
    assert_eq!(
        v1["performance"]["batteryCondition"]["stateOfCharge"],
        doc["performance"]["batteryCondition"]["stateOfCharge"]
    );
    assert_eq!(v2["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"], 12.5);
    problem(s.get(&format!("{url}/versions/3"), Some(&s.admin)).send().await.unwrap(), 404).await;

    // The battery identifier cannot change.
    let mut moved = body.clone();
    moved["generalProductInformation"]["productIdentifier"] = json!("SOMETHING-ELSE");
    let err = problem(s.put(&url, Some(&s.operator)).json(&moved).send().await.unwrap(), 422).await;
    assert!(has_error(&err, "/generalProductInformation/productIdentifier", "immutable"), "{err}");
}

async fn bad_input_is_refused_and_changes_nothing(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config { max_body_bytes: 64 * 1024, ..Config::default() }).await;
    s.create_demo_models().await;
    let docs = documents(DemoModel::EvNmc811Pack, 2, 5);
    let url = create_one(&s, &docs[0]).await;
    let post = |body: String| {
        s.post("/api/v1/passports", Some(&s.operator)).header("content-type", "application/json").body(body)
    };

    let err = problem(post("{\"generalProductInformation\": ".into()).send().await.unwrap(), 400).await;
    assert!(err["detail"].as_str().unwrap().contains("malformed JSON"), "{err}");

    let mut wrong_type = item_body(&docs[1]);
    wrong_type["generalProductInformation"]["batteryStatus"] = json!(5);
    let err = problem(post(wrong_type.to_string()).send().await.unwrap(), 422).await;
    assert!(
        has_error(&err, "/generalProductInformation/batteryStatus", "schema:type")
            || has_error(&err, "/generalProductInformation/batteryStatus", "schema:enum"),
        "{err}"
    );

    let mut unknown = item_body(&docs[1]);
    unknown["generalProductInformation"]["colour"] = json!("red");
    let err = problem(post(unknown.to_string()).send().await.unwrap(), 422).await;
    assert!(err.to_string().contains("colour"), "unknown members are named: {err}");

    let mut out_of_range = item_body(&docs[1]);
    out_of_range["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"] = json!(140);
    let err = problem(post(out_of_range.to_string()).send().await.unwrap(), 422).await;
    assert!(has_error(&err, "/performance/batteryCondition/stateOfCharge/stateOfChargeValue", "range"), "{err}");

    let huge = format!("{{\"reason\": \"{}\"}}", "x".repeat(70 * 1024));
    problem(post(huge).send().await.unwrap(), 413).await;

    let duplicate = problem(post(item_body(&docs[0]).to_string()).send().await.unwrap(), 409).await;
    assert!(duplicate["detail"].as_str().unwrap().contains("already has passport"), "{duplicate}");

    let err = problem(post(json!({"modelId": "NO-SUCH-MODEL"}).to_string()).send().await.unwrap(), 422).await;
    assert!(has_error(&err, "/modelId", "unknown-model"), "{err}");

    problem(s.get("/api/v1/passports/urn:voltpass:nosuchpassport", Some(&s.admin)).send().await.unwrap(), 404).await;
    problem(s.get(&format!("{url}/versions/first"), Some(&s.admin)).send().await.unwrap(), 400).await;
    problem(s.get("/api/v1/no-such-route", Some(&s.admin)).send().await.unwrap(), 404).await;
    problem(
        s.put("/api/v1/passports/urn:voltpass:nosuchpassport", Some(&s.admin))
            .json(&item_body(&docs[1]))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    assert_eq!(s.passport_count().await, 1, "no rejected request wrote anything");
    let head: Value = s.get_json(&format!("{url}/versions"), Some(&s.admin)).await;
    assert_eq!(head["items"].as_array().unwrap().len(), 1);
}

async fn authentication_and_roles(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let docs = documents(DemoModel::EvNmc811Pack, 2, 9);
    let url = create_one(&s, &docs[0]).await;
    let body = item_body(&docs[1]);

    problem(s.post("/api/v1/passports", None).json(&body).send().await.unwrap(), 401).await;
    problem(s.post("/api/v1/passports", Some("vpk_not-a-key")).json(&body).send().await.unwrap(), 401).await;
    problem(s.get(&url, Some("vpk_not-a-key")).send().await.unwrap(), 401).await;
    problem(s.post("/api/v1/passports", Some(&s.legitimate)).json(&body).send().await.unwrap(), 403).await;
    problem(s.post("/api/v1/passports", Some(&s.supplier)).json(&body).send().await.unwrap(), 403).await;
    // Reads are filtered by access group (Annex XIII): one filter, driven by the catalogue.
    let read = |key: Option<String>| {
        let request = s.get(&url, key.as_deref());
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["vary"], "authorization");
            response.json::<Value>().await.unwrap()
        }
    };
    let public = read(None).await;
    assert!(public.pointer("/carbonFootprint/batteryCarbonFootprint").is_some());
    assert!(public.pointer("/performance/batteryCondition").is_none(), "dynamic data is not public");
    assert!(public.pointer("/labels/resultOfTestReport").is_none(), "test reports are for authorities");
    assert_eq!(read(Some(s.supplier.clone())).await, public);
    assert_eq!(read(Some(s.other_operator.clone())).await, public, "another operator's passport: the public view");
    // The public resolver serves the same public view, cacheable, with conditional GET.
    let resolver = url.replace("/api/v1/passports/", "/p/");
    let resolved = s.get(&resolver, None).send().await.unwrap();
    assert_eq!(resolved.status(), 200);
    assert_eq!(resolved.headers()["cache-control"], "public, max-age=60");
    let tag = resolved.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(resolved.json::<Value>().await.unwrap(), public);
    let again = s.get(&resolver, None).header("if-none-match", &tag).send().await.unwrap();
    assert_eq!(again.status(), 304, "unchanged: 304");
    let operator_view = s.get(&resolver, Some(&s.admin)).header("if-none-match", &tag).send().await.unwrap();
    assert_eq!(operator_view.status(), 200, "a key holder's view is another representation, with its own ETag");
    assert_eq!(operator_view.headers()["cache-control"], "private, no-store");
    assert_eq!(s.get(&resolver, None).header("if-none-match", "\"99\"").send().await.unwrap().status(), 200);
    problem(s.get("/p/urn:voltpass:nosuchpassport", None).send().await.unwrap(), 404).await;
    let legitimate = read(Some(s.legitimate.clone())).await;
    assert!(legitimate.pointer("/performance/batteryCondition/stateOfCharge").is_some());
    assert!(legitimate.pointer("/labels/resultOfTestReport").is_none());
    let own = read(Some(s.operator.clone())).await;
    assert!(
        own.pointer("/labels/resultOfTestReport").is_some() && own.pointer("/performance/batteryCondition").is_some()
    );
    let err =
        problem(s.post("/api/v1/passports", Some(&s.other_operator)).json(&body).send().await.unwrap(), 403).await;
    assert!(err["detail"].as_str().unwrap().contains("may not write passports of operator"), "{err}");
    problem(s.put(&url, Some(&s.other_operator)).json(&item_body(&docs[0])).send().await.unwrap(), 403).await;
    problem(
        s.post("/api/v1/models", Some(&s.legitimate)).json(&model_body(DemoModel::LmtLfp)).send().await.unwrap(),
        403,
    )
    .await;
    problem(s.get("/api/v1/passports", None).send().await.unwrap(), 401).await;
    problem(s.get("/api/v1/passports", Some(&s.supplier)).send().await.unwrap(), 403).await;
    assert_eq!(s.passport_count().await, 1);

    let health: Value = s.get_json("/healthz", None).await;
    assert_eq!(health["status"], "ok");
    let openapi: Value = s.get_json("/api/openapi.json", None).await;
    for path in ["/api/v1/passports", "/api/v1/passports/{id}", "/api/v1/passports:bulk", "/api/v1/models", "/healthz"]
    {
        assert!(openapi["paths"].get(path).is_some(), "OpenAPI lists {path}");
    }
}

async fn listing_filters_and_cursor_paging(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let mut ndjson = String::new();
    for doc in documents(DemoModel::EvNmc811Pack, 9, 1).iter().chain(documents(DemoModel::StationaryLfp, 8, 2).iter()) {
        ndjson.push_str(&item_body(doc).to_string());
        ndjson.push('\n');
    }
    let response = s.post("/api/v1/passports:bulk", Some(&s.admin)).body(ndjson).send().await.unwrap();
    assert_eq!(response.status(), 200);

    let mut ids = Vec::new();
    let mut next = Some(String::new());
    while let Some(cursor) = next {
        let q = if cursor.is_empty() { String::new() } else { format!("&cursor={cursor}") };
        let page: Value =
            s.get_json(&format!("/api/v1/passports?category=stationary&limit=3{q}"), Some(&s.admin)).await;
        ids.extend(page["items"].as_array().unwrap().iter().map(|i| {
            assert_eq!(i["category"], "stationary");
            i["id"].as_str().unwrap().to_string()
        }));
        next = page.get("nextCursor").and_then(Value::as_str).map(str::to_string);
    }
    assert_eq!(ids.len(), 8);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let page: Value = s.get_json("/api/v1/passports?modelId=VOLTA-EV-NMC811-P96&limit=100", Some(&s.admin)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 9);
    assert!(page.get("nextCursor").is_none(), "no cursor on the last page");
    let battery = page["items"][0]["batteryId"].as_str().unwrap();
    let one: Value = s.get_json(&format!("/api/v1/passports?batteryId={}", urlencode(battery)), Some(&s.admin)).await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    problem(s.get("/api/v1/passports?limit=0", Some(&s.admin)).send().await.unwrap(), 400).await;
    problem(s.get("/api/v1/passports?cursor=%%%", Some(&s.admin)).send().await.unwrap(), 400).await;
    problem(s.get("/api/v1/passports?colour=red", Some(&s.admin)).send().await.unwrap(), 400).await;
}

async fn bulk_per_line_and_atomic(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let docs = documents(DemoModel::EvNmc811Pack, 4, 21);
    let mut bad = item_body(&docs[2]);
    bad["generalProductInformation"]["manufacturingDate"] = json!("2999-01-01T00:00:00Z");
    let lines = [
        item_body(&docs[0]).to_string(),
        "{not json".into(),
        bad.to_string(),
        item_body(&docs[0]).to_string(),
        item_body(&docs[1]).to_string(),
    ];

    // all or nothing
    let response =
        s.post("/api/v1/passports:bulk?mode=atomic", Some(&s.operator)).body(lines.join("\n")).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let results: Vec<Value> =
        response.text().await.unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let statuses: Vec<u64> = results.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, vec![424, 400, 422, 409, 424]);
    assert!(results[2]["errors"].as_array().unwrap().iter().any(|e| e["rule"] == "date"), "{}", results[2]);
    assert_eq!(s.passport_count().await, 0, "an atomic batch with a bad line writes nothing");

    // per line
    let response = s.post("/api/v1/passports:bulk", Some(&s.operator)).body(lines.join("\n")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let results: Vec<Value> =
        response.text().await.unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let statuses: Vec<u64> = results.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, vec![201, 400, 422, 409, 201]);
    assert_eq!(results.iter().map(|r| r["line"].as_u64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert_eq!(s.passport_count().await, 2);
    // again: both lines now duplicates of stored passports
    let response = s
        .post("/api/v1/passports:bulk", Some(&s.operator))
        .body(format!("{}\n{}\n", lines[0], lines[4]))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert_eq!(text.lines().filter(|l| l.contains("\"status\":409")).count(), 2, "{text}");
    problem(s.post("/api/v1/passports:bulk?mode=maybe", Some(&s.operator)).body("").send().await.unwrap(), 400).await;
}
