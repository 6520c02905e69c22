//! The passport page: the header saying which access group's view this is, a table of contents, and one
//! `<section>` per topic. The document arrives already filtered for the reader, so every section is built
//! only from what is present and a section with nothing to show is left out (and out of the contents).

use super::format::{Rows, address, date, date_time, items, link, qty, query_value, section, text};
use super::i18n::{t, term};
use super::pages::layout;
use super::{PageContext, origin, predictions, restricted, sections};
use maud::{Markup, html};
use passport::access::Audience;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

type SectionFn = fn(&Value, &PageContext) -> Option<Markup>;

/// Section ids (also their heading keys) in page order.
const SECTIONS: [(&str, SectionFn); 14] = [
    ("identity", identity),
    ("carbon-footprint", sections::carbon_footprint),
    ("recycled-content", sections::recycled_content),
    ("materials", sections::materials),
    ("performance", sections::performance),
    ("end-of-life", sections::end_of_life),
    ("labels", sections::labels),
    ("dismantling", restricted::dismantling),
    ("composition", restricted::composition),
    ("state-of-health", restricted::state_of_health),
    ("test-reports", restricted::test_reports),
    ("predictions", predictions::predictions),
    ("origin", origin::origin),
    ("history", history),
];

/// The HTML page for `doc`, which the caller has already filtered with `passport::access::visible`.
pub fn passport_page(doc: &Value, ctx: &PageContext) -> String {
    let lang = ctx.lang;
    let shown: Vec<(&str, Markup)> = SECTIONS.iter().filter_map(|(id, f)| f(doc, ctx).map(|m| (*id, m))).collect();
    let product = doc.pointer("/generalProductInformation/productIdentifier").and_then(Value::as_str);
    let main = html! {
        h1 { (t(lang, "passport")) @if let Some(p) = product { " " span class="pid" { (p) } } }
        @if let Some(next) = ctx.successor_id {
            p class="notice" { (t(lang, "successor")) " " (link(&format!("/p/{next}"), next)) }
        }
        nav class="toc" aria-label=(t(lang, "contents")) {
            ul { @for (id, _) in &shown { li { a href=(format!("#{id}")) { (t(lang, id)) } } } }
        }
        @for (id, body) in &shown { (section(id, t(lang, id), body)) }
    };
    let title = product.unwrap_or(ctx.passport_id);
    layout(lang, &format!("{} {title}", t(lang, "passport")), &[], access_header(ctx), main)
}

/// Which access group's view this is, and how to sign in or out.
fn access_header(ctx: &PageContext) -> Markup {
    let lang = ctx.lang;
    let (view, note) = match ctx.audience {
        Audience::Public => ("view.public", "view.public.note"),
        Audience::LegitimateInterest => ("view.li", "view.li.note"),
        Audience::Authority => ("view.authority", "view.authority.note"),
        Audience::Operator => ("view.operator", "view.operator.note"),
    };
    let next = query_value(&format!("/p/{}", ctx.passport_id));
    html! {
        div class="access" {
            p { strong class="view" { (t(lang, view)) } " " (t(lang, note)) }
            @if let Some(actor) = ctx.signed_in_as {
                form class="signout" method="post" action="/logout" {
                    input type="hidden" name="next" value=(format!("/p/{}", ctx.passport_id));
                    span { (t(lang, "signed_in_as")) " " strong { (actor) } }
                    " " button type="submit" { (t(lang, "sign_out")) }
                }
            } @else if ctx.audience == Audience::Public {
                p { a href=(format!("/login?next={next}")) { (t(lang, "sign_in")) } }
            }
        }
    }
}

/// Product identity, manufacturer, dates, basic ratings and the QR code.
fn identity(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let lang = ctx.lang;
    let gpi = doc.get("generalProductInformation");
    let g = |k: &str| gpi.and_then(|g| g.get(k));
    let num = |v: Option<&Value>| v.and_then(Value::as_f64);
    let tech = |k: &str| num(doc.pointer(&format!("/performance/batteryTechicalProperties/{k}")));
    let chemistry = doc.pointer("/materialComposition/batteryChemistry");
    let chem = |k: &str| chemistry.and_then(|c| c.get(k)).and_then(Value::as_str);
    let chemistry = match (chem("shortName"), chem("clearName")) {
        (Some(s), Some(c)) => Some(format!("{s} – {c}")),
        (s, c) => s.or(c).map(str::to_string),
    };
    let predecessors: Vec<&str> = items(g("predecessorPassports")).filter_map(Value::as_str).collect();
    let mut rows = Rows::default();
    rows.text(t(lang, "product_id"), text(lang, g("productIdentifier")))
        .text(t(lang, "model"), ctx.model_id.map(str::to_string))
        .text(t(lang, "category"), g("batteryCategory").and_then(Value::as_str).map(|c| term(lang, "cat", c)))
        .text(t(lang, "chemistry"), chemistry)
        .text(t(lang, "status"), g("batteryStatus").and_then(Value::as_str).map(|s| term(lang, "status", s)))
        .add(t(lang, "manufacturer"), contact(g("manufacturerInformation")))
        .add(t(lang, "operator"), contact(g("operatorInformation")))
        .text(t(lang, "manufacturing_place"), address(g("manufacturingPlace")))
        .text(t(lang, "manufacturing_date"), g("manufacturingDate").and_then(Value::as_str).map(|d| date(lang, d)))
        .text(t(lang, "in_service"), g("puttingIntoService").and_then(Value::as_str).map(|d| date(lang, d)))
        .text(t(lang, "warranty"), text(lang, g("warrentyPeriod")))
        .text(t(lang, "mass"), num(g("batteryMass")).map(|x| qty(lang, x, "kg")))
        .text(t(lang, "rated_capacity"), tech("ratedCapacity").map(|x| qty(lang, x, "Ah")))
        .text(t(lang, "rated_energy"), tech("ratedEnergy").map(|x| qty(lang, x, "kWh")))
        .text(t(lang, "nominal_voltage"), tech("nominalVoltage").map(|x| qty(lang, x, "V")))
        .text(t(lang, "minimum_voltage"), tech("minimumVoltage").map(|x| qty(lang, x, "V")))
        .text(t(lang, "maximum_voltage"), tech("maximumVoltage").map(|x| qty(lang, x, "V")))
        .add(
            t(lang, "predecessors"),
            (!predecessors.is_empty()).then(|| {
                html! {
                    ul class="plain" { @for p in &predecessors { li { (link(&format!("/p/{p}"), p)) } } }
                }
            }),
        )
        .add(t(lang, "passport_id"), Some(html! { code { (ctx.passport_id) } }))
        .text(t(lang, "version"), Some(ctx.version.to_string()));
    Some(html! {
        div class="identity" {
            (rows.render())
            figure class="qr" {
                img src=(ctx.qr_svg_path) alt=(t(lang, "qr.alt")) width="160" height="160";
                figcaption { (t(lang, "qr.caption")) }
            }
        }
    })
}

/// A contact object (name, address, identifier, e-mail, web) as lines.
fn contact(v: Option<&Value>) -> Option<Markup> {
    let v = v?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (name, id, email, web) = (s("contactName"), s("identifier"), s("emailAddress"), s("webAddress"));
    let addr = address(v.get("postalAddress"));
    if [name, id, email, web, addr.as_deref()].iter().all(Option::is_none) {
        return None;
    }
    Some(html! {
        @if let Some(n) = name { span class="line" { strong { (n) } } }
        @if let Some(a) = addr { span class="line" { (a) } }
        @if let Some(i) = id { span class="line" { code { (i) } } }
        @if let Some(e) = email { span class="line" { a href=(format!("mailto:{e}")) { (e) } } }
        @if let Some(w) = web { span class="line" { (link(w, w)) } }
    })
}

/// The version history; columns the reader's entries do not carry (actor, reason, hash) are left out.
fn history(_doc: &Value, ctx: &PageContext) -> Option<Markup> {
    if ctx.history.is_empty() {
        return None;
    }
    let lang = ctx.lang;
    let who = ctx.history.iter().any(|v| v.actor_id.is_some());
    let why = ctx.history.iter().any(|v| v.reason.is_some());
    let hash = ctx.history.iter().any(|v| v.content_hash.is_some());
    let signed = ctx.history.iter().any(|v| v.signature.is_some());
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".to_string());
    Some(html! {
        div class="table-wrap" {
            table {
                caption { (t(lang, "history.caption")) }
                thead { tr {
                    th scope="col" { (t(lang, "version")) }
                    th scope="col" { (t(lang, "history.when")) }
                    @if who { th scope="col" { (t(lang, "history.who")) } }
                    @if why { th scope="col" { (t(lang, "history.reason")) } }
                    @if hash { th scope="col" { (t(lang, "history.hash")) } }
                    @if signed { th scope="col" { (t(lang, "history.signed")) } }
                } }
                tbody {
                    @for v in ctx.history {
                        @let when = v.created_at.format(&Rfc3339).unwrap_or_default();
                        @let current = v.version == ctx.version;
                        tr aria-current=[current.then_some("true")] {
                            td { (v.version) @if current { " (" (t(lang, "history.shown")) ")" } }
                            td { time datetime=(when) { (date_time(lang, &when)) } }
                            @if who { td { (or_dash(&v.actor_id)) } }
                            @if why { td { (or_dash(&v.reason)) } }
                            @if hash { td { @if let Some(h) = &v.content_hash {
                                code title=(h) { (h.get(..12).unwrap_or(h)) "…" }
                            } @else { "–" } } }
                            @if signed { td { @if let Some(sig) = &v.signature {
                                code title=(sig.signature) { (sig.key_id) }
                            } @else { "–" } } }
                        }
                    }
                }
            }
        }
    })
}
