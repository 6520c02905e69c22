//! The lifecycle state machine, successor passports, handover and written authorisations, end to end on a real
//! server (SQLite and, with VOLTPASS_TEST_PG_URL, PostgreSQL).

mod common;

use common::{TestServer, documents, operator_of, problem};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use serde_json::{Value, json};
use server::Config;
use server::auth::key_hash;
use std::sync::Arc;
use store::Store;

on_both_backends!(waste_handover_successor_and_end, refused_transitions_say_why, grants_allow_groups_until_revoked);

async fn actor_id(s: &TestServer, key: &str) -> String {
    s.store.actor_by_key_hash(&key_hash(key)).await.unwrap().unwrap().id
}

async fn audit_actions(s: &TestServer) -> Vec<(String, String)> {
    let body = s.get_json("/api/v1/audit?limit=10000", Some(&s.admin)).await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["subject"].as_str().unwrap().to_string()))
        .collect()
}

async fn waste_handover_successor_and_end(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let (id, doc) = s.ev_passport(11).await;
    let path = format!("/api/v1/passports/{id}");

    // Waste: in place, responsibility moves to a waste-management operator (the "other" operator here).
    let mut waste_operator = doc["generalProductInformation"]["operatorInformation"].clone();
    waste_operator["identifier"] = json!("OTHER-OPERATOR-1");
    let body = json!({"status": "waste", "reason": "collected at dealer", "operatorInformation": waste_operator});
    let response = s.post(&format!("{path}/status"), Some(&s.operator)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let head = s
        .get_json(
            &format!(
                "/api/v1/passports?batteryId={}",
                common::urlencode(doc["generalProductInformation"]["productIdentifier"].as_str().unwrap())
            ),
            Some(&s.admin),
        )
        .await;
    assert_eq!(head["items"][0]["status"], "Waste");
    assert_eq!(head["items"][0]["id"], id.as_str(), "no new passport for waste");
    let read = s.get_json(&path, Some(&s.admin)).await;
    assert_eq!(read["generalProductInformation"]["operatorInformation"]["identifier"], "OTHER-OPERATOR-1");
    // The first operator handed over: it may no longer write; the new one may.
    let again = json!({"status": "Recycled", "reason": "try"});
    problem(s.post(&format!("{path}/status"), Some(&s.operator)).json(&again).send().await.unwrap(), 403).await;

    // Repurposing the waste battery: a NEW stationary passport (category changes) by the repurposer.
    let mut second = documents(DemoModel::StationaryLfp, 1, 12).remove(0);
    let gpi = &mut second["generalProductInformation"];
    gpi["productIdentifier"] = doc["generalProductInformation"]["productIdentifier"].clone();
    gpi["batteryStatus"] = json!("Repurposed");
    gpi["operatorInformation"] = waste_operator.clone();
    let response =
        s.post(&format!("{path}/successor"), Some(&s.other_operator)).json(&item_body(&second)).send().await.unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let successor: Value = response.json().await.unwrap();
    let successor_id =
        successor["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    assert_eq!(successor["generalProductInformation"]["predecessorPassports"], json!([id]));
    assert_eq!(successor["generalProductInformation"]["batteryCategory"], "stationary");

    // The predecessor stays readable and points to its successor; it takes no more status changes.
    let predecessor = s.get(&format!("/p/{id}"), None).header("accept", "application/json").send().await.unwrap();
    assert_eq!(predecessor.status(), 200);
    let listed = s.get_json("/api/v1/passports?modelId=VOLTA-EV-NMC811-P96", Some(&s.admin)).await;
    let entry = listed["items"].as_array().unwrap().iter().find(|p| p["id"] == id.as_str()).unwrap().clone();
    assert_eq!(entry["successorId"], successor_id.as_str());
    let body = json!({"status": "Recycled", "reason": "shredded"});
    let refused =
        problem(s.post(&format!("{path}/status"), Some(&s.other_operator)).json(&body).send().await.unwrap(), 409)
            .await;
    assert!(refused["detail"].as_str().unwrap().contains("succeeded by"), "{refused}");

    // The successor later becomes waste and is recycled: its passport ends.
    let successor_path = format!("/api/v1/passports/{successor_id}");
    for (status, reason) in [("Waste", "end of second life"), ("Recycled", "Recycler X, certificate RC-1")] {
        let body = json!({"status": status, "reason": reason});
        let response =
            s.post(&format!("{successor_path}/status"), Some(&s.other_operator)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200, "{status}: {}", response.text().await.unwrap());
    }
    let gone = s.get(&format!("/p/{successor_id}"), None).header("accept", "application/json").send().await.unwrap();
    assert_eq!(gone.status(), 410);
    assert_eq!(
        s.get(&successor_path, Some(&s.authority)).send().await.unwrap().status(),
        200,
        "authorities still read it"
    );
    let body = json!({"status": "Waste", "reason": "again"});
    let refused =
        problem(s.post(&format!("{successor_path}/status"), Some(&s.admin)).json(&body).send().await.unwrap(), 409)
            .await;
    assert!(refused["detail"].as_str().unwrap().contains("ended"), "{refused}");

    let actions = audit_actions(&s).await;
    for wanted in [
        ("passport.status", id.as_str()),
        ("passport.handover", id.as_str()),
        ("passport.status", successor_id.as_str()),
    ] {
        assert!(
            actions.iter().any(|(a, subject)| a == wanted.0 && subject == wanted.1),
            "{wanted:?} not in {actions:?}"
        );
    }
}

async fn refused_transitions_say_why(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let (id, doc) = s.ev_passport(21).await;
    let path = format!("/api/v1/passports/{id}");
    let post = |body: Value| s.post(&format!("{path}/status"), Some(&s.operator)).json(&body).send();

    let p = problem(post(json!({"status": "Recycled", "reason": "x"})).await.unwrap(), 409).await;
    assert!(p["detail"].as_str().unwrap().contains("only a waste battery can be recycled"), "{p}");
    let p = problem(post(json!({"status": "Repurposed", "reason": "x"})).await.unwrap(), 409).await;
    assert!(p["detail"].as_str().unwrap().contains("/successor"), "second life needs a new passport: {p}");
    let p = problem(post(json!({"status": "Original", "reason": "x"})).await.unwrap(), 409).await;
    assert!(p["detail"].as_str().unwrap().contains("Original"), "{p}");
    problem(post(json!({"status": "Broken", "reason": "x"})).await.unwrap(), 400).await;
    problem(post(json!({"status": "Waste", "reason": " "})).await.unwrap(), 400).await;
    // Another operator may not move it.
    let body = json!({"status": "Waste", "reason": "x"});
    problem(s.post(&format!("{path}/status"), Some(&s.other_operator)).json(&body).send().await.unwrap(), 403).await;
    // A plain update cannot change the status behind the state machine's back.
    let mut changed = doc.clone();
    changed["generalProductInformation"]["batteryStatus"] = json!("Waste");
    let p = problem(s.put(&path, Some(&s.operator)).json(&item_body(&changed)).send().await.unwrap(), 409).await;
    assert!(p["detail"].as_str().unwrap().contains("/status"), "{p}");
    // A successor that is not a second life, or of an Original battery as "Original": refused.
    let mut second = documents(DemoModel::EvNmc811Pack, 1, 22).remove(0);
    second["generalProductInformation"]["batteryStatus"] = json!("Original");
    let p = problem(
        s.post(&format!("{path}/successor"), Some(&s.operator)).json(&item_body(&second)).send().await.unwrap(),
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("Original"), "{p}");
    // The same through the bulk route: the line is refused with the reason, nothing written.
    let mut line = item_body(&second);
    line["generalProductInformation"]["predecessorPassports"] = json!([id]);
    let response = s.post("/api/v1/passports:bulk", Some(&s.operator)).body(format!("{line}\n")).send().await.unwrap();
    let result: Value = serde_json::from_str(response.text().await.unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(result["status"], 409, "{result}");
    // Nothing of this changed the passport.
    let history = s.get_json(&format!("{path}/versions"), Some(&s.operator)).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
}

async fn grants_allow_groups_until_revoked(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    s.create_demo_models().await;
    let (id, doc) = s.ev_passport(31).await;
    let (other_id, _) = s.ev_passport(32).await;
    let repairer = actor_id(&s, &s.legitimate).await;
    let path = format!("/api/v1/passports/{id}");
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();

    // Only the responsible operator gives grants for its passports.
    let grant =
        json!({"grantee": repairer, "passports": [id], "groups": ["performance", "readings"], "validUntil": until});
    problem(s.post("/api/v1/grants", Some(&s.other_operator)).json(&grant).send().await.unwrap(), 403).await;
    let bad = json!({"grantee": repairer, "groups": ["everything"], "validUntil": until});
    problem(s.post("/api/v1/grants", Some(&s.operator)).json(&bad).send().await.unwrap(), 400).await;
    let past = json!({"grantee": repairer, "groups": ["performance"], "validUntil": "2020-01-01T00:00:00Z"});
    problem(s.post("/api/v1/grants", Some(&s.operator)).json(&past).send().await.unwrap(), 400).await;
    let response = s.post("/api/v1/grants", Some(&s.operator)).json(&grant).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let grant: Value = response.json().await.unwrap();
    let grant_id = grant["id"].as_str().unwrap().to_string();
    assert_eq!(grant["grantor"], operator_of(DemoModel::EvNmc811Pack));

    // The grantee updates performance (allowed) but not circularity, and not another passport.
    let mut repaired = doc.clone();
    repaired["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"] = json!(55);
    repaired["reason"] = json!("module replaced");
    let response = s.put(&path, Some(&s.legitimate)).json(&item_body(&repaired)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let mut other = repaired.clone();
    other["generalProductInformation"]["operatorInformation"]["contactName"] = json!("Someone Else");
    let p = problem(s.put(&path, Some(&s.legitimate)).json(&item_body(&other)).send().await.unwrap(), 403).await;
    assert!(p["detail"].as_str().unwrap().contains("generalProductInformation"), "{p}");
    let readings =
        json!([{"metric": "stateOfCharge", "at": "2026-01-01T00:00:00Z", "value": 50, "source": "workshop"}]);
    let outcome: Value = s
        .post(&format!("{path}/readings"), Some(&s.legitimate))
        .json(&readings)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outcome["accepted"], 1, "{outcome}");
    let outcome: Value = s
        .post(&format!("/api/v1/passports/{other_id}/readings"), Some(&s.legitimate))
        .json(&readings)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outcome["rejected"], 1, "the grant names one passport: {outcome}");

    // A grant covers items, never model records: a full document with a changed model part creates nothing.
    let mut full = repaired.clone();
    full["performance"]["batteryTechicalProperties"]["ratedCapacity"] = json!(1.0);
    let p = problem(s.put(&path, Some(&s.legitimate)).json(&full).send().await.unwrap(), 403).await;
    assert!(p["detail"].as_str().unwrap().contains("model records"), "{p}");
    // The grantee sees its grant; every use is in the audit log.
    let listed = s.get_json("/api/v1/grants", Some(&s.legitimate)).await;
    assert_eq!(listed["items"][0]["id"], grant_id.as_str());
    assert!(audit_actions(&s).await.iter().any(|(a, subject)| a == "grant.use" && subject == &grant_id));

    // Revoked: the grantee may no longer write; revoking twice is a conflict.
    let response = s.post(&format!("/api/v1/grants/{grant_id}/revoke"), Some(&s.operator)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    problem(s.post(&format!("/api/v1/grants/{grant_id}/revoke"), Some(&s.operator)).send().await.unwrap(), 409).await;
    repaired["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"] = json!(56);
    problem(s.put(&path, Some(&s.legitimate)).json(&item_body(&repaired)).send().await.unwrap(), 403).await;

    // An expired grant, and a "forged" one (given by an operator not responsible for the passport), put straight
    // into the store: neither lets the grantee write.
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let stored = |id: &str, grantor: &str, valid_until: time::OffsetDateTime| store::Grant {
        id: id.into(),
        grantor: grantor.into(),
        grantee: repairer.clone(),
        passports: vec![],
        groups: vec!["performance".into(), "readings".into()],
        valid_until,
        created_by: repairer.clone(),
        created_at: now - time::Duration::days(2),
        revoked_at: None,
        revoked_by: None,
    };
    s.store
        .create_grant(&stored("grant:expired", &operator_of(DemoModel::EvNmc811Pack), now - time::Duration::seconds(1)))
        .await
        .unwrap();
    s.store.create_grant(&stored("grant:forged", "OTHER-OPERATOR-1", now + time::Duration::days(1))).await.unwrap();
    let p = problem(s.put(&path, Some(&s.legitimate)).json(&item_body(&repaired)).send().await.unwrap(), 403).await;
    assert!(p["detail"].as_str().unwrap().contains("grant in force"), "{p}");
    let outcome: Value = s
        .post(&format!("{path}/readings"), Some(&s.legitimate))
        .json(&readings)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outcome["rejected"], 1, "{outcome}");
}
