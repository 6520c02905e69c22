//! The supplier-quality dashboard (issue 6), for signed-in operators: open SPC alarms, lot decisions
//! (filterable), the supplier ranking, a supplier's scorecard, and one characteristic's control chart and
//! capability histogram. English only: it is an operator's tool, not a page for the public.

mod report;
mod svg;

pub use report::supplier_report_pdf;

use maud::{Markup, html};
use quality::scorecard::{Grade, Granularity, Scorecard};
use quality::spc::CapabilityReport;
use quality::spc::monitor::Stage;
use store::{CoaFilter, StoredAlarm, StoredCoa};

use super::Lang;
use super::format::query_value;
use super::pages::layout;
use crate::service::scorecard::SupplierReport;
use crate::service::spc::SeriesView;
use svg::{ChartPoint, ControlChartSpec, ControlLines, HistogramSpec};

/// A value for a URL query (percent-encoded).
pub fn encode_query(value: &str) -> String {
    query_value(value)
}

/// A supplier id as part of a file name: letters, digits, `-` and `_` only.
pub fn file_safe(value: &str) -> String {
    value.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect()
}

pub(crate) fn nav(who: &str) -> Markup {
    html! {
        nav class="quality-nav" aria-label="Supplier quality" {
            ul {
                li { a href="/quality" { "Alarms" } }
                li { a href="/quality/lots" { "Lot decisions" } }
                li { a href="/quality/suppliers" { "Suppliers" } }
                li { a href="/trace" { "Genealogy" } }
                li { a href="/analytics" { "Analytics" } }
            }
        }
        form class="signout" method="post" action="/logout" {
            input type="hidden" name="next" value="/quality";
            span { "Signed in as " strong { (who) } }
            " " button type="submit" { "Sign out" }
        }
    }
}

/// A dashboard page for the signed-in `who`.
pub(crate) fn page(who: &str, title: &str, main: Markup) -> String {
    let header = html! { (nav(who)) };
    layout(Lang::En, title, &[], header, html! { h1 { (title) } (main) })
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{:.1} %", v * 100.0))
}

fn num(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

fn grade(g: Option<Grade>) -> &'static str {
    match g {
        Some(Grade::A) => "A",
        Some(Grade::B) => "B",
        Some(Grade::C) => "C",
        None => "–",
    }
}

/// Link to one series' chart page.
pub fn series_href(supplier: &str, material: &str, characteristic: &str) -> String {
    format!(
        "/quality/series?supplier={}&material={}&characteristic={}",
        query_value(supplier),
        query_value(material),
        query_value(characteristic)
    )
}

fn alarms_table(alarms: &[StoredAlarm]) -> Markup {
    html! {
        @if alarms.is_empty() {
            p class="empty" { "No open alarms." }
        } @else {
            table class="alarms" {
                thead { tr { th { "Manufactured" } th { "Supplier" } th { "Material" } th { "Characteristic" } th { "Lot" } th { "Rule" } th { "Detail" } } }
                tbody {
                    @for a in alarms {
                        @let s = &a.alarm.series;
                        tr {
                            td { (a.alarm.manufactured_on) }
                            td { a href=(format!("/quality/suppliers/{}", query_value(&s.supplier_id))) { (s.supplier_id) } }
                            td { (s.material_id) }
                            td { a href=(series_href(&s.supplier_id, &s.material_id, &s.characteristic)) { (s.characteristic) } }
                            td { (a.alarm.lot_number) }
                            td { code { (a.alarm.rule) } }
                            td { (a.alarm.detail) }
                        }
                    }
                }
            }
        }
    }
}

/// The dashboard's start: open alarms, newest first.
pub fn alarms_page(who: &str, alarms: &[StoredAlarm], more: bool) -> String {
    page(
        who,
        "Open SPC alarms",
        html! {
            p { (alarms.len()) @if more { "+" } " open alarms on supplier characteristics, newest first. "
                "Points beyond the control limits and CUSUM signals put the lot on hold; run-rule patterns are for review." }
            (alarms_table(alarms))
        },
    )
}

/// Lot decisions with a filter form (GET, so a filtered view can be bookmarked).
pub fn lots_page(
    who: &str,
    coas: &[StoredCoa],
    filter: &CoaFilter,
    suppliers: &[(String, i64)],
    next: Option<&str>,
) -> String {
    let selected = |value: &str, current: &Option<String>| current.as_deref() == Some(value);
    let next_href = next.map(|cursor| {
        let mut href = format!("/quality/lots?cursor={}", query_value(cursor));
        for (k, v) in [("supplier", &filter.supplier), ("material", &filter.material), ("outcome", &filter.outcome)] {
            if let Some(v) = v {
                href.push_str(&format!("&{k}={}", query_value(v)));
            }
        }
        href
    });
    page(
        who,
        "Lot decisions",
        html! {
            form class="filter" method="get" action="/quality/lots" {
                label { "Supplier "
                    select name="supplier" {
                        option value="" { "all" }
                        @for (s, n) in suppliers {
                            option value=(s) selected[selected(s, &filter.supplier)] { (s) " (" (n) ")" }
                        }
                    }
                }
                label { "Material " input type="text" name="material" value=(filter.material.clone().unwrap_or_default()); }
                label { "Decision "
                    select name="outcome" {
                        option value="" { "all" }
                        @for o in ["accepted", "hold", "rejected"] {
                            option value=(o) selected[selected(o, &filter.outcome)] { (o) }
                        }
                    }
                }
                button type="submit" { "Filter" }
            }
            table class="lots" {
                thead { tr { th { "Received" } th { "Supplier" } th { "Material" } th { "Lot" } th { "Rev." } th { "Decision" } th { "Reasons" } } }
                tbody {
                    @for c in coas {
                        @let decision = c.decision.as_ref();
                        tr {
                            td { (c.received_at.date()) }
                            td { a href=(format!("/quality/suppliers/{}", query_value(&c.supplier_id))) { (c.supplier_id) } }
                            td { (c.material_id) }
                            td { (c.lot_number) }
                            td class="num" { (c.revision) }
                            td class=(format!("outcome {}", decision.map_or("none", |d| d.outcome.as_str()))) {
                                (decision.map_or("undecided", |d| d.outcome.as_str()))
                                @if decision.is_some_and(|d| d.override_reason.is_some()) { " (override)" }
                            }
                            td { (reasons(decision.map(|d| &d.reasons))) }
                        }
                    }
                }
            }
            @if coas.is_empty() { p class="empty" { "No lots match." } }
            @if let Some(href) = next_href { p { a rel="next" href=(href) { "Next page" } } }
        },
    )
}

/// A decision's reasons as short phrases (`missing_required: D50`).
fn reasons(reasons: Option<&serde_json::Value>) -> String {
    let Some(list) = reasons.and_then(|r| r.as_array()) else { return String::new() };
    list.iter()
        .map(|r| {
            let kind = r["kind"].as_str().unwrap_or("reason");
            match r["characteristic"].as_str() {
                Some(c) => format!("{kind}: {c}"),
                None => kind.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every supplier, best latest score first.
pub fn ranking_page(who: &str, reports: &[SupplierReport]) -> String {
    page(
        who,
        "Supplier ranking",
        html! {
            p { "Ranked by the score of each supplier's latest quarter with lots. Grades: A from 85, B from 70, C below." }
            table class="ranking" {
                thead { tr { th { "#" } th { "Supplier" } th { "Materials" } th { "Lots" } th { "Score" } th { "Grade" } th { "Trend" } th { "Open alarms" } } }
                tbody {
                    @for (i, r) in reports.iter().enumerate() {
                        @let latest = r.latest();
                        tr {
                            td class="num" { (i + 1) }
                            td { a href=(format!("/quality/suppliers/{}", query_value(&r.supplier))) { (r.name.clone().unwrap_or_else(|| r.supplier.clone())) } br; small { (r.supplier) } }
                            td { (r.materials.join(", ")) }
                            td class="num" { (latest.map_or(0, |c| c.lots_received)) }
                            td class="num" { (num(latest.and_then(|c| c.score), 1)) }
                            td class=(format!("grade grade-{}", grade(latest.and_then(|c| c.grade)))) { (grade(latest.and_then(|c| c.grade))) }
                            td { (format!("{:?}", r.trend.direction).to_lowercase()) }
                            td class="num" { (r.open_alarms.len()) }
                        }
                    }
                }
            }
        },
    )
}

fn periods_table(cards: &[Scorecard], granularity: Granularity) -> Markup {
    html! {
        table class="scorecard" {
            thead { tr { th { "Period" } th { "Lots" } th { "Accepted" } th { "Rejected" } th { "Hold" } th { "PPM" } th { "Complete" } th { "On time" } th { "Cpk ≥ 1.33" } th { "Open alarms" } th { "Score" } th { "Grade" } } }
            tbody {
                @for c in cards {
                    tr {
                        td { (c.period.label(granularity)) }
                        td class="num" { (c.lots_received) }
                        td class="num" { (c.accepted) }
                        td class="num" { (c.rejected) }
                        td class="num" { (c.hold) }
                        td class="num" { (num(c.ppm, 0)) }
                        td class="num" { (pct(c.completeness)) }
                        td class="num" { (pct(c.on_time_rate)) }
                        td class="num" { (pct(c.capable_share)) }
                        td class="num" { (c.open_alarms) }
                        td class="num" { (num(c.score, 1)) }
                        td class=(format!("grade grade-{}", grade(c.grade))) { (grade(c.grade)) }
                    }
                }
            }
        }
    }
}

/// The body of a supplier's scorecard, shared by its page and its printable report.
fn scorecard_body(r: &SupplierReport) -> Markup {
    let latest = r.latest();
    html! {
        p class="summary" {
            "Supplier " code { (r.supplier) } " · materials: " (r.materials.join(", "))
            " · latest grade " strong class="grade" { (grade(latest.and_then(|c| c.grade))) }
            " (score " (num(latest.and_then(|c| c.score), 1)) ")"
            " · trend " (format!("{:?}", r.trend.direction).to_lowercase())
            @if let Some(slope) = r.trend.slope_per_period { " (" (format!("{slope:+.1}")) " points per period)" }
        }
        h2 { "Per period" }
        (periods_table(&r.periods, r.granularity))
        p class="note" {
            "Weights: acceptance " (r.weights.acceptance) ", PPM " (r.weights.ppm) ", completeness " (r.weights.completeness)
            ", on time " (r.weights.on_time) ", capability " (r.weights.capability) ", alarms " (r.weights.alarms)
            ". A CoA is on time when it arrives within " (r.on_time_days) " days of manufacture."
        }
        h2 { "Capability over the whole range" }
        table class="capability" {
            thead { tr { th { "Material" } th { "Characteristic" } th { "Lots" } th { "Cpk" } } }
            tbody {
                @for c in &r.capabilities {
                    tr {
                        td { (c.material) }
                        td { a href=(series_href(&r.supplier, &c.material, &c.characteristic)) { (c.characteristic) } }
                        td class="num" { (c.n) }
                        td class=(if c.cpk.is_some_and(|v| v < 1.33) { "num low" } else { "num" }) { (num(c.cpk, 2)) }
                    }
                }
            }
        }
        h2 { "Open alarms" }
        (alarms_table(&r.open_alarms))
    }
}

/// A supplier's scorecard page, with links to its report.
pub fn supplier_page(who: &str, r: &SupplierReport) -> String {
    let base = format!("/quality/suppliers/{}", query_value(&r.supplier));
    page(
        who,
        &r.name.clone().unwrap_or_else(|| r.supplier.clone()),
        html! {
            p class="downloads" {
                a href=(format!("{base}/report.html")) { "Printable report" } " · "
                a href=(format!("{base}/report.pdf")) { "PDF report" } " · "
                a href=(format!("/api/v1/suppliers/{}/scorecard", query_value(&r.supplier))) { "JSON" }
            }
            (scorecard_body(r))
        },
    )
}

/// The printable report (HTML) of a supplier's scorecard.
pub fn supplier_report_html(r: &SupplierReport, generated: &str) -> String {
    let title = format!("Supplier quality report: {}", r.name.clone().unwrap_or_else(|| r.supplier.clone()));
    layout(
        Lang::En,
        &title,
        &[],
        html! {},
        html! { h1 { (title) } p class="generated" { "Generated " (generated) } (scorecard_body(r)) },
    )
}

/// One series: control chart, histogram with specification limits, capability figures and alarms.
pub fn series_page(who: &str, view: &SeriesView, capability: Option<&CapabilityReport>) -> String {
    let id = &view.id;
    let alarms_by_coa = |coa: &str| -> Vec<String> {
        view.alarms.iter().filter(|a| a.alarm.coa_id == coa).map(|a| a.alarm.rule.clone()).collect()
    };
    let points: Vec<ChartPoint> = view
        .points
        .iter()
        .map(|p| ChartPoint {
            value: p.value,
            label: format!("lot {} ({}): {} {}", p.lot, p.manufactured_on, p.value, view.unit),
            alarms: alarms_by_coa(&p.coa_id),
        })
        .collect();
    let frozen = view.monitor.frozen();
    let control = frozen.map(|f| ControlLines {
        center: f.center,
        lcl: f.location_lcl,
        ucl: f.location_ucl,
        sigma: f.location_sigma,
    });
    let baseline = match view.monitor.stage() {
        Stage::Baseline { have, .. } => have,
        _ => view.monitor.options().baseline_size,
    };
    let first = view.points.first().map(|p| p.manufactured_on.to_string()).unwrap_or_default();
    let last = view.points.last().map(|p| p.manufactured_on.to_string()).unwrap_or_default();
    let title = format!("{} of {} from {}", id.characteristic, id.material_id, id.supplier_id);
    let values: Vec<f64> = view.points.iter().map(|p| p.value).collect();
    let stage = match view.monitor.stage() {
        Stage::Baseline { have, need } => format!("collecting the Phase I baseline ({have} of {need} lots)"),
        Stage::Monitoring => "monitoring against limits frozen after Phase I".to_string(),
        Stage::Unmonitorable { reason } => format!("not monitorable: {reason}"),
    };
    page(
        who,
        &title,
        html! {
            p { "Individuals chart in manufacturing order; " (stage) "." }
            (svg::control_chart(&ControlChartSpec {
                id: "control-chart",
                title: &format!("Control chart: {title}"),
                desc: &format!("{} lots from {first} to {last}, {} with alarms", points.len(), points.iter().filter(|p| !p.alarms.is_empty()).count()),
                unit: &view.unit,
                points: &points,
                control,
                baseline,
                lsl: view.lsl,
                usl: view.usl,
                x_labels: (&first, &last),
            }))
            h2 { "Capability" }
            (svg::histogram(&HistogramSpec {
                id: "capability-histogram",
                title: &format!("Histogram: {title}"),
                desc: &format!("{} values with the specification limits", values.len()),
                unit: &view.unit,
                values: &values,
                lsl: view.lsl,
                usl: view.usl,
                normal: capability.map(|c| (c.mean, c.overall_sigma)),
            }))
            @if let Some(c) = capability {
                table class="capability-figures" {
                    thead { tr { th { "Index" } th { "Value" } th { "95 % interval" } } }
                    tbody {
                        @for (name, index) in [("Cp", c.cp), ("Cpk", c.cpk), ("Pp", c.pp), ("Ppk", c.ppk), ("Cpm", c.cpm)] {
                            @if let Some(i) = index {
                                tr { td { (name) } td class="num" { (format!("{:.2}", i.value)) } td class="num" { (format!("{:.2} – {:.2}", i.lower, i.upper)) } }
                            }
                        }
                        @if let Some(ppk) = c.percentile.ppk {
                            tr { td { "Ppk (percentile method)" } td class="num" { (format!("{ppk:.2}")) } td { "–" } }
                        }
                    }
                }
                p class="note" {
                    "n = " (c.n) ", mean " (format!("{:.4}", c.mean)) " " (view.unit) ", within σ " (format!("{:.4}", c.within_sigma))
                    ", overall σ " (format!("{:.4}", c.overall_sigma))
                    @if let Some(ad) = &c.normality { ", Anderson–Darling p = " (format!("{:.3}", ad.p_value)) }
                    "."
                }
            } @else {
                p class="empty" { "Capability needs specification limits and at least two values." }
            }
            h2 { "Alarms" }
            (alarms_table(&view.alarms))
        },
    )
}
