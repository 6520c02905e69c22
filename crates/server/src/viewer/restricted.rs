//! The restricted sections: dismantling and composition (Annex XIII point 2: legitimate interest and the
//! Commission), state of health (point 4: legitimate interest) and test reports (point 3: authorities).
//! They never check the audience themselves: the document is already filtered, so absent data = no section.

use super::charts::{Bar, Chart, hbar};
use super::format::{Rows, address, as_str, date_time, items, link, num, per_component, power_at_soc, qty, text, url};
use super::i18n::{t, term};
use super::{Lang, PageContext};
use maud::{Markup, html};
use serde_json::Value;

pub fn dismantling(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let lang = ctx.lang;
    let documents: Vec<(String, &str)> = items(doc.pointer("/circularity/dismantlingAndRemovalInformation"))
        .filter_map(|d| {
            let kind = as_str(d.get("documentType"))
                .map_or_else(|| t(lang, "document").to_string(), |k| term(lang, "doctype", k));
            let mime = as_str(d.get("mimeType")).map(|m| format!(" ({m})")).unwrap_or_default();
            Some((format!("{kind}{mime}"), as_str(d.get("documentURL"))?))
        })
        .collect();
    let suppliers: Vec<&Value> = items(doc.pointer("/circularity/sparePartSources")).collect();
    let safety = doc.pointer("/circularity/safetyMeasures");
    let mut rows = Rows::default();
    rows.add(t(lang, "safety"), url(safety.and_then(|v| v.get("safetyInstructions"))))
        .add(t(lang, "waste_safety"), url(safety.and_then(|v| v.get("wasteBatterySafetyInstructions"))));
    if documents.is_empty() && suppliers.is_empty() && rows.is_empty() {
        return None;
    }
    Some(html! {
        @if !documents.is_empty() {
            h3 { (t(lang, "manuals")) }
            ul { @for (label, href) in &documents { li { (link(href, label)) } } }
        }
        (rows.render())
        @for sup in &suppliers {
            @let parts: Vec<(&str, &str)> = items(sup.get("components"))
                .map(|c| (as_str(c.get("partName")).unwrap_or("–"), as_str(c.get("partNumber")).unwrap_or("–"))).collect();
            h3 { (t(lang, "spare_parts")) @if let Some(n) = as_str(sup.get("nameOfSupplier")) { ": " (n) } }
            (supplier(lang, sup).render())
            @if !parts.is_empty() {
                div class="table-wrap" { table {
                    caption class="visually-hidden" { (t(lang, "spare_parts")) }
                    thead { tr { th scope="col" { (t(lang, "part")) } th scope="col" { (t(lang, "part_number")) } } }
                    tbody { @for (name, number) in &parts { tr { td { (name) } td { code { (number) } } } } }
                } }
            }
        }
    })
}

fn supplier(lang: Lang, sup: &Value) -> Rows {
    let mut rows = Rows::default();
    rows.text(t(lang, "address"), address(sup.get("addressOfSupplier")))
        .add(
            t(lang, "email"),
            as_str(sup.get("emailAddressOfSupplier")).map(|e| html! { a href=(format!("mailto:{e}")) { (e) } }),
        )
        .add(t(lang, "web"), url(sup.get("supplierWebAddress")));
    rows
}

pub fn composition(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let lang = ctx.lang;
    // The public sees material names too (critical raw materials); mass or location marks point 2 data.
    let materials: Vec<&Value> = items(doc.pointer("/materialComposition/batteryMaterials"))
        .filter(|m| m.get("batteryMaterialMass").is_some() || m.get("batteryMaterialLocation").is_some())
        .collect();
    if materials.is_empty() {
        return None;
    }
    Some(html! {
        div class="table-wrap" { table {
            caption { (t(lang, "composition.caption")) }
            thead { tr {
                th scope="col" { (t(lang, "component")) } th scope="col" { (t(lang, "material")) }
                th scope="col" { (t(lang, "cas")) } th scope="col" { (t(lang, "mass")) } th scope="col" { (t(lang, "critical.short")) }
            } }
            tbody { @for m in &materials { tr {
                td { (text(lang, m.pointer("/batteryMaterialLocation/componentName")).unwrap_or_default()) }
                td { (text(lang, m.get("batteryMaterialName")).unwrap_or_default()) }
                td { (text(lang, m.get("batteryMaterialIdentifier")).unwrap_or_default()) }
                td class="num" { (m.get("batteryMaterialMass").and_then(Value::as_f64).map(|x| qty(lang, x, "kg")).unwrap_or_default()) }
                td { (text(lang, m.get("isCriticalRawMaterial")).unwrap_or_default()) }
            } } }
        } }
    })
}

/// The number inside a dynamic value, e.g. `stateOfCharge/stateOfChargeValue`.
fn dynamic(bc: &Value, key: &str) -> Option<f64> {
    bc.get(key)?.get(format!("{key}Value"))?.as_f64()
}

pub fn state_of_health(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let (lang, bc) = (ctx.lang, doc.pointer("/performance/batteryCondition")?);
    let d = |k: &str| dynamic(bc, k);
    let pct = |x: f64| qty(lang, x, "%");
    let minutes = |k: &str| {
        bc.pointer(&format!("/temperatureInformation/{k}")).and_then(Value::as_f64).map(|x| qty(lang, x, "min"))
    };
    let rpc = bc.pointer("/remainingPowerCapability/remainingPowerCapabilityValue");
    let mut rows = Rows::default();
    rows.text(t(lang, "soce"), d("stateOfCertifiedEnergy").map(pct))
        .text(t(lang, "soc"), d("stateOfCharge").map(pct))
        .text(t(lang, "remaining_capacity"), d("remainingCapacity").map(|x| qty(lang, x, "Ah")))
        .text(t(lang, "capacity_fade"), d("capacityFade").map(pct))
        .text(t(lang, "remaining_energy"), d("remainingEnergy").map(|x| qty(lang, x, "kWh")))
        .text(t(lang, "full_cycles"), d("numberOfFullCycles").map(|x| num(lang, x)))
        .text(t(lang, "energy_throughput"), d("energyThroughput").map(|x| qty(lang, x, "kWh")))
        .text(t(lang, "capacity_throughput"), d("capacityThroughput").map(|x| qty(lang, x, "Ah")))
        .text(t(lang, "remaining_power"), rpc.and_then(|v| power_at_soc(lang, v)))
        .text(t(lang, "remaining_rte"), d("remainingRoundTripEnergyEfficiency").map(pct))
        .text(
            t(lang, "self_discharge_now"),
            d("currentSelfDischargingRate").map(|x| format!("{} {}", pct(x), t(lang, "per_month"))),
        )
        .text(t(lang, "self_discharge_evolution"), d("evolutionOfSelfDischarge").map(pct))
        .add(t(lang, "resistance_now"), per_component(lang, bc.get("internalResistance"), "ohmicResistance", "Ω"))
        .add(
            t(lang, "resistance_increase"),
            per_component(lang, bc.get("internalResistanceIncrease"), "internalResistanceIncreaseValue", "%"),
        )
        .text(t(lang, "temp.high"), minutes("timeExtremeHighTemp"))
        .text(t(lang, "temp.low"), minutes("timeExtremeLowTemp"))
        .text(t(lang, "temp.high_charging"), minutes("timeExtremeHighTempCharging"))
        .text(t(lang, "temp.low_charging"), minutes("timeExtremeLowTempCharging"));
    let events: Vec<&Value> = items(bc.get("negativeEvents")).collect();
    let updated = latest_update(bc);
    if rows.is_empty() && events.is_empty() && bc.get("negativeEvents").is_none() {
        return None;
    }
    Some(html! {
        @if let Some(u) = &updated { p class="muted" { (t(lang, "last_update")) " " time datetime=(u) { (date_time(lang, u)) } } }
        (gauges(lang, bc))
        (health_curve(ctx))
        (rows.render())
        @if bc.get("negativeEvents").is_some() {
            h3 { (t(lang, "events")) }
            @if events.is_empty() { p { (t(lang, "events.none")) } }
            ul { @for e in &events { li {
                @if let Some(when) = as_str(e.get("lastUpdate")) { time datetime=(when) { (date_time(lang, when)) } ": " }
                (text(lang, e.get("negativeEvent")).unwrap_or_default())
            } } }
        }
    })
}

/// SoCE and SoC as bars out of 100 %, the two figures a workshop looks at first.
/// The state-of-health curve from the readings, when there are at least two points.
fn health_curve(ctx: &PageContext) -> Markup {
    let points = ctx.health_curve;
    if points.len() < 2 {
        return html! {};
    }
    let lang = ctx.lang;
    let lowest = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let low = ((lowest - 5.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0;
    let label = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp(ms / 1000)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .map(|stamp| date_time(lang, &stamp))
            .unwrap_or_default()
    };
    let (first, last) = (label(points[0].0), label(points[points.len() - 1].0));
    let (bottom, top) = (qty(lang, low, "%"), qty(lang, 100.0, "%"));
    let desc = format!("{} {} – {}", t(lang, "soh.curve.desc"), first, last);
    let curve = super::charts::Curve {
        id: "soh-curve",
        title: t(lang, "soh.curve"),
        desc: &desc,
        points,
        range: (low, 100.0),
        time_labels: (&first, &last),
        value_labels: (&bottom, &top),
    };
    html! { figure { (super::charts::line(&curve)) figcaption { (t(lang, "soh.curve")) } } }
}

fn gauges(lang: Lang, bc: &Value) -> Markup {
    let bars: Vec<Bar> = [("soce", "stateOfCertifiedEnergy"), ("soc", "stateOfCharge")]
        .into_iter()
        .filter_map(|(label, key)| {
            let x = dynamic(bc, key)?;
            Some(Bar { label: t(lang, label).to_string(), value: x, value_text: qty(lang, x, "%"), markers: vec![] })
        })
        .collect();
    if bars.is_empty() {
        return html! {};
    }
    hbar(&Chart {
        id: "soh-chart",
        title: t(lang, "soh.chart"),
        desc: t(lang, "soh.chart.desc"),
        max: 100.0,
        bars: &bars,
        legend: &[],
        scale: ("0", "100 %"),
    })
}

/// The newest `lastUpdate` of the condition values (negative events carry their own dates).
fn latest_update(bc: &Value) -> Option<String> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| match v.as_str() {
                Some(s) if k == "lastUpdate" => out.push(s),
                _ => walk(v, out),
            }),
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    bc.as_object()?.iter().filter(|(k, _)| *k != "negativeEvents").for_each(|(_, v)| walk(v, &mut all));
    let parse = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok();
    all.into_iter().filter_map(|s| Some((parse(s)?, s))).max().map(|(_, s)| s.to_string())
}

pub fn test_reports(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let lang = ctx.lang;
    let report = url(doc.pointer("/labels/resultOfTestReport"))?;
    let mut rows = Rows::default();
    rows.add(t(lang, "test_report"), Some(report))
        .add(t(lang, "doc"), url(doc.pointer("/labels/declarationOfConformity")))
        .text(t(lang, "doc_id"), text(lang, doc.pointer("/labels/declarationOfConformityId")));
    Some(rows.render())
}
