//! `voltpass`: the Digital Battery Passport server and its command line.

mod bench;
mod cmd;
mod progress;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: bulk writes (genealogy, CoAs, passports) allocate millions of small
/// values, and glibc's malloc took about a third of the CPU of a genealogy ingest and a tenth of a CoA intake.
/// With the `override` feature it is C's `malloc` too, so SQLite allocates from it: on glibc, the values SQLite
/// copies out for every row of a recall left thousands of freed small chunks, and the next query's first larger
/// allocation merged them all (`malloc_consolidate`), which tripled the upstream trace run after a recall.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Default embedded store, next to where voltpass runs.
pub const DEFAULT_DB: &str = "sqlite://voltpass.db";

#[derive(Parser)]
#[command(name = "voltpass", version, about = "Digital Battery Passports (Regulation (EU) 2023/1542): server and CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (REST API).
    Serve(Box<cmd::serve::Args>),
    /// Manage API keys, and issuer signing keys (`keys issuer`).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Import passports (or battery models) from NDJSON, one write body per line.
    Import(cmd::import::Args),
    /// Supplier quality: `coa import FILE...` receives Certificates of Analysis (eCoA JSON/CSV, PDF);
    /// `coa scorecard SUPPLIER` prints a supplier's rating.
    #[command(subcommand)]
    Coa(cmd::coa::CoaCommand),
    /// SPC on supplier characteristics: `spc recompute` rebuilds every series from the stored CoAs.
    #[command(subcommand)]
    Spc(cmd::coa::SpcCommand),
    /// Material specifications: `spec put FILE` stores a new version, `spec list` prints those in force.
    #[command(subcommand)]
    Spec(cmd::coa::SpecCommand),
    /// Genealogy: `trace import FILE...` records production events (NDJSON); `trace recall LOT --out F.csv`
    /// writes every unit holding material of a lot.
    #[command(subcommand)]
    Trace(cmd::trace::TraceCommand),
    /// Export composed passports as NDJSON.
    Export(cmd::export::Args),
    /// Seed realistic demo data: three battery models, item passports, suppliers and two years of CoAs.
    Demo(cmd::demo::Args),
    /// Print a passport's QR code (SVG or PNG).
    Qr(cmd::qr::Args),
    /// Print a sheet of QR labels for a model's passports.
    Labels(cmd::labels::Args),
    /// Check the whole record (hash chains, signatures, audit log), or sign an audit checkpoint.
    #[command(subcommand)]
    Audit(cmd::audit::AuditCommand),
    /// Write a self-verifying archive of the store (no secrets).
    Backup(cmd::backup::BackupArgs),
    /// Restore an archive written by `backup` into an empty store.
    Restore(cmd::backup::RestoreArgs),
    /// Check a passport Verifiable Credential offline against its issuer's DID document.
    Verify(cmd::verify::Args),
    /// Catena-X connector set-up: `catenax assets` writes the EDC assets, policies and contract definition.
    #[command(subcommand)]
    Catenax(cmd::catenax::CatenaxCommand),
    /// Measure throughput against a baseline measured in the same run.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    #[command(flatten)]
    Api(cmd::keys::KeysCommand),
    /// Issuer signing keys (Ed25519): create (or rotate) and list.
    #[command(subcommand)]
    Issuer(cmd::issuer::IssuerCommand),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VOLTPASS_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => cmd::serve::run(*args).await,
            Command::Keys(KeysCommand::Api(command)) => cmd::keys::run(command).await,
            Command::Keys(KeysCommand::Issuer(command)) => cmd::issuer::run(command).await,
            Command::Import(args) => cmd::import::run(args).await,
            Command::Coa(command) => cmd::coa::run(command).await,
            Command::Spc(command) => cmd::coa::run_spc(command).await,
            Command::Spec(command) => cmd::coa::run_spec(command).await,
            Command::Trace(command) => cmd::trace::run(command).await,
            Command::Export(args) => cmd::export::run(args).await,
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Qr(args) => cmd::qr::run(args).await,
            Command::Labels(args) => cmd::labels::run(args).await,
            Command::Audit(command) => cmd::audit::run(command).await,
            Command::Backup(args) => cmd::backup::backup(args).await,
            Command::Restore(args) => cmd::backup::restore(args).await,
            Command::Verify(args) => cmd::verify::run(args),
            Command::Catenax(command) => cmd::catenax::run(command),
            Command::Bench(command) => bench::run(command).await,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::c_void;

    unsafe extern "C" {
        fn malloc(size: usize) -> *mut c_void;
        fn free(pointer: *mut c_void);
        fn mi_is_in_heap_region(pointer: *const c_void) -> bool;
    }

    #[test]
    fn c_code_like_sqlite_allocates_from_mimalloc() {
        // SQLite is compiled into this binary and calls `malloc`: it must be mimalloc's, not the C library's.
        let pointer = unsafe { malloc(48) };
        assert!(!pointer.is_null());
        let in_mimalloc = unsafe { mi_is_in_heap_region(pointer) };
        unsafe { free(pointer) };
        assert!(in_mimalloc, "C malloc is not mimalloc's: the `override` feature of mimalloc is off");
    }
}
