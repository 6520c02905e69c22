//! Where the passport's rolled-up values come from: the lots in the battery's pack with their suppliers, masses
//! and shares, the lots without a product carbon footprint, and the footprint factors. Only for readers who may
//! see the genealogy (the operator, authorities); the caller passes nothing for anyone else.

use super::PageContext;
use super::format::{Rows, link, num_dp, qty};
use super::i18n::t;
use maud::{Markup, html};
use serde_json::Value;

pub fn origin(_doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let (lang, rollup) = (ctx.lang, ctx.origin?);
    let lots = rollup.get("lots")?.as_array()?;
    let pack = rollup.pointer("/unit/id").and_then(Value::as_str);
    // Suppliers are named in each lot's provenance entries of the composition.
    let supplier_of = |lot: &str| {
        rollup
            .pointer("/composition/byCategory")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|c| c.get("from")?.as_array()?.iter().find(|p| p["lotId"] == lot)?.get("supplier")?.as_str())
    };
    let footprint = rollup.get("carbonFootprint");
    let factors = footprint.and_then(|f| f.get("factors"));
    let factor = |k: &str| factors.and_then(|f| f.get(k)).and_then(Value::as_f64);
    let without_pcf: Vec<&str> = footprint
        .and_then(|f| f.get("lotsWithoutPcf"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut rows = Rows::default();
    rows.text(t(lang, "origin.production"), factor("productionKwhPerKwh").map(|x| qty(lang, x, "kWh/kWh")))
        .text(t(lang, "origin.plant"), factor("plantKgCo2ePerKwh").map(|x| qty(lang, x, "kg CO₂e/kWh")))
        .text(t(lang, "origin.distribution"), factor("distributionKgCo2ePerKg").map(|x| qty(lang, x, "kg CO₂e/kg")))
        .text(t(lang, "origin.end_of_life"), factor("endOfLifeKgCo2ePerKg").map(|x| qty(lang, x, "kg CO₂e/kg")))
        .text(t(lang, "origin.without_pcf"), (!without_pcf.is_empty()).then(|| without_pcf.join(", ")));
    Some(html! {
        p { (t(lang, "origin.note")) }
        table class="origin" {
            caption { (t(lang, "origin.caption")) }
            thead { tr {
                th scope="col" { (t(lang, "origin.lot")) }
                th scope="col" { (t(lang, "origin.supplier")) }
                th scope="col" { (t(lang, "origin.mass")) }
                th scope="col" { (t(lang, "origin.share")) }
            } }
            tbody { @for lot in lots {
                @let id = lot["lotId"].as_str().unwrap_or("");
                tr {
                    td { (link(&format!("/trace/{id}"), id)) }
                    td { (supplier_of(id).unwrap_or("–")) }
                    td { (lot["massKg"].as_f64().map(|x| qty(lang, (x * 1000.0).round() / 1000.0, "kg")).unwrap_or_default()) }
                    td { (lot["share"].as_f64().map(|x| format!("{}\u{a0}%", num_dp(lang, 100.0 * x, 2))).unwrap_or_default()) }
                }
            } }
        }
        (rows.render())
        @if let Some(pack) = pack { p { (link(&format!("/trace/{pack}"), t(lang, "origin.genealogy"))) } }
    })
}
