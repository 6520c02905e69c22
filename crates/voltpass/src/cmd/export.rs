use anyhow::Context;
use clap::Args as ClapArgs;
use passport::access::Audience;
use server::PassportService;
use std::io::Write;
use store::PassportFilter;

use super::open_store;
use crate::progress;

#[derive(ClapArgs)]
pub struct Args {
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<String>,
    /// Only passports of this battery model.
    #[arg(long)]
    model: Option<String>,
    /// Only this category (ev, lmt, industrial, stationary).
    #[arg(long)]
    category: Option<String>,
    /// Write the battery model records the selected passports use (latest versions, as `import --models`
    /// reads them) instead of the passports.
    #[arg(long)]
    models: bool,
    /// Export only what this access group may read: public, legitimate-interest, authority or operator
    /// (everything; the default). Goes through the same access filter as every other read path.
    #[arg(long, default_value = "operator", value_parser = parse_audience)]
    audience: Audience,
    /// `canonical` (Battery Pass v1.2, the default) or `catenax-battery-pass` (Catena-X io.catenax.battery.battery_pass
    /// 6.1.0, each document checked against its schema; values voltpass does not hold are the placeholders listed
    /// in `interop::catenax::PLACEHOLDERS`).
    #[arg(long, default_value = "canonical", value_parser = ["canonical", "catenax-battery-pass"])]
    format: String,
}

fn parse_audience(s: &str) -> Result<Audience, String> {
    match s {
        "public" => Ok(Audience::Public),
        "legitimate-interest" => Ok(Audience::LegitimateInterest),
        "authority" => Ok(Audience::Authority),
        "operator" => Ok(Audience::Operator),
        other => Err(format!("unknown access group `{other}`: public, legitimate-interest, authority or operator")),
    }
}

/// Streams composed documents page by page: memory stays flat whatever the store's size.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = open_store(&args.db).await?;
    let service = PassportService::new(store);
    // The command line acts as an administrator, recorded like any actor.
    super::local_actor(service.store()).await?;
    let filter = PassportFilter { model_id: args.model, category: args.category, ..Default::default() };
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let bar = progress::bar(None, "exporting");
    let mut after: Option<String> = None;
    let mut count = 0usize;
    let mut seen_models = std::collections::HashSet::new();
    loop {
        let page = service.list(&filter, after.as_deref(), 500).await?;
        for head in &page.items {
            if args.models {
                if seen_models.insert(head.model_id.clone()) {
                    let model = service.model(&head.model_id, None).await?;
                    let mut body = model.document.clone();
                    body["modelId"] = serde_json::Value::String(model.model_id.clone());
                    serde_json::to_writer(&mut out, &body)?;
                    out.write_all(b"\n")?;
                    count += 1;
                }
                continue;
            }
            let passport = match service.passport_for(&head.id, None, args.audience).await {
                Ok(passport) => passport,
                // Ended passports are tombstones for the public and legitimate interest.
                Err(server::service::ServiceError::Gone(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            if args.format == "catenax-battery-pass" {
                let exported = interop::catenax::to_battery_pass(&passport.document)
                    .with_context(|| format!("passport {}: no Catena-X battery pass", head.id))?;
                if let Err(errors) = interop::catenax::validate_battery_pass(&exported) {
                    anyhow::bail!(
                        "passport {}: the Catena-X battery pass breaks its schema: {}",
                        head.id,
                        errors.join("; ")
                    );
                }
                serde_json::to_writer(&mut out, &exported)?;
            } else {
                serde_json::to_writer(&mut out, &passport.document)?;
            }
            out.write_all(b"\n")?;
            count += 1;
        }
        bar.inc(page.items.len() as u64);
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    out.flush()?;
    bar.finish_and_clear();
    eprintln!("exported {count} {}", if args.models { "battery models" } else { "passports" });
    Ok(())
}
