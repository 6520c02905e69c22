//! Sheet geometry shared by the SVG and PDF sheets: where each label, its code and its caption lines go, in
//! millimetres from the page's top-left corner. Captions are wrapped with Helvetica's metrics (Arial has the
//! same widths), so what fits in the PDF fits in the SVG.

use crate::{LabelError, Matrix, qr_matrix};

/// One label: the code of `url` on the left, `caption` on its right. Each `\n` in `caption` starts a new line
/// (e.g. the passport id, then the battery serial); lines too wide for the label are wrapped after `:`, `/`,
/// `-`, `_`, `.` or spaces, and long unbroken runs (hex ids) are split evenly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub url: String,
    pub caption: String,
}

/// Label stock on a page, in millimetres. The default is common 24-up A4 stock: 3 x 8 labels of 70 x 37 mm,
/// no gaps, 0.5 mm top margin.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLayout {
    pub page_width_mm: f32,
    pub page_height_mm: f32,
    pub columns: u32,
    pub rows: u32,
    pub label_width_mm: f32,
    pub label_height_mm: f32,
    /// Offset of the first label from the page's left and top edges.
    pub margin_left_mm: f32,
    pub margin_top_mm: f32,
    /// Space between labels.
    pub gap_x_mm: f32,
    pub gap_y_mm: f32,
    /// Blank border inside each label (die-cut and printer tolerance).
    pub padding_mm: f32,
    /// Caption font size (shrunk down to 1.4 mm when a caption needs more lines than fit).
    pub font_size_mm: f32,
}

impl Default for SheetLayout {
    fn default() -> Self {
        SheetLayout {
            page_width_mm: 210.0,
            page_height_mm: 297.0,
            columns: 3,
            rows: 8,
            label_width_mm: 70.0,
            label_height_mm: 37.0,
            margin_left_mm: 0.0,
            margin_top_mm: 0.5,
            gap_x_mm: 0.0,
            gap_y_mm: 0.0,
            padding_mm: 1.5,
            font_size_mm: 2.4,
        }
    }
}

/// Smallest printed symbol (quiet zone excluded) that the layout may produce.
const MIN_SYMBOL_MM: f32 = 20.0;
const MIN_FONT_MM: f32 = 1.4;
const LEADING: f32 = 1.25;

/// A label placed on a page.
pub(crate) struct Placed {
    pub url: String,
    pub matrix: Matrix,
    /// Top-left corner and side of the code's square (quiet zone included).
    pub qr_x: f32,
    pub qr_y: f32,
    pub qr_side: f32,
    pub font_size: f32,
    /// Caption lines: left x, baseline y, text.
    pub lines: Vec<(f32, f32, String)>,
}

/// Labels split into pages, each placed.
pub(crate) fn place(labels: &[Label], layout: &SheetLayout) -> Result<Vec<Vec<Placed>>, LabelError> {
    if labels.is_empty() {
        return Err(LabelError::NoLabels);
    }
    check(layout)?;
    let per_page = (layout.columns * layout.rows) as usize;
    let qr_side = layout.label_height_mm - 2.0 * layout.padding_mm;
    let text_width = layout.label_width_mm - 2.0 * layout.padding_mm - qr_side;
    let text_height = qr_side;
    let mut pages: Vec<Vec<Placed>> = Vec::new();
    for (index, label) in labels.iter().enumerate() {
        let matrix = qr_matrix(&label.url)?;
        let symbol = qr_side * (matrix.size() - 2 * crate::QUIET_ZONE) as f32 / matrix.size() as f32;
        if symbol < MIN_SYMBOL_MM {
            return Err(LabelError::Layout(format!(
                "the code of label {index} would be {symbol:.1} mm wide, at least {MIN_SYMBOL_MM} mm are needed"
            )));
        }
        let (font_size, texts) = fit_caption(&label.caption, text_width, text_height, layout.font_size_mm)
            .ok_or_else(|| LabelError::CaptionTooLong { index, caption: label.caption.clone() })?;
        let slot = index % per_page;
        let (col, row) = ((slot as u32 % layout.columns) as f32, (slot as u32 / layout.columns) as f32);
        let x = layout.margin_left_mm + col * (layout.label_width_mm + layout.gap_x_mm);
        let y = layout.margin_top_mm + row * (layout.label_height_mm + layout.gap_y_mm);
        let (qr_x, qr_y) = (x + layout.padding_mm, y + layout.padding_mm);
        let line_height = font_size * LEADING;
        // centre the block vertically; the first baseline sits one font size below the block's top
        let top = qr_y + (text_height - line_height * texts.len() as f32) / 2.0 + (line_height - font_size) / 2.0;
        let lines = texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| (qr_x + qr_side, top + font_size * 0.85 + i as f32 * line_height, t))
            .collect();
        if slot == 0 {
            pages.push(Vec::new());
        }
        let page = pages.last_mut().expect("a page was started");
        page.push(Placed { url: label.url.clone(), matrix, qr_x, qr_y, qr_side, font_size, lines });
    }
    Ok(pages)
}

fn check(l: &SheetLayout) -> Result<(), LabelError> {
    let bad = |why: String| Err(LabelError::Layout(why));
    let sizes = [l.page_width_mm, l.page_height_mm, l.label_width_mm, l.label_height_mm, l.font_size_mm];
    let offsets = [l.margin_left_mm, l.margin_top_mm, l.gap_x_mm, l.gap_y_mm, l.padding_mm];
    if sizes.iter().any(|v| !v.is_finite() || *v <= 0.0) || offsets.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return bad("sizes must be positive and margins, gaps and padding not negative".into());
    }
    if l.columns == 0 || l.rows == 0 {
        return bad("at least one column and one row".into());
    }
    let width = l.margin_left_mm + l.columns as f32 * l.label_width_mm + (l.columns - 1) as f32 * l.gap_x_mm;
    let height = l.margin_top_mm + l.rows as f32 * l.label_height_mm + (l.rows - 1) as f32 * l.gap_y_mm;
    if width > l.page_width_mm + 0.01 || height > l.page_height_mm + 0.01 {
        return bad(format!("the labels need {width:.1} x {height:.1} mm, more than the page"));
    }
    let qr_side = l.label_height_mm - 2.0 * l.padding_mm;
    if qr_side < MIN_SYMBOL_MM || l.label_width_mm - 2.0 * l.padding_mm - qr_side < 10.0 {
        return bad("labels too small for a 20 mm code and a caption beside it".into());
    }
    Ok(())
}

/// Wraps `caption` to `width` mm, shrinking the font until the lines fit `height`; `None` if they never do.
fn fit_caption(caption: &str, width: f32, height: f32, font: f32) -> Option<(f32, Vec<String>)> {
    let mut size = font;
    while size >= MIN_FONT_MM {
        let lines: Vec<String> = caption.lines().flat_map(|line| wrap(line, width / size)).collect();
        if lines.len() as f32 * size * LEADING <= height {
            return Some((size, lines));
        }
        size *= 0.9;
    }
    None
}

/// Breaks one line into lines at most `em` wide (in font sizes).
fn wrap(line: &str, em: f32) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new(); // segments ending in a separator
    let mut current = String::new();
    for c in line.chars() {
        current.push(c);
        if matches!(c, ':' | '/' | '-' | '_' | '.' | ' ') {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in pieces {
        if text_width(&current) + text_width(&piece) <= em {
            current.push_str(&piece);
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if text_width(&piece) <= em {
            current = piece;
        } else {
            let chunks = split_evenly(&piece, em);
            let (last, full) = chunks.split_last().expect("a piece has characters");
            lines.extend(full.iter().cloned());
            current = last.clone();
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines.iter().map(|l| l.trim_end().to_string()).collect()
}

/// Splits a run without separators into the fewest chunks of about equal length that each fit.
fn split_evenly(piece: &str, em: f32) -> Vec<String> {
    let chars: Vec<char> = piece.chars().collect();
    let mut n = (text_width(piece) / em).ceil().max(1.0) as usize;
    loop {
        let len = chars.len().div_ceil(n);
        let chunks: Vec<String> = chars.chunks(len.max(1)).map(|c| c.iter().collect()).collect();
        if len <= 1 || chunks.iter().all(|c| text_width(c) <= em) {
            return chunks;
        }
        n += 1;
    }
}

/// Width of `text` in Helvetica, in font sizes (AFM widths / 1000).
pub(crate) fn text_width(text: &str) -> f32 {
    text.chars().map(char_width).sum::<f32>()
}

fn char_width(c: char) -> f32 {
    #[rustfmt::skip]
    const ASCII: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
    ];
    match c {
        ' '..='~' => ASCII[c as usize - 32] as f32 / 1000.0,
        _ => 0.75, // accented capitals are at most 0.722; be generous for the rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passport_ids_wrap_at_the_namespace_and_split_the_hex_evenly() {
        let lines = wrap("urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f60", 13.75);
        assert_eq!(lines, ["urn:voltpass:", "0192f3a45b6c7d8e", "9f0a1b2c3d4e5f60"]);
        assert_eq!(wrap("P96-000000042", 13.75), ["P96-000000042"]);
        assert_eq!(wrap("", 10.0), [""]);
    }

    #[test]
    fn default_layout_gives_24_labels_a_page_with_big_enough_codes() {
        let labels: Vec<Label> = (0..25)
            .map(|i| Label {
                url: format!("https://passports.example.com/p/urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f{i:02}"),
                caption: format!("urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f{i:02}\nP96-0000000{i:02}"),
            })
            .collect();
        let pages = place(&labels, &SheetLayout::default()).unwrap();
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [24, 1]);
        let p = &pages[0][23];
        assert!(p.qr_x + p.qr_side <= 210.0 && p.qr_y + p.qr_side <= 297.0);
        assert_eq!(p.lines.len(), 4);
        assert!(p.font_size >= 2.0);
        assert!(matches!(place(&[], &SheetLayout::default()), Err(LabelError::NoLabels)));
        let tiny = SheetLayout { label_height_mm: 20.0, ..SheetLayout::default() };
        assert!(matches!(place(&labels, &tiny), Err(LabelError::Layout(_))));
        let huge = Label { url: "https://x.example".into(), caption: "x\n".repeat(40) };
        assert!(matches!(place(&[huge], &SheetLayout::default()), Err(LabelError::CaptionTooLong { .. })));
    }
}
