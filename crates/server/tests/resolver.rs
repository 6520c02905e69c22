//! The public resolver on a real server over SQLite: content negotiation, GS1 Digital Link, caching,
//! tombstones, bad input, rate limiting, QR codes (decoded by zbarimg) and the sign-in flow.

mod common;

use common::{TestServer, documents, problem};
use passport::demo::DemoModel;
use serde_json::{Value, json};
use server::{Config, RateLimit};
use std::num::NonZeroU32;

async fn server(config: Config) -> TestServer {
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store, config).await;
    s.create_demo_models().await;
    s
}

fn unlimited() -> Config {
    Config { public_rate_limit: None, public_base_url: "https://passports.example.com".into(), ..Config::default() }
}

/// Creates one passport of `model` as admin; returns (id, battery identifier).
async fn create(s: &TestServer, model: DemoModel, seed: u64) -> (String, String) {
    let doc = documents(model, 1, seed).remove(0);
    let response = s.post("/api/v1/passports", Some(&s.admin)).json(&doc).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let gpi = &body["generalProductInformation"];
    (gpi["batteryPassportIdentifier"].as_str().unwrap().into(), gpi["productIdentifier"].as_str().unwrap().into())
}

#[tokio::test]
async fn one_passport_three_representations_with_caching() {
    let s = server(unlimited()).await;
    let (id, _) = create(&s, DemoModel::EvNmc811Pack, 1).await;
    let path = format!("/p/{id}");
    let json: Value =
        s.get(&path, None).header("accept", "application/json").send().await.unwrap().json().await.unwrap();
    assert_eq!(json["generalProductInformation"]["batteryPassportIdentifier"], id.as_str());

    let ld = s.get(&path, None).header("accept", "application/ld+json").send().await.unwrap();
    assert_eq!(ld.headers()["content-type"], "application/ld+json");
    let ld: Value = ld.json().await.unwrap();
    assert_eq!(ld["@id"], format!("https://passports.example.com/p/{id}"));
    assert!(
        ld["@context"]["generalProductInformation"]["@context"]["@vocab"].as_str().unwrap().starts_with("urn:samm:")
    );
    assert_eq!(ld["carbonFootprint"], json["carbonFootprint"]);

    let page = s.get(&path, None).header("accept", "text/html,*/*;q=0.8").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.headers()["cache-control"], "public, max-age=60");
    assert!(page.headers()["vary"].to_str().unwrap().contains("accept"));
    let tag = page.headers()["etag"].to_str().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\"") && html.contains(&id));
    let german = s.get(&format!("{path}?lang=de"), None).header("accept", "text/html").send().await.unwrap();
    assert_ne!(german.headers()["etag"].to_str().unwrap(), tag, "each language is its own representation");
    assert!(german.text().await.unwrap().contains("<html lang=\"de\""));

    let cached = s.get(&path, None).header("accept", "text/html").header("if-none-match", &tag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
    let json_tag = s.get(&path, None).send().await.unwrap().headers()["etag"].clone();
    assert_ne!(json_tag.to_str().unwrap(), tag, "JSON and HTML have different ETags");
    let refused = s.get(&path, None).header("accept", "image/gif").send().await.unwrap();
    assert_eq!(refused.status(), 406);

    // Public answers are cached in memory; a write through the server forgets them at once.
    let mut doc: Value = s.get_json(&format!("/api/v1/passports/{id}"), Some(&s.admin)).await;
    doc["reason"] = json!("remeasured");
    let before = s.get(&path, None).send().await.unwrap().headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(
        s.put(&format!("/api/v1/passports/{id}"), Some(&s.admin)).json(&doc).send().await.unwrap().status(),
        200
    );
    let after = s.get(&path, None).send().await.unwrap().headers()["etag"].to_str().unwrap().to_string();
    assert_eq!((before.as_str(), after.as_str()), ("\"1-pub-json\"", "\"2-pub-json\""));
}

#[tokio::test]
async fn gs1_digital_link_leads_to_the_passport() {
    let s = server(unlimited()).await;
    let (id, battery) = create(&s, DemoModel::EvNmc811Pack, 2).await;
    let link = passport::gs1::parse_element_string(&battery).unwrap();
    let path = link.digital_link_path();
    assert!(path.starts_with("/01/04260712341013/21/"), "{path}");
    let response = s.get(&path, None).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["link"].to_str().unwrap().contains(&format!("/p/{id}>; rel=\"canonical\"")));
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["generalProductInformation"]["batteryPassportIdentifier"], id.as_str());
    // With a lot and a link type.
    let serial = link.serial.clone().unwrap();
    let with_lot = format!("/01/04260712341013/10/LOT7/21/{serial}?linkType=gs1:sustainabilityInfo");
    assert_eq!(s.get(&with_lot, None).send().await.unwrap().status(), 200);
    let all = s.get(&format!("{path}?linkType=all"), None).send().await.unwrap();
    assert_eq!(all.headers()["content-type"], "application/linkset+json");
    let linkset: Value = all.json().await.unwrap();
    assert_eq!(linkset["linkset"][0]["anchor"], format!("https://passports.example.com/p/{id}"));
    problem(s.get(&format!("{path}?linkType=gs1:recipeInfo"), None).send().await.unwrap(), 404).await;
    // Bad input: 400 with the reason.
    let bad = problem(s.get(&format!("/01/04260712341014/21/{serial}"), None).send().await.unwrap(), 400).await;
    assert!(bad["detail"].as_str().unwrap().contains("check digit"), "{bad}");
    problem(s.get("/01/04260712341013/99/x", None).send().await.unwrap(), 400).await;
    // An encoded `../..` is a (non-existent) serial, only ever a lookup key: nothing is read from a path.
    problem(s.get("/01/04260712341013/21/..%2F..%2Fetc", None).send().await.unwrap(), 404).await;
    problem(s.get(&format!("/01/04260712341013/21/{}", "A".repeat(600)), None).send().await.unwrap(), 400).await;
    let unknown = problem(s.get("/01/04260712341013/21/NOPE", None).send().await.unwrap(), 404).await;
    assert!(unknown["detail"].as_str().unwrap().contains("no passport"));
    problem(s.get("/01/04260712341013", None).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let s = server(unlimited()).await;
    let missing = "/p/urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f60";
    problem(s.get(missing, None).send().await.unwrap(), 404).await;
    let page = s.get(missing, None).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("<h1"));
    problem(s.get("/p/not-a-passport", None).send().await.unwrap(), 400).await;
    problem(s.get("/p/urn:voltpass:..", None).send().await.unwrap(), 400).await;
    let traversal = s.get("/p/..%2F..%2Fetc%2Fpasswd", None).send().await.unwrap();
    assert_eq!(traversal.status(), 400);
    let long = format!("/p/urn:voltpass:{}", "a".repeat(5000));
    assert_eq!(s.get(&long, None).send().await.unwrap().status(), 404, "well-formed but unknown");
    problem(s.get("/no/such/route", None).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn a_recycled_battery_leaves_a_tombstone() {
    let s = server(unlimited()).await;
    let (id, battery) = create(&s, DemoModel::EvNmc811Pack, 3).await;
    let url = format!("/api/v1/passports/{id}");
    // Not waste yet: refused with the reason.
    let early =
        s.post(&format!("{url}/cease"), Some(&s.admin)).json(&json!({"reason": "recycled"})).send().await.unwrap();
    let early = problem(early, 409).await;
    assert!(early["detail"].as_str().unwrap().contains("waste"), "{early}");
    // Becoming waste goes through the lifecycle (a plain PUT may not change the status).
    let waste = json!({"status": "Waste", "reason": "collected as waste"});
    assert_eq!(s.post(&format!("{url}/status"), Some(&s.admin)).json(&waste).send().await.unwrap().status(), 200);
    problem(
        s.post(&format!("{url}/cease"), Some(&s.other_operator)).json(&json!({"reason": "x"})).send().await.unwrap(),
        403,
    )
    .await;
    problem(s.post(&format!("{url}/cease"), Some(&s.admin)).json(&json!({"reason": " "})).send().await.unwrap(), 400)
        .await;
    let ended = s
        .post(&format!("{url}/cease"), Some(&s.admin))
        .json(&json!({"reason": "Recycled by ReCell GmbH, certificate RC-2031-77"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);

    let gone = problem(s.get(&format!("/p/{id}"), None).send().await.unwrap(), 410).await;
    assert_eq!(gone["tombstone"]["batteryId"], battery.as_str());
    assert_eq!(gone["tombstone"]["reason"], "Recycled by ReCell GmbH, certificate RC-2031-77");
    assert!(gone["tombstone"]["ceasedAt"].as_str().unwrap().starts_with("20"));
    let page = s.get(&format!("/p/{id}"), None).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("RC-2031-77"));
    problem(s.get(&url, Some(&s.legitimate)).send().await.unwrap(), 410).await;
    // The record stays available to authorities and the operator; it is closed for writes.
    assert_eq!(s.get(&url, Some(&s.authority)).send().await.unwrap().status(), 200);
    let history: Value = s.get_json(&format!("{url}/versions"), Some(&s.authority)).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 3);
    let mut doc: Value = s.get_json(&url, Some(&s.admin)).await;
    doc["reason"] = json!("a late edit");
    problem(s.put(&url, Some(&s.admin)).json(&doc).send().await.unwrap(), 409).await;
    problem(
        s.post(&format!("{url}/cease"), Some(&s.admin)).json(&json!({"reason": "again"})).send().await.unwrap(),
        409,
    )
    .await;
}

#[tokio::test]
async fn public_routes_are_rate_limited_per_address() {
    let limit = RateLimit { per_second: NonZeroU32::new(1).unwrap(), burst: NonZeroU32::new(5).unwrap() };
    let s = server(Config { public_rate_limit: Some(limit), ..Config::default() }).await;
    let (id, _) = create(&s, DemoModel::LmtLfp, 4).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(s.get(&format!("/p/{id}"), None).send().await.unwrap());
    }
    let ok = statuses.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 5, "the burst passes, then 429");
    let limited = statuses.pop().unwrap();
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    // The operator API is not limited by the public budget.
    assert_eq!(s.get(&format!("/api/v1/passports/{id}"), Some(&s.admin)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn qr_codes_decode_to_the_resolver_url() {
    let s = server(unlimited()).await;
    let (id, _) = create(&s, DemoModel::StationaryLfp, 5).await;
    let dir = std::env::temp_dir().join(format!("voltpass-qr-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = s.get(&format!("/p/{id}/qr.png"), None).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let file = dir.join("qr.png");
    std::fs::write(&file, png.bytes().await.unwrap()).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&file)
        .output()
        .expect("zbarimg is needed for this test: apt-get install zbar-tools");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("https://passports.example.com/p/{id}"));
    let svg = s.get(&format!("/p/{id}/qr.svg"), None).send().await.unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));
    problem(s.get("/p/urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f60/qr.svg", None).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn signing_in_shows_the_role_view_on_pages() {
    let s = server(unlimited()).await;
    let (id, _) = create(&s, DemoModel::EvNmc811Pack, 6).await;
    let path = format!("/p/{id}");
    let public = s.get(&path, None).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(!public.contains("id=\"state-of-health\""));

    let form = s.get(&format!("/login?next={path}"), None).send().await.unwrap();
    let csrf_cookie = form.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let token = csrf_cookie.split_once('=').unwrap().1.to_string();
    assert!(form.text().await.unwrap().contains(&token), "the form echoes the CSRF token");
    // Without the token: refused.
    let forged =
        s.post("/login", None).form(&[("key", s.legitimate.as_str()), ("next", path.as_str())]).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let wrong = s
        .post("/login", None)
        .header("cookie", &csrf_cookie)
        .form(&[("key", "vpk_wrong"), ("next", path.as_str()), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let signed = s
        .post("/login", None)
        .header("cookie", &csrf_cookie)
        .form(&[("key", s.legitimate.as_str()), ("next", path.as_str()), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], path.as_str());
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("vp_key="))
        .unwrap()
        .to_string();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let cookie = session.split(';').next().unwrap().to_string();
    let page = s.get(&path, None).header("accept", "text/html").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "private, no-store");
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"state-of-health\""), "legitimate interest sees dynamic data");
    assert!(!page.contains("id=\"test-reports\""), "but not the authorities' test reports");
    // The cookie never authorises writes.
    let write = s
        .put(&format!("/api/v1/passports/{id}"), None)
        .header("cookie", &cookie)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 401);
}
