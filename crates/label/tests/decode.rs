//! Generated codes read back by an independent decoder (zbar). Needs the Debian packages zbar-tools
//! (`zbarimg`), librsvg2-bin (`rsvg-convert`) and poppler-utils (`pdftoppm`, `pdftotext`); a missing tool fails
//! the test with the package to install.

use label::{Label, SheetLayout, qr_png, qr_svg, sheet_pdf, sheet_svg};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const URLS: [&str; 3] = [
    "https://passports.example.com/p/urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f60",
    "https://id.example.com/01/04260712341013/21/P96-000000042",
    "http://localhost:8080/p/urn:voltpass:1",
];

/// Runs a tool; panics with the Debian package to install when it is missing.
fn run(tool: &str, package: &str, args: &[&str]) -> std::process::Output {
    match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` is not installed: install the Debian package {package} (apt-get install -y {package})")
        }
        Err(e) => panic!("cannot run {tool}: {e}"),
    }
}

/// Every code zbar finds in an image.
fn decode(image: &Path) -> Vec<String> {
    let out = run("zbarimg", "zbar-tools", &["--raw", "-q", image.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "zbarimg found no code in {}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// Decodes each label of a rendered sheet page on its own: zbar misses some codes of a full page when many
/// same-size codes line up in a grid (it pairs finder patterns across codes), a phone sees one label at a time.
fn decode_cells(page: &Path, layout: &SheetLayout, dpi: f32) -> Vec<String> {
    let mut reader =
        png::Decoder::new(std::io::BufReader::new(std::fs::File::open(page).unwrap())).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", page.display());
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let px = |mm: f32| (mm * dpi / 25.4).round() as usize;
    let mut found = Vec::new();
    for slot in 0..(layout.columns * layout.rows) as usize {
        let (col, row) = ((slot as u32 % layout.columns) as f32, (slot as u32 / layout.columns) as f32);
        let x0 = px(layout.margin_left_mm + col * (layout.label_width_mm + layout.gap_x_mm));
        let y0 = px(layout.margin_top_mm + row * (layout.label_height_mm + layout.gap_y_mm));
        let (w, h) = (px(layout.label_width_mm).min(width - x0), px(layout.label_height_mm).min(height - y0));
        let mut cell = Vec::with_capacity(w * h);
        for y in y0..y0 + h {
            cell.extend((x0..x0 + w).map(|x| buf[(y * width + x) * channels]));
        }
        if cell.iter().all(|&v| v > 128) {
            continue; // an empty slot
        }
        let file = page.with_extension(format!("cell{slot}.png"));
        let mut encoder = png::Encoder::new(std::fs::File::create(&file).unwrap(), w as u32, h as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.write_header().unwrap().write_image_data(&cell).unwrap();
        let codes = decode(&file);
        assert_eq!(codes.len(), 1, "one code on label {slot} of {}: {codes:?}", page.display());
        found.extend(codes);
    }
    // the whole page, too: whatever zbar finds there must be one of this page's codes
    for code in decode(page) {
        assert!(found.contains(&code), "{code} decoded from {} is not on any label", page.display());
    }
    found
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("voltpass-label-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Renders every page of a PDF to PNG; returns the page images in order.
fn pdf_pages(pdf: &Path, dpi: u32) -> Vec<PathBuf> {
    let prefix = pdf.with_extension("");
    let dpi = dpi.to_string();
    let out = run(
        "pdftoppm",
        "poppler-utils",
        &["-r", &dpi, "-gray", "-png", pdf.to_str().unwrap(), prefix.to_str().unwrap()],
    );
    assert!(out.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
    let stem = prefix.file_name().unwrap().to_str().unwrap().to_string();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(pdf.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name().unwrap().to_str().unwrap().starts_with(&format!("{stem}-"))
        })
        .collect();
    pages.sort();
    pages
}

fn labels(count: usize) -> Vec<Label> {
    (0..count)
        .map(|i| Label {
            url: format!("https://passports.example.com/p/urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e{i:04x}"),
            caption: format!("urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e{i:04x}\nP96-{i:09}"),
        })
        .collect()
}

#[test]
fn png_codes_decode_to_their_urls() {
    let dir = temp_dir("png");
    for (i, url) in URLS.iter().enumerate() {
        for module_px in [2, 5] {
            let file = dir.join(format!("{i}-{module_px}.png"));
            std::fs::write(&file, qr_png(url, module_px).unwrap()).unwrap();
            assert_eq!(decode(&file), [*url], "{}", file.display());
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn svg_codes_decode_to_their_urls() {
    let dir = temp_dir("svg");
    for (i, url) in URLS.iter().enumerate() {
        let svg = dir.join(format!("{i}.svg"));
        let png = dir.join(format!("{i}.png"));
        std::fs::write(&svg, qr_svg(url).unwrap()).unwrap();
        let out = run(
            "rsvg-convert",
            "librsvg2-bin",
            &["-w", "400", "-b", "white", "-o", png.to_str().unwrap(), svg.to_str().unwrap()],
        );
        assert!(out.status.success(), "rsvg-convert: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(decode(&png), [*url]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_label_of_a_two_page_pdf_sheet_decodes_and_captions_are_text() {
    let dir = temp_dir("pdf");
    let labels = labels(30);
    let pdf = dir.join("labels.pdf");
    std::fs::write(&pdf, sheet_pdf(&labels, &SheetLayout::default()).unwrap()).unwrap();
    let pages = pdf_pages(&pdf, 150);
    assert_eq!(pages.len(), 2, "24 labels a page: {pages:?}");
    let per_page: Vec<Vec<String>> = pages.iter().map(|p| decode_cells(p, &SheetLayout::default(), 150.0)).collect();
    assert_eq!(per_page.iter().map(Vec::len).collect::<Vec<_>>(), [24, 6]);
    let decoded: BTreeSet<String> = per_page.into_iter().flatten().collect();
    let expected: BTreeSet<String> = labels.iter().map(|l| l.url.clone()).collect();
    assert_eq!(decoded, expected);

    let out = run("pdftotext", "poppler-utils", &["-layout", pdf.to_str().unwrap(), "-"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("P96-000000029") && text.contains("0192f3a45b6c7d8e"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_label_of_the_svg_sheets_decodes() {
    let dir = temp_dir("svg-sheet");
    let labels = labels(26);
    let pages = sheet_svg(&labels, &SheetLayout::default()).unwrap();
    assert_eq!(pages.len(), 2);
    let mut decoded = BTreeSet::new();
    for (i, page) in pages.iter().enumerate() {
        let svg = dir.join(format!("labels-{}.svg", i + 1));
        let png = dir.join(format!("labels-{}.png", i + 1));
        std::fs::write(&svg, page).unwrap();
        let out = run(
            "rsvg-convert",
            "librsvg2-bin",
            &["-d", "150", "-p", "150", "-b", "white", "-o", png.to_str().unwrap(), svg.to_str().unwrap()],
        );
        assert!(out.status.success(), "rsvg-convert: {}", String::from_utf8_lossy(&out.stderr));
        decoded.extend(decode_cells(&png, &SheetLayout::default(), 150.0));
    }
    assert_eq!(decoded, labels.iter().map(|l| l.url.clone()).collect::<BTreeSet<_>>());
    std::fs::remove_dir_all(&dir).ok();
}
