//! `voltpass coa import FILE...`: each file is stored (with its revision and decision) or refused on its own,
//! naming the file and where in it; the exit status says whether any was refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn voltpass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voltpass")).args(args).env("VOLTPASS_LOG", "warn").output().expect("run voltpass")
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voltpass-coa-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../quality/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn import_stores_revisions_and_names_refused_files() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("voltpass.db").display());
    // The fixtures' lot expires on 2026-04-10: in the future for the first two files.
    let json = write(&dir, "good.json", &fixture("ecoa-nmc811-good.json").replace("2026-04-10", "2099-04-10"));
    let csv = write(&dir, "good.csv", &fixture("ecoa-nmc811-good.csv").replace("2026-04-10", "2099-04-10"));
    let bad = write(&dir, "bad.json", "{\n  \"ecoaVersion\": \"1.0\",\n  oops\n}\n");

    let out = voltpass(&["coa", "import", &json, &csv, &bad, "--db", &db]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a refused file fails the command");
    // One line per stored file, then its decision's reasons indented (here: our lab tests the first lots).
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("  - ")).collect();
    assert!(stdout.contains("\n  - lab_test_required ("), "{stdout}");
    assert!(lines[0].starts_with(&format!("{json}: coa:")), "{stdout}");
    assert!(lines[0].ends_with("revision 1 of lot BPNL000000000CAM/NMC811/L2504-0173: accepted"), "{stdout}");
    assert!(lines[1].starts_with(&format!("{csv}: coa:")), "{stdout}");
    assert!(lines[1].contains("revision 2 of lot"), "{stdout}");
    assert!(stderr.contains(&format!("{bad}: refused: malformed JSON at line 3, column")), "{stderr}");
    assert!(stderr.contains("1 of 3 file(s) refused"), "{stderr}");

    // Backups carry the CoAs (their round trip is tested in trust_cli.rs).
    let archive = dir.join("archive");
    let out = voltpass(&["backup", "--out", archive.to_str().unwrap(), "--db", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let coas = std::fs::read_to_string(archive.join("coas.ndjson")).unwrap();
    assert_eq!(coas.lines().count(), 2, "both stored revisions: {coas}");

    // The unchanged fixture's lot has expired by now: the next revision, rejected, with the reason.
    let expired = write(&dir, "expired.json", &fixture("ecoa-nmc811-good.json"));
    let out = voltpass(&["coa", "import", &expired, "--db", &db]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("revision 3 of lot BPNL000000000CAM/NMC811/L2504-0173: rejected"), "{stdout}");
    assert!(stdout.contains("  - expired (expires_on=2026-04-10"), "{stdout}");

    // What is in the store: three revisions, the originals byte for byte, nothing of the refused file.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = store::open(&db).await.unwrap();
        let revisions = store.coa_revisions("BPNL000000000CAM", "NMC811", "L2504-0173").await.unwrap();
        assert_eq!(revisions.iter().map(|c| c.revision).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(revisions[0].media_type, "application/json");
        assert_eq!(revisions[1].media_type, "text/csv");
        let (_, original) = store.coa_original(&revisions[1].id).await.unwrap().unwrap();
        assert_eq!(original, std::fs::read(&csv).unwrap());
        assert_eq!(store.coas(&store::CoaFilter::default(), None, 100).await.unwrap().len(), 3);
        let audit = store.audit_entries(0, 100).await.unwrap();
        assert_eq!(audit.iter().filter(|e| e.action == "coa.receive").count(), 3);
        assert!(audit.iter().all(|e| e.actor_id.starts_with("local:") || e.actor_id == "system"));
    });
}

#[test]
fn import_refuses_unknown_extensions_and_missing_files() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("voltpass.db").display());
    let txt = write(&dir, "coa.txt", "hello");
    let out = voltpass(&["coa", "import", &txt, "/nonexistent/coa.json", "--db", &db]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{txt}: refused: unknown format")), "{stderr}");
    assert!(stderr.contains("/nonexistent/coa.json: refused: cannot read it"), "{stderr}");
}
