//! `voltpass backup` and `voltpass restore`: a self-verifying archive of everything the store keeps (but
//! secrets), written and read back streaming, so memory stays flat whatever the store's size.

mod archive;

use anyhow::{Context, bail};
use archive::{
    ANALYTICS_FILES, AuditHead, FILES, FORMAT, FileEntry, MANIFEST, Manifest, ManifestSignature, QUALITY_FILES,
    TRACE_FILES,
};
use clap::Args as ClapArgs;
use futures::{StreamExt, TryStreamExt};
use interop::keys::{decode_signature_multibase, signature_multibase, verify_signature};
use serde::Serialize;
use serde::de::DeserializeOwned;
use server::service::signing::{SERVER_OPERATOR, issuer_key};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{PassportFilter, PassportHead, PassportVersion, Store, VersionSignature};

use super::open_store;

/// Rows per page read from the store, and per restore transaction.
const PAGE: usize = 500;
/// CoAs per page and per restore transaction: each carries its original bytes (a PDF may be megabytes).
const COA_PAGE: usize = 50;

#[derive(ClapArgs)]
pub struct BackupArgs {
    /// Directory to write the archive into (created; must not hold an archive already).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
}

#[derive(ClapArgs)]
pub struct RestoreArgs {
    /// Archive directory written by `voltpass backup`.
    dir: PathBuf,
    /// The store to restore into: it must be empty.
    #[arg(long, env = "VOLTPASS_DB", default_value = crate::DEFAULT_DB)]
    db: String,
}

/// One archive file being written: NDJSON lines, hashed and counted on the way.
struct NdjsonWriter {
    name: &'static str,
    out: BufWriter<File>,
    hasher: Sha256,
    lines: u64,
}

impl NdjsonWriter {
    fn create(dir: &Path, name: &'static str) -> anyhow::Result<Self> {
        let path = dir.join(name);
        let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(NdjsonWriter { name, out: BufWriter::new(file), hasher: Sha256::new(), lines: 0 })
    }

    fn write(&mut self, line: &impl Serialize) -> anyhow::Result<()> {
        let mut bytes = serde_json::to_vec(line)?;
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.out.write_all(&bytes).with_context(|| format!("writing {}", self.name))?;
        self.lines += 1;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<FileEntry> {
        self.out.flush().with_context(|| format!("writing {}", self.name))?;
        self.out.get_ref().sync_all().with_context(|| format!("syncing {}", self.name))?;
        Ok(FileEntry { name: self.name.to_string(), sha256: hex::encode(self.hasher.finalize()), lines: self.lines })
    }
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    if args.out.join(MANIFEST).exists() {
        bail!("{} holds an archive already: choose another --out directory", args.out.display());
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let store = open_store(&args.db).await?;
    let dir = args.out.as_path();
    let mut files = Vec::with_capacity(FILES.len());

    let mut w = NdjsonWriter::create(dir, "actors.ndjson")?;
    for actor in store.actor_records().await? {
        w.write(&archive::ActorLine::from(actor))?;
    }
    files.push(w.finish()?);

    let mut w = NdjsonWriter::create(dir, "issuer_keys.ndjson")?;
    for key in store.issuer_keys().await? {
        w.write(&archive::IssuerKeyLine::from(key))?;
    }
    files.push(w.finish()?);

    let mut w = NdjsonWriter::create(dir, "models.ndjson")?;
    for id in store.model_ids().await? {
        for meta in store.model_history(&id).await? {
            let model = store.model(&id, Some(meta.version)).await?.with_context(|| format!("model {id} vanished"))?;
            w.write(&archive::ModelLine::from(model))?;
        }
    }
    files.push(w.finish()?);

    files.extend(write_passports(&store, dir).await?);

    let mut w = NdjsonWriter::create(dir, "readings.ndjson")?;
    let mut after = None;
    loop {
        let page = store.readings_after(after.as_ref(), PAGE as i64 * 10).await?;
        let Some(last) = page.last().cloned() else { break };
        for reading in page {
            w.write(&reading)?;
        }
        after = Some(last);
    }
    files.push(w.finish()?);

    let mut w = NdjsonWriter::create(dir, "grants.ndjson")?;
    for grant in store.grants_for(None, None).await? {
        w.write(&grant)?;
    }
    files.push(w.finish()?);

    let mut w = NdjsonWriter::create(dir, "descriptors.ndjson")?;
    let mut after: Option<String> = None;
    loop {
        let page = store.descriptors(&[], None, after.as_deref(), PAGE as i64).await?;
        let Some(last) = page.last().map(|d| d.id.clone()) else { break };
        for descriptor in page {
            w.write(&descriptor)?;
        }
        after = Some(last);
    }
    files.push(w.finish()?);

    files.extend(write_quality(&store, dir).await?);
    files.extend(write_trace(&store, dir).await?);
    files.extend(write_analytics(&store, dir).await?);

    let (entry, audit_head) = write_audit(&store, dir).await?;
    files.push(entry);

    let mut w = NdjsonWriter::create(dir, "checkpoints.ndjson")?;
    let head_seq = audit_head.as_ref().map_or(0, |h| h.seq);
    // Only checkpoints of entries in the archive (the chain may have grown while it was written).
    for checkpoint in store.checkpoints().await?.into_iter().filter(|c| c.seq <= head_seq) {
        w.write(&checkpoint)?;
    }
    files.push(w.finish()?);

    let mut manifest = Manifest {
        format: FORMAT.to_string(),
        created_at: time::OffsetDateTime::now_utc(),
        backend: store.backend().to_string(),
        files,
        audit_head,
        signature: None,
    };
    manifest.signature = sign_manifest(&store, &manifest).await?;
    let path = dir.join(MANIFEST);
    let write_manifest = || -> std::io::Result<()> {
        let mut file = File::create(&path)?;
        file.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
        file.sync_all()
    };
    write_manifest().with_context(|| format!("cannot write {}", path.display()))?;

    for f in &manifest.files {
        eprintln!("{:>10} lines  {}", f.lines, f.name);
    }
    match &manifest.signature {
        Some(s) => println!("backup written to {} (manifest signed by {})", dir.display(), s.key_id),
        None => println!("backup written to {} (manifest unsigned: there is no {SERVER_OPERATOR} key)", dir.display()),
    }
    Ok(())
}

/// The supplier-quality tables, returned in [`QUALITY_FILES`] order, but read children first
/// (acknowledgements, alarms, decisions, skip-lot states, lab results, then CoAs): CoAs and alarms are
/// append-only, so every CoA or alarm a row read earlier names is still there when its own table is read. A
/// concurrent write can thus only add a parent without its children (a CoA without its decision), never a row
/// whose parent a restore would miss. Skip-lot states are read before lab results, so a result entered in
/// between is archived (with the state from before it) rather than lost.
async fn write_quality(store: &Arc<dyn Store>, dir: &Path) -> anyhow::Result<[FileEntry; 8]> {
    let acks = write_rows(dir, "spc_alarm_acks.ndjson", PAGE, |after, n| async move {
        store.alarm_ack_rows_after(after.as_ref(), n).await
    })
    .await?;
    let alarms = write_rows(dir, "spc_alarms.ndjson", PAGE, |after, n| async move {
        store.alarm_rows_after(after.as_ref(), n).await
    })
    .await?;
    let decisions = write_rows(dir, "coa_decisions.ndjson", PAGE, |after, n| async move {
        store.decision_rows_after(after.as_ref(), n).await
    })
    .await?;
    let sampling = write_rows(dir, "sampling_states.ndjson", PAGE, |after, n| async move {
        store.sampling_state_rows_after(after.as_ref(), n).await
    })
    .await?;
    let lab_results = write_rows(dir, "lab_results.ndjson", PAGE, |after, n| async move {
        store.lab_result_rows_after(after.as_ref(), n).await
    })
    .await?;
    let read_coas = |after: Option<store::CoaRow>, n| async move { store.coa_rows_after(after.as_ref(), n).await };
    let coas = write_rows(dir, "coas.ndjson", COA_PAGE, read_coas).await?;
    let specs = write_rows(dir, "material_specs.ndjson", PAGE, |after, n| async move {
        store.spec_rows_after(after.as_ref(), n).await
    })
    .await?;
    let series = write_rows(dir, "spc_series.ndjson", PAGE, |after, n| async move {
        store.series_rows_after(after.as_ref(), n).await
    })
    .await?;
    Ok([coas, decisions, lab_results, specs, series, sampling, alarms, acks])
}

/// The genealogy tables, returned in [`TRACE_FILES`] order, but read children first (test results, backlog, event ids,
/// running totals, shortcuts, edges, then units): units are append-only, so every unit a row read earlier names
/// is still there when the units are read. A write landing while the archive is taken can leave its units
/// without their edges, or running totals that miss its edges; take backups of a quiet genealogy to be exact.
async fn write_trace(store: &Arc<dyn Store>, dir: &Path) -> anyhow::Result<[FileEntry; 7]> {
    let results = write_rows(dir, "trace_results.ndjson", PAGE, |after, n| async move {
        store.trace_result_rows_after(after.as_ref(), n).await
    })
    .await?;
    let backlog = write_rows(dir, "trace_backlog.ndjson", PAGE, |after, n| async move {
        store.trace_backlog_rows_after(after.as_ref(), n).await
    })
    .await?;
    let events = write_rows(dir, "trace_events.ndjson", PAGE, |after, n| async move {
        store.trace_event_rows_after(after.as_ref(), n).await
    })
    .await?;
    let usage = write_rows(dir, "trace_usage.ndjson", PAGE, |after, n| async move {
        store.trace_usage_rows_after(after.as_ref(), n).await
    })
    .await?;
    let sources = write_rows(dir, "trace_sources.ndjson", PAGE, |after, n| async move {
        store.trace_source_rows_after(after.as_ref(), n).await
    })
    .await?;
    let edges = write_rows(dir, "trace_edges.ndjson", PAGE, |after, n| async move {
        store.trace_edge_rows_after(after.as_ref(), n).await
    })
    .await?;
    let units = write_rows(dir, "trace_units.ndjson", PAGE, |after, n| async move {
        store.trace_unit_rows_after(after.as_ref(), n).await
    })
    .await?;
    Ok([units, edges, sources, usage, events, backlog, results])
}

/// The analytics tables in [`ANALYTICS_FILES`] order (results and holds name units and passports by id only).
async fn write_analytics(store: &Arc<dyn Store>, dir: &Path) -> anyhow::Result<[FileEntry; 3]> {
    let models = write_rows(dir, "analytics_models.ndjson", PAGE, |after, n| async move {
        store.analytics_model_rows_after(after.as_ref(), n).await
    })
    .await?;
    let results = write_rows(dir, "analytics_results.ndjson", PAGE, |after, n| async move {
        store.analytics_result_rows_after(after.as_ref(), n).await
    })
    .await?;
    let holds = write_rows(dir, "unit_holds.ndjson", PAGE, |after, n| async move {
        store.unit_hold_rows_after(after.as_ref(), n).await
    })
    .await?;
    Ok([models, results, holds])
}

/// Writes a whole table read in pages of `size` rows: `next(after, size)` reads the page after the last row
/// read (`None`: the first).
async fn write_rows<T, F, Fut>(dir: &Path, name: &'static str, size: usize, mut next: F) -> anyhow::Result<FileEntry>
where
    T: Serialize,
    F: FnMut(Option<T>, i64) -> Fut,
    Fut: std::future::Future<Output = store::Result<Vec<T>>>,
{
    let mut w = NdjsonWriter::create(dir, name)?;
    let mut after = None;
    loop {
        let mut page = next(after.take(), size as i64).await.with_context(|| format!("reading the rows of {name}"))?;
        // The last row is kept (not cloned: a CoA's original may be large) as the key of the next page.
        let Some(last) = page.pop() else { break };
        for row in page.iter().chain(std::iter::once(&last)) {
            w.write(row)?;
        }
        after = Some(last);
    }
    w.finish()
}

/// Every passport version (with its signature) and every head. A head and its versions are read apart, so a
/// write in between is caught by comparing versions and read again.
async fn write_passports(store: &Arc<dyn Store>, dir: &Path) -> anyhow::Result<[FileEntry; 2]> {
    let mut versions_out = NdjsonWriter::create(dir, "passports.ndjson")?;
    let mut heads_out = NdjsonWriter::create(dir, "heads.ndjson")?;
    let mut after: Option<String> = None;
    loop {
        let page = store.list_passports(&PassportFilter::default(), after.as_deref(), PAGE as i64).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let passports: Vec<_> =
            futures::stream::iter(page).map(|head| consistent_passport(store, head)).buffered(4).try_collect().await?;
        for (head, versions, signatures) in passports {
            let mut signatures = signatures.into_iter().peekable();
            for version in versions {
                let n = version.meta.version;
                let signature = signatures.next_if(|(v, _)| *v == n).map(|(_, s)| s);
                versions_out.write(&archive::PassportLine::new(version, signature))?;
            }
            heads_out.write(&head)?;
        }
    }
    Ok([versions_out.finish()?, heads_out.finish()?])
}

type PassportRows = (PassportHead, Vec<PassportVersion>, Vec<(i64, VersionSignature)>);

async fn consistent_passport(store: &Arc<dyn Store>, mut head: PassportHead) -> anyhow::Result<PassportRows> {
    for _ in 0..5 {
        let versions = store.passport_versions(&head.id).await?;
        let signatures = store.version_signatures(&head.id).await?;
        if versions.last().is_some_and(|v| v.meta.version == head.version) {
            return Ok((head, versions, signatures));
        }
        head = store.passport_head(&head.id).await?.with_context(|| format!("passport {} vanished", head.id))?;
    }
    bail!("passport {} keeps changing while it is backed up: stop writers and try again", head.id)
}

async fn write_audit(store: &Arc<dyn Store>, dir: &Path) -> anyhow::Result<(FileEntry, Option<AuditHead>)> {
    let mut w = NdjsonWriter::create(dir, "audit.ndjson")?;
    let mut head: Option<AuditHead> = None;
    loop {
        let page = store.audit_entries(head.as_ref().map_or(0, |h| h.seq), PAGE as i64 * 4).await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            head = Some(AuditHead { seq: entry.seq, hash: entry.hash.clone() });
            w.write(&entry)?;
        }
    }
    Ok((w.finish()?, head))
}

/// Signed by the server key when there is a usable one; an unsigned archive still checks its file hashes.
async fn sign_manifest(store: &Arc<dyn Store>, manifest: &Manifest) -> anyhow::Result<Option<ManifestSignature>> {
    let keys = store.issuer_keys().await?;
    let usable = |k: &&store::IssuerKeyRecord| {
        k.operator == SERVER_OPERATOR && k.retired_at.is_none() && !k.secret_hex.is_empty()
    };
    let Some(record) = keys.iter().find(usable) else { return Ok(None) };
    let key = issuer_key(record)?;
    Ok(Some(ManifestSignature {
        key_id: record.key_id.clone(),
        public_key_multibase: record.public_multibase.clone(),
        value: signature_multibase(&key.sign(&manifest.signed_bytes())),
    }))
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let manifest = check_archive(&args.dir)?;
    let store = open_store(&args.db).await?;
    if !store.is_empty().await? {
        bail!("refusing to restore into {}: the store is not empty (restore needs a fresh database)", args.db);
    }
    let dir = args.dir.as_path();
    let store = &store;
    restore_file(dir, "actors.ndjson", move |rows: Vec<archive::ActorLine>| async move {
        let rows = rows.into_iter().map(store::ActorRecord::try_from).collect::<Result<Vec<_>, _>>();
        store.restore_actors(&rows.map_err(anyhow::Error::msg)?).await?;
        Ok(())
    })
    .await?;
    restore_file(dir, "issuer_keys.ndjson", move |rows: Vec<archive::IssuerKeyLine>| async move {
        Ok(store.restore_issuer_keys(&rows.into_iter().map(Into::into).collect::<Vec<_>>()).await?)
    })
    .await?;
    restore_file(dir, "models.ndjson", move |rows: Vec<archive::ModelLine>| async move {
        Ok(store.restore_models(&rows.into_iter().map(Into::into).collect::<Vec<_>>()).await?)
    })
    .await?;
    restore_file(dir, "passports.ndjson", move |rows: Vec<archive::PassportLine>| async move {
        Ok(store.restore_passport_versions(&rows.into_iter().map(Into::into).collect::<Vec<_>>()).await?)
    })
    .await?;
    restore_file(dir, "heads.ndjson", move |rows: Vec<store::PassportHead>| async move {
        Ok(store.restore_heads(&rows).await?)
    })
    .await?;
    restore_file(dir, "readings.ndjson", move |rows: Vec<store::Reading>| async move {
        Ok(store.restore_readings(&rows).await?)
    })
    .await?;
    restore_file(
        dir,
        "grants.ndjson",
        move |rows: Vec<store::Grant>| async move { Ok(store.restore_grants(&rows).await?) },
    )
    .await?;
    if manifest.holds("descriptors.ndjson") {
        restore_file(dir, "descriptors.ndjson", move |rows: Vec<store::StoredDescriptor>| async move {
            Ok(store.restore_descriptors(&rows).await?)
        })
        .await?;
    }
    if QUALITY_FILES.iter().all(|name| manifest.holds(name)) {
        restore_quality(dir, store).await?;
    }
    if TRACE_FILES.iter().all(|name| manifest.holds(name)) {
        restore_trace(dir, store).await?;
    }
    if ANALYTICS_FILES.iter().all(|name| manifest.holds(name)) {
        restore_analytics(dir, store).await?;
    }
    restore_file(dir, "audit.ndjson", move |rows: Vec<store::AuditEntry>| async move {
        Ok(store.restore_audit(&rows).await?)
    })
    .await?;
    restore_file(dir, "checkpoints.ndjson", move |rows: Vec<store::AuditCheckpoint>| async move {
        Ok(store.restore_checkpoints(&rows).await?)
    })
    .await?;

    let last = store.audit_entries(manifest.audit_head.as_ref().map_or(0, |h| h.seq - 1), 2).await?;
    let restored_head = last.last().map(|e| AuditHead { seq: e.seq, hash: e.hash.clone() });
    if restored_head != manifest.audit_head {
        bail!("the restored audit chain does not end where the manifest says: {restored_head:?}");
    }
    let report = server::service::audit::verify_store(store, |_| {}).await?;
    for finding in &report.findings {
        println!("{finding}");
    }
    if !report.is_intact() {
        bail!("restored, but the record does not verify: {} broken links", report.findings.len());
    }
    println!(
        "restored {} passports ({} versions), {} models, {} CoAs, {} audit entries into {}; verified intact",
        report.passports,
        report.passport_versions,
        report.models,
        manifest.lines_of("coas.ndjson"),
        report.audit_entries,
        args.db
    );
    eprintln!(
        "note: issuer key secrets are not in backups; restored keys only verify. Sign again after \
         `voltpass keys issuer rotate --operator <operator>` for each operator (and {SERVER_OPERATOR})."
    );
    Ok(())
}

/// CoAs with their originals, decisions, lab results, specifications, SPC series, skip-lot states, alarms and
/// acknowledgements, verbatim (their audit entries come with the audit log).
async fn restore_quality(dir: &Path, store: &Arc<dyn Store>) -> anyhow::Result<()> {
    restore_file_in(dir, "coas.ndjson", COA_PAGE, move |rows: Vec<store::CoaRow>| async move {
        Ok(store.restore_coas(&rows).await?)
    })
    .await?;
    restore_file(dir, "coa_decisions.ndjson", move |rows: Vec<store::CoaDecisionRow>| async move {
        Ok(store.restore_coa_decisions(&rows).await?)
    })
    .await?;
    restore_file(dir, "lab_results.ndjson", move |rows: Vec<store::LabResultRow>| async move {
        Ok(store.restore_lab_results(&rows).await?)
    })
    .await?;
    restore_file(dir, "material_specs.ndjson", move |rows: Vec<store::MaterialSpecRow>| async move {
        Ok(store.restore_specs(&rows).await?)
    })
    .await?;
    restore_file(dir, "spc_series.ndjson", move |rows: Vec<store::SpcSeriesRow>| async move {
        Ok(store.restore_spc_series(&rows).await?)
    })
    .await?;
    restore_file(dir, "sampling_states.ndjson", move |rows: Vec<store::SamplingStateRow>| async move {
        Ok(store.restore_sampling_states(&rows).await?)
    })
    .await?;
    restore_file(dir, "spc_alarms.ndjson", move |rows: Vec<store::SpcAlarmRow>| async move {
        Ok(store.restore_alarms(&rows).await?)
    })
    .await?;
    restore_file(dir, "spc_alarm_acks.ndjson", move |rows: Vec<store::SpcAlarmAckRow>| async move {
        Ok(store.restore_alarm_acks(&rows).await?)
    })
    .await
}

/// Units, edges, shortcuts, running totals, applied event ids, the backlog and end-of-line results, verbatim.
async fn restore_trace(dir: &Path, store: &Arc<dyn Store>) -> anyhow::Result<()> {
    restore_file(dir, "trace_units.ndjson", move |rows: Vec<store::TraceUnitRow>| async move {
        Ok(store.restore_trace_units(&rows).await?)
    })
    .await?;
    restore_file(dir, "trace_edges.ndjson", move |rows: Vec<store::StoredEdge>| async move {
        Ok(store.restore_trace_edges(&rows).await?)
    })
    .await?;
    restore_file(dir, "trace_sources.ndjson", move |rows: Vec<store::StoredSource>| async move {
        Ok(store.restore_trace_sources(&rows).await?)
    })
    .await?;
    restore_file(dir, "trace_usage.ndjson", move |rows: Vec<store::TraceUsageRow>| async move {
        Ok(store.restore_trace_usage(&rows).await?)
    })
    .await?;
    restore_file(dir, "trace_events.ndjson", move |rows: Vec<store::TraceEventRow>| async move {
        Ok(store.restore_trace_events(&rows).await?)
    })
    .await?;
    restore_file(dir, "trace_backlog.ndjson", move |rows: Vec<store::BacklogEvent>| async move {
        Ok(store.restore_trace_backlog(&rows).await?)
    })
    .await?;
    restore_file(dir, "trace_results.ndjson", move |rows: Vec<store::StoredResult>| async move {
        Ok(store.restore_trace_results(&rows).await?)
    })
    .await
}

/// Registered models, results and hold events, verbatim (holds in their order).
async fn restore_analytics(dir: &Path, store: &Arc<dyn Store>) -> anyhow::Result<()> {
    restore_file(dir, "analytics_models.ndjson", move |rows: Vec<store::AnalyticsModelRow>| async move {
        Ok(store.restore_analytics_models(&rows).await?)
    })
    .await?;
    restore_file(dir, "analytics_results.ndjson", move |rows: Vec<store::AnalyticsResult>| async move {
        Ok(store.restore_analytics_results(&rows).await?)
    })
    .await?;
    restore_file(dir, "unit_holds.ndjson", move |rows: Vec<store::UnitHold>| async move {
        Ok(store.restore_unit_holds(&rows).await?)
    })
    .await
}

/// Reads the manifest and checks every file against it before anything is written.
fn check_archive(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a voltpass backup manifest", path.display()))?;
    let Some(expected) = archive::files_of(&manifest.format) else {
        bail!(
            "{}: unknown archive format {} (this voltpass reads {FORMAT}, {}, {}, {} and {})",
            path.display(),
            manifest.format,
            archive::FORMAT_V4,
            archive::FORMAT_V3,
            archive::FORMAT_V2,
            archive::FORMAT_V1
        );
    };
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    if names != expected {
        bail!("{}: the archive must list exactly {expected:?}, it lists {names:?}", path.display());
    }
    if let Some(signature) = &manifest.signature {
        let verifies = decode_signature_multibase(&signature.value)
            .is_ok_and(|s| verify_signature(&signature.public_key_multibase, &manifest.signed_bytes(), &s).is_ok());
        if !verifies {
            bail!("{}: the manifest signature by {} does not verify", path.display(), signature.key_id);
        }
        eprintln!("manifest signed by {} ({})", signature.key_id, signature.public_key_multibase);
    } else {
        eprintln!("manifest unsigned (no {SERVER_OPERATOR} key when it was written): checking file hashes only");
    }
    for entry in &manifest.files {
        let (sha256, lines) = hash_file(&dir.join(&entry.name))?;
        if sha256 != entry.sha256 || lines != entry.lines {
            bail!(
                "archive file {} was altered or damaged: sha256 {sha256} ({lines} lines), manifest says {} ({} lines)",
                entry.name,
                entry.sha256,
                entry.lines
            );
        }
    }
    Ok(manifest)
}

fn hash_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let (mut hasher, mut lines) = (Sha256::new(), 0u64);
    loop {
        let buffer = reader.fill_buf().with_context(|| format!("reading {}", path.display()))?;
        if buffer.is_empty() {
            break;
        }
        hasher.update(buffer);
        lines += buffer.iter().filter(|b| **b == b'\n').count() as u64;
        let n = buffer.len();
        reader.consume(n);
    }
    Ok((hex::encode(hasher.finalize()), lines))
}

/// Feeds one archive file to `insert` in chunks of [`PAGE`] parsed lines.
async fn restore_file<T, F, Fut>(dir: &Path, name: &str, insert: F) -> anyhow::Result<()>
where
    T: DeserializeOwned,
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    restore_file_in(dir, name, PAGE, insert).await
}

/// Feeds one archive file to `insert` in chunks of `size` parsed lines, naming the line that does not parse.
async fn restore_file_in<T, F, Fut>(dir: &Path, name: &str, size: usize, mut insert: F) -> anyhow::Result<()>
where
    T: DeserializeOwned,
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let path = dir.join(name);
    let reader = BufReader::new(File::open(&path).with_context(|| format!("cannot open {}", path.display()))?);
    let mut chunk = Vec::with_capacity(size);
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {name}"))?;
        chunk.push(serde_json::from_str(&line).with_context(|| format!("{name}:{}: not a valid record", i + 1))?);
        if chunk.len() == size {
            insert(std::mem::take(&mut chunk)).await.with_context(|| format!("restoring {name} (line {})", i + 1))?;
        }
    }
    if !chunk.is_empty() {
        insert(chunk).await.with_context(|| format!("restoring {name}"))?;
    }
    Ok(())
}
