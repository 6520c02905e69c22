//! PDF output: the format label printers' dialogs handle best (exact page size, no scaling surprises). Modules
//! are filled rectangles in one path per code, text uses the base-14 Helvetica (nothing embedded), content
//! streams are deflated.

use crate::LabelError;
use crate::sheet::{Label, SheetLayout, place};
use flate2::{Compression, write::ZlibEncoder};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::io::Write;

const PT_PER_MM: f32 = 72.0 / 25.4;

/// A4 sheets of labels (see [`SheetLayout`]) as one PDF, one page per sheet.
pub fn sheet_pdf(labels: &[Label], layout: &SheetLayout) -> Result<Vec<u8>, LabelError> {
    let pages = place(labels, layout)?;
    let (catalog, tree, font, info) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let page_ref = |i: usize| Ref::new(5 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(6 + 2 * i as i32);
    let (page_w, page_h) = (layout.page_width_mm * PT_PER_MM, layout.page_height_mm * PT_PER_MM);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids((0..pages.len()).map(page_ref)).count(pages.len() as i32);
    pdf.type1_font(font).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr("QR labels")).producer(TextStr("voltpass"));

    for (i, page) in pages.iter().enumerate() {
        let mut content = Content::new();
        content.set_fill_gray(0.0);
        for p in page {
            // module coordinates, y downwards, origin at the code's top-left corner
            let m = p.qr_side / p.matrix.size() as f32 * PT_PER_MM;
            content.save_state();
            content.transform([m, 0.0, 0.0, -m, p.qr_x * PT_PER_MM, page_h - p.qr_y * PT_PER_MM]);
            for (x, y, len) in p.matrix.runs() {
                content.rect(x as f32, y as f32, len as f32, 1.0);
            }
            content.fill_nonzero();
            content.restore_state();
            content.begin_text();
            content.set_font(Name(b"F1"), p.font_size * PT_PER_MM);
            for (x, y, text) in &p.lines {
                content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x * PT_PER_MM, page_h - y * PT_PER_MM]);
                content.show(Str(&win_ansi(text)));
            }
            content.end_text();
        }
        let mut deflate = ZlibEncoder::new(Vec::new(), Compression::default());
        deflate.write_all(&content.finish()).expect("deflating into memory");
        let data = deflate.finish().expect("deflating into memory");
        pdf.stream(content_ref(i), &data).filter(Filter::FlateDecode);
        let mut writer = pdf.page(page_ref(i));
        writer.parent(tree).media_box(Rect::new(0.0, 0.0, page_w, page_h)).contents(content_ref(i));
        writer.resources().fonts().pair(Name(b"F1"), font);
        writer.finish();
    }
    Ok(pdf.finish())
}

/// Text in the font's WinAnsiEncoding (Latin-1 plus a few); unmappable characters become `?`. [`Str`] then
/// escapes `(`, `)` and `\`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            c if c.is_control() => b' ',
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_has_one_page_per_sheet_and_escapes_caption_strings() {
        let labels: Vec<Label> = (0..30)
            .map(|i| Label { url: format!("https://x.example/p/{i}"), caption: format!("a(b\\c {i}\nÄ€ž") })
            .collect();
        let pdf = sheet_pdf(&labels, &SheetLayout::default()).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("/Count 2"), "30 labels, 24 a page");
        assert!(text.contains("/BaseFont /Helvetica"));
        assert_eq!(win_ansi("a(b\\c Ä€ž\u{7}"), b"a(b\\c \xc4\x80? ");
        let mut content = Content::new();
        content.show(Str(&win_ansi("a(b\\c")));
        assert_eq!(content.finish().as_slice(), b"(a\\(b\\\\c) Tj");
    }
}
