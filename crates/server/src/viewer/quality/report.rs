//! A supplier's scorecard as a PDF: A4 pages of text tables in the base-14 Helvetica (nothing embedded),
//! for mailing to the supplier or filing with a supplier review.

use label::win_ansi;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::service::scorecard::SupplierReport;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const LINE: f32 = 14.0;

/// One line of text at a size, with cells at x offsets.
struct Row {
    size: f32,
    cells: Vec<(f32, String)>,
}

fn row(size: f32, cells: Vec<(f32, String)>) -> Row {
    Row { size, cells }
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"))
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn grade(g: Option<quality::scorecard::Grade>) -> String {
    g.map_or_else(|| "-".into(), |g| format!("{g:?}"))
}

/// The report's lines, in order.
fn rows(r: &SupplierReport, generated: &str) -> Vec<Row> {
    let name = r.name.clone().unwrap_or_else(|| r.supplier.clone());
    let latest = r.latest();
    let mut out = vec![
        row(16.0, vec![(0.0, format!("Supplier quality report: {name}"))]),
        row(
            10.0,
            vec![(
                0.0,
                format!("Supplier {} - materials {} - generated {generated}", r.supplier, r.materials.join(", ")),
            )],
        ),
        row(
            10.0,
            vec![(
                0.0,
                format!(
                    "Latest grade {} (score {}), trend {:?}",
                    grade(latest.and_then(|c| c.grade)),
                    opt(latest.and_then(|c| c.score), 1),
                    r.trend.direction
                ),
            )],
        ),
        row(10.0, vec![]),
        row(12.0, vec![(0.0, "Per period".into())]),
    ];
    let columns = [0.0, 130.0, 165.0, 205.0, 245.0, 290.0, 340.0, 390.0, 440.0, 470.0];
    let header = ["Period", "Lots", "Acc.", "Rej.", "PPM", "Complete", "On time", "Cpk>=1.33", "Score", "Grade"];
    out.push(row(9.0, columns.iter().zip(header).map(|(x, h)| (*x, h.to_string())).collect()));
    for c in &r.periods {
        let cells = [
            c.period.label(r.granularity),
            c.lots_received.to_string(),
            c.accepted.to_string(),
            c.rejected.to_string(),
            opt(c.ppm, 0),
            pct(c.completeness),
            pct(c.on_time_rate),
            pct(c.capable_share),
            opt(c.score, 1),
            grade(c.grade),
        ];
        out.push(row(9.0, columns.iter().copied().zip(cells).collect()));
    }
    out.push(row(10.0, vec![]));
    out.push(row(12.0, vec![(0.0, "Capability over the whole range".into())]));
    out.push(row(
        9.0,
        vec![(0.0, "Material".into()), (110.0, "Characteristic".into()), (330.0, "Lots".into()), (380.0, "Cpk".into())],
    ));
    for c in &r.capabilities {
        out.push(row(
            9.0,
            vec![
                (0.0, c.material.clone()),
                (110.0, c.characteristic.clone()),
                (330.0, c.n.to_string()),
                (380.0, opt(c.cpk, 2)),
            ],
        ));
    }
    out.push(row(10.0, vec![]));
    out.push(row(12.0, vec![(0.0, format!("Open alarms: {}", r.open_alarms.len()))]));
    for a in r.open_alarms.iter().take(40) {
        let s = &a.alarm.series;
        out.push(row(
            9.0,
            vec![
                (0.0, a.alarm.manufactured_on.to_string()),
                (70.0, format!("{} {} lot {}: {}", s.material_id, s.characteristic, a.alarm.lot_number, a.alarm.rule)),
            ],
        ));
    }
    out
}

/// The report as PDF bytes, as many A4 pages as it needs.
pub fn supplier_report_pdf(r: &SupplierReport, generated: &str) -> Vec<u8> {
    let rows = rows(r, generated);
    let per_page = ((PAGE_H - 2.0 * MARGIN) / LINE) as usize;
    let pages: Vec<&[Row]> = rows.chunks(per_page.max(1)).collect();
    let (catalog, tree, font, info) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let page_ref = |i: usize| Ref::new(5 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(6 + 2 * i as i32);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids((0..pages.len()).map(page_ref)).count(pages.len() as i32);
    pdf.type1_font(font).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = format!("Supplier quality report {}", r.supplier);
    pdf.document_info(info).title(TextStr(&title)).producer(TextStr("voltpass"));
    for (i, lines) in pages.iter().enumerate() {
        let mut content = Content::new();
        content.begin_text();
        for (k, line) in lines.iter().enumerate() {
            content.set_font(Name(b"F1"), line.size);
            for (x, text) in &line.cells {
                content.set_text_matrix([1.0, 0.0, 0.0, 1.0, MARGIN + x, PAGE_H - MARGIN - LINE * (k + 1) as f32]);
                content.show(Str(&win_ansi(text)));
            }
        }
        content.end_text();
        pdf.stream(content_ref(i), &content.finish());
        let mut page = pdf.page(page_ref(i));
        page.parent(tree).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents(content_ref(i));
        page.resources().fonts().pair(Name(b"F1"), font);
        page.finish();
    }
    pdf.finish()
}
