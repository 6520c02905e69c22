//! A real server on loopback over a real store, and keys for each role.

#![allow(dead_code)]

pub mod quality;

use passport::demo::{self, DemoModel};
use passport::fixtures;
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;
use server::auth::{generate_key, key_hash};
use server::{AppState, Config};
use std::sync::Arc;
use store::{Actor, Role, Store};

/// A fresh SQLite store.
pub async fn sqlite() -> Option<Arc<dyn Store>> {
    Some(Arc::new(store::SqliteStore::open(&store::testing::fresh_sqlite_url()).await.unwrap()))
}

/// A fresh PostgreSQL database, when VOLTPASS_TEST_PG_URL names a server.
pub async fn postgres() -> Option<Arc<dyn Store>> {
    let url = store::testing::fresh_postgres_url().await?;
    Some(Arc::new(store::PostgresStore::open(&url).await.unwrap()))
}

/// Runs each named scenario `async fn name(store: Arc<dyn Store>)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite { $(#[tokio::test] async fn $name() { if let Some(s) = $crate::common::sqlite().await { super::$name(s).await } })* }
        mod on_postgres { $(#[tokio::test] async fn $name() { if let Some(s) = $crate::common::postgres().await { super::$name(s).await } })* }
    };
}

pub struct TestServer {
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    pub admin: String,
    /// Economic operator responsible for the demo passports of every model.
    pub operator: String,
    /// An economic operator responsible for nothing here.
    pub other_operator: String,
    pub legitimate: String,
    /// A market surveillance authority.
    pub authority: String,
    pub supplier: String,
}

/// The operator identifier the demo data of `model` names in `operatorInformation.identifier`.
pub fn operator_of(model: DemoModel) -> String {
    operator_information(model)["identifier"].as_str().unwrap().to_string()
}

async fn key_for(store: &Arc<dyn Store>, role: Role, organisation: Option<String>) -> String {
    let actor = Actor {
        id: format!("actor:{}", uuid::Uuid::now_v7()),
        name: format!("{role} for tests"),
        role,
        organisation,
        subrole: None,
    };
    store.create_actor(&actor).await.unwrap();
    let key = generate_key();
    store.add_key(&actor.id, &key_hash(&key)).await.unwrap();
    key
}

impl TestServer {
    pub async fn start(store: Arc<dyn Store>, config: Config) -> TestServer {
        let admin = key_for(&store, Role::Admin, None).await;
        // The demo EV model's operator; the tests write EV passports as this operator.
        let operator = key_for(&store, Role::EconomicOperator, Some(operator_of(DemoModel::EvNmc811Pack))).await;
        let other_operator = key_for(&store, Role::EconomicOperator, Some("OTHER-OPERATOR-1".into())).await;
        let legitimate = key_for(&store, Role::LegitimateInterest, None).await;
        let authority = key_for(&store, Role::Authority, Some("MSA-DE".into())).await;
        let supplier = key_for(&store, Role::Supplier, Some("SUPPLIER-1".into())).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(store.clone(), config);
        let service = server::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestServer { base, client, store, admin, operator, other_operator, legitimate, authority, supplier }
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> RequestBuilder {
        self.auth(self.client.get(format!("{}{path}", self.base)), key)
    }

    pub fn post(&self, path: &str, key: Option<&str>) -> RequestBuilder {
        self.auth(self.client.post(format!("{}{path}", self.base)), key)
    }

    pub fn put(&self, path: &str, key: Option<&str>) -> RequestBuilder {
        self.auth(self.client.put(format!("{}{path}", self.base)), key)
    }

    /// GET a JSON body (the status is the caller's to check when it matters).
    pub async fn get_json(&self, path: &str, key: Option<&str>) -> Value {
        self.get(path, key).send().await.unwrap().json().await.unwrap()
    }

    fn auth(&self, request: RequestBuilder, key: Option<&str>) -> RequestBuilder {
        match key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// Creates the three demo models as admin.
    pub async fn create_demo_models(&self) {
        for model in DemoModel::ALL {
            let response =
                self.post("/api/v1/models", Some(&self.admin)).json(&fixtures::model_body(model)).send().await.unwrap();
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        }
    }

    /// Creates an EV passport (demo document `seed`) as the demo operator and returns it as written.
    pub async fn ev_passport(&self, seed: u64) -> (String, Value) {
        let doc = documents(DemoModel::EvNmc811Pack, 1, seed).remove(0);
        let body = fixtures::item_body(&doc);
        let response = self.post("/api/v1/passports", Some(&self.operator)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let created: Value = response.json().await.unwrap();
        (created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string(), doc)
    }

    /// Number of passports the list endpoint returns (up to 1000).
    pub async fn passport_count(&self) -> usize {
        let body: Value =
            self.get("/api/v1/passports?limit=1000", Some(&self.admin)).send().await.unwrap().json().await.unwrap();
        body["items"].as_array().unwrap().len()
    }
}

/// The operator information of the demo data of `model` that [`operator_of`] names.
fn operator_information(model: DemoModel) -> Value {
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(1);
    demo::passport(model, 1, &mut rng)["generalProductInformation"]["operatorInformation"].clone()
}

/// `n` generated full documents of one demo model, all under the operator [`operator_of`] names
/// (the demo data spreads batteries over two operators).
pub fn documents(model: DemoModel, n: usize, seed: u64) -> Vec<Value> {
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(seed);
    (0..n as u64)
        .map(|i| {
            let mut doc = demo::passport(model, seed * 100_000 + i, &mut rng);
            doc["generalProductInformation"]["operatorInformation"] = operator_information(model);
            doc
        })
        .collect()
}

/// Asserts a problem+json response with `status`, returns its body.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().unwrap().starts_with("https://"));
    body
}

/// True if the problem's errors contain `(pointer, rule)`.
pub fn has_error(body: &Value, pointer: &str, rule: &str) -> bool {
    body["errors"].as_array().is_some_and(|errors| errors.iter().any(|e| e["pointer"] == pointer && e["rule"] == rule))
}

/// Percent-encodes a query value (battery identifiers hold `(`, `)` and the like).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An MQTT subscriber on the local broker for `store`, with its own bridge actor and client id, taking
/// readings on `<prefix>/readings/+` and production events on `<prefix>/trace/+` (a fresh prefix per test, so
/// tests running side by side do not see each other's messages).
pub async fn mqtt_subscriber(store: &Arc<dyn Store>, prefix: &str) -> tokio::task::JoinHandle<()> {
    let bridge = Actor {
        id: format!("local:mqtt-{}", uuid::Uuid::now_v7().simple()),
        name: "MQTT bridge".into(),
        role: Role::Admin,
        organisation: None,
        subrole: None,
    };
    store.create_actor(&bridge).await.unwrap();
    let config = server::mqtt::MqttConfig {
        url: "mqtt://127.0.0.1:1883".into(),
        topic_prefix: format!("{prefix}/readings"),
        trace_topic_prefix: format!("{prefix}/trace"),
        client_id: format!("voltpass-test-{}", uuid::Uuid::now_v7().simple()),
        actor: bridge,
    };
    let subscriber = server::mqtt::spawn(server::service::PassportService::new(store.clone()), config).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // connect and subscribe
    subscriber
}
