//! `voltpass labels`: a printable sheet of QR labels for every passport of one battery model, for labelling a
//! production batch. Each label: the resolver URL as a QR code, the passport id and battery identifier as text.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use label::{Label, SheetLayout};
use std::path::{Path, PathBuf};
use store::PassportFilter;

use super::open_store;
use super::qr::{DEFAULT_PUBLIC_URL, passport_url, public_base};

#[derive(ClapArgs)]
pub struct Args {
    /// Battery model id.
    #[arg(long)]
    model: String,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
    /// Output file: `.pdf`, or `.svg` (several pages: NAME-1.svg, NAME-2.svg, ...). A4, 3 x 8 labels of 70 x 37 mm.
    #[arg(long)]
    out: PathBuf,
    /// Public base URL of the passport resolver.
    #[arg(long, env = "VOLTPASS_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
    base_url: String,
    /// At most this many labels (the first passports by id, i.e. by creation time).
    #[arg(long)]
    limit: Option<usize>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let pdf = match args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => true,
        Some("svg") => false,
        _ => bail!("unknown output format for {}: use a .pdf or .svg file name", args.out.display()),
    };
    let base = public_base(&args.base_url)?;
    let store = open_store(&args.db).await?;
    if store.model(&args.model, None).await?.is_none() {
        bail!("unknown battery model `{}`", args.model);
    }
    let limit = args.limit.unwrap_or(usize::MAX);
    let filter = PassportFilter { model_id: Some(args.model.clone()), ..Default::default() };
    let mut labels = Vec::new();
    let mut after: Option<String> = None;
    while labels.len() < limit {
        let page = store.list_passports(&filter, after.as_deref(), 500).await?;
        // Labels go on batteries in service: not on superseded passports nor on ended ones (recycled).
        let current = page.iter().filter(|h| h.successor_id.is_none() && h.status != server::service::CEASED);
        for head in current.take(limit - labels.len()) {
            labels.push(Label {
                url: passport_url(&base, &head.id)?,
                caption: format!("{}\n{}", head.id, head.battery_id),
            });
        }
        match page.last() {
            Some(last) if page.len() == 500 => after = Some(last.id.clone()),
            _ => break,
        }
    }
    if labels.is_empty() {
        bail!("battery model `{}` has no passports in service", args.model);
    }
    let layout = SheetLayout::default();
    let files = if pdf {
        write(&args.out, label::sheet_pdf(&labels, &layout)?)?;
        vec![args.out.clone()]
    } else {
        let pages = label::sheet_svg(&labels, &layout)?;
        let single = pages.len() == 1;
        let mut files = Vec::new();
        for (i, svg) in pages.into_iter().enumerate() {
            let path = if single { args.out.clone() } else { numbered(&args.out, i + 1) };
            write(&path, svg.into_bytes())?;
            files.push(path);
        }
        files
    };
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    eprintln!("wrote {} labels to {}", labels.len(), names.join(", "));
    Ok(())
}

fn write(path: &Path, bytes: Vec<u8>) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// `labels.svg` -> `labels-3.svg`.
fn numbered(path: &Path, page: usize) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}-{page}.svg"))
}
