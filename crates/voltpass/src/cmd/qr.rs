//! `voltpass qr`: the QR code a battery carries (Regulation (EU) 2023/1542 Art. 77(3)). It encodes the public
//! resolver URL `{base}/p/{id}`, nothing from the store, so it runs anywhere.

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Svg,
    Png,
}

#[derive(ClapArgs)]
pub struct Args {
    /// Passport id, e.g. urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f60.
    id: String,
    #[arg(long, value_enum, default_value_t = Format::Svg)]
    format: Format,
    /// Output file (default: standard output; PNG only when it is not a terminal).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Public base URL of the passport resolver.
    #[arg(long, env = "VOLTPASS_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
    base_url: String,
    /// PNG pixels per module.
    #[arg(long, default_value_t = 8)]
    module_px: u32,
}

pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";

pub async fn run(args: Args) -> anyhow::Result<()> {
    let url = passport_url(&public_base(&args.base_url)?, &args.id)?;
    let bytes = match args.format {
        Format::Svg => label::qr_svg(&url)?.into_bytes(),
        Format::Png => label::qr_png(&url, args.module_px)?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            if matches!(args.format, Format::Png) && stdout.is_terminal() {
                bail!("refusing to write PNG to a terminal: use --out FILE or redirect standard output");
            }
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// The base URL without trailing slashes; http(s) only.
pub fn public_base(base: &str) -> anyhow::Result<String> {
    let trimmed = base.trim().trim_end_matches('/');
    let host = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(trimmed.to_string()),
        _ => bail!("the public base URL must be an http:// or https:// URL, got `{base}`"),
    }
}

/// `{base}/p/{id}`, the public resolver of one passport.
pub fn passport_url(base: &str, id: &str) -> anyhow::Result<String> {
    if !passport::ids::is_passport_id(id) {
        bail!(
            "`{id}` is not a passport id: expected urn:<namespace>:<id> in lower-case letters and digits, e.g. urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f60"
        );
    }
    Ok(format!("{base}/p/{id}"))
}
