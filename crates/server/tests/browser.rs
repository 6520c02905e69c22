//! The viewer in a real browser: headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`) loads pages from a running server, signs in through the login form as each role,
//! checks which sections the DOM holds, and saves screenshots under `target/browser/` for review.

mod common;

use common::{TestServer, documents};
use fantoccini::{Client, ClientBuilder, Locator};
use passport::demo::DemoModel;
use serde_json::{Value, json};
use server::Config;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver as a child process, killed when the test ends.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("this test needs chromedriver: apt-get install chromium chromium-driver");
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
    for _ in 0..100 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

async fn browser(driver: &Driver) -> Client {
    let capabilities = json!({ "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        // A phone-sized window: the page must work at 412 px.
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=412,915"],
    }});
    let Value::Object(capabilities) = capabilities else { unreachable!() };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(capabilities).connect(&driver.url).await.expect("start chromium")
}

/// The `id`s of the page's sections, in order.
async fn section_ids(browser: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for section in browser.find_all(Locator::Css("main section[id]")).await.unwrap() {
        ids.push(section.attr("id").await.unwrap().unwrap());
    }
    ids
}

async fn screenshot(browser: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), browser.screenshot().await.unwrap()).unwrap();
}

async fn sign_in(browser: &Client, s: &TestServer, key: &str, page: &str) {
    browser.goto(&format!("{}/login?next={page}", s.base)).await.unwrap();
    browser.find(Locator::Css("input[name=key]")).await.unwrap().send_keys(key).await.unwrap();
    browser.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    // The click only starts the navigation: wait for the passport page (its sign-out form) before reading it.
    browser.wait().for_element(Locator::Css("form[action='/logout']")).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert!(url.as_str().ends_with(page), "signed in, back on the passport: {url}");
}

async fn sign_out(browser: &Client) {
    browser.find(Locator::Css("form[action='/logout'] button[type=submit]")).await.unwrap().click().await.unwrap();
    // As with signing in, the click only starts the navigation: wait until the page offers signing in again, so
    // the cookie is gone before the test navigates on.
    browser.wait().for_element(Locator::Css("a[href^='/login']")).await.unwrap();
}

#[tokio::test]
async fn each_role_sees_its_sections_in_a_real_browser() {
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store, Config { public_rate_limit: None, ..Config::default() }).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 7).remove(0);
    let created: Value =
        s.post("/api/v1/passports", Some(&s.admin)).json(&doc).send().await.unwrap().json().await.unwrap();
    let id = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    let page = format!("/p/{id}");
    let driver = chromedriver().await;
    let browser = browser(&driver).await;

    browser.goto(&format!("{}{page}", s.base)).await.unwrap();
    let public = section_ids(&browser).await;
    for expected in
        ["identity", "carbon-footprint", "recycled-content", "materials", "performance", "end-of-life", "labels"]
    {
        assert!(public.contains(&expected.to_string()), "public page lacks {expected}: {public:?}");
    }
    for restricted in ["dismantling", "composition", "state-of-health", "history", "test-reports"] {
        assert!(!public.contains(&restricted.to_string()), "public page shows {restricted}");
    }
    let source = browser.source().await.unwrap();
    assert!(!source.contains("stateOfCharge") && source.contains("<h1"));
    for image in browser.find_all(Locator::Css("img")).await.unwrap() {
        assert!(image.attr("alt").await.unwrap().is_some_and(|a| !a.is_empty()), "every image has an alt text");
    }
    screenshot(&browser, "public").await;

    browser.goto(&format!("{}{page}?lang=de", s.base)).await.unwrap();
    let html_lang = browser.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap();
    assert_eq!(html_lang.as_deref(), Some("de"));
    screenshot(&browser, "public-de").await;

    sign_in(&browser, &s, &s.legitimate, &page).await;
    let legitimate = section_ids(&browser).await;
    for expected in ["dismantling", "composition", "state-of-health", "history"] {
        assert!(legitimate.contains(&expected.to_string()), "legitimate interest lacks {expected}: {legitimate:?}");
    }
    assert!(!legitimate.contains(&"test-reports".to_string()), "test reports are for authorities");
    screenshot(&browser, "legitimate-interest").await;
    sign_out(&browser).await;
    browser.goto(&format!("{}{page}", s.base)).await.unwrap();
    assert_eq!(section_ids(&browser).await, public, "signed out: the public view again");

    sign_in(&browser, &s, &s.authority, &page).await;
    let authority = section_ids(&browser).await;
    assert!(authority.contains(&"test-reports".to_string()), "authority sees test reports: {authority:?}");
    assert!(!authority.contains(&"state-of-health".to_string()), "dynamic data is for legitimate interest");
    screenshot(&browser, "authority").await;
    browser.close().await.unwrap();
}

/// Rows of the table matching `css`, as their visible text.
async fn row_texts(browser: &Client, css: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for row in browser.find_all(Locator::Css(css)).await.unwrap() {
        rows.push(row.text().await.unwrap());
    }
    rows
}

#[tokio::test]
async fn quality_dashboard_in_a_real_browser() {
    use common::quality::{BASELINE, CAM, baseline_and_shift, supplier_key};
    let shifted_lot = format!("L-{:03}", BASELINE + 1);
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store, Config { public_rate_limit: None, ..Config::default() }).await;
    let cam = supplier_key(&s.store, CAM).await;
    baseline_and_shift(&s, &cam).await;
    let driver = chromedriver().await;
    let browser = browser(&driver).await;

    // The dashboard is for signed-in readers: the public is sent to the sign-in form, and back after it.
    browser.goto(&format!("{}/quality", s.base)).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/login", "{url}");
    assert!(url.query_pairs().any(|(k, v)| k == "next" && v == "/quality"), "back to the dashboard after: {url}");
    sign_in(&browser, &s, &s.operator, "/quality").await;
    let alarms = row_texts(&browser, "table.alarms tbody tr").await;
    assert!(alarms.iter().any(|r| r.contains(&shifted_lot) && r.contains("beyond-ucl")), "{alarms:?}");
    screenshot(&browser, "quality-alarms").await;

    // Lot decisions, filtered through the form.
    browser.goto(&format!("{}/quality/lots", s.base)).await.unwrap();
    assert_eq!(row_texts(&browser, "table.lots tbody tr").await.len(), BASELINE + 1);
    let outcome = browser.find(Locator::Css("select[name=outcome]")).await.unwrap();
    outcome.select_by_value("hold").await.unwrap();
    browser.find(Locator::Css("form.filter button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_url(&browser, "outcome=hold").await;
    let held = row_texts(&browser, "table.lots tbody tr").await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(held[0].contains(&shifted_lot) && held[0].contains("statistical_alarm: D50"), "{held:?}");
    screenshot(&browser, "quality-lots-hold").await;

    // The ranking leads to the supplier's scorecard, and its capability table to the control chart.
    browser.goto(&format!("{}/quality/suppliers", s.base)).await.unwrap();
    let ranking = row_texts(&browser, "table.ranking tbody tr").await;
    assert!(ranking.iter().any(|r| r.contains("Example Cathode Materials GmbH")), "{ranking:?}");
    browser
        .find(Locator::Css(&format!("table.ranking a[href='/quality/suppliers/{CAM}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait().for_element(Locator::Css("table.scorecard")).await.unwrap();
    let periods = row_texts(&browser, "table.scorecard tbody tr").await;
    let all_lots = (BASELINE + 1).to_string();
    assert!(periods.iter().any(|r| r.contains(&all_lots)), "a period with every lot: {periods:?}");
    screenshot(&browser, "quality-supplier").await;
    browser.find(Locator::Css("table.capability a[href*='characteristic=D50']")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Css("svg#control-chart, svg[aria-labelledby^='control-chart']")).await.unwrap();
    let chart = browser.find(Locator::Css("svg[aria-labelledby^='control-chart']")).await.unwrap();
    assert_eq!(chart.find_all(Locator::Css("rect.alarm")).await.unwrap().len(), 1, "the shifted lot is marked");
    assert_eq!(chart.find_all(Locator::Css("circle.point")).await.unwrap().len(), BASELINE);
    assert_eq!(chart.find_all(Locator::Css("g.control-limits line")).await.unwrap().len(), 3, "UCL, CL, LCL");
    let histogram = browser.find(Locator::Css("svg[aria-labelledby^='capability-histogram']")).await.unwrap();
    assert_eq!(histogram.find_all(Locator::Css("line.spec-limit")).await.unwrap().len(), 2, "LSL and USL");
    assert!(!histogram.find_all(Locator::Css("rect.bin")).await.unwrap().is_empty());
    let figures = row_texts(&browser, "table.capability-figures tbody tr").await;
    assert!(figures.iter().any(|r| r.starts_with("Cpk")), "{figures:?}");
    screenshot(&browser, "quality-series").await;
    browser.close().await.unwrap();

    // The report as PDF, for the same reader.
    let pdf = s.get(&format!("/quality/suppliers/{CAM}/report.pdf"), Some(&s.operator)).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile_dir();
    let path = dir.join("report.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let text = Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Supplier quality report: Example Cathode Materials GmbH"), "{text}");
    let open = s.get_json("/api/v1/spc/alarms", Some(&s.operator)).await["items"].as_array().unwrap().len();
    assert!(open >= 1 && text.contains(&format!("Open alarms: {open}")), "{open} open: {text}");
}

/// Waits until the browser's URL contains `part` (a click only starts a navigation).
async fn wait_for_url(browser: &Client, part: &str) {
    for _ in 0..100 {
        if browser.current_url().await.unwrap().as_str().contains(part) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached a URL with {part}");
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("voltpass-browser-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn trace_explorer_in_a_real_browser() {
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store, Config { public_rate_limit: None, ..Config::default() }).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 7).remove(0);
    let created: Value =
        s.post("/api/v1/passports", Some(&s.admin)).json(&doc).send().await.unwrap().json().await.unwrap();
    let passport = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    // A lot split 3:1 over two batches, four cells, one module, one pack (with the passport).
    let mut events = vec![
        json!({"eventId": "l", "type": "produced", "unit": {"id": "LOT-T", "kind": "lot", "supplier": "BPNL000000000CAM", "material": "NMC811", "quantity": {"value": 100, "unit": "kg"}, "attributes": {"category": "cathode"}}}),
        json!({"eventId": "b1", "type": "produced", "unit": {"id": "B-T1", "kind": "batch", "type": "cathode coating"}, "inputs": [{"id": "LOT-T", "quantity": {"value": 30, "unit": "kg"}}]}),
        json!({"eventId": "b2", "type": "produced", "unit": {"id": "B-T2", "kind": "batch", "type": "cathode coating"}, "inputs": [{"id": "LOT-T", "quantity": {"value": 10, "unit": "kg"}}]}),
    ];
    for c in 1..=4 {
        let batch = if c <= 2 { "B-T1" } else { "B-T2" };
        events.push(json!({"eventId": format!("c{c}"), "type": "produced", "unit": {"id": format!("C-T{c}"), "kind": "cell"}, "inputs": [{"id": batch}]}));
    }
    events.push(json!({"eventId": "m", "type": "produced", "unit": {"id": "M-T", "kind": "module"}, "inputs": (1..=4).map(|c| json!({"id": format!("C-T{c}")})).collect::<Vec<_>>()}));
    events.push(
        json!({"eventId": "p", "type": "produced", "unit": {"id": "P-T", "kind": "pack", "passport": passport}, "inputs": [{"id": "M-T"}]}),
    );
    let response = s.post("/api/v1/trace/events", Some(&s.operator)).json(&events).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let driver = chromedriver().await;
    let browser = browser(&driver).await;
    browser.goto(&format!("{}/trace", s.base)).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/login", "signed-in readers only");
    sign_in(&browser, &s, &s.operator, "/trace").await;
    // Search for the lot: its forward trace, batches with their shares, the pack holding all of it.
    browser.find(Locator::Css("form.trace-search input[name=id]")).await.unwrap().send_keys("LOT-T").await.unwrap();
    browser.find(Locator::Css("form.trace-search button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_url(&browser, "/trace/LOT-T").await;
    let counts = browser.find(Locator::Css("section.downstream p.counts")).await.unwrap().text().await.unwrap();
    assert_eq!(counts, "2 batches, 4 cells, 1 modules, 1 packs, 1 passports");
    let batches = row_texts(&browser, "ul.downstream-tree li.batches li").await;
    assert_eq!(batches, ["B-T1 75.00 %", "B-T2 25.00 %"]);
    let module = row_texts(&browser, "ul.downstream-tree li.pack li.module").await;
    assert_eq!(module, ["M-T 100.00 % (4 cells)"], "the module sits under its pack in the tree");
    screenshot(&browser, "trace-lot").await;
    // Down the tree to the pack: what it is made of, back to the lot and its supplier.
    browser.find(Locator::Css("ul.downstream-tree li.pack > a")).await.unwrap().click().await.unwrap();
    wait_for_url(&browser, "/trace/P-T").await;
    let parts = browser.find(Locator::Css("ul.upstream-tree li.parts summary")).await.unwrap().text().await.unwrap();
    assert_eq!(parts, "Parts (1), 4 cells");
    let lots = row_texts(&browser, "table.lots-traced tbody tr").await;
    assert_eq!(lots.len(), 1);
    assert!(
        lots[0].contains("LOT-T") && lots[0].contains("BPNL000000000CAM") && lots[0].contains("no CoA"),
        "{lots:?}"
    );
    screenshot(&browser, "trace-pack").await;
    // The passport page says where its rolled-up values come from, to the operator: the 40 kg taken from the lot.
    browser.goto(&format!("{}/p/{passport}", s.base)).await.unwrap();
    let origin = row_texts(&browser, "section#origin table.origin tbody tr").await;
    assert_eq!(origin.len(), 1, "{origin:?}");
    assert!(
        origin[0].contains("LOT-T") && origin[0].contains("BPNL000000000CAM") && origin[0].contains("40 kg"),
        "{origin:?}"
    );
    screenshot(&browser, "passport-origin").await;
    // Another operator's units are not there for it, nor where the passport's values come from.
    browser.delete_all_cookies().await.unwrap();
    sign_in(&browser, &s, &s.other_operator, "/trace").await;
    browser.goto(&format!("{}/trace/P-T", s.base)).await.unwrap();
    let body = browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert!(body.contains("no traced unit"), "{body}");
    browser.goto(&format!("{}/p/{passport}", s.base)).await.unwrap();
    assert!(browser.find_all(Locator::Css("section#origin")).await.unwrap().is_empty(), "no origin for others");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn analytics_dashboard_in_a_real_browser() {
    let store = store::open(&store::testing::fresh_sqlite_url()).await.unwrap();
    let s = TestServer::start(store, Config { public_rate_limit: None, ..Config::default() }).await;
    s.create_demo_models().await;
    let doc = documents(DemoModel::EvNmc811Pack, 1, 5).remove(0);
    let created: Value =
        s.post("/api/v1/passports", Some(&s.admin)).json(&doc).send().await.unwrap().json().await.unwrap();
    let passport = created["generalProductInformation"]["batteryPassportIdentifier"].as_str().unwrap().to_string();
    // 40 cells of line L7 over four days, one with a far too high resistance.
    let mut events = vec![
        json!({"eventId": "lot", "type": "produced", "unit": {"id": "LOT-A7", "kind": "lot", "quantity": {"value": 10, "unit": "kg"}}}),
    ];
    for i in 0..40 {
        let id = format!("C7-{i:02}");
        let resistance = if i == 7 { 1.5 } else { 1.0 + 0.01 * (f64::from(i) * 1.3).cos() };
        events.push(json!({"eventId": format!("p{i}"), "type": "produced", "unit": {"id": id, "kind": "cell", "line": "L7"}, "inputs": [{"id": "LOT-A7"}]}));
        events.push(json!({"eventId": format!("t{i}"), "type": "tested", "unitId": id, "passed": i != 7,
            "at": format!("2026-11-{:02}T08:00:00Z", 10 + i % 4),
            "results": {"capacityAh": 50.0 + 0.1 * f64::from(i).sin(), "internalResistanceMohm": resistance}}));
    }
    let response = s.post("/api/v1/trace/events", Some(&s.operator)).json(&events).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let window = json!({"line": "L7", "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"});
    let response = s.post("/api/v1/analytics/eol/screenings", Some(&s.operator)).json(&window).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    // A cycle-life prediction for the passport, from a fixture cell.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../analytics/fixtures/severson");
    let cell = analytics::cycle_life::Dataset::load(&fixture).unwrap().cells.remove(0);
    let path = format!("/api/v1/analytics/cycle-life?passportId={passport}");
    assert_eq!(s.post(&path, Some(&s.admin)).json(&cell.early).send().await.unwrap().status(), 200);

    let driver = chromedriver().await;
    let browser = browser(&driver).await;
    browser.goto(&format!("{}/analytics", s.base)).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/login", "signed-in readers only");
    sign_in(&browser, &s, &s.operator, "/analytics").await;
    let flagged = row_texts(&browser, "table.flagged-cells tbody tr").await;
    assert!(flagged.iter().any(|r| r.contains("C7-07") && r.contains("internalResistanceMohm")), "{flagged:?}");
    let held = row_texts(&browser, "table.held-units tbody tr").await;
    assert!(held.iter().any(|r| r.starts_with("C7-07") && r.contains("end-of-line anomaly on line L7")), "{held:?}");
    assert_eq!(browser.find_all(Locator::Css("svg.yield circle.measured")).await.unwrap().len(), 4, "four days");
    let models = row_texts(&browser, "table.models tbody tr").await;
    assert!(models.iter().any(|r| r.contains(analytics::cycle_life::embedded_model().name.as_str())), "{models:?}");
    screenshot(&browser, "analytics").await;
    // From the flagged cell to its genealogy page, which shows the hold.
    browser.find(Locator::Css("table.flagged-cells tbody tr a")).await.unwrap().click().await.unwrap();
    wait_for_url(&browser, "/trace/C7-07").await;
    let hold = browser.find(Locator::Css("p.on-hold")).await.unwrap().text().await.unwrap();
    assert!(hold.contains("On hold") && hold.contains("internalResistanceMohm"), "{hold}");
    // The passport page shows the prediction to the operator, not to the public.
    browser.goto(&format!("{}/p/{passport}", s.base)).await.unwrap();
    let predicted = browser.find(Locator::Css("section#predictions")).await.unwrap().text().await.unwrap();
    assert!(
        predicted.contains("Predicted cycle life")
            && predicted.contains(&analytics::cycle_life::embedded_model().version),
        "{predicted}"
    );
    screenshot(&browser, "passport-predictions").await;
    browser.delete_all_cookies().await.unwrap();
    browser.goto(&format!("{}/p/{passport}", s.base)).await.unwrap();
    assert!(browser.find_all(Locator::Css("section#predictions")).await.unwrap().is_empty(), "not for the public");
    browser.close().await.unwrap();
}
