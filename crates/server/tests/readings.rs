//! Dynamic data end to end: REST (JSON and NDJSON) and MQTT (a real Mosquitto on 127.0.0.1:1883) into a real
//! server, with duplicates, out-of-order and implausible readings, history queries and the passport overlay.

mod common;

use common::{TestServer, problem};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::{Value, json};
use server::Config;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

on_both_backends!(rest_readings_are_checked_idempotent_and_shown, mqtt_readings_are_stored_and_bad_payloads_kept);

fn reading(metric: &str, at: &str, value: f64, source: &str) -> Value {
    json!({"metric": metric, "at": at, "value": value, "source": source})
}

async fn post_ndjson(s: &TestServer, path: &str, key: &str, lines: &[Value]) -> (u16, Value) {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let response =
        s.post(path, Some(key)).header("content-type", "application/x-ndjson").body(body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn rest_readings_are_checked_idempotent_and_shown(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let id = s.ev_passport(41).await.0;
    let second = s.ev_passport(42).await.0;
    let path = format!("/api/v1/passports/{id}/readings");

    let batch = vec![
        reading("stateOfCertifiedEnergy", "2026-03-01T00:00:00Z", 97.0, "bms"),
        reading("stateOfCertifiedEnergy", "2026-01-01T00:00:00Z", 99.0, "bms"), // out of order
        reading("stateOfCertifiedEnergy", "2026-02-01T00:00:00Z", 98.0, "bms"),
        reading("numberOfFullCycles", "2026-03-01T00:00:00Z", 120.0, "bms"),
        reading("stateOfCharge", "2026-03-01T00:00:00Z", 140.0, "bms"), // implausible
        json!({"metric": "accident", "at": "2026-02-15T08:00:00Z", "value": 1, "source": "workshop", "note": "rear collision, pack inspected"}),
    ];
    let (status, outcome) = post_ndjson(&s, &path, &s.operator, &batch).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        (outcome["accepted"].as_u64(), outcome["duplicates"].as_u64(), outcome["rejected"].as_u64()),
        (Some(5), Some(0), Some(1))
    );
    assert_eq!(outcome["refusals"][0]["line"], 5);
    assert!(outcome["refusals"][0]["reason"].as_str().unwrap().contains("outside the plausible range"));

    // Resent (a retry): all duplicates. A counter running backwards is refused.
    let (_, outcome) = post_ndjson(&s, &path, &s.operator, &batch[..4]).await;
    assert_eq!((outcome["accepted"].as_u64(), outcome["duplicates"].as_u64()), (Some(0), Some(4)), "{outcome}");
    let (status, outcome) =
        post_ndjson(&s, &path, &s.operator, &[reading("numberOfFullCycles", "2026-04-01T00:00:00Z", 100.0, "bms")])
            .await;
    assert_eq!(status, 422);
    assert!(outcome["refusals"][0]["reason"].as_str().unwrap().contains("runs backwards"), "{outcome}");

    // Many passports at once over /api/v1/readings; an unknown passport and a wrong operator are refused.
    let mut multi = reading("stateOfCharge", "2026-03-02T00:00:00Z", 64.0, "bms");
    multi["passportId"] = json!(second);
    let mut unknown = multi.clone();
    unknown["passportId"] = json!("urn:voltpass:nope");
    let (_, outcome) = post_ndjson(&s, "/api/v1/readings", &s.operator, &[multi.clone(), unknown]).await;
    assert_eq!((outcome["accepted"].as_u64(), outcome["rejected"].as_u64()), (Some(1), Some(1)), "{outcome}");
    let (status, outcome) = post_ndjson(&s, "/api/v1/readings", &s.other_operator, &[multi]).await;
    assert_eq!(status, 422, "{outcome}");

    // Every refusal is kept with its reason.
    let rejected = s
        .get_json(&format!("/api/v1/readings/rejected?passportId={}", common::urlencode(&id)), Some(&s.operator))
        .await;
    let reasons: Vec<&str> =
        rejected["items"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("plausible")) && reasons.iter().any(|r| r.contains("backwards")));

    // History in time order, and downsampled.
    let history = s.get_json(&format!("{path}?metric=stateOfCertifiedEnergy"), Some(&s.legitimate)).await;
    let values: Vec<f64> = history["items"].as_array().unwrap().iter().map(|r| r["value"].as_f64().unwrap()).collect();
    assert_eq!(values, vec![99.0, 98.0, 97.0]);
    let buckets = s
        .get_json(
            &format!("{path}?metric=stateOfCertifiedEnergy&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&points=2"),
            Some(&s.legitimate),
        )
        .await;
    assert_eq!(buckets["items"].as_array().unwrap().len(), 2, "{buckets}");
    problem(s.get(&format!("{path}?metric=stateOfCharge"), None).send().await.unwrap(), 403).await;
    problem(s.get(&format!("{path}?metric=soh"), Some(&s.legitimate)).send().await.unwrap(), 400).await;

    // The passport shows the latest values with lastUpdate to those who may see dynamic data; not the public.
    let read = s.get_json(&format!("/api/v1/passports/{id}"), Some(&s.legitimate)).await;
    let condition = &read["performance"]["batteryCondition"];
    assert_eq!(
        condition["stateOfCertifiedEnergy"],
        json!({"stateOfCertifiedEnergyValue": 97, "lastUpdate": "2026-03-01T00:00:00Z"})
    );
    assert_eq!(condition["numberOfFullCycles"]["numberOfFullCyclesValue"], 120);
    let events: Vec<&str> =
        condition["negativeEvents"].as_array().unwrap().iter().map(|e| e["negativeEvent"].as_str().unwrap()).collect();
    assert!(events.contains(&"accident: rear collision, pack inspected"), "{events:?}");
    // The viewer draws the state-of-health curve for them (from the three SOCE readings), not for the public.
    let page = s.get(&format!("/p/{id}"), Some(&s.legitimate)).header("accept", "text/html").send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains(r#"id="soh-curve-title""#) && page.contains("<polyline"), "no SoH curve on the page");
    let page = s.get(&format!("/p/{id}"), None).header("accept", "text/html").send().await.unwrap();
    assert!(!page.text().await.unwrap().contains("soh-curve"));
    let public = s.get_json(&format!("/api/v1/passports/{id}"), None).await;
    assert!(public["performance"].get("batteryCondition").is_none(), "the public sees no dynamic data");
    // A past version shows what it held then (no later readings).
    let mut update = s.get_json(&format!("/api/v1/passports/{id}/versions/1"), Some(&s.operator)).await;
    update["reason"] = json!("new version");
    let response = s.put(&format!("/api/v1/passports/{id}"), Some(&s.operator)).json(&update).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let v1 = s.get_json(&format!("/api/v1/passports/{id}/versions/1"), Some(&s.legitimate)).await;
    assert_ne!(v1["performance"]["batteryCondition"]["stateOfCertifiedEnergy"]["lastUpdate"], "2026-03-01T00:00:00Z");
}

async fn mqtt_readings_are_stored_and_bad_payloads_kept(store: Arc<dyn Store>) {
    let s = TestServer::start(store.clone(), Config::default()).await;
    s.create_demo_models().await;
    let id = s.ev_passport(51).await.0;
    let prefix = format!("voltpass-test/{}", uuid::Uuid::now_v7().simple());
    let subscriber = common::mqtt_subscriber(&store, &prefix).await;

    let (publisher, mut events) =
        AsyncClient::new(MqttOptions::new(format!("pub-{}", uuid::Uuid::now_v7().simple()), "127.0.0.1", 1883), 64);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let topic = format!("{prefix}/readings/{id}");
    let good = json!([
        reading("stateOfCharge", "2026-05-01T10:00:00Z", 71.0, "bms-9"),
        reading("stateOfCharge", "2026-05-01T09:00:00Z", 73.0, "bms-9"),
    ]);
    publisher.publish(&topic, QoS::AtLeastOnce, false, good.to_string()).await.unwrap();
    publisher.publish(&topic, QoS::AtLeastOnce, false, good.to_string()).await.unwrap(); // a redelivery
    publisher.publish(&topic, QoS::AtLeastOnce, false, "this is not json").await.unwrap();
    publisher
        .publish(
            &topic,
            QoS::AtLeastOnce,
            false,
            reading("stateOfCharge", "2026-05-01T11:00:00Z", 170.0, "bms-9").to_string(),
        )
        .await
        .unwrap();
    publisher
        .publish(
            &topic,
            QoS::AtLeastOnce,
            false,
            reading("stateOfCharge", "2026-05-01T12:00:00Z", 69.0, "bms-9").to_string(),
        )
        .await
        .unwrap();

    // The subscriber stays up through the bad payloads and stores the good readings once.
    let query = store::ReadingQuery {
        passport_id: id.clone(),
        metric: "stateOfCharge".into(),
        from_ms: 0,
        to_ms: i64::MAX,
        limit: 100,
    };
    let mut stored = Vec::new();
    for _ in 0..100 {
        stored = store.readings(&query).await.unwrap();
        if stored.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let values: Vec<f64> = stored.iter().map(|r| r.value).collect();
    assert_eq!(values, vec![73.0, 71.0, 69.0]);
    let rejected = store.rejected_readings(Some(&id), 10).await.unwrap();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert!(rejected.iter().all(|r| r.channel == format!("mqtt:{topic}")));
    assert!(
        rejected.iter().any(|r| r.reason.contains("malformed JSON"))
            && rejected.iter().any(|r| r.reason.contains("plausible"))
    );
    assert!(!subscriber.is_finished());
    subscriber.abort();
}
