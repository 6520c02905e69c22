//! `voltpass qr` and `voltpass labels` end to end, read back with zbar. Needs the Debian packages zbar-tools
//! and poppler-utils; a missing tool fails the test naming the package.

use passport::demo::DemoModel;
use passport::fixtures::model_body;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BASE: &str = "https://passports.example.com";

fn voltpass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voltpass"))
        .args(args)
        .env("VOLTPASS_LOG", "warn")
        .env("VOLTPASS_PUBLIC_URL", format!("{BASE}/"))
        .output()
        .expect("run voltpass")
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voltpass-qr-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a tool; panics with the Debian package to install when it is missing.
fn tool(name: &str, package: &str, args: &[&str]) -> Output {
    match Command::new(name).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{name}` is not installed: install the Debian package {package} (apt-get install -y {package})")
        }
        Err(e) => panic!("cannot run {name}: {e}"),
    }
}

fn zbar(image: &Path) -> Vec<String> {
    let out = tool("zbarimg", "zbar-tools", &["--raw", "-q", image.to_str().unwrap()]);
    assert!(out.status.success(), "zbarimg found no code in {}", image.display());
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// Every label of every page of a sheet PDF, decoded one label at a time (pdftoppm crops each label's box: zbar
/// misses some codes of a full page of same-size codes in a grid).
fn decode_sheet(pdf: &Path) -> Vec<String> {
    let info = tool("pdfinfo", "poppler-utils", &[pdf.to_str().unwrap()]);
    let info = String::from_utf8(info.stdout).unwrap();
    let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("page count").trim().parse().unwrap();
    let layout = label::SheetLayout::default();
    let dpi = 150.0;
    let px = |mm: f32| ((mm * dpi / 25.4).round() as usize).to_string();
    let mut found = Vec::new();
    for page in 1..=pages {
        let page = page.to_string();
        for slot in 0..(layout.columns * layout.rows) {
            let (col, row) = ((slot % layout.columns) as f32, (slot / layout.columns) as f32);
            let x = px(layout.margin_left_mm + col * (layout.label_width_mm + layout.gap_x_mm));
            let y = px(layout.margin_top_mm + row * (layout.label_height_mm + layout.gap_y_mm));
            let prefix = pdf.with_file_name(format!("p{page}-{slot}"));
            let out = tool(
                "pdftoppm",
                "poppler-utils",
                &["-r", "150", "-f", &page, "-l", &page, "-x", &x, "-y", &y, "-W", &px(layout.label_width_mm)]
                    .into_iter()
                    .chain(["-H", &px(layout.label_height_mm), "-png", "-singlefile", pdf.to_str().unwrap()])
                    .chain([prefix.to_str().unwrap()])
                    .collect::<Vec<_>>(),
            );
            assert!(out.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
            let image = prefix.with_extension("png");
            let codes = tool("zbarimg", "zbar-tools", &["--raw", "-q", image.to_str().unwrap()]);
            let codes: Vec<String> = String::from_utf8(codes.stdout).unwrap().lines().map(str::to_string).collect();
            assert!(codes.len() <= 1, "{codes:?}");
            found.extend(codes);
        }
    }
    found
}

#[test]
fn labels_pdf_holds_exactly_the_models_passports_and_qr_png_decodes() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("x.db").display());
    ok(voltpass(&["demo", "--db", &db, "--count", "30"]));
    let model = "VOLTA-EV-NMC811-P96";
    let export = ok(voltpass(&["export", "--db", &db, "--model", model]));
    let ids: Vec<String> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let doc: Value = serde_json::from_str(line).unwrap();
            doc.pointer("/generalProductInformation/batteryPassportIdentifier").unwrap().as_str().unwrap().to_string()
        })
        .collect();
    assert!(ids.len() >= 5 && ids.len() < 30, "demo spreads 30 passports over 3 models: {}", ids.len());
    let expected: BTreeSet<String> = ids.iter().map(|id| format!("{BASE}/p/{id}")).collect();

    let pdf = dir.join("labels.pdf");
    let out = ok(voltpass(&["labels", "--db", &db, "--model", model, "--out", pdf.to_str().unwrap()]));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("wrote {} labels", ids.len())));
    let decoded = decode_sheet(&pdf);
    assert_eq!(decoded.len(), ids.len(), "every label decodes once");
    assert_eq!(decoded.into_iter().collect::<BTreeSet<_>>(), expected);

    let limited = dir.join("few.svg");
    ok(voltpass(&["labels", "--db", &db, "--model", model, "--out", limited.to_str().unwrap(), "--limit", "2"]));
    assert_eq!(std::fs::read_to_string(&limited).unwrap().matches("<g>").count(), 2);

    let png = dir.join("x.png");
    ok(voltpass(&["qr", &ids[0], "--format", "png", "--out", png.to_str().unwrap()]));
    assert_eq!(zbar(&png), [format!("{BASE}/p/{}", ids[0])]);
    let svg = ok(voltpass(&["qr", &ids[0], "--base-url", "http://127.0.0.1:9000/"]));
    assert!(
        String::from_utf8(svg.stdout).unwrap().contains(&format!("<title>http://127.0.0.1:9000/p/{}</title>", ids[0]))
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_ids_urls_models_and_file_names_are_named() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("x.db").display());
    let fails = |args: &[&str], needle: &str| {
        let out = voltpass(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(needle), "{args:?}: {stderr}");
    };
    fails(&["qr", "urn:voltpass:ABC"], "`urn:voltpass:ABC` is not a passport id");
    fails(&["qr", "P96-000000042"], "is not a passport id");
    fails(&["qr", "urn:voltpass:1", "--base-url", "ftp://x.example"], "must be an http:// or https:// URL");
    let models = dir.join("models.ndjson");
    let lines: Vec<String> = DemoModel::ALL.iter().map(|m| model_body(*m).to_string()).collect();
    std::fs::write(&models, lines.join("\n")).unwrap();
    ok(voltpass(&["import", "--models", models.to_str().unwrap(), "--db", &db]));
    let out = dir.join("l.pdf");
    fails(&["labels", "--db", &db, "--model", "NOPE", "--out", out.to_str().unwrap()], "unknown battery model `NOPE`");
    let model = DemoModel::ALL[0].model_id();
    fails(&["labels", "--db", &db, "--model", model, "--out", out.to_str().unwrap()], "has no passports");
    fails(&["labels", "--db", &db, "--model", "VOLTA-EV-NMC811-P96", "--out", "l.png"], "use a .pdf or .svg");
    std::fs::remove_dir_all(&dir).ok();
}
