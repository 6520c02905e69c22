//! `voltpass verify`: checks a passport credential offline against the issuer's DID document.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use serde_json::Value;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;

#[derive(ClapArgs)]
pub struct Args {
    /// The Verifiable Credential (JSON), e.g. from GET /api/v1/passports/{id}/versions/{n}/credential.
    file: PathBuf,
    /// The issuer's DID document (JSON), e.g. from https://<host>/.well-known/did.json.
    #[arg(long)]
    did: PathBuf,
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let credential = read_json(&args.file)?;
    let did_document = read_json(&args.did)?;
    match interop::verify_credential(&credential, &did_document) {
        Ok(v) => {
            let created = v.created.format(&Rfc3339).unwrap_or_default();
            println!("valid: issuer {}, key {}, created {created}", v.issuer, v.verification_method);
            Ok(())
        }
        Err(e) => {
            println!("INVALID: {e}");
            bail!("{} does not verify", args.file.display())
        }
    }
}
