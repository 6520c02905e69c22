//! The analytics dashboard (issue 8), for signed-in operators and authorities: cells flagged at end of line with
//! the features that drove their scores, units on hold, each line's first-pass yield against its one-day-ahead
//! forecast (with the forecast's error on past days), and the models results were made with. English only.

use maud::{Markup, html};
use store::{AnalyticsModelRow, AnalyticsResult, UnitHold};

use super::format::query_value;
use super::quality::page;
use crate::service::analytics::LineYield;

pub struct Dashboard {
    pub flagged: Vec<AnalyticsResult>,
    pub holds: Vec<UnitHold>,
    pub lines: Vec<LineYield>,
    pub models: Vec<AnalyticsModelRow>,
}

fn unit_link(id: &str) -> Markup {
    html! { a href=(format!("/trace/{}", query_value(id))) { (id) } }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// The score and top drivers stored with a screening result.
fn score_of(result: &AnalyticsResult) -> (f64, String) {
    let o = &result.output;
    let uni = o.pointer("/univariate/score").and_then(|v| v.as_f64()).unwrap_or(0.0);
    let multi = o.pointer("/multivariate/score").and_then(|v| v.as_f64()).unwrap_or(0.0);
    let list = |pointer: &str| -> Vec<String> {
        o.pointer(pointer)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .take(3)
            .filter_map(|d| d.get("feature").and_then(|f| f.as_str()).map(str::to_string))
            .collect()
    };
    let drivers = if multi >= uni { list("/multivariate/drivers") } else { list("/univariate/z") };
    (uni.max(multi), drivers.join(", "))
}

/// A line's daily yield (dots) and its forecasts (line) as an SVG, yield axis from the lowest value shown.
fn yield_chart(line: &LineYield) -> Markup {
    let days = &line.forecast.days;
    let (w, h, left, top) = (640.0, 180.0, 48.0, 10.0);
    let values: Vec<f64> = days.iter().flat_map(|d| [Some(d.yield_rate), d.predicted]).flatten().collect();
    let low = values.iter().copied().fold(1.0, f64::min).min(0.99);
    let low = (low * 20.0).floor() / 20.0;
    let step = if days.len() > 1 { (w - left - 8.0) / (days.len() - 1) as f64 } else { 0.0 };
    let x = |i: usize| left + i as f64 * step;
    let y = |v: f64| top + (1.0 - (v - low) / (1.0 - low).max(1e-9)) * (h - 30.0);
    let forecast: Vec<String> =
        days.iter().enumerate().filter_map(|(i, d)| d.predicted.map(|p| format!("{:.1},{:.1}", x(i), y(p)))).collect();
    let id = format!("yield-{}", query_value(&line.line));
    html! {
        svg class="chart yield" role="img" aria-labelledby=(format!("{id}-t {id}-d")) viewBox=(format!("0 0 {w} {h}"))
            width=(w) height=(h) xmlns="http://www.w3.org/2000/svg" {
            title id=(format!("{id}-t")) { "First-pass yield of line " (line.line) }
            desc id=(format!("{id}-d")) { "Dots: measured yield per day. Line: the forecast made the day before." }
            line class="axis" x1=(left) y1=(y(1.0)) x2=(w - 8.0) y2=(y(1.0)) {}
            line class="axis" x1=(left) y1=(y(low)) x2=(w - 8.0) y2=(y(low)) {}
            text x="2" y=(y(1.0) + 4.0) { "100 %" }
            text x="2" y=(y(low) + 4.0) { (format!("{:.0} %", low * 100.0)) }
            polyline class="forecast" fill="none" points=(forecast.join(" ")) {}
            @for (i, d) in days.iter().enumerate() {
                circle class="measured" cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(d.yield_rate))) r="3" {}
            }
        }
    }
}

pub fn dashboard(who: &str, data: &Dashboard) -> String {
    page(
        who,
        "Analytics",
        html! {
            section class="flagged" aria-labelledby="flagged-title" {
                h2 id="flagged-title" { "Cells flagged at end of line (" (data.flagged.len()) ")" }
                @if data.flagged.is_empty() { p { "No screening has flagged a cell." } } @else {
                    table class="flagged-cells" {
                        thead { tr { th scope="col" { "Cell" } th scope="col" { "Line" } th scope="col" { "Score" }
                            th scope="col" { "Driven by" } th scope="col" { "Screened" } } }
                        tbody { @for r in &data.flagged {
                            @let (score, drivers) = score_of(r);
                            tr { td { (unit_link(&r.subject)) } td { (r.line.as_deref().unwrap_or("–")) }
                                td { (format!("{score:.2}")) } td { (drivers) } td { (r.created_at.date()) } }
                        } }
                    }
                    p class="note" { "A score of 1 or more is flagged: robust z against the line's median and MAD, and a robust Mahalanobis distance (FastMCD) against the chi-square cutoff." }
                }
            }
            section class="holds" aria-labelledby="holds-title" {
                h2 id="holds-title" { "Units on hold (" (data.holds.len()) ")" }
                @if data.holds.is_empty() { p { "No unit is on hold." } } @else {
                    table class="held-units" {
                        thead { tr { th scope="col" { "Unit" } th scope="col" { "Why" } th scope="col" { "Since" } } }
                        tbody { @for h in &data.holds {
                            tr { td { (unit_link(&h.unit_id)) } td { (h.reason) } td { (h.at.date()) } }
                        } }
                    }
                }
            }
            section class="yield" aria-labelledby="yield-title" {
                h2 id="yield-title" { "First-pass yield by line" }
                @if data.lines.is_empty() { p { "No end-of-line results with a pass/fail verdict in the last 60 days." } }
                @for line in &data.lines {
                    @let f = &line.forecast;
                    article class="line-yield" {
                        h3 { "Line " (line.line) }
                        (yield_chart(line))
                        dl {
                            @if let Some(next) = f.next { dt { "Forecast for the next day" } dd class="next" { (pct(next))
                                @if let (Some(l), Some(u)) = (f.next_lower, f.next_upper) { " (" (pct(l)) " – " (pct(u)) ")" } } }
                            @if let Some(mae) = f.mean_absolute_error { dt { "Mean absolute error on past days" } dd class="mae" { (pct(mae))
                                @if let Some(naive) = f.naive_mean_absolute_error { " (same as yesterday: " (pct(naive)) ")" } } }
                            @if let Some(c) = f.interval_coverage { dt { "Past days inside their interval" } dd { (pct(c)) " (nominal " (pct(f.nominal_coverage)) ")" } }
                        }
                    }
                }
            }
            section class="models" aria-labelledby="models-title" {
                h2 id="models-title" { "Models" }
                table class="models" {
                    thead { tr { th scope="col" { "Model" } th scope="col" { "Version" } th scope="col" { "Training data (SHA-256)" } } }
                    tbody { @for m in &data.models {
                        tr { td { (m.name) } td { (m.version) } td { code { (m.training_data_sha256) } } }
                    } }
                }
            }
        },
    )
}
