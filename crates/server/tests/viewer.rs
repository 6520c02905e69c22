//! The HTML viewer's pages, parsed with a real HTML parser: which sections each audience gets, that
//! restricted values never reach the public page, German formatting, escaping, and the small pages.

use passport::access::{Audience, visible};
use scraper::{Html, Selector};
use serde_json::{Value, json};
use server::service::HistoryEntry;
use server::viewer::{self, Lang, PageContext, Tombstone};

const PUBLIC: [&str; 7] =
    ["identity", "carbon-footprint", "recycled-content", "materials", "performance", "end-of-life", "labels"];
const RESTRICTED: [&str; 5] = ["dismantling", "composition", "state-of-health", "test-reports", "history"];

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Parses `html`, failing on any HTML parse error, and checks what every page must have.
fn parse(html: &str, lang: &str) -> Html {
    let page = Html::parse_document(html);
    assert!(page.errors.is_empty(), "HTML parse errors: {:?}", page.errors);
    assert_eq!(page.select(&sel("html")).next().unwrap().value().attr("lang"), Some(lang));
    assert_eq!(page.select(&sel("h1")).count(), 1, "exactly one h1");
    assert!(page.select(&sel(r#"meta[name="viewport"]"#)).next().is_some());
    assert!(page.select(&sel(r#"link[rel="stylesheet"][href="/assets/viewer.css"]"#)).next().is_some());
    assert!(
        page.select(&sel(r##"a.skip-link[href="#main"]"##)).next().is_some()
            && page.select(&sel("main#main")).next().is_some()
    );
    assert!(page.select(&sel("a[href='?lang=de'], a[href^='?lang=de&']")).next().is_some(), "language switcher");
    // CSP default-src 'self': no scripts, no inline styles, no external images.
    assert_eq!(page.select(&sel("script, style, [style]")).count(), 0);
    for img in page.select(&sel("img")) {
        assert!(!img.value().attr("alt").unwrap_or_default().is_empty(), "img without alt");
        assert!(img.value().attr("src").unwrap().starts_with('/'), "external image");
    }
    page
}

fn text(page: &Html, css: &str) -> String {
    page.select(&sel(css)).flat_map(|e| e.text()).collect()
}

fn history() -> Vec<HistoryEntry> {
    vec![HistoryEntry {
        version: 1,
        created_at: time::macros::datetime!(2026-03-07 10:15 UTC),
        actor_id: Some("operator-nordwind".into()),
        reason: Some("placed on the market".into()),
        content_hash: Some("ab".repeat(32)),
        prev_hash: None,
        signature: Some(store::VersionSignature { key_id: "OP-key-1".into(), signature: "z3sig".into() }),
    }]
}

fn render(doc: &Value, audience: Audience, lang: Lang, history: &[HistoryEntry]) -> String {
    let ctx = PageContext {
        lang,
        audience,
        passport_id: "urn:voltpass:0190f1a2b3c47d8e9f00112233445566",
        model_id: Some("VOLTA-EV-NMC811-P96"),
        version: 1,
        signed_in_as: (audience != Audience::Public).then_some("operator-nordwind"),
        history,
        successor_id: None,
        qr_svg_path: "/p/urn:voltpass:0190f1a2b3c47d8e9f00112233445566/qr.svg",
        health_curve: &[],
        origin: None,
        predictions: &[],
    };
    viewer::passport_page(&visible(doc, audience), &ctx)
}

fn leaf<'a>(doc: &'a Value, pointer: &str) -> &'a str {
    doc.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("demo document lacks {pointer}"))
}

#[test]
fn each_audience_gets_its_sections_and_no_more() {
    let history = history();
    for doc in passport::demo::passports(3, 1) {
        // Values of Annex XIII points 2, 3 and 4: never on the public page.
        let part_number = leaf(&doc, "/circularity/sparePartSources/0/components/0/partNumber");
        let manual = leaf(&doc, "/circularity/dismantlingAndRemovalInformation/0/documentURL");
        let test_report = leaf(&doc, "/labels/resultOfTestReport");
        let full_cycles =
            doc.pointer("/performance/batteryCondition/numberOfFullCycles/numberOfFullCyclesValue").unwrap();
        for audience in Audience::ALL {
            let hist: &[HistoryEntry] = if audience == Audience::Public { &[] } else { &history };
            let html = render(&doc, audience, Lang::En, hist);
            let page = parse(&html, "en");
            let expected: Vec<&str> = match audience {
                Audience::Public => vec![],
                Audience::LegitimateInterest => vec!["dismantling", "composition", "state-of-health", "history"],
                Audience::Authority => vec!["dismantling", "composition", "test-reports", "history"],
                Audience::Operator => RESTRICTED.to_vec(),
            };
            for id in PUBLIC.iter().chain(&RESTRICTED) {
                let present = page.select(&sel(&format!("section#{id} > h2"))).next().is_some();
                let want = PUBLIC.contains(id) || expected.contains(id);
                assert_eq!(present, want, "{audience:?}: section {id}");
                let in_toc = page.select(&sel(&format!(r##"nav.toc a[href="#{id}"]"##))).next().is_some();
                assert_eq!(in_toc, want, "{audience:?}: contents entry {id}");
            }
            assert!(text(&page, "section#carbon-footprint svg.chart title").contains("life-cycle stage"));
            assert!(page.select(&sel("section#carbon-footprint table td")).count() >= 4, "chart figures as a table");
            assert!(page.select(&sel("section#recycled-content svg.chart line")).count() >= 2, "target markers");
            let sees = |v: &str| html.contains(v);
            assert_eq!(sees(part_number), expected.contains(&"dismantling"), "{audience:?}: part number");
            assert_eq!(sees(manual), expected.contains(&"dismantling"), "{audience:?}: dismantling manual");
            assert_eq!(sees(test_report), audience == Audience::Authority || audience == Audience::Operator);
            // The history names the signing key where the reader's history carries it.
            assert_eq!(text(&page, "section#history td code").contains("OP-key-1"), audience != Audience::Public);
            let cycles = text(&page, "section#state-of-health dd");
            assert_eq!(cycles.contains(&full_cycles.to_string()), expected.contains(&"state-of-health"));
            let header = text(&page, "header .access");
            let view = match audience {
                Audience::Public => "Public view",
                Audience::LegitimateInterest => "Legitimate interest view",
                Audience::Authority => "Authority view",
                Audience::Operator => "Operator view",
            };
            assert!(header.contains(view), "{header}");
            let sign_in = sel(r#"a[href="/login?next=/p/urn:voltpass:0190f1a2b3c47d8e9f00112233445566"]"#);
            assert_eq!(page.select(&sign_in).next().is_some(), audience == Audience::Public);
            let sign_out = sel(r#"form[method="post"][action="/logout"] button"#);
            assert_eq!(page.select(&sign_out).next().is_some(), audience != Audience::Public);
        }
    }
}

#[test]
fn german_page_has_german_headings_and_decimal_commas() {
    let doc = passport::demo::passports(1, 7).next().unwrap();
    let html = render(&doc, Audience::Public, Lang::De, &[]);
    let page = parse(&html, "de");
    assert_eq!(text(&page, "section#carbon-footprint > h2"), "CO₂-Fußabdruck");
    assert_eq!(text(&page, "section#recycled-content > h2"), "Rezyklatanteil");
    assert_eq!(text(&page, "section#identity > h2"), "Identifikation");
    let cf = doc.pointer("/carbonFootprint/batteryCarbonFootprint").unwrap().as_f64().unwrap();
    assert!(cf.fract() != 0.0, "the test needs a fractional value, got {cf}");
    let german = cf.to_string().replace('.', ",");
    assert!(text(&page, "section#carbon-footprint dd").contains(&format!("{german}\u{a0}kg CO₂e/kWh")));
    assert!(!text(&page, "section#carbon-footprint").contains(&cf.to_string()), "no decimal points in German");
    let made = leaf(&doc, "/generalProductInformation/manufacturingDate");
    assert!(!text(&page, "section#identity").contains(made), "dates are formatted, not raw RFC 3339");
    assert!(text(&page, "a[aria-current]").contains("Deutsch"));
}

#[test]
fn everything_is_escaped_and_only_safe_links_are_links() {
    let mut doc = passport::demo::passports(1, 2).next().unwrap();
    doc["generalProductInformation"]["productIdentifier"] = json!("<script>alert(1)</script>");
    doc["generalProductInformation"]["manufacturerInformation"]["contactName"] =
        json!("\"><img src=x onerror=alert(2)>");
    doc["carbonFootprint"]["carbonFootprintStudy"] = json!("javascript:alert(3)");
    let html = render(&doc, Audience::Operator, Lang::En, &[]);
    let page = parse(&html, "en");
    assert!(!html.contains("<script") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(text(&page, "h1").contains("<script>alert(1)</script>"), "shown as text");
    assert_eq!(page.select(&sel("img")).count(), 1, "only the QR code image");
    assert!(page.select(&sel("a[href^='javascript']")).next().is_none());
    assert!(text(&page, "section#carbon-footprint").contains("javascript:alert(3)"), "shown as text");
}

#[test]
fn sections_without_data_are_left_out() {
    for doc in
        [json!({}), json!({"carbonFootprint": {}, "performance": "odd", "circularity": {"recycledContent": [1, null]}})]
    {
        let page = parse(&render(&doc, Audience::Operator, Lang::En, &[]), "en");
        let ids: Vec<&str> = page.select(&sel("section")).filter_map(|s| s.value().attr("id")).collect();
        assert_eq!(ids, ["identity"], "{doc}");
    }
}

#[test]
fn tombstone_not_found_error_and_login_pages() {
    let ts = Tombstone {
        passport_id: "urn:voltpass:0190f1a2b3c47d8e9f00112233445566",
        battery_id: "(01)04260712341013(21)P96-000000001",
        model_id: "VOLTA-EV-NMC811-P96",
        manufacturer: "Volta Cells GmbH",
        ceased_at: "2031-05-04T08:30:00Z",
        reason: "Recycled by Example Recycling GmbH",
        successor_id: Some("urn:voltpass:0190f1a2b3c47d8e9f00112233445599"),
    };
    let page = parse(&viewer::tombstone_page(&ts, Lang::En), "en");
    assert!(text(&page, "h1").contains("recycled") && text(&page, "h1").contains("passport has ended"));
    let body = text(&page, "main");
    for want in [ts.battery_id, ts.model_id, ts.manufacturer, ts.reason, "4 May 2031"] {
        assert!(body.contains(want), "{want} missing from {body}");
    }
    assert!(page.select(&sel(r#"a[href="/p/urn:voltpass:0190f1a2b3c47d8e9f00112233445599"]"#)).next().is_some());
    let page = parse(&viewer::tombstone_page(&ts, Lang::De), "de");
    assert!(text(&page, "main").contains("4. Mai 2031"));

    let page = parse(&viewer::not_found_page("urn:<x>", Lang::De), "de");
    assert!(text(&page, "h1").contains("nicht gefunden") && text(&page, "main code") == "urn:<x>");

    let page = parse(&viewer::error_page(429, "Too many requests", "Try again in a minute.", Lang::En), "en");
    assert_eq!(text(&page, "h1"), "Too many requests");
    assert!(text(&page, "main").contains("429") && text(&page, "main").contains("Try again in a minute."));

    let next = "/p/urn:voltpass:0190f1a2b3c47d8e9f00112233445566";
    let html = viewer::login_page(Lang::En, next, "tok\"en<1>", Some("Unknown access key"));
    let page = parse(&html, "en");
    let form = sel(r#"form[method="post"][action="/login"]"#);
    assert!(page.select(&form).next().is_some());
    let field = |css: &str| page.select(&sel(css)).next().unwrap_or_else(|| panic!("no {css}")).value().attr("value");
    assert_eq!(field(r#"form input[type="hidden"][name="csrf"]"#), Some("tok\"en<1>"));
    assert_eq!(field(r#"form input[type="hidden"][name="next"]"#), Some(next));
    assert!(page.select(&sel(r#"input#key[type="password"][name="key"][autocomplete="off"]"#)).next().is_some());
    assert!(page.select(&sel(r#"label[for="key"]"#)).next().is_some());
    assert_eq!(text(&page, r#"[role="alert"]"#), "Unknown access key");
    let de = format!("?lang=de&next={next}");
    assert!(page.select(&sel(&format!(r#"a[href="{de}"]"#))).next().is_some(), "language links keep next");
    let page = parse(&viewer::login_page(Lang::De, "//evil.example", "t", None), "de");
    assert!(page.select(&sel(r#"main a[href="//evil.example"]"#)).next().is_none(), "no off-site back link");
    assert!(page.select(&sel(r#"[role="alert"]"#)).next().is_none());
}

#[test]
fn the_style_sheet_is_self_contained() {
    assert!(viewer::VIEWER_CSS.contains(".skip-link") && viewer::VIEWER_CSS.contains("@media (min-width"));
    assert!(!viewer::VIEWER_CSS.contains("url(") && !viewer::VIEWER_CSS.contains("@import"));
}
