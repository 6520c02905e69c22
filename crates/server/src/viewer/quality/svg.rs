//! SVG charts of supplier quality: a control chart (individuals with centre line, control limits, the
//! ±1σ/±2σ zones of the run rules, specification limits, and every point that raised an alarm marked) and a
//! capability histogram (with the specification limits and the fitted normal curve). Inline SVG with
//! presentation attributes only, like the viewer's other charts: no script, no style attribute.

use maud::{Markup, html};

const WIDTH: f64 = 720.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 708.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 236.0;
const HEIGHT: f64 = 290.0;
const INK: &str = "#1a1a1a";
const LINE: &str = "#1f6f5c";
const LIMIT: &str = "#b3261e";
const SPEC: &str = "#1a4f8b";
const ZONE: &str = "#9aa5ab";
const BASELINE: &str = "#eef1f2";

/// One plotted point.
pub struct ChartPoint {
    pub value: f64,
    /// Hover text: lot, date, value.
    pub label: String,
    /// The rules it raised, empty when none.
    pub alarms: Vec<String>,
}

/// Control limits to draw (absent while the baseline is being collected).
#[derive(Clone, Copy)]
pub struct ControlLines {
    pub center: f64,
    pub lcl: f64,
    pub ucl: f64,
    /// Sigma of the plotted statistic, for the zones.
    pub sigma: f64,
}

pub struct ControlChartSpec<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub unit: &'a str,
    pub points: &'a [ChartPoint],
    pub control: Option<ControlLines>,
    /// How many leading points formed the Phase I baseline (shaded).
    pub baseline: usize,
    pub lsl: Option<f64>,
    pub usl: Option<f64>,
    /// Labels under the first and last point (dates).
    pub x_labels: (&'a str, &'a str),
}

/// The value range to plot: every point and line, padded by 5 %.
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        low = low.min(v);
        high = high.max(v);
    }
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((high - low) * 0.05).max(high.abs().max(1e-9) * 1e-3);
    (low - pad, high + pad)
}

fn fmt(v: f64) -> String {
    let magnitude = v.abs();
    let decimals = if magnitude >= 1000.0 {
        0
    } else if magnitude >= 10.0 {
        2
    } else {
        4
    };
    let text = format!("{v:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// Renders a control chart as `<svg role="img">`.
pub fn control_chart(chart: &ControlChartSpec<'_>) -> Markup {
    let n = chart.points.len();
    let mut lines: Vec<f64> = chart.points.iter().map(|p| p.value).collect();
    if let Some(c) = chart.control {
        lines.extend([c.lcl, c.ucl, c.center]);
    }
    lines.extend(chart.lsl.into_iter().chain(chart.usl));
    let (low, high) = value_range(lines.into_iter());
    let x = |i: usize| if n <= 1 { (LEFT + RIGHT) / 2.0 } else { LEFT + i as f64 / (n - 1) as f64 * (RIGHT - LEFT) };
    let y = |v: f64| BOTTOM - (v - low) / (high - low) * (BOTTOM - TOP);
    let path: Vec<String> =
        chart.points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.value))).collect();
    let (title_id, desc_id) = (format!("{}-title", chart.id), format!("{}-desc", chart.id));
    let horizontal = |v: f64, colour: &'static str, dash: Option<&'static str>, label: String| {
        let at = y(v);
        html! {
            line x1=(LEFT) x2=(RIGHT) y1=(format!("{at:.1}")) y2=(format!("{at:.1}")) stroke=(colour) stroke-width="1.5"
                stroke-dasharray=[dash] {}
            text x=(LEFT - 4.0) y=(format!("{:.1}", at + 4.0)) font-size="11" fill=(colour) text-anchor="end" { (label) }
        }
    };
    html! {
        svg class="chart wide" role="img" aria-labelledby=(format!("{title_id} {desc_id}"))
            viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) width=(WIDTH) height=(HEIGHT) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (chart.title) }
            desc id=(desc_id) { (chart.desc) }
            @if chart.baseline > 0 && n > 1 {
                @let end = x(chart.baseline.min(n) - 1);
                rect class="baseline" x=(LEFT) y=(TOP) width=(format!("{:.1}", end - LEFT)) height=(BOTTOM - TOP) fill=(BASELINE) {}
                text x=(LEFT + 4.0) y=(TOP + 12.0) font-size="11" fill=(INK) { "Phase I" }
            }
            @if let Some(c) = chart.control {
                @for k in [-2.0, -1.0, 1.0, 2.0] {
                    @let at = y(c.center + k * c.sigma);
                    line class="zone" x1=(LEFT) x2=(RIGHT) y1=(format!("{at:.1}")) y2=(format!("{at:.1}")) stroke=(ZONE)
                        stroke-width="0.75" stroke-dasharray="2 3" {}
                }
                g class="control-limits" {
                    (horizontal(c.ucl, LIMIT, Some("6 3"), format!("UCL {}", fmt(c.ucl))))
                    (horizontal(c.center, INK, None, format!("CL {}", fmt(c.center))))
                    (horizontal(c.lcl, LIMIT, Some("6 3"), format!("LCL {}", fmt(c.lcl))))
                }
            }
            g class="spec-limits" {
                @if let Some(usl) = chart.usl { (horizontal(usl, SPEC, Some("12 4"), format!("USL {}", fmt(usl)))) }
                @if let Some(lsl) = chart.lsl { (horizontal(lsl, SPEC, Some("12 4"), format!("LSL {}", fmt(lsl)))) }
            }
            polyline points=(path.join(" ")) fill="none" stroke=(LINE) stroke-width="1.25" {}
            @for (i, p) in chart.points.iter().enumerate() {
                @if p.alarms.is_empty() {
                    circle class="point" cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(p.value))) r="2.5" fill=(LINE) {
                        title { (p.label) }
                    }
                } @else {
                    rect class="alarm" x=(format!("{:.1}", x(i) - 4.0)) y=(format!("{:.1}", y(p.value) - 4.0)) width="8" height="8"
                        fill=(LIMIT) {
                        title { (p.label) " — " (p.alarms.join(", ")) }
                    }
                }
            }
            line x1=(LEFT) x2=(RIGHT) y1=(BOTTOM) y2=(BOTTOM) stroke=(INK) stroke-width="1" {}
            text x=(LEFT) y=(BOTTOM + 18.0) font-size="12" fill=(INK) { (chart.x_labels.0) }
            text x=(RIGHT) y=(BOTTOM + 18.0) font-size="12" fill=(INK) text-anchor="end" { (chart.x_labels.1) }
            text x=(LEFT) y=(HEIGHT - 16.0) font-size="12" fill=(INK) {
                (n) " lots · values in " (chart.unit) " · red squares: alarms · dashed red: control limits · long dashes: specification limits"
            }
        }
    }
}

pub struct HistogramSpec<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub unit: &'a str,
    pub values: &'a [f64],
    pub lsl: Option<f64>,
    pub usl: Option<f64>,
    /// Mean and overall standard deviation for the normal curve.
    pub normal: Option<(f64, f64)>,
}

/// Bin count: Sturges' rule, 5..=30.
fn bins(n: usize) -> usize {
    ((n.max(1) as f64).log2().ceil() as usize + 1).clamp(5, 30)
}

/// Renders a capability histogram as `<svg role="img">`.
pub fn histogram(h: &HistogramSpec<'_>) -> Markup {
    let extra = h.lsl.into_iter().chain(h.usl);
    let (low, high) = value_range(h.values.iter().copied().chain(extra));
    let count = bins(h.values.len());
    let width = (high - low) / count as f64;
    let mut counts = vec![0usize; count];
    for v in h.values.iter().filter(|v| v.is_finite()) {
        let i = (((v - low) / width) as usize).min(count - 1);
        counts[i] += 1;
    }
    let tallest = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let density_peak =
        h.normal.map_or(0.0, |(_, sd)| h.values.len() as f64 * width / (sd * (2.0 * std::f64::consts::PI).sqrt()));
    let top_count = tallest.max(density_peak) * 1.1;
    let x = |v: f64| LEFT + (v - low) / (high - low) * (RIGHT - LEFT);
    let y = |c: f64| BOTTOM - c / top_count * (BOTTOM - TOP);
    let bar_width = (RIGHT - LEFT) / count as f64;
    let curve: Vec<String> = match h.normal {
        Some((mean, sd)) if sd > 0.0 => (0..=100)
            .map(|k| {
                let v = low + (high - low) * k as f64 / 100.0;
                let z = (v - mean) / sd;
                let expected =
                    h.values.len() as f64 * width * (-0.5 * z * z).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt());
                format!("{:.1},{:.1}", x(v), y(expected))
            })
            .collect(),
        _ => Vec::new(),
    };
    let (title_id, desc_id) = (format!("{}-title", h.id), format!("{}-desc", h.id));
    let vertical = |v: f64, label: String| {
        let at = x(v);
        html! {
            line class="spec-limit" x1=(format!("{at:.1}")) x2=(format!("{at:.1}")) y1=(TOP) y2=(BOTTOM) stroke=(SPEC) stroke-width="2" stroke-dasharray="12 4" {}
            text x=(format!("{at:.1}")) y=(TOP - 4.0 + 12.0) font-size="11" fill=(SPEC) text-anchor="middle" { (label) }
        }
    };
    html! {
        svg class="chart wide" role="img" aria-labelledby=(format!("{title_id} {desc_id}"))
            viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) width=(WIDTH) height=(HEIGHT) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (h.title) }
            desc id=(desc_id) { (h.desc) }
            @for (i, c) in counts.iter().enumerate() {
                @let left = LEFT + bar_width * i as f64;
                rect class="bin" x=(format!("{left:.1}")) y=(format!("{:.1}", y(*c as f64))) width=(format!("{:.1}", bar_width - 1.0))
                    height=(format!("{:.1}", BOTTOM - y(*c as f64))) fill=(LINE) fill-opacity="0.7" {
                    title { (c) " lots from " (fmt(low + width * i as f64)) " to " (fmt(low + width * (i + 1) as f64)) " " (h.unit) }
                }
            }
            @if !curve.is_empty() {
                polyline class="normal" points=(curve.join(" ")) fill="none" stroke=(INK) stroke-width="1.5" {}
            }
            @if let Some(lsl) = h.lsl { (vertical(lsl, format!("LSL {}", fmt(lsl)))) }
            @if let Some(usl) = h.usl { (vertical(usl, format!("USL {}", fmt(usl)))) }
            line x1=(LEFT) x2=(RIGHT) y1=(BOTTOM) y2=(BOTTOM) stroke=(INK) stroke-width="1" {}
            text x=(LEFT) y=(BOTTOM + 18.0) font-size="12" fill=(INK) { (fmt(low)) " " (h.unit) }
            text x=(RIGHT) y=(BOTTOM + 18.0) font-size="12" fill=(INK) text-anchor="end" { (fmt(high)) " " (h.unit) }
            text x=(LEFT) y=(HEIGHT - 16.0) font-size="12" fill=(INK) {
                (h.values.len()) " values · curve: normal fit · long dashes: specification limits"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[f64]) -> Vec<ChartPoint> {
        values.iter().map(|v| ChartPoint { value: *v, label: format!("{v}"), alarms: Vec::new() }).collect()
    }

    #[test]
    fn alarms_are_squares_and_limits_are_drawn() {
        let mut pts = points(&[10.0, 11.0, 10.5, 14.0]);
        pts[3].alarms.push("beyond-ucl".into());
        let svg = control_chart(&ControlChartSpec {
            id: "c",
            title: "t",
            desc: "d",
            unit: "µm",
            points: &pts,
            control: Some(ControlLines { center: 10.5, lcl: 9.0, ucl: 12.0, sigma: 0.5 }),
            baseline: 2,
            lsl: Some(8.0),
            usl: Some(13.0),
            x_labels: ("a", "b"),
        })
        .into_string();
        assert_eq!(svg.matches("class=\"point\"").count(), 3);
        assert_eq!(svg.matches("class=\"alarm\"").count(), 1);
        assert!(svg.contains("beyond-ucl"));
        assert!(svg.contains("UCL 12") && svg.contains("LCL 9") && svg.contains("USL 13") && svg.contains("LSL 8"));
        assert_eq!(svg.matches("class=\"zone\"").count(), 4);
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let values: Vec<f64> = (0..100).map(|i| f64::from(i % 10)).collect();
        let svg = histogram(&HistogramSpec {
            id: "h",
            title: "t",
            desc: "d",
            unit: "%",
            values: &values,
            lsl: Some(-1.0),
            usl: Some(10.0),
            normal: Some((4.5, 2.9)),
        })
        .into_string();
        let total: usize =
            svg.split("<title>").skip(2).filter_map(|t| t.split(" lots from").next()?.parse::<usize>().ok()).sum();
        assert_eq!(total, 100);
        assert_eq!(svg.matches("class=\"bin\"").count(), bins(100));
        assert!(svg.contains("class=\"normal\""));
    }
}
