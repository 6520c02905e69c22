//! The public sections (Annex XIII point 1): carbon footprint, recycled content, materials, performance,
//! end of life and labels. Each returns `None` when the (filtered) document holds nothing for it.

use super::charts::{Bar, Chart, MarkerStyle, hbar, nice_max};
use super::format::{
    Rows, as_num, as_str, items, link, num, num_dp, per_component, power, power_at_soc, qty, text, url,
};
use super::i18n::{t, term};
use super::{Lang, PageContext};
use maud::{Markup, html};
use serde_json::Value;

/// Minimum recycled content per battery, Regulation (EU) 2023/1542 Art. 8(2) (from 18 August 2031) and
/// Art. 8(3) (from 18 August 2036), in % of the material recovered from waste.
#[derive(Debug, Clone, Copy)]
pub struct RecycledContentTarget {
    /// As in `circularity/recycledContent/-/recycledMaterial`.
    pub material: &'static str,
    pub from_2031: f64,
    pub from_2036: f64,
}

pub const RECYCLED_CONTENT_TARGETS: [RecycledContentTarget; 4] = [
    RecycledContentTarget { material: "Cobalt", from_2031: 16.0, from_2036: 26.0 },
    RecycledContentTarget { material: "Lead", from_2031: 85.0, from_2036: 85.0 },
    RecycledContentTarget { material: "Lithium", from_2031: 6.0, from_2036: 12.0 },
    RecycledContentTarget { material: "Nickel", from_2031: 6.0, from_2036: 15.0 },
];

fn pct(lang: Lang, x: f64) -> String {
    qty(lang, x, "%")
}

pub fn carbon_footprint(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let (lang, cf) = (ctx.lang, doc.get("carbonFootprint")?);
    let total = as_num(cf.get("batteryCarbonFootprint"));
    let stages: Vec<(String, f64)> = items(cf.get("carbonFootprintPerLifecycleStage"))
        .filter_map(|st| {
            Some((term(lang, "stage", as_str(st.get("lifecycleStage"))?), as_num(st.get("carbonFootprint"))?))
        })
        .collect();
    let mut rows = Rows::default();
    rows.text(t(lang, "cf.total"), total.map(|x| qty(lang, x, "kg CO₂e/kWh")))
        .text(t(lang, "cf.absolute"), as_num(cf.get("absoluteCarbonFootprint")).map(|x| qty(lang, x, "t CO₂e")))
        .text(t(lang, "cf.class"), text(lang, cf.get("carbonFootprintPerformanceClass")))
        .add(t(lang, "cf.study"), url(cf.get("carbonFootprintStudy")));
    if rows.is_empty() && stages.is_empty() {
        return None;
    }
    let bars: Vec<Bar> = stages
        .iter()
        .map(|(label, share)| Bar {
            label: label.clone(),
            value: *share,
            value_text: pct(lang, *share),
            markers: vec![],
        })
        .collect();
    let max = nice_max(stages.iter().map(|(_, v)| *v).fold(0.0, f64::max));
    let (max_text, desc) = (pct(lang, max), t(lang, "cf.chart.desc"));
    let chart = Chart {
        id: "cf-chart",
        title: t(lang, "cf.chart"),
        desc,
        max,
        bars: &bars,
        legend: &[],
        scale: ("0", &max_text),
    };
    Some(html! {
        (rows.render())
        @if !stages.is_empty() {
            h3 { (t(lang, "cf.chart")) }
            (hbar(&chart))
            div class="table-wrap" { table {
                caption class="visually-hidden" { (t(lang, "cf.chart")) }
                thead { tr {
                    th scope="col" { (t(lang, "cf.stage")) } th scope="col" { (t(lang, "share")) }
                    @if total.is_some() { th scope="col" { "kg CO₂e/kWh" } }
                } }
                tbody { @for (label, share) in &stages { tr {
                    th scope="row" { (label) } td { (pct(lang, *share)) }
                    @if let Some(total) = total { td { (num_dp(lang, total * share / 100.0, 2)) } }
                } } }
            } }
        }
    })
}

pub fn recycled_content(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let (lang, circ) = (ctx.lang, doc.get("circularity")?);
    // (material key, pre-consumer, post-consumer, total)
    let shares: Vec<(&str, Option<f64>, Option<f64>, f64)> = items(circ.get("recycledContent"))
        .filter_map(|r| {
            let (pre, post) = (as_num(r.get("preConsumerShare")), as_num(r.get("postConsumerShare")));
            (pre.is_some() || post.is_some()).then_some((
                as_str(r.get("recycledMaterial"))?,
                pre,
                post,
                pre.unwrap_or(0.0) + post.unwrap_or(0.0),
            ))
        })
        .collect();
    let reporting = circ.get("recycledContentReporting");
    let mut rows = Rows::default();
    rows.text(t(lang, "rc.renewable"), as_num(circ.get("renewableContent")).map(|x| pct(lang, x)))
        .text(
            t(lang, "rc.year"),
            reporting.and_then(|r| r.get("reportingYear")).and_then(Value::as_i64).map(|y| y.to_string()),
        )
        .text(t(lang, "rc.plant"), reporting.and_then(|r| as_str(r.get("manufacturingPlant"))).map(str::to_string));
    if shares.is_empty() && rows.is_empty() {
        return None;
    }
    let target = |m: &str| RECYCLED_CONTENT_TARGETS.iter().find(|t| t.material.eq_ignore_ascii_case(m));
    let bars: Vec<Bar> = shares
        .iter()
        .map(|(m, _, _, total)| Bar {
            label: term(lang, "mat", m),
            value: *total,
            value_text: pct(lang, *total),
            markers: target(m)
                .map_or(vec![], |t| vec![(t.from_2031, MarkerStyle::Solid), (t.from_2036, MarkerStyle::Dashed)]),
        })
        .collect();
    let largest = bars.iter().flat_map(|b| b.markers.iter().map(|m| m.0).chain([b.value])).fold(0.0, f64::max);
    let max = nice_max(largest);
    let max_text = pct(lang, max);
    let legend = [(MarkerStyle::Solid, t(lang, "rc.target2031")), (MarkerStyle::Dashed, t(lang, "rc.target2036"))];
    let chart = Chart {
        id: "rc-chart",
        title: t(lang, "rc.chart"),
        desc: t(lang, "rc.chart.desc"),
        max,
        bars: &bars,
        legend: &legend,
        scale: ("0", &max_text),
    };
    let opt = |x: Option<f64>| x.map_or("–".to_string(), |x| pct(lang, x));
    Some(html! {
        @if !shares.is_empty() {
            (hbar(&chart))
            div class="table-wrap" { table {
                caption { (t(lang, "rc.chart")) }
                thead { tr {
                    th scope="col" { (t(lang, "rc.material")) } th scope="col" { (t(lang, "rc.pre")) }
                    th scope="col" { (t(lang, "rc.post")) } th scope="col" { (t(lang, "rc.total")) }
                    th scope="col" { (t(lang, "rc.target2031")) } th scope="col" { (t(lang, "rc.target2036")) }
                } }
                tbody { @for (m, pre, post, total) in &shares { tr {
                    th scope="row" { (term(lang, "mat", m)) } td { (opt(*pre)) } td { (opt(*post)) } td { (pct(lang, *total)) }
                    td { (opt(target(m).map(|t| t.from_2031))) } td { (opt(target(m).map(|t| t.from_2036))) }
                } } }
            } }
            p class="muted" { (t(lang, "rc.legal")) }
        }
        (rows.render())
    })
}

pub fn materials(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let (lang, mc) = (ctx.lang, doc.get("materialComposition"));
    let hazards: Vec<&Value> = items(mc.and_then(|m| m.get("hazardousSubstances"))).collect();
    let mut critical: Vec<&str> = items(mc.and_then(|m| m.get("batteryMaterials")))
        .filter(|m| m.get("isCriticalRawMaterial").and_then(Value::as_bool) == Some(true))
        .filter_map(|m| as_str(m.get("batteryMaterialName")))
        .collect();
    let mut seen = std::collections::HashSet::new();
    critical.retain(|c| seen.insert(*c));
    let scd = doc.get("supplyChainDueDiligence");
    let mut due = Rows::default();
    due.add(t(lang, "scd.report"), url(scd.and_then(|d| d.get("supplyChainDueDiligenceReport"))))
        .add(t(lang, "scd.assurance"), url(scd.and_then(|d| d.get("thirdPartyAussurances"))))
        .text(t(lang, "scd.indices"), as_num(scd.and_then(|d| d.get("supplyChainIndicies"))).map(|x| num(lang, x)));
    if hazards.is_empty() && critical.is_empty() && due.is_empty() {
        return None;
    }
    Some(html! {
        @if !hazards.is_empty() {
            h3 { (t(lang, "hazardous")) }
            ul class="cards" { @for h in &hazards {
                li { p class="card-title" { (text(lang, h.get("hazardousSubstanceName")).unwrap_or_default()) } (hazard(lang, h).render()) }
            } }
        }
        @if !critical.is_empty() {
            h3 { (t(lang, "critical")) }
            ul { @for c in &critical { li { (c) } } }
        }
        @if !due.is_empty() { h3 { (t(lang, "scd")) } (due.render()) }
    })
}

fn hazard(lang: Lang, h: &Value) -> Rows {
    let mut rows = Rows::default();
    rows.text(t(lang, "cas"), text(lang, h.get("hazardousSubstanceIdentifier")))
        .text(t(lang, "hazard_class"), as_str(h.get("hazardousSubstanceClass")).map(|c| term(lang, "hclass", c)))
        .text(t(lang, "concentration"), as_num(h.get("hazardousSubstanceConcentration")).map(|x| pct(lang, x)))
        .text(t(lang, "location"), text(lang, h.pointer("/hazardousSubstanceLocation/componentName")))
        .text(t(lang, "impact"), text(lang, h.get("hazardousSubstanceImpact")));
    rows
}

pub fn performance(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let (lang, tp) = (ctx.lang, doc.pointer("/performance/batteryTechicalProperties")?);
    let g = |k: &str| as_num(tp.get(k));
    let list = |k: &str| {
        let items: Vec<String> = items(tp.get(k)).filter_map(|v| power_at_soc(lang, v)).collect();
        (!items.is_empty()).then(|| html! { ul class="plain" { @for i in &items { li { (i) } } } })
    };
    let temp = tp.get("temperatureRangeIdleState");
    let range = match (as_num(temp.and_then(|r| r.get("minimum"))), as_num(temp.and_then(|r| r.get("maximum")))) {
        (Some(lo), Some(hi)) => Some(format!("{} {} {}", qty(lang, lo, "°C"), t(lang, "to"), qty(lang, hi, "°C"))),
        _ => None,
    };
    let mut rows = Rows::default();
    rows.text(t(lang, "max_power"), g("ratedMaximumPower").map(|w| power(lang, w)))
        .add(t(lang, "original_power"), list("originalPowerCapability"))
        .text(t(lang, "power_ratio"), g("powerCapabilityRatio").map(|x| qty(lang, x, "W/Wh")))
        .text(t(lang, "c_rate"), g("cRate").map(|x| num(lang, x)))
        .text(t(lang, "rte"), g("roundtripEfficiency").map(|x| pct(lang, x)))
        .text(t(lang, "rte50"), g("roundTripEfficiencyat50PerCentCycleLife").map(|x| pct(lang, x)))
        .text(t(lang, "rte_fade"), g("roundTripEfficiencyFade").map(|x| pct(lang, x)))
        .text(t(lang, "power_fade"), g("powerFade").map(|x| pct(lang, x)))
        .text(
            t(lang, "cycles_expected"),
            g("expectedNumberOfCycles").map(|x| format!("{} {}", num(lang, x), t(lang, "cycles"))),
        )
        .text(t(lang, "lifetime"), g("expectedLifetime").map(|x| format!("{} {}", num(lang, x), t(lang, "years"))))
        .text(t(lang, "c_rate_test"), g("cRateLifeCycleTest").map(|x| qty(lang, x, "C")))
        .add(t(lang, "reference_test"), url(tp.get("lifetimeReferenceTest")))
        .text(t(lang, "exhaustion"), g("capacityThresholdForExhaustion").map(|x| pct(lang, x)))
        .add(t(lang, "resistance"), per_component(lang, tp.get("initialInternalResistance"), "ohmicResistance", "Ω"))
        .text(t(lang, "idle_temp"), range)
        .text(
            t(lang, "self_discharge"),
            g("initialSelfDischarge").map(|x| format!("{} {}", pct(lang, x), t(lang, "per_month"))),
        );
    (!rows.is_empty()).then(|| rows.render())
}

pub fn end_of_life(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let (lang, eol) = (ctx.lang, doc.pointer("/circularity/endOfLifeInformation")?);
    let mut rows = Rows::default();
    rows.add(t(lang, "eol.prevention"), url(eol.get("wastePrevention")))
        .add(t(lang, "eol.separate"), url(eol.get("separateCollection")))
        .add(t(lang, "eol.collection"), url(eol.get("informationOnCollection")));
    (!rows.is_empty()).then(|| html! { p { (t(lang, "eol.lead")) } (rows.render()) })
}

pub fn labels(doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let lang = ctx.lang;
    let labels: Vec<&Value> = items(doc.pointer("/labels/labels")).collect();
    let mut rows = Rows::default();
    rows.text(t(lang, "extinguishing"), text(lang, doc.pointer("/circularity/safetyMeasures/extinguishingAgent")))
        .add(t(lang, "doc"), url(doc.pointer("/labels/declarationOfConformity")))
        .text(t(lang, "doc_id"), text(lang, doc.pointer("/labels/declarationOfConformityId")));
    if labels.is_empty() && rows.is_empty() {
        return None;
    }
    Some(html! {
        @if !labels.is_empty() {
            ul class="cards" { @for l in &labels {
                li {
                    @let subject = as_str(l.get("labelingSubject")).map(|x| term(lang, "label", x)).unwrap_or_default();
                    p class="card-title" { (subject) }
                    @if let Some(meaning) = text(lang, l.get("labelingMeaning")) { p { (meaning) } }
                    @if let Some(symbol) = as_str(l.get("labelingSymbol")) {
                        p { (link(symbol, &format!("{} ({subject})", t(lang, "label.symbol")))) }
                    }
                }
            } }
        }
        (rows.render())
    })
}
