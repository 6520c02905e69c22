//! Inline SVG horizontal bar charts. Inline `<svg>` with presentation attributes needs no script, no style
//! attribute and no extra request, so it passes a `default-src 'self'` CSP; `<title>`/`<desc>` name it for
//! screen readers (the callers add a table with the same figures). Labels sit above their bars so the
//! text stays legible when the chart shrinks to a 360 px wide screen.

use maud::{Markup, html};

/// One bar: its label, its length in chart units and the figure printed after it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub value_text: String,
    /// Reference lines drawn across this bar (e.g. legal targets), with the legend style index.
    pub markers: Vec<(f64, MarkerStyle)>,
}

/// How a reference line is drawn; the legend repeats it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MarkerStyle {
    Solid,
    Dashed,
}

/// A chart: `id` prefixes the ids of its `<title>` and `<desc>`; bars scale from 0 to `max`.
pub struct Chart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub max: f64,
    pub bars: &'a [Bar],
    /// Legend entries for the marker styles used.
    pub legend: &'a [(MarkerStyle, &'a str)],
    /// Scale labels under the bars: the texts for 0 and for `max`.
    pub scale: (&'a str, &'a str),
}

const WIDTH: f64 = 360.0;
const BAR_AREA: f64 = 270.0;
const ROW: f64 = 50.0;
const INK: &str = "#1a1a1a";
const TRACK: &str = "#e3e6e8";
const FILL: &str = "#1f6f5c";

/// Renders `chart` as an `<svg role="img">`.
pub fn hbar(chart: &Chart) -> Markup {
    let rows_height = ROW * chart.bars.len() as f64;
    let legend_top = rows_height + 26.0;
    let height = legend_top + 22.0 * chart.legend.len() as f64 + 4.0;
    let scale = |v: f64| {
        if chart.max > 0.0 { (v.max(0.0) / chart.max).min(1.0) * BAR_AREA } else { 0.0 }
    };
    let dash = |style: MarkerStyle| (style == MarkerStyle::Dashed).then_some("4 3");
    let (title_id, desc_id) = (format!("{}-title", chart.id), format!("{}-desc", chart.id));
    html! {
        svg class="chart" role="img" aria-labelledby=(format!("{title_id} {desc_id}"))
            viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (chart.title) }
            desc id=(desc_id) { (chart.desc) }
            @for (i, bar) in chart.bars.iter().enumerate() {
                @let top = ROW * i as f64;
                text x="0" y=(top + 16.0) font-size="15" fill=(INK) { (bar.label) }
                rect x="0" y=(top + 24.0) width=(BAR_AREA) height="16" fill=(TRACK) {}
                rect x="0" y=(top + 24.0) width=(format!("{:.1}", scale(bar.value))) height="16" fill=(FILL) {}
                text x=(BAR_AREA + 8.0) y=(top + 37.0) font-size="15" fill=(INK) { (bar.value_text) }
                @for (at, style) in &bar.markers {
                    @let x = format!("{:.1}", scale(*at));
                    line x1=(x) x2=(x) y1=(top + 20.0) y2=(top + 44.0) stroke=(INK) stroke-width="2"
                        stroke-dasharray=[dash(*style)] {}
                }
            }
            text x="0" y=(rows_height + 10.0) font-size="13" fill=(INK) { (chart.scale.0) }
            text x=(BAR_AREA) y=(rows_height + 10.0) font-size="13" fill=(INK) text-anchor="end" { (chart.scale.1) }
            @for (i, (style, label)) in chart.legend.iter().enumerate() {
                @let y = legend_top + 22.0 * i as f64;
                line x1="0" x2="24" y1=(y + 8.0) y2=(y + 8.0) stroke=(INK) stroke-width="2" stroke-dasharray=[dash(*style)] {}
                text x="32" y=(y + 13.0) font-size="14" fill=(INK) { (label) }
            }
        }
    }
}

/// A line chart of one quantity over time, e.g. state of health.
pub struct Curve<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    /// (Unix milliseconds, value), oldest first.
    pub points: &'a [(i64, f64)],
    /// The value axis runs from `range.0` to `range.1`.
    pub range: (f64, f64),
    /// Labels for the first and last time, and the value axis ends.
    pub time_labels: (&'a str, &'a str),
    pub value_labels: (&'a str, &'a str),
}

const PLOT_HEIGHT: f64 = 160.0;

/// Renders `curve` as an `<svg role="img">` polyline with its axis labels.
pub fn line(curve: &Curve) -> Markup {
    let (first, last) = match (curve.points.first(), curve.points.last()) {
        (Some(f), Some(l)) => (f.0, l.0),
        _ => (0, 1),
    };
    let span = (last - first).max(1) as f64;
    let (low, high) = curve.range;
    let x = |t: i64| 40.0 + (t - first) as f64 / span * (WIDTH - 48.0);
    let y = |v: f64| 8.0 + (1.0 - ((v - low) / (high - low).max(f64::EPSILON)).clamp(0.0, 1.0)) * PLOT_HEIGHT;
    let path: Vec<String> = curve.points.iter().map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v))).collect();
    let height = PLOT_HEIGHT + 40.0;
    let (title_id, desc_id) = (format!("{}-title", curve.id), format!("{}-desc", curve.id));
    html! {
        svg class="chart" role="img" aria-labelledby=(format!("{title_id} {desc_id}"))
            viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (curve.title) }
            desc id=(desc_id) { (curve.desc) }
            rect x="40" y="8" width=(WIDTH - 48.0) height=(PLOT_HEIGHT) fill=(TRACK) {}
            polyline points=(path.join(" ")) fill="none" stroke=(FILL) stroke-width="2.5" {}
            text x="34" y="18" font-size="13" fill=(INK) text-anchor="end" { (curve.value_labels.1) }
            text x="34" y=(PLOT_HEIGHT + 8.0) font-size="13" fill=(INK) text-anchor="end" { (curve.value_labels.0) }
            text x="40" y=(PLOT_HEIGHT + 30.0) font-size="13" fill=(INK) { (curve.time_labels.0) }
            text x=(WIDTH - 8.0) y=(PLOT_HEIGHT + 30.0) font-size="13" fill=(INK) text-anchor="end" { (curve.time_labels.1) }
        }
    }
}

/// A round upper end for a scale that holds `largest` (10, 20, 25, 30, 40, 50, 60, 80 or 100).
pub fn nice_max(largest: f64) -> f64 {
    [10.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0]
        .into_iter()
        .find(|&m| largest <= m)
        .unwrap_or_else(|| (largest / 10.0).ceil() * 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_and_clamp() {
        let bars = [
            Bar {
                label: "a<b".into(),
                value: 5.0,
                value_text: "5 %".into(),
                markers: vec![(6.0, MarkerStyle::Dashed)],
            },
            Bar { label: "c".into(), value: 50.0, value_text: "50 %".into(), markers: vec![] },
        ];
        let legend = [(MarkerStyle::Dashed, "target")];
        let chart =
            Chart { id: "x", title: "T", desc: "D", max: 10.0, bars: &bars, legend: &legend, scale: ("0", "10 %") };
        let svg = hbar(&chart).into_string();
        assert!(svg.contains(r#"width="135.0""#), "5 of 10 is half of 270: {svg}");
        assert!(svg.contains(r#"width="270.0""#), "50 of 10 is clamped");
        assert!(svg.contains("a&lt;b") && svg.contains(r#"aria-labelledby="x-title x-desc""#));
        assert!(svg.contains(r#"stroke-dasharray="4 3""#));
        assert_eq!((nice_max(12.0), nice_max(26.0), nice_max(85.0), nice_max(130.0)), (20.0, 30.0, 100.0, 130.0));
    }

    #[test]
    fn curves_span_the_plot() {
        let points = [(0, 100.0), (500, 90.0), (1000, 80.0)];
        let curve = Curve {
            id: "soh",
            title: "T",
            desc: "D",
            points: &points,
            range: (80.0, 100.0),
            time_labels: ("Jan", "Dec"),
            value_labels: ("80 %", "100 %"),
        };
        let svg = line(&curve).into_string();
        // First point top left (100 % at y 8), last bottom right (80 % at y 168), middle halfway.
        assert!(svg.contains(r#"points="40.0,8.0 196.0,88.0 352.0,168.0""#), "{svg}");
        assert!(svg.contains("Dec") && svg.contains("100 %"));
    }
}
