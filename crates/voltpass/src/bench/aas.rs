//! AAS API benchmark: discovery lookup by asset ids, shell descriptor by id and submodel `$value` on random
//! passports, driven by wrk over loopback, against the peer: the Eclipse BaSyx Python SDK 1.2.1 server
//! (`bench/aas-peer/peer.py`, gunicorn 2 workers x 4 threads) loaded with the same shells and nameplate submodels.
//! Both servers see the same passports, connections and duration in the same run, so the ratio is what counts.
//!
//! BaSyx has no registry, discovery or `$value`; its stand-ins (see `bench/aas-peer/README.md`) are
//! `/shells/$reference?assetIds=` (a linear scan), `/shells/{id}` and `/submodels/{id}` (full serialisation).

use anyhow::Context;
use clap::Args as ClapArgs;
use futures::StreamExt;
use interop::aas::elements;
use interop::aas::encode_id;
use interop::aas::twins::{self, PassportFacts, SubmodelKind, TwinOf};
use interop::cx0160::Aspect;
use passport::access::Audience;
use serde_json::{Value, json};
use server::auth::{generate_key, key_hash};
use server::{AppState, Config, RateLimit};
use std::io::Write;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use store::{Actor, Role};
use tokio::io::AsyncBufReadExt;

use super::resolve::{ServerTask, seeded_ids};
use crate::cmd::open_store;

/// The peer as the JSON line names it.
const PEER: &str = "basyx-python-sdk 1.2.1 gunicorn 2x4";
/// The submodel both servers serve for each passport.
const KIND: SubmodelKind = SubmodelKind::Idta(Aspect::Nameplate);
/// wrk's per-request timeout: the peer's lookup scans every shell and queues for seconds under 64 connections.
const WRK_TIMEOUT: &str = "120s";

#[derive(ClapArgs)]
pub struct Args {
    /// Number of passports stored (and requested at random).
    #[arg(long, default_value_t = 100_000)]
    passports: usize,
    /// Seconds per measured run (three requests on voltpass, three on the peer).
    #[arg(long, default_value_t = 30)]
    duration_s: u64,
    /// Open connections (wrk -c).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// wrk threads (wrk -t).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seconds of wrk warm-up before each measured run (not counted).
    #[arg(long, default_value_t = 3)]
    warmup_s: u64,
    /// Skip the BaSyx peer (its keys in the JSON line are null).
    #[arg(long)]
    no_peer: bool,
    /// Store to serve (default: a fresh SQLite file in a temporary directory). Seeded only if it has no
    /// passports; otherwise its first PASSPORTS passports are requested.
    #[arg(long)]
    db: Option<String>,
}

/// The three requests, in the order they run (on the peer the lookup runs last, see `PEER_ORDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Lookup,
    Descriptor,
    Value,
}

impl Request {
    const ALL: [Request; 3] = [Request::Lookup, Request::Descriptor, Request::Value];
    /// The peer's lookup is a linear scan whose queue outlives wrk by many seconds: it must run last.
    const PEER_ORDER: [Request; 3] = [Request::Descriptor, Request::Value, Request::Lookup];

    fn key(self) -> &'static str {
        match self {
            Request::Lookup => "lookup",
            Request::Descriptor => "descriptor",
            Request::Value => "value",
        }
    }

    fn ours(self) -> &'static str {
        match self {
            Request::Lookup => "GET /api/v3/lookup/shells?assetIds=..&assetIds=..",
            Request::Descriptor => "GET /api/v3/shell-descriptors/{aasId}",
            Request::Value => "GET /api/v3/submodels/{smId}/$value",
        }
    }

    fn peers(self) -> &'static str {
        match self {
            Request::Lookup => "GET /api/v3.0/shells/$reference?assetIds=..&assetIds=..",
            Request::Descriptor => "GET /api/v3.0/shells/{aasId}",
            Request::Value => "GET /api/v3.0/submodels/{smId}",
        }
    }
}

/// What one wrk run reports (the summary line of `bench/aas-peer/random-paths.lua`).
#[derive(Debug, Clone, Default, PartialEq)]
struct Figures {
    req_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx: u64,
    timeouts: u64,
    socket_errors: u64,
}

impl Figures {
    fn errors(&self) -> u64 {
        self.non_2xx + self.timeouts + self.socket_errors
    }
}

/// `p50_us=.. p99_us=.. requests=.. rps=.. non2xx=.. timeouts=.. errors=..`, the last such line of wrk's output.
fn parse_summary(text: &str) -> anyhow::Result<Figures> {
    let line =
        text.lines().rev().find(|l| l.starts_with("p50_us=")).context("no summary line from random-paths.lua")?;
    let mut figures = Figures::default();
    for pair in line.split_whitespace() {
        let (key, value) = pair.split_once('=').with_context(|| format!("`{pair}` is not key=value"))?;
        match key {
            "p50_us" => figures.p50_ms = value.parse::<f64>()? / 1000.0,
            "p99_us" => figures.p99_ms = value.parse::<f64>()? / 1000.0,
            "requests" => figures.requests = value.parse()?,
            "rps" => figures.req_per_s = value.parse()?,
            "non2xx" => figures.non_2xx = value.parse()?,
            "timeouts" => figures.timeouts = value.parse()?,
            "errors" => figures.socket_errors = value.parse()?,
            _ => {}
        }
    }
    Ok(figures)
}

/// Removes the scratch directory, also when the benchmark fails.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The peer's gunicorn master; SIGTERM on drop stops its workers too (SIGKILL would orphan them).
struct Peer(tokio::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let Some(pid) = self.0.id() else { return };
        let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        for _ in 0..100 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.start_kill();
    }
}

/// The repository's root (the bench runs from a checkout: it needs `bench/aas-peer`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `name` on PATH or in the sbin directories.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// wrk, installed with apt-get when missing (and apt-get is there to do it).
fn wrk() -> anyhow::Result<PathBuf> {
    if let Some(path) = on_path("wrk") {
        return Ok(path);
    }
    println!("  wrk is not installed: apt-get install -y wrk ...");
    let installed = on_path("apt-get").is_some_and(|apt| {
        std::process::Command::new(apt)
            .args(["install", "-y", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    on_path("wrk")
        .filter(|_| installed)
        .context("`wrk` is not installed and apt-get could not install it: apt-get install wrk")
}

/// The peer's Python: `target/basyx-venv/bin/python`, created with `python3 -m venv` and the pinned
/// requirements when missing.
fn peer_python(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = root.join("target/basyx-venv");
    let python = venv.join("bin/python");
    let check = |python: &Path| {
        std::process::Command::new(python)
            .args(["-c", "import basyx.aas.adapter.http, gunicorn"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if check(&python) {
        return Ok(python);
    }
    let system = on_path("python3").context(
        "the BaSyx peer needs Python 3.11 with venv and pip (`python3` is not on PATH); install it or pass --no-peer",
    )?;
    let requirements = root.join("bench/aas-peer/requirements.txt");
    println!("  creating the peer's venv {} (pip install -r {}) ...", venv.display(), requirements.display());
    let status = std::process::Command::new(&system).arg("-m").arg("venv").arg(&venv).status()?;
    anyhow::ensure!(
        status.success(),
        "`python3 -m venv {}` failed: is python3-venv installed? (or pass --no-peer)",
        venv.display()
    );
    let status = std::process::Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "-r"])
        .arg(&requirements)
        .status()
        .context("pip is not available in the venv (or pass --no-peer)")?;
    anyhow::ensure!(status.success(), "pip install -r {} failed (or pass --no-peer)", requirements.display());
    anyhow::ensure!(check(&python), "{} cannot import basyx and gunicorn after pip install", python.display());
    Ok(python)
}

/// Starts `peer.py ENV --port PORT` and waits for its `ready` line; its stderr goes to `log`.
async fn start_peer(python: &Path, root: &Path, env: &Path, log: &Path) -> anyhow::Result<(SocketAddr, Peer)> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut child = tokio::process::Command::new(python)
        .arg(root.join("bench/aas-peer/peer.py"))
        .arg(env)
        .args(["--port", &addr.port().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .context("cannot start the BaSyx peer")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let peer = Peer(child);
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(900), async {
        while let Some(line) = lines.next_line().await? {
            if line.trim() == "ready" {
                return anyhow::Ok(true);
            }
        }
        Ok(false)
    })
    .await;
    let log_text = || std::fs::read_to_string(log).unwrap_or_default();
    match ready {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => anyhow::bail!("the BaSyx peer exited before `ready`:\n{}", log_text().trim()),
        Ok(Err(e)) => return Err(e),
        Err(_) => anyhow::bail!("the BaSyx peer was not ready after 900 s:\n{}", log_text().trim()),
    }
    if let Some(line) = log_text().lines().find(|l| l.contains("loaded ")) {
        println!("  peer: {}", line.trim());
    }
    Ok((addr, peer))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    tokio::select! {
        result = bench(args) => result,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted"),
    }
}

/// One passport's request paths (ours, the peer's) and, with the peer, its shell and submodel JSON.
struct Twin {
    ours: [String; 3],
    peers: [String; 3],
    shell: String,
    submodel: String,
}

/// `b64u({"name":NAME,"value":VALUE})`, the spec's `assetIds` query value.
fn asset_id_query(name: &str, value: &str) -> String {
    encode_id(&json!({"name": name, "value": value}).to_string())
}

/// BaSyx 1.2.1's own `assetIds` format: a wrapper whose `value` is the SpecificAssetId JSON as a string.
fn basyx_asset_id_query(name: &str, value: &str) -> String {
    asset_id_query("specificAssetId", &json!({"name": name, "value": value}).to_string())
}

async fn twin(service: &server::PassportService, id: &str, with_peer: bool) -> anyhow::Result<Twin> {
    let passport =
        service.passport_for(id, None, Audience::Operator).await.with_context(|| format!("passport {id}"))?;
    let head = &passport.head;
    let of = TwinOf::Passport(id.to_string());
    let (shell_id, submodel_id) = (twins::shell_id(&of), twins::submodel_id(KIND, &of));
    let ours = [
        format!(
            "/api/v3/lookup/shells?assetIds={}&assetIds={}",
            asset_id_query("manufacturerPartId", &head.model_id),
            asset_id_query("partInstanceId", &head.battery_id)
        ),
        format!("/api/v3/shell-descriptors/{}", encode_id(&shell_id)),
        format!("/api/v3/submodels/{}/$value", encode_id(&submodel_id)),
    ];
    let peers = [
        format!(
            "/api/v3.0/shells/$reference?assetIds={}&assetIds={}",
            basyx_asset_id_query("manufacturerPartId", &head.model_id),
            basyx_asset_id_query("partInstanceId", &head.battery_id)
        ),
        format!("/api/v3.0/shells/{}", encode_id(&shell_id)),
        format!("/api/v3.0/submodels/{}", encode_id(&submodel_id)),
    ];
    let (mut shell, mut submodel) = (String::new(), String::new());
    if with_peer {
        let facts = PassportFacts {
            passport_id: head.id.clone(),
            battery_id: head.battery_id.clone(),
            model_id: head.model_id.clone(),
            status: head.status.clone(),
        };
        let mut twin = twins::passport_twin(&facts);
        // The environment holds only the nameplate: the shell must not reference submodels it lacks.
        twin.submodels.retain(|s| s.id == submodel_id);
        anyhow::ensure!(twin.submodels.len() == 1, "the twin of {id} has no {} submodel", KIND.slug());
        shell = twins::shell(&twin, &twin.specific_asset_ids).to_string();
        let value = KIND.value(&passport.document).map_err(|e| anyhow::anyhow!("{} of {id}: {e:?}", KIND.slug()))?;
        submodel = elements::submodel(&submodel_id, KIND.id_short(), KIND.semantic_id(), &value).to_string();
    }
    Ok(Twin { ours, peers, shell, submodel })
}

async fn bench(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.passports > 0 && args.duration_s > 0, "--passports and --duration-s must be at least 1");
    let wrk = wrk()?;
    let root = repo_root();
    let script = root.join("bench/aas-peer/random-paths.lua");
    anyhow::ensure!(script.is_file(), "{} is missing: run the bench from a voltpass checkout", script.display());
    let python = if args.no_peer { None } else { Some(peer_python(&root)?) };
    let scratch = Scratch(std::env::temp_dir().join(format!("voltpass-bench-aas-{}", uuid::Uuid::now_v7().simple())));
    let dir = scratch.0.clone();
    std::fs::create_dir_all(&dir)?;
    let (n, threads, c, d) =
        (args.passports, args.threads.clamp(1, args.connections.max(1)), args.connections, args.duration_s);
    println!(
        "aas benchmark: {n} passports, lookup / descriptor / submodel $value on random passports, wrk {threads} \
         threads x {c} connections, {d} s per run (+{} s warm-up), loopback; peer: {}",
        args.warmup_s,
        if args.no_peer { "none (--no-peer)" } else { PEER }
    );

    let url = args.db.clone().unwrap_or_else(|| format!("sqlite://{}", dir.join("voltpass.db").display()));
    // The per-address limiter stays in the path (its cost is part of serving) with a limit wrk never reaches.
    let unlimited = RateLimit { per_second: NonZeroU32::MAX, burst: NonZeroU32::MAX };
    let config = Config { public_rate_limit: Some(unlimited), ..Config::default() };
    let state = AppState::new(open_store(&url).await?, config);
    let service = state.service.clone();
    let ids = seeded_ids(&service, n).await?;

    // partInstanceId is hidden from the public: our requests carry an admin key, so they see what the peer
    // (which has no access control) serves.
    let admin = Actor {
        id: format!("actor:bench-aas-{}", uuid::Uuid::now_v7()),
        name: "bench aas admin".into(),
        role: Role::Admin,
        organisation: None,
        subrole: None,
    };
    let key = generate_key();
    service.store().create_actor(&admin).await?;
    service.store().add_key(&admin.id, &key_hash(&key)).await?;
    let auth = format!("Authorization: Bearer {key}");

    let started = Instant::now();
    let bar = crate::progress::bar(None, "composing twins");
    let with_peer = python.is_some();
    let mut stream = futures::stream::iter(ids.iter())
        .map(|id| {
            let service = service.clone();
            async move { twin(&service, id, with_peer).await }
        })
        .buffered(8);
    let mut ours: [String; 3] = Default::default();
    let mut peers: [String; 3] = Default::default();
    let env_path = dir.join("env.json");
    let mut shells = std::io::BufWriter::new(std::fs::File::create(&env_path)?);
    let mut submodels = std::io::BufWriter::new(std::fs::File::create(dir.join("submodels.json"))?);
    let mut first: Option<Twin> = None;
    let mut count = 0usize;
    shells.write_all(b"{\"assetAdministrationShells\":[")?;
    while let Some(t) = stream.next().await {
        let t = t?;
        for i in 0..3 {
            ours[i].push_str(&t.ours[i]);
            ours[i].push('\n');
            peers[i].push_str(&t.peers[i]);
            peers[i].push('\n');
        }
        if with_peer {
            let sep: &[u8] = if count == 0 { b"" } else { b"," };
            shells.write_all(sep)?;
            shells.write_all(t.shell.as_bytes())?;
            submodels.write_all(sep)?;
            submodels.write_all(t.submodel.as_bytes())?;
        }
        count += 1;
        bar.inc(1);
        if first.is_none() {
            first = Some(Twin { shell: String::new(), submodel: String::new(), ..t });
        }
    }
    bar.finish_and_clear();
    let first = first.context("no passports")?;
    drop(submodels);
    if with_peer {
        // {"assetAdministrationShells":[..],"submodels":[..]}: the submodels are appended from their own file.
        shells.write_all(b"],\"submodels\":[")?;
        std::io::copy(&mut std::fs::File::open(dir.join("submodels.json"))?, &mut shells)?;
        shells.write_all(b"]}")?;
    }
    shells.flush()?;
    drop(shells);
    let _ = std::fs::remove_file(dir.join("submodels.json"));
    let path_files: Vec<(PathBuf, PathBuf)> = (0..3)
        .map(|i| {
            let (o, p) = (dir.join(format!("ours-{i}.txt")), dir.join(format!("peer-{i}.txt")));
            std::fs::write(&o, &ours[i])?;
            std::fs::write(&p, &peers[i])?;
            anyhow::Ok((o, p))
        })
        .collect::<Result<_, _>>()?;
    drop((ours, peers));
    let env_mib = std::fs::metadata(&env_path)?.len() as f64 / (1024.0 * 1024.0);
    println!(
        "  composed {count} twins{} ({:.1} s)",
        if with_peer { format!(", peer environment {env_mib:.0} MiB") } else { String::new() },
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let _server = ServerTask(tokio::spawn(server::serve(listener, state)));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(300)).build()?;
    let first_shell = twins::shell_id(&TwinOf::Passport(ids[0].clone()));
    check_ours(&client, addr, &key, &first, &first_shell).await?;

    let wrk_run = |name: String, target: SocketAddr, paths: PathBuf, header: Option<String>, seconds: u64| {
        let (wrk, script) = (wrk.clone(), script.clone());
        async move {
            run_wrk(&wrk, &script, &paths, target, header.as_deref(), threads, c, seconds)
                .await
                .with_context(|| format!("wrk: {name}"))
        }
    };
    let mut our_figures = Vec::new();
    for (i, request) in Request::ALL.into_iter().enumerate() {
        let name = format!("voltpass {}", request.key());
        if args.warmup_s > 0 {
            wrk_run(format!("{name} warm-up"), addr, path_files[i].0.clone(), Some(auth.clone()), args.warmup_s)
                .await?;
        }
        println!("  running {name} ({}) for {d} s ...", request.ours());
        our_figures.push(wrk_run(name, addr, path_files[i].0.clone(), Some(auth.clone()), d).await?);
    }
    drop(_server);

    let mut peer_figures: [Option<Figures>; 3] = Default::default();
    if let Some(python) = &python {
        let started = Instant::now();
        println!("  starting the BaSyx peer on {count} shells and {count} submodels ({env_mib:.0} MiB of JSON) ...");
        let (peer_addr, _peer) = start_peer(python, &root, &env_path, &dir.join("peer.log")).await?;
        println!("  peer ready ({:.1} s)", started.elapsed().as_secs_f64());
        check_peer(&client, peer_addr, &first, &first_shell).await?;
        for request in Request::PEER_ORDER {
            let i = Request::ALL.iter().position(|r| *r == request).unwrap_or_default();
            let name = format!("peer {}", request.key());
            if request == Request::Lookup {
                // Not with wrk: its queued scans would keep the workers busy long after it stops.
                warm_lookup(&client, peer_addr, &first.peers[0], args.warmup_s).await?;
            } else if args.warmup_s > 0 {
                wrk_run(format!("{name} warm-up"), peer_addr, path_files[i].1.clone(), None, args.warmup_s).await?;
            }
            println!("  running {name} ({}) for {d} s ...", request.peers());
            peer_figures[i] = Some(wrk_run(name, peer_addr, path_files[i].1.clone(), None, d).await?);
        }
    }
    report(&args, n, &our_figures, &peer_figures)
}

/// Warms the peer's lookup with scans that do not queue: 4 clients (2 per worker), each sending the next
/// request once the last one is answered, for `seconds` (at least one request each).
async fn warm_lookup(client: &reqwest::Client, addr: SocketAddr, path: &str, seconds: u64) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(seconds);
    futures::future::try_join_all((0..4).map(|_| async move {
        loop {
            client.get(format!("http://{addr}{path}")).send().await?.error_for_status()?;
            if Instant::now() >= until {
                return anyhow::Ok(());
            }
        }
    }))
    .await?;
    Ok(())
}

async fn get_json(client: &reqwest::Client, url: String, key: Option<&str>) -> anyhow::Result<Value> {
    let mut request = client.get(&url).header("Accept", "application/json");
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "GET {url} answered {status}: {}", text.chars().take(500).collect::<String>());
    serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON"))
}

/// One request of each kind on voltpass, checking the answers are the right ones (not just 200s).
async fn check_ours(
    client: &reqwest::Client,
    addr: SocketAddr,
    key: &str,
    first: &Twin,
    shell_id: &str,
) -> anyhow::Result<()> {
    let found = get_json(client, format!("http://{addr}{}", first.ours[0]), Some(key)).await?;
    anyhow::ensure!(found["result"] == json!([shell_id]), "the lookup found {found}, not [{shell_id}]");
    let descriptor = get_json(client, format!("http://{addr}{}", first.ours[1]), Some(key)).await?;
    anyhow::ensure!(descriptor["id"] == shell_id, "the descriptor is of {}, not {shell_id}", descriptor["id"]);
    let value = get_json(client, format!("http://{addr}{}", first.ours[2]), Some(key)).await?;
    anyhow::ensure!(value.as_object().is_some_and(|o| !o.is_empty()), "empty $value: {value}");
    Ok(())
}

/// The same for the peer: its lookup must find exactly the one shell (a malformed `assetIds` is ignored by
/// BaSyx 1.2.1, which then answers the first shells, unfiltered).
async fn check_peer(client: &reqwest::Client, addr: SocketAddr, first: &Twin, shell_id: &str) -> anyhow::Result<()> {
    let found = get_json(client, format!("http://{addr}{}", first.peers[0]), None).await?;
    let keys = found["result"].as_array().map(Vec::as_slice).unwrap_or_default();
    anyhow::ensure!(
        keys.len() == 1 && keys[0]["keys"][0]["value"] == shell_id,
        "the peer's lookup found {found}, not exactly {shell_id}"
    );
    let shell = get_json(client, format!("http://{addr}{}", first.peers[1]), None).await?;
    anyhow::ensure!(shell["id"] == shell_id, "the peer's shell is {}, not {shell_id}", shell["id"]);
    let submodel = get_json(client, format!("http://{addr}{}", first.peers[2]), None).await?;
    anyhow::ensure!(submodel["idShort"] == KIND.id_short(), "the peer's submodel is {submodel}");
    Ok(())
}

/// wrk with `random-paths.lua` over `paths`, optionally with one extra header.
#[allow(clippy::too_many_arguments)]
async fn run_wrk(
    wrk: &Path,
    script: &Path,
    paths: &Path,
    target: SocketAddr,
    header: Option<&str>,
    threads: usize,
    connections: usize,
    duration: u64,
) -> anyhow::Result<Figures> {
    let mut command = tokio::process::Command::new(wrk);
    command.args([
        format!("-t{threads}"),
        format!("-c{connections}"),
        format!("-d{duration}s"),
        format!("--timeout={WRK_TIMEOUT}"),
        "--latency".into(),
    ]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let output = command
        .arg("-s")
        .arg(script)
        .arg(format!("http://{target}"))
        .arg("--")
        .arg(paths)
        .kill_on_drop(true)
        .output()
        .await?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    parse_summary(&text).with_context(|| format!("unexpected wrk output:\n{text}"))
}

fn report(args: &Args, n: usize, ours: &[Figures], peers: &[Option<Figures>; 3]) -> anyhow::Result<()> {
    println!(
        "  {:<11} {:>12} {:>9} {:>9} {:>8} | {:>10} {:>9} {:>8} | {:>7}",
        "request", "req/s", "p50 ms", "p99 ms", "errors", "peer req/s", "p99 ms", "errors", "ratio"
    );
    let ratio = |ours: &Figures, peer: &Option<Figures>| {
        peer.as_ref().filter(|p| p.req_per_s > 0.0).map(|p| (ours.req_per_s / p.req_per_s * 100.0).round() / 100.0)
    };
    let ms = |v: f64| (v * 1000.0).round() / 1000.0;
    let mut failed = Vec::new();
    let mut verdicts = Vec::new();
    for (i, request) in Request::ALL.into_iter().enumerate() {
        let (f, peer) = (&ours[i], &peers[i]);
        let dash = || "-".to_string();
        println!(
            "  {:<11} {:>12.0} {:>9.3} {:>9.3} {:>8} | {:>10} {:>9} {:>8} | {:>7}",
            request.key(),
            f.req_per_s,
            f.p50_ms,
            f.p99_ms,
            f.errors(),
            peer.as_ref().map_or_else(dash, |p| format!("{:.1}", p.req_per_s)),
            peer.as_ref().map_or_else(dash, |p| format!("{:.1}", p.p99_ms)),
            peer.as_ref().map_or_else(dash, |p| p.errors().to_string()),
            ratio(f, peer).map_or_else(dash, |r| format!("{r:.1}x")),
        );
        for (who, f) in [("voltpass", Some(f)), ("peer", peer.as_ref())] {
            if let Some(f) = f.filter(|f| f.errors() > 0) {
                failed.push(format!(
                    "{who} {}: {} non-2xx, {} timeouts, {} socket errors",
                    request.key(),
                    f.non_2xx,
                    f.timeouts,
                    f.socket_errors
                ));
            }
        }
        let met = ratio(f, peer).map(|r| r >= 20.0 && f.p99_ms < 10.0);
        verdicts.push(format!(
            "{}: {}",
            request.key(),
            match met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "no peer",
            }
        ));
    }
    println!("  target >= 20x the peer's req/s with p99 < 10 ms: {}", verdicts.join(", "));
    for line in &failed {
        println!("  !!! FAILED REQUESTS ({line}): the figures of this run are not valid");
    }
    // Keys in a fixed order (serde_json maps sort theirs).
    let mut figures: Vec<(String, Value)> = vec![
        ("bench".into(), json!("aas")),
        ("passports".into(), json!(n)),
        ("connections".into(), json!(args.connections)),
        ("duration_s".into(), json!(args.duration_s)),
    ];
    for (i, request) in Request::ALL.into_iter().enumerate() {
        let (k, f) = (request.key(), &ours[i]);
        figures.push((format!("{k}_req_per_s"), json!(f.req_per_s.round())));
        figures.push((format!("{k}_p50_ms"), json!(ms(f.p50_ms))));
        figures.push((format!("{k}_p99_ms"), json!(ms(f.p99_ms))));
        figures.push((format!("{k}_errors"), json!(f.errors())));
    }
    for (i, request) in Request::ALL.into_iter().enumerate() {
        let (k, p) = (request.key(), peers[i].as_ref());
        figures.push((format!("peer_{k}_req_per_s"), json!(p.map(|p| (p.req_per_s * 10.0).round() / 10.0))));
        figures.push((format!("peer_{k}_p50_ms"), json!(p.map(|p| ms(p.p50_ms)))));
        figures.push((format!("peer_{k}_p99_ms"), json!(p.map(|p| ms(p.p99_ms)))));
        figures.push((format!("peer_{k}_errors"), json!(p.map(Figures::errors))));
    }
    for (i, request) in Request::ALL.into_iter().enumerate() {
        figures.push((format!("{}_ratio", request.key()), json!(ratio(&ours[i], &peers[i]))));
    }
    figures.push(("peer".into(), if args.no_peer { Value::Null } else { json!(PEER) }));
    let line: Vec<String> = figures.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    println!("{{{}}}", line.join(","));
    anyhow::ensure!(failed.is_empty(), "the run had failed requests: {}", failed.join("; "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_is_parsed() {
        let text = "Running 2s test @ http://127.0.0.1:1\n  Latency Distribution\n     99%    1.02ms\n\
                    p50_us=812 p99_us=1020 requests=200123 rps=40024.6 non2xx=7 timeouts=3 errors=2\n";
        let f = parse_summary(text).unwrap();
        assert_eq!((f.req_per_s, f.requests, f.non_2xx, f.timeouts, f.socket_errors), (40024.6, 200123, 7, 3, 2));
        assert!((f.p50_ms - 0.812).abs() < 1e-9 && (f.p99_ms - 1.02).abs() < 1e-9);
        assert_eq!(f.errors(), 12);
        assert!(parse_summary("Running 5s test").is_err());
    }

    #[test]
    fn basyx_asset_ids_wrap_the_specific_asset_id_as_a_string() {
        let decoded = interop::aas::decode_id(&basyx_asset_id_query("partInstanceId", "SN-1")).unwrap();
        let wrapper: Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(wrapper["name"], "specificAssetId");
        let inner: Value = serde_json::from_str(wrapper["value"].as_str().unwrap()).unwrap();
        assert_eq!(inner, json!({"name": "partInstanceId", "value": "SN-1"}));
    }
}
