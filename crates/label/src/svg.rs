//! SVG output: one path of horizontal module runs per code (small, and `crispEdges` keeps module edges sharp
//! at any scale), text as real `<text>` so screen readers and copy-paste get the ids.

use crate::sheet::{Label, SheetLayout, place};
use crate::{LabelError, Matrix, qr_matrix};
use std::fmt::Write;

/// Intrinsic size of [`qr_svg`]: pixels per module (CSS sizes override it; the viewBox scales).
const SVG_MODULE_PX: usize = 8;

/// A standalone SVG of the QR code of `url`: black on white, quiet zone included, `<title>` = the URL.
/// The viewBox is in modules; width and height default to 8 px per module.
pub fn qr_svg(url: &str) -> Result<String, LabelError> {
    let matrix = qr_matrix(url)?;
    let n = matrix.size();
    let px = n * SVG_MODULE_PX;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {n}\" width=\"{px}\" height=\"{px}\" \
         shape-rendering=\"crispEdges\" role=\"img\">\n<title>{}</title>\n<rect width=\"{n}\" height=\"{n}\" \
         fill=\"#fff\"/>\n<path fill=\"#000\" d=\"{}\"/>\n</svg>\n",
        escape(url),
        path_data(&matrix)
    ))
}

/// A4 sheets of labels (see [`SheetLayout`]), ONE SVG DOCUMENT PER PAGE (sized in mm, viewBox in mm), because
/// SVG has no pages: print each file, or write them as `labels-1.svg`, `labels-2.svg`, ...
pub fn sheet_svg(labels: &[Label], layout: &SheetLayout) -> Result<Vec<String>, LabelError> {
    let pages = place(labels, layout)?;
    let count = pages.len();
    let (w, h) = (num(layout.page_width_mm), num(layout.page_height_mm));
    let mut out = Vec::with_capacity(count);
    for (i, page) in pages.iter().enumerate() {
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\">\n\
             <title>QR labels, page {} of {count}</title>\n<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n",
            i + 1
        );
        for p in page {
            let module = p.qr_side / p.matrix.size() as f32;
            let _ = write!(
                svg,
                "<g>\n<title>{}</title>\n<path transform=\"translate({} {}) scale({})\" fill=\"#000\" \
                 shape-rendering=\"crispEdges\" d=\"{}\"/>\n<text font-family=\"Helvetica, Arial, sans-serif\" \
                 font-size=\"{}\" fill=\"#000\">",
                escape(&p.url),
                num(p.qr_x),
                num(p.qr_y),
                module,
                path_data(&p.matrix),
                num(p.font_size)
            );
            for (x, y, text) in &p.lines {
                let _ = write!(svg, "<tspan x=\"{}\" y=\"{}\">{}</tspan>", num(*x), num(*y), escape(text));
            }
            svg.push_str("</text>\n</g>\n");
        }
        svg.push_str("</svg>\n");
        out.push(svg);
    }
    Ok(out)
}

/// The dark modules as one path, in module units.
fn path_data(matrix: &Matrix) -> String {
    let mut d = String::new();
    for (x, y, len) in matrix.runs() {
        let _ = write!(d, "M{x} {y}h{len}v1h-{len}z");
    }
    d
}

/// Millimetres with at most three decimals.
fn num(v: f32) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// XML character data and attribute values; control characters XML 1.0 forbids become spaces.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_and_urls_are_xml_escaped() {
        let label = Label { url: "https://x.example/p?a=1&b=<2>".into(), caption: "<&> \"q\" 'a'\u{1}".into() };
        let pages = sheet_svg(&[label], &SheetLayout::default()).unwrap();
        assert_eq!(pages.len(), 1);
        let svg = &pages[0];
        assert!(svg.contains("&lt;&amp;&gt; &quot;q&quot; &apos;a&apos; </tspan>"), "{svg}");
        assert!(svg.contains("<title>https://x.example/p?a=1&amp;b=&lt;2&gt;</title>"));
        assert!(!svg.contains("<&>") && !svg.contains('\u{1}'));
    }

    #[test]
    fn qr_svg_has_a_title_a_viewbox_with_the_quiet_zone_and_crisp_edges() {
        let url = "https://id.example.com/01/04260712341013/21/P96-000000042";
        let svg = qr_svg(url).unwrap();
        let n = qr_matrix(url).unwrap().size();
        assert!(svg.contains(&format!("viewBox=\"0 0 {n} {n}\"")));
        assert!(svg.contains(&format!("<title>{url}</title>")));
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        assert!(svg.contains("M4 4h7v1h-7z"), "the finder starts after a 4-module quiet zone");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(2.0), "2");
    }
}
