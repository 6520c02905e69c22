//! The trace explorer (issue 7), for signed-in operators and authorities: a unit's backward trace (its parts,
//! batches, lots with CoA decisions, suppliers) and, for a lot or batch, its forward trace (recall) as a tree
//! lot → batches and lot → packs → modules, each with its share of the material and counts. English only.

use maud::{Markup, html};
use store::StoredUnit;

use super::format::query_value;
use super::quality::page;
use crate::service::trace::{Affected, Downstream, Upstream};

fn unit_link(id: &str) -> Markup {
    html! { a href=(format!("/trace/{}", query_value(id))) { (id) } }
}

fn pct(share: f64) -> String {
    format!("{:.2} %", share * 100.0)
}

fn search() -> Markup {
    html! {
        form class="trace-search" method="get" action="/trace" {
            label { "Unit id (lot, batch, cell, module or pack) " input type="search" name="id" required; }
            " " button type="submit" { "Trace" }
        }
    }
}

fn facts(unit: &StoredUnit) -> Markup {
    html! {
        dl class="unit-facts" {
            dt { "Kind" } dd { (unit.kind) }
            @if let Some(t) = &unit.unit_type { dt { "Type" } dd { (t) } }
            @if let Some(m) = &unit.model { dt { "Model" } dd { (m) } }
            @if let Some(l) = &unit.line { dt { "Line" } dd { (l) @if let Some(s) = &unit.station { " / " (s) } } }
            @if let Some(at) = unit.produced_at { dt { "Produced" } dd { (at.date()) } }
            @if let (Some(q), Some(u)) = (unit.quantity, &unit.base_uom) { dt { "Quantity" } dd { (q) " " (u) ", " (unit.used) " " (u) " taken" } }
            @if let Some(s) = &unit.supplier_id { dt { "Supplier" } dd { a href=(format!("/quality/suppliers/{}", query_value(s))) { (s) } } }
            @if let Some(into) = &unit.assembled_into { dt { "Assembled into" } dd { (unit_link(into)) } }
            @if let Some(p) = &unit.passport_id { dt { "Passport" } dd { a href=(format!("/p/{}", query_value(p))) { (p) } } }
        }
    }
}

/// The start page: a search form.
pub fn explorer_start(who: &str) -> String {
    page(
        who,
        "Genealogy",
        html! {
            p { "Trace a unit back to its lots and suppliers, or a lot forward to every pack and passport it reached." }
            (search())
        },
    )
}

/// A unit with its backward trace and, for lots and batches, its forward trace.
pub fn unit_page(who: &str, up: &Upstream, down: Option<&Downstream>, hold: Option<&store::UnitHold>) -> String {
    let title = format!("{} {}", up.unit.kind, up.unit.id);
    page(
        who,
        &title,
        html! {
            (search())
            @if let Some(h) = hold { p class="on-hold" { strong { "On hold: " } (h.reason) " (since " (h.at.date()) ")" } }
            (facts(&up.unit))
            @if up.unit.kind != trace::UnitKind::Lot { section class="upstream" aria-labelledby="upstream-title" {
                h2 id="upstream-title" { "Made of" }
                ul class="tree upstream-tree" {
                    @if !up.parts.is_empty() {
                        li class="parts" { details open { summary { "Parts (" (up.parts.len()) ")" @if up.cells > 0 { ", " (up.cells) " cells" } }
                            ul { @for part in &up.parts { li { (unit_link(part)) } } } } }
                    }
                    li class="batches" { details open { summary { "Process batches (" (up.batches.len()) ")" }
                        ul { @for b in &up.batches { li { (unit_link(&b.id)) @if let Some(t) = &b.unit_type { " – " (t) } } } } } }
                    li class="lots" { details open { summary { "Material lots (" (up.lots.len()) ") from " (up.suppliers.len()) " supplier(s)" }
                        table class="lots-traced" {
                            thead { tr { th { "Lot" } th { "Material" } th { "Supplier" } th { "CoA" } th { "Decision" } } }
                            tbody { @for lot in &up.lots { tr {
                                td { (unit_link(&lot.unit.id)) }
                                td { (lot.unit.material_id.as_deref().unwrap_or("–")) }
                                td { (lot.unit.supplier_id.as_deref().unwrap_or("–")) }
                                td { @if let Some(c) = &lot.coa { (c.id) " rev. " (c.revision) } @else { "none" } }
                                td class=(lot.coa.as_ref().and_then(|c| c.decision.as_deref()).unwrap_or("missing")) {
                                    (lot.coa.as_ref().and_then(|c| c.decision.as_deref()).unwrap_or("no CoA")) }
                            } } }
                        } } }
                }
            } }
            @if let Some(down) = down { (downstream(down)) }
        },
    )
}

fn downstream(down: &Downstream) -> Markup {
    let modules_of = |pack: &Affected| -> Vec<&Affected> {
        down.modules.iter().filter(|m| m.unit.assembled_into.as_deref() == Some(pack.unit.id.as_str())).collect()
    };
    html! {
        section class="downstream" aria-labelledby="downstream-title" {
            h2 id="downstream-title" { "Went into (recall)" }
            p class="counts" {
                (down.batches.len().saturating_sub(1)) " batches, " (down.cells) " cells, " (down.modules.len()) " modules, "
                (down.packs.len()) " packs, " (down.passports.len()) " passports"
            }
            ul class="tree downstream-tree" {
                li class="batches" { details open { summary { "Batches (" (down.batches.len().saturating_sub(1)) ")" }
                    ul { @for b in down.batches.iter().filter(|b| b.unit.id != down.unit.id) {
                        li { (unit_link(&b.unit.id)) " " span class="share" { (pct(b.share)) } } } } } }
                li class="packs" { details open { summary { "Packs (" (down.packs.len()) ")" }
                    ul { @for p in &down.packs {
                        @let modules = modules_of(p);
                        li class="pack" { (unit_link(&p.unit.id)) " " span class="share" { (pct(p.share)) }
                            @if let Some(pp) = &p.unit.passport_id { " – passport " a href=(format!("/p/{}", query_value(pp))) { (pp) } }
                            @if !modules.is_empty() { ul { @for m in modules {
                                li class="module" { (unit_link(&m.unit.id)) " " span class="share" { (pct(m.share)) } " (" (m.cells.unwrap_or(0)) " cells)" } } } }
                        } } } } }
            }
            p { a href=(format!("/api/v1/trace/{}/downstream/cells", query_value(&down.unit.id))) { "Every cell (JSON, paged)" } }
        }
    }
}
