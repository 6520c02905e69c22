//! The AAS API under /api/v3 on a real server: registry, discovery, submodel repository, visibility per role and
//! per connector-attested BPN, paging, and the AAS error shape for bad input.

mod common;

use common::{TestServer, documents};
use interop::aas::{encode_id, twins};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use serde_json::{Value, json};
use server::Config;
use std::sync::Arc;
use store::{Actor, Role, Store};

on_both_backends!(registry_discovery_and_visibility, submodel_repository, registered_descriptors_and_bad_input);

/// Three EV passports written by the demo operator; returns their ids and battery ids.
async fn seed(s: &TestServer) -> Vec<(String, String)> {
    s.create_demo_models().await;
    let mut out = Vec::new();
    for doc in documents(DemoModel::EvNmc811Pack, 3, 77) {
        let response = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let gpi = &body["generalProductInformation"];
        out.push((
            gpi["batteryPassportIdentifier"].as_str().unwrap().to_string(),
            gpi["productIdentifier"].as_str().unwrap().to_string(),
        ));
    }
    out
}

/// An AAS error: the status, and a body that is exactly `{"messages":[{code, messageType, text, timestamp}]}`.
async fn aas_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status, "{}", response.url());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "only `messages`: {body}");
    let message = &body["messages"][0];
    assert_eq!(message["code"], status.to_string());
    assert!(message["timestamp"].as_str().unwrap().ends_with('Z'));
    message["text"].as_str().unwrap().to_string()
}

fn asset_query(name: &str, value: &str) -> String {
    encode_id(&json!({"name": name, "value": value}).to_string())
}

fn names(descriptor: &Value) -> Vec<String> {
    descriptor["specificAssetIds"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
}

async fn all_pages(s: &TestServer, path: &str, key: Option<&str>, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let page = s.get_json(&url, key).await;
        let items = page["result"].as_array().unwrap_or_else(|| panic!("{url}: {page}"));
        assert!(items.len() <= limit);
        out.extend(items.iter().cloned());
        match page["paging_metadata"].get("cursor") {
            Some(c) => cursor = Some(c.as_str().expect("a cursor is a string, never null").to_string()),
            None => return out,
        }
    }
}

async fn registry_discovery_and_visibility(store: Arc<dyn Store>) {
    // A connector's data plane, trusted to name the consumer's BPN.
    let connector = Actor {
        id: "actor:edc-data-plane".into(),
        name: "EDC".into(),
        role: Role::LegitimateInterest,
        organisation: None,
        subrole: None,
    };
    store.create_actor(&connector).await.unwrap();
    let connector_key = server::auth::generate_key();
    store.add_key(&connector.id, &server::auth::key_hash(&connector_key)).await.unwrap();
    let config = Config { trusted_connectors: vec![connector.id.clone()], ..Config::default() };
    let s = TestServer::start(store.clone(), config).await;
    let passports = seed(&s).await;
    let (id, battery) = passports[0].clone();

    let description = s.get_json("/api/v3/description", None).await;
    assert!(description["profiles"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().ends_with("SSP-002")));

    // Listing pages over model twins and passport twins with one cursor; the last page has no cursor.
    let listed = all_pages(&s, "/api/v3/shell-descriptors", None, 2).await;
    let ids: Vec<&str> = listed.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3 + 3, "three model twins and three passport twins: {ids:?}");
    assert_eq!(ids.iter().collect::<std::collections::BTreeSet<_>>().len(), ids.len(), "no duplicates");
    let instances = all_pages(&s, "/api/v3/shell-descriptors?assetKind=Instance", None, 10).await;
    assert_eq!(instances.len(), 3);

    // The public sees the public asset ids; the responsible operator all of them.
    let shell_id = twins::shell_id(&twins::TwinOf::Passport(id.clone()));
    let path = format!("/api/v3/shell-descriptors/{}", encode_id(&shell_id));
    let public = s.get_json(&path, None).await;
    assert_eq!(names(&public), ["manufacturerPartId", "assetLifecyclePhase"]);
    let owner = s.get_json(&path, Some(&s.operator)).await;
    for name in ["partInstanceId", "digitalTwinType", "batteryIdentifier", "batteryPassportIdentifier"] {
        assert!(names(&owner).contains(&name.to_string()), "{name}");
    }
    assert_eq!(names(&s.get_json(&path, Some(&s.other_operator)).await).len(), 2, "another operator: public view");

    // Every submodel endpoint answers, at {href}, {href}/submodel and {href}/$value.
    for sm in owner["submodelDescriptors"].as_array().unwrap() {
        let endpoint = &sm["endpoints"][0];
        assert_eq!(endpoint["interface"], "SUBMODEL-3.0");
        assert!(endpoint["protocolInformation"]["endpointProtocolVersion"].is_array());
        let href = endpoint["protocolInformation"]["href"].as_str().unwrap();
        let local = href.replace(server::DEFAULT_PUBLIC_URL, "");
        for suffix in ["", "/submodel", "/$value"] {
            let response = s.get(&format!("{local}{suffix}"), Some(&s.operator)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{local}{suffix}");
        }
    }

    // Discovery: AND semantics, and hidden asset ids find nothing for those who may not see them.
    let by_battery = format!("/api/v3/lookup/shells?assetIds={}", asset_query("partInstanceId", &battery));
    assert!(s.get_json(&by_battery, None).await["result"].as_array().unwrap().is_empty());
    assert_eq!(s.get_json(&by_battery, Some(&s.operator)).await["result"], json!([shell_id]));
    let and_wrong = format!("{by_battery}&assetIds={}", asset_query("manufacturerPartId", "NOPE"));
    assert!(s.get_json(&and_wrong, Some(&s.operator)).await["result"].as_array().unwrap().is_empty());
    let model = DemoModel::EvNmc811Pack.model_id();
    let by_model = format!("/api/v3/lookup/shells?assetIds={}", asset_query("manufacturerPartId", model));
    let found = all_pages(&s, &by_model, None, 2).await;
    assert_eq!(found.len(), 1 + 3, "the type twin and the three passports: {found:?}");
    let by_link: Value = s
        .post("/api/v3/lookup/shellsByAssetLink", Some(&s.operator))
        .json(&json!([{"name": "partInstanceId", "value": battery}, {"name": "digitalTwinType", "value": "PartInstance"}]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_link["result"], json!([shell_id]));
    let links = s.get_json(&format!("/api/v3/lookup/shells/{}", encode_id(&shell_id)), None).await;
    assert_eq!(links.as_array().unwrap().len(), 2, "public links only: {links}");

    // A partner's BPN sees the asset ids once the operator grants it the `twin` group, and only through the
    // trusted connector.
    let bpn = "BPNL00000000TEST";
    let with_bpn = |key: &str| s.get(&path, Some(key)).header("Edc-Bpn", bpn);
    let hidden: Value = with_bpn(&connector_key).send().await.unwrap().json().await.unwrap();
    assert_eq!(names(&hidden).len(), 2, "no grant yet");
    let until = "2099-01-01T00:00:00Z";
    let refused = s
        .post("/api/v1/grants", Some(&s.operator))
        .json(&json!({"grantee": bpn, "passports": [id], "groups": ["performance"], "validUntil": until}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "a BPN can only be granted `twin`");
    let granted = s
        .post("/api/v1/grants", Some(&s.operator))
        .json(&json!({"grantee": bpn, "passports": [id], "groups": ["twin"], "validUntil": until}))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 201, "{}", granted.text().await.unwrap());
    let shown: Value = with_bpn(&connector_key).send().await.unwrap().json().await.unwrap();
    assert!(names(&shown).contains(&"partInstanceId".to_string()), "{shown}");
    let spoofed: Value = with_bpn(&s.legitimate).send().await.unwrap().json().await.unwrap();
    assert_eq!(names(&spoofed).len(), 2, "an untrusted caller's Edc-Bpn means nothing");
    let other_bpn: Value = s
        .get(&path, Some(&connector_key))
        .header("Edc-Bpn", "BPNL00000000OTHR")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(names(&other_bpn).len(), 2);
    let other_passport = twins::shell_id(&twins::TwinOf::Passport(passports[1].0.clone()));
    let not_covered: Value = s
        .get(&format!("/api/v3/shell-descriptors/{}", encode_id(&other_passport)), Some(&connector_key))
        .header("Edc-Bpn", bpn)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(names(&not_covered).len(), 2, "the grant names one passport");
    aas_error(s.get(&path, Some(&connector_key)).header("Edc-Bpn", "not-a-bpn").send().await.unwrap(), 400).await;
}

async fn submodel_repository(store: Arc<dyn Store>) {
    let s = TestServer::start(store, Config::default()).await;
    let passports = seed(&s).await;
    let (id, _) = passports[0].clone();
    let of = twins::TwinOf::Passport(id.clone());
    let condition = twins::submodel_id(twins::SubmodelKind::Idta(interop::cx0160::Aspect::ProductCondition), &of);
    let base = format!("/api/v3/submodels/{}", encode_id(&condition));

    // $value is the IDTA export of the passport as the reader sees it: the access filter decides.
    let as_operator = s.get_json(&format!("/api/v1/passports/{id}"), Some(&s.operator)).await;
    let expected = interop::cx0160::export(&as_operator, interop::cx0160::Aspect::ProductCondition).unwrap();
    assert_eq!(s.get_json(&format!("{base}/$value"), Some(&s.operator)).await, expected);
    let as_public = s.get_json(&format!("/api/v1/passports/{id}"), None).await;
    let public_expected = interop::cx0160::export(&as_public, interop::cx0160::Aspect::ProductCondition).unwrap();
    let public_value = s.get_json(&format!("{base}/$value"), None).await;
    assert_eq!(public_value, public_expected);
    assert_ne!(public_value, expected, "the public does not read the battery's condition");

    // A whole submodel's $value is the aspect's own JSON: the battery pass validates against its schema.
    let pass = twins::submodel_id(twins::SubmodelKind::BatteryPass, &of);
    let pass_value = s.get_json(&format!("/api/v3/submodels/{}/$value", encode_id(&pass)), Some(&s.operator)).await;
    interop::catenax::validate_battery_pass(&pass_value).unwrap();

    let submodel = s.get_json(&base, Some(&s.operator)).await;
    assert_eq!(submodel["modelType"], "Submodel");
    assert_eq!(submodel["semanticId"]["keys"][0]["value"], interop::cx0160::Aspect::ProductCondition.semantic_id());
    let metadata = s.get_json(&format!("{base}/$metadata"), Some(&s.operator)).await;
    assert!(metadata.get("submodelElements").is_none());
    let reference = s.get_json(&format!("{base}/$reference"), Some(&s.operator)).await;
    assert_eq!(reference["keys"][0], json!({"type": "Submodel", "value": condition}));

    // Every path the submodel lists resolves, and its value is an object named by idShort.
    let paths: Vec<String> =
        serde_json::from_value(s.get_json(&format!("{base}/$path"), Some(&s.operator)).await).unwrap();
    assert!(paths.len() > 5, "{paths:?}");
    for path in paths.iter().take(40) {
        let element = s.get(&format!("{base}/submodel-elements/{path}"), Some(&s.operator)).send().await.unwrap();
        assert_eq!(element.status(), 200, "{path}");
        let value = s.get_json(&format!("{base}/submodel-elements/{path}/$value"), Some(&s.operator)).await;
        assert!(value.is_object() || value.is_array(), "{path}: {value}");
    }
    let core = s.get_json(&format!("{base}?level=core"), Some(&s.operator)).await;
    for element in core["submodelElements"].as_array().unwrap() {
        if element["modelType"] == "SubmodelElementCollection" {
            assert!(element.get("value").is_none(), "level=core: {element}");
        }
    }
    let listed = s.get_json(&format!("{base}/submodel-elements?limit=1"), Some(&s.operator)).await;
    assert_eq!(listed["result"].as_array().unwrap().len(), 1);
    assert!(listed["paging_metadata"]["cursor"].is_string());

    // The repository lists every generated submodel once, whatever the page size.
    let big = all_pages(&s, "/api/v3/submodels", Some(&s.operator), 100).await;
    let small = all_pages(&s, "/api/v3/submodels", Some(&s.operator), 3).await;
    let ids = |list: &[Value]| list.iter().map(|sm| sm["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&big), ids(&small));
    assert_eq!(big.len(), 3 * 4 + 3 * 5, "four type-level submodels per model, five instance-level per passport");
    let pass_semantic = encode_id(twins::BATTERY_PASS_SEMANTIC_ID);
    let battery_passes =
        all_pages(&s, &format!("/api/v3/submodels?semanticId={pass_semantic}"), Some(&s.operator), 2).await;
    assert_eq!(battery_passes.len(), 3);

    // Bad input: each a clear 4xx in the AAS shape.
    aas_error(s.get(&format!("{base}?level=#####"), None).send().await.unwrap(), 400).await;
    aas_error(s.get("/api/v3/submodels/invalid-base64url=====", None).send().await.unwrap(), 400).await;
    aas_error(s.get(&format!("/api/v3/submodels/{}", encode_id("urn:other:sm")), None).send().await.unwrap(), 404)
        .await;
    aas_error(s.get("/api/v3/submodels?limit=-1", None).send().await.unwrap(), 400).await;
    aas_error(s.get("/api/v3/submodels?limit=100000000", None).send().await.unwrap(), 400).await;
    aas_error(s.get("/api/v3/submodels?cursor=forged", None).send().await.unwrap(), 400).await;
    aas_error(s.get(&format!("{base}/submodel-elements/Nope.Nothing"), None).send().await.unwrap(), 404).await;
    aas_error(s.post(&base, Some(&s.admin)).json(&json!({})).send().await.unwrap(), 501).await;
    aas_error(s.get("/api/v3/nothing-here", None).send().await.unwrap(), 404).await;
    // Ids of the wrong kind say so.
    let shell_as_submodel = format!("/api/v3/submodels/{}", encode_id(&twins::shell_id(&of)));
    assert!(aas_error(s.get(&shell_as_submodel, None).send().await.unwrap(), 400).await.contains("shell identifier"));
    let submodel_as_shell = format!("/api/v3/shell-descriptors/{}", encode_id(&condition));
    assert!(
        aas_error(s.get(&submodel_as_shell, None).send().await.unwrap(), 400).await.contains("submodel identifier")
    );
    let trace =
        s.client.request(reqwest::Method::TRACE, format!("{}/api/v3/description", s.base)).send().await.unwrap();
    aas_error(trace, 405).await;

    // Serialisation: the shells and submodels asked for, no empty arrays.
    let shell_id = twins::shell_id(&of);
    let environment = s
        .get_json(
            &format!("/api/v3/serialization?aasIds={}&includeConceptDescriptions=True", encode_id(&shell_id)),
            Some(&s.operator),
        )
        .await;
    assert_eq!(environment["assetAdministrationShells"][0]["id"], shell_id);
    assert_eq!(environment["submodels"].as_array().unwrap().len(), 5);
    let shells = s.get_json("/api/v3/shells?limit=1", None).await;
    assert!(shells["result"][0]["submodels"].as_array().is_some_and(|s| !s.is_empty()));
}

async fn registered_descriptors_and_bad_input(store: Arc<dyn Store>) {
    let s = TestServer::start(store.clone(), Config::default()).await;
    seed(&s).await;
    let descriptor = json!({
        "id": "urn:uuid:partner-twin-1",
        "idShort": "PartnerBattery",
        "assetKind": "Instance",
        "specificAssetIds": [
            {"name": "partInstanceId", "value": "PARTNER-SN-1",
             "externalSubjectId": {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": "PUBLIC_READABLE"}]}},
            {"name": "customerPartId", "value": "SECRET-1"}
        ],
        "submodelDescriptors": [{
            "id": "urn:uuid:partner-sm-1",
            "semanticId": {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": "urn:samm:x#Y"}]},
            "endpoints": [{"interface": "SUBMODEL-3.0", "protocolInformation": {"href": "https://partner.example.com/sm/1"}}]
        }]
    });
    aas_error(s.post("/api/v3/shell-descriptors", None).json(&descriptor).send().await.unwrap(), 401).await;
    aas_error(s.post("/api/v3/shell-descriptors", Some(&s.legitimate)).json(&descriptor).send().await.unwrap(), 403)
        .await;
    let created = s.post("/api/v3/shell-descriptors", Some(&s.operator)).json(&descriptor).send().await.unwrap();
    assert_eq!(created.status(), 201);
    assert!(created.headers().get("location").is_some());
    aas_error(s.post("/api/v3/shell-descriptors", Some(&s.operator)).json(&descriptor).send().await.unwrap(), 409)
        .await;

    // Any base64 spelling of the id finds it; the public does not see the restricted asset id.
    use base64::Engine;
    let id = "urn:uuid:partner-twin-1";
    for spelling in [encode_id(id), base64::engine::general_purpose::STANDARD.encode(id)] {
        let public = s.get_json(&format!("/api/v3/shell-descriptors/{spelling}"), None).await;
        assert_eq!(names(&public), ["partInstanceId"], "{spelling}");
    }
    let owner_view = s.get_json(&format!("/api/v3/shell-descriptors/{}", encode_id(id)), Some(&s.operator)).await;
    assert_eq!(owner_view, descriptor);
    let lookup = format!("/api/v3/lookup/shells?assetIds={}", asset_query("partInstanceId", "PARTNER-SN-1"));
    assert_eq!(s.get_json(&lookup, None).await["result"], json!([id]));
    let secret = format!("/api/v3/lookup/shells?assetIds={}", asset_query("customerPartId", "SECRET-1"));
    assert!(s.get_json(&secret, None).await["result"].as_array().unwrap().is_empty());
    assert_eq!(s.get_json(&secret, Some(&s.operator)).await["result"], json!([id]));

    // Only the owner (or an admin) changes it; a bad body changes nothing.
    let path = format!("/api/v3/shell-descriptors/{}", encode_id(id));
    let mut changed = descriptor.clone();
    changed["idShort"] = json!("Renamed");
    aas_error(s.put(&path, Some(&s.other_operator)).json(&changed).send().await.unwrap(), 403).await;
    let mut broken = changed.clone();
    broken["submodelDescriptors"][0]["endpoints"] = json!([]);
    let text = aas_error(s.put(&path, Some(&s.operator)).json(&broken).send().await.unwrap(), 400).await;
    assert!(text.contains("/submodelDescriptors/0/endpoints"), "{text}");
    assert_eq!(s.get_json(&path, Some(&s.operator)).await, descriptor, "nothing half-written");
    assert_eq!(s.put(&path, Some(&s.operator)).json(&changed).send().await.unwrap().status(), 204);
    assert_eq!(s.get_json(&path, Some(&s.operator)).await["idShort"], "Renamed");

    // Submodel descriptors below it.
    let sm_path = format!("{path}/submodel-descriptors");
    let extra = json!({"id": "urn:uuid:partner-sm-2",
        "endpoints": [{"interface": "SUBMODEL-3.0", "protocolInformation": {"href": "https://partner.example.com/sm/2"}}]});
    assert_eq!(s.post(&sm_path, Some(&s.operator)).json(&extra).send().await.unwrap().status(), 201);
    assert_eq!(s.get_json(&sm_path, None).await["result"].as_array().unwrap().len(), 2);
    // A forged cursor far past the end (found by fuzzing the cursor arithmetic): a clear 400, no overflow.
    let forged = interop::aas::Cursor(vec![u64::MAX.to_string()]).encode();
    let text = aas_error(s.get(&format!("{sm_path}?limit=2&cursor={forged}"), None).send().await.unwrap(), 400).await;
    assert!(text.contains("was not issued by this server"), "{text}");
    let one = format!("{sm_path}/{}", encode_id("urn:uuid:partner-sm-2"));
    assert_eq!(s.get_json(&one, None).await["id"], "urn:uuid:partner-sm-2");
    let deleted = s.client.delete(format!("{}{one}", s.base)).bearer_auth(&s.operator).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    aas_error(s.get(&one, None).send().await.unwrap(), 404).await;

    // Generated twins are read-only; reserved ids cannot be registered.
    let generated = twins::shell_id(&twins::TwinOf::Model(DemoModel::EvNmc811Pack.model_id().into()));
    let mut copy = s.get_json(&format!("/api/v3/shell-descriptors/{}", encode_id(&generated)), Some(&s.admin)).await;
    aas_error(
        s.put(&format!("/api/v3/shell-descriptors/{}", encode_id(&generated)), Some(&s.admin))
            .json(&copy)
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    copy["id"] = json!("urn:voltpass:aas:model:FAKE");
    aas_error(s.post("/api/v3/shell-descriptors", Some(&s.admin)).json(&copy).send().await.unwrap(), 400).await;

    // Malformed bodies, ids and queries.
    let raw = s.post("/api/v3/shell-descriptors", Some(&s.operator)).body("{not json").send().await.unwrap();
    assert!(aas_error(raw, 400).await.contains("not JSON"));
    aas_error(s.get("/api/v3/shell-descriptors/%%%", None).send().await.unwrap(), 400).await;
    aas_error(s.get("/api/v3/shell-descriptors?assetKind=Sometimes", None).send().await.unwrap(), 400).await;
    aas_error(s.get("/api/v3/lookup/shells?assetIds=bm90IGpzb24", None).send().await.unwrap(), 400).await;
    let links_path = format!("/api/v3/lookup/shells/{}", encode_id(id));
    aas_error(s.post(&links_path, Some(&s.admin)).json(&json!([])).send().await.unwrap(), 400).await;
    let link = json!([{"name": "batchId", "value": "B-7",
        "externalSubjectId": {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": "PUBLIC_READABLE"}]}}]);
    assert_eq!(s.post(&links_path, Some(&s.operator)).json(&link).send().await.unwrap().status(), 201);
    let by_batch = format!("/api/v3/lookup/shells?assetIds={}", asset_query("batchId", "B-7"));
    assert_eq!(s.get_json(&by_batch, None).await["result"], json!([id]), "discovery finds the new link");
    let generated_links = format!("/api/v3/lookup/shells/{}", encode_id(&generated));
    aas_error(s.post(&generated_links, Some(&s.admin)).json(&link).send().await.unwrap(), 409).await;

    // Deleting, then it is gone; every write is in the audit chain (PUT, two submodel descriptor edits, a link).
    let gone = s.client.delete(format!("{}{path}", s.base)).bearer_auth(&s.operator).send().await.unwrap();
    assert_eq!(gone.status(), 204);
    aas_error(s.get(&path, None).send().await.unwrap(), 404).await;
    let actions: Vec<String> = store
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("aas."))
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "aas.descriptor.create",
            "aas.descriptor.replace",
            "aas.descriptor.replace",
            "aas.descriptor.replace",
            "aas.descriptor.replace",
            "aas.descriptor.delete"
        ]
    );
}
