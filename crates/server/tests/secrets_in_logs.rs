//! Secrets never reach the logs. Everything the server, the store and sqlx log during a run is captured at TRACE
//! level: requests with every role's key, a wrong and a malformed key, a sign-in through the form and a page
//! read with the session cookie, refused writes and failed authentications. No key appears in it.

mod common;

use common::{TestServer, documents};
use passport::demo::DemoModel;
use passport::fixtures::item_body;
use server::Config;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_key_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store, Config { public_rate_limit: None, ..Config::default() }).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 4).remove(0);
    let created = s.post("/api/v1/passports", Some(&s.operator)).json(&item_body(&doc)).send().await.unwrap();
    let path = created.headers()["location"].to_str().unwrap().to_string();
    let wrong = server::auth::generate_key();
    let keys = [&s.admin, &s.operator, &s.other_operator, &s.legitimate, &s.authority, &s.supplier, &wrong];
    for key in keys {
        s.get(&path, Some(key)).send().await.unwrap();
        s.put(&path, Some(key)).json(&serde_json::json!({"reason": "not a document"})).send().await.unwrap();
        s.get("/api/v1/analytics/holds", Some(key)).send().await.unwrap();
    }
    s.get(&path, None).header("authorization", format!("Basic {}", s.admin)).send().await.unwrap();
    // Sign in through the form, then read a page with the session cookie (which carries the key).
    let form = s.get("/login?next=/quality", None).send().await.unwrap();
    let csrf = form.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let token = csrf.split_once('=').unwrap().1.to_string();
    for key in [s.operator.as_str(), wrong.as_str()] {
        let signed = s
            .post("/login", None)
            .header("cookie", &csrf)
            .form(&[("key", key), ("next", "/quality"), ("csrf", token.as_str())])
            .send()
            .await
            .unwrap();
        if let Some(session) = signed.headers().get_all("set-cookie").iter().find_map(|v| {
            v.to_str().ok().filter(|c| c.starts_with("vp_key=")).map(|c| c.split(';').next().unwrap().to_string())
        }) {
            s.get("/quality", None).header("cookie", session).send().await.unwrap();
        }
    }

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 50, "the run was logged: {} lines", logs.lines().count());
    for key in keys {
        // The secret part after the `vpk_` prefix, and any 16-character piece of it.
        let secret = &key[4..];
        for piece in secret.as_bytes().chunks(16).map(|c| std::str::from_utf8(c).unwrap()) {
            assert!(!logs.contains(piece), "a piece of a key ({piece}) is in the logs");
        }
    }
}
