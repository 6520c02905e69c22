//! Resolver benchmark: `GET /p/{id}` (as JSON and as HTML) on random ids of N stored passports, driven by wrk
//! over loopback, against the physical baseline: nginx serving the same public JSON bodies as static files.
//! Both servers see the same id list, connections and duration in the same run, so the ratio is what counts.

use anyhow::Context;
use clap::Args as ClapArgs;
use passport::demo::{self, DemoModel};
use passport::fixtures::{item_body, model_body};
use serde_json::json;
use server::import::{BATCH_LINES, Importer};
use server::service::{BulkLine, LineOutcome};
use server::{AppState, Config, PassportService, RateLimit};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store::PassportFilter;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::cmd::{local_actor, open_store};

const SEED: u64 = 2027;

#[derive(ClapArgs)]
pub struct Args {
    /// Number of passports stored (and requested at random).
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Seconds per run (three runs: nginx JSON, voltpass JSON, voltpass HTML).
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Open connections (wrk -c).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// wrk threads (wrk -t).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Store to serve (default: a fresh SQLite file in a temporary directory). Seeded only if it has no
    /// passports; otherwise its first COUNT passports are requested.
    #[arg(long)]
    db: Option<String>,
    /// Memory for the server's public answer cache, in MiB (`serve --public-cache-mib`; 0 = off).
    #[arg(long, default_value_t = 4096)]
    cache_mib: u64,
    /// Seconds a cached answer is reused (`serve --public-cache-ttl-s`). Long enough that answers cached by the
    /// warm pass (100,000 ids at the cold rate) do not expire during the measured run; every write in this
    /// benchmark goes through the server, so none is served stale.
    #[arg(long, default_value_t = 600)]
    cache_ttl_s: u64,
}

/// What one wrk run reports.
#[derive(Debug, Clone, Default, PartialEq)]
struct Figures {
    req_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx_3xx: u64,
    socket_errors: u64,
}

impl Figures {
    fn errors(&self) -> u64 {
        self.non_2xx_3xx + self.socket_errors
    }
}

/// Removes the scratch directory, also when the benchmark fails.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The nginx master process; stopped on drop with SIGTERM, which also stops its workers (SIGKILL would not).
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        for _ in 0..50 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The in-process voltpass server task, stopped on drop.
pub(super) struct ServerTask(pub(super) tokio::task::JoinHandle<std::io::Result<()>>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `name` on PATH or in the sbin directories, or an error naming the Debian package.
fn tool(name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| {
            format!("`{name}` is not installed: install the Debian package `{name}` (apt-get install {name})")
        })
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    tokio::select! {
        result = bench(args) => result,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted"),
    }
}

async fn bench(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.count > 0 && args.duration > 0, "--count and --duration must be at least 1");
    let (wrk, nginx) = (tool("wrk")?, tool("nginx")?);
    let scratch = Scratch(std::env::temp_dir().join(format!("voltpass-bench-{}", uuid::Uuid::now_v7().simple())));
    let dir = scratch.0.clone();
    std::fs::create_dir_all(dir.join("www"))?;
    let (n, threads) = (args.count, args.threads.clamp(1, args.connections.max(1)));
    println!(
        "resolve benchmark: {n} passports, GET /p/{{id}} on random ids, wrk {threads} threads x {} connections, \
         {} s per run, loopback",
        args.connections, args.duration
    );

    let url = args.db.clone().unwrap_or_else(|| format!("sqlite://{}", dir.join("voltpass.db").display()));
    // The per-address limiter stays in the path (its cost is part of serving) with a limit wrk never reaches.
    let unlimited = RateLimit { per_second: NonZeroU32::MAX, burst: NonZeroU32::MAX };
    let config = Config {
        public_rate_limit: Some(unlimited),
        public_cache_bytes: args.cache_mib * 1024 * 1024,
        public_cache_ttl: std::time::Duration::from_secs(args.cache_ttl_s),
        ..Config::default()
    };
    let state = AppState::new(open_store(&url).await?, config);
    let service = state.service.clone();
    let ids = seeded_ids(&state.service, n).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let _server = ServerTask(tokio::spawn(server::serve(listener, state)));

    let started = Instant::now();
    fetch_bodies(addr, &ids, &dir.join("www")).await?;
    println!("  wrote {} public JSON bodies as static files ({:.1} s)", ids.len(), started.elapsed().as_secs_f64());
    let paths = dir.join("paths.txt");
    std::fs::write(&paths, ids.iter().map(|id| format!("/p/{id}\n")).collect::<String>())?;

    let (nginx_addr, _nginx) = start_nginx(&nginx, &dir, args.connections)?;
    let (status, _) = get(&mut connect(nginx_addr).await?, &format!("/p/{}", ids[0]), "application/json").await?;
    anyhow::ensure!(status == 200, "nginx answers {status} for /p/{}: see {}", ids[0], dir.join("error.log").display());

    let wrk_run = |name: &'static str, target: SocketAddr, accept: &'static str| {
        let (wrk, dir, paths) = (wrk.clone(), dir.clone(), paths.clone());
        let (c, d) = (args.connections, args.duration);
        async move {
            println!("  running {name} for {d} s ...");
            run_wrk(&wrk, &dir, &paths, target, accept, threads, c, d).await.with_context(|| format!("wrk: {name}"))
        }
    };
    let base = wrk_run("baseline nginx static JSON", nginx_addr, "application/json").await?;
    // The file fetch filled the JSON cache; empty it so that the warm pass below measures the cold rate.
    for id in &ids {
        service.public_cache().forget(id);
    }
    // nginx serves from a warm page cache; voltpass gets the same chance: one pass over every id right before
    // its run fills the public answer cache. That pass is the cold (render-on-miss) rate.
    let json_cold = warm(addr, &ids, "application/json").await?;
    let json_run = wrk_run("voltpass JSON", addr, "application/json").await?;
    let html_cold = warm(addr, &ids, "text/html").await?;
    let html_run = wrk_run("voltpass HTML", addr, "text/html").await?;
    report(&args, n, &base, (&json_run, json_cold), (&html_run, html_cold))
}

/// The first `n` passport ids of the store, after seeding demo passports if it holds none.
pub(super) async fn seeded_ids(service: &PassportService, n: usize) -> anyhow::Result<Vec<String>> {
    let store = service.store();
    if store.list_passports(&PassportFilter::default(), None, 1).await?.is_empty() {
        let started = Instant::now();
        seed(service, n).await?;
        println!("  seeded {n} demo passports ({:.1} s)", started.elapsed().as_secs_f64());
    }
    let mut ids: Vec<String> = Vec::with_capacity(n);
    while ids.len() < n {
        let page = (n - ids.len()).min(1000) as i64;
        let heads = store.list_passports(&PassportFilter::default(), ids.last().map(String::as_str), page).await?;
        if heads.is_empty() {
            break;
        }
        ids.extend(heads.into_iter().map(|h| h.id));
    }
    anyhow::ensure!(ids.len() == n, "the store holds {} passports, {n} were asked for", ids.len());
    Ok(ids)
}

/// Streams demo item passports through the importer. (`cmd::demo` collects them all first: ~1 GB per 10,000.)
async fn seed(service: &PassportService, n: usize) -> anyhow::Result<()> {
    let actor = local_actor(service.store()).await?;
    for model in DemoModel::ALL {
        if service.store().model(model.model_id(), None).await?.is_none() {
            service.create_model(&actor, model_body(model)).await.context("demo model")?;
        }
    }
    let bar = crate::progress::bar(None, "seeding passports");
    let mut importer = Importer::new(service.clone(), actor);
    let mut docs = demo::passports(n, SEED);
    let mut outcomes = Vec::with_capacity(n);
    loop {
        let lines: Vec<BulkLine> = docs.by_ref().take(BATCH_LINES).map(|d| BulkLine::Json(item_body(&d))).collect();
        if lines.is_empty() {
            break;
        }
        bar.inc(lines.len() as u64);
        outcomes.extend(importer.push(lines).await);
    }
    outcomes.extend(importer.finish().await);
    bar.finish_and_clear();
    if let Some(LineOutcome::Failed(e)) = outcomes.iter().find(|o| !matches!(o, LineOutcome::Created { .. })) {
        anyhow::bail!("demo passport rejected: {e:?}");
    }
    Ok(())
}

type Conn = (BufReader<tokio::net::tcp::OwnedReadHalf>, tokio::net::tcp::OwnedWriteHalf);

async fn connect(addr: SocketAddr) -> anyhow::Result<Conn> {
    let (read, write) = TcpStream::connect(addr).await?.into_split();
    Ok((BufReader::new(read), write))
}

/// One GET on a keep-alive connection: a minimal HTTP/1.1 client (voltpass has no HTTP client dependency;
/// both servers answer with Content-Length).
async fn get(conn: &mut Conn, path: &str, accept: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let (reader, writer) = conn;
    writer.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n").as_bytes()).await?;
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no HTTP status line")?;
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        match line.trim_end().split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => length = Some(value.trim().parse()?),
            Some(_) => {}
            None => break,
        }
    }
    let mut body = vec![0; length.context("response without Content-Length")?];
    reader.read_exact(&mut body).await?;
    Ok((status, body))
}

/// Requests every id once with `accept` on 8 connections (cache misses: rendered from the store); req/s.
async fn warm(addr: SocketAddr, ids: &[String], accept: &'static str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let bar = crate::progress::bar(None, "warming the public cache");
    let per_conn = ids.len().div_ceil(8).max(1);
    futures::future::try_join_all(ids.chunks(per_conn).map(|chunk| {
        let bar = bar.clone();
        async move {
            let mut conn = connect(addr).await?;
            for id in chunk {
                let (status, _) = get(&mut conn, &format!("/p/{id}"), accept).await?;
                anyhow::ensure!(status == 200, "GET /p/{id} ({accept}) answered {status}");
                bar.inc(1);
            }
            anyhow::Ok(())
        }
    }))
    .await?;
    bar.finish_and_clear();
    let rate = ids.len() as f64 / started.elapsed().as_secs_f64();
    println!("  warmed {} {accept} answers: {rate:.0} req/s cold (8 connections)", ids.len());
    Ok(rate)
}

/// Fetches every passport's public JSON once over HTTP and writes it to `www/{id}`, on 4 connections.
async fn fetch_bodies(addr: SocketAddr, ids: &[String], www: &Path) -> anyhow::Result<()> {
    let bar = crate::progress::bar(None, "fetching public JSON");
    let per_conn = ids.len().div_ceil(4).max(1);
    futures::future::try_join_all(ids.chunks(per_conn).map(|chunk| {
        let bar = bar.clone();
        async move {
            let mut conn = connect(addr).await?;
            for id in chunk {
                let (status, body) = get(&mut conn, &format!("/p/{id}"), "application/json").await?;
                anyhow::ensure!(status == 200, "GET /p/{id} answered {status}");
                tokio::fs::write(www.join(id), body).await?;
                bar.inc(1);
            }
            anyhow::Ok(())
        }
    }))
    .await?;
    bar.finish_and_clear();
    Ok(())
}

/// Starts nginx on a free loopback port, serving `dir/www/{id}` at `/p/{id}`.
fn start_nginx(nginx: &Path, dir: &Path, connections: usize) -> anyhow::Result<(SocketAddr, Nginx)> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let d = dir.display();
    // Temp paths are set because Debian's compiled-in ones (/var/lib/nginx) need root or may not exist.
    let conf = format!(
        "worker_processes 2;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections {}; }}\n\
         http {{\n  access_log off;\n  types {{ }}\n  default_type application/json;\n  sendfile on;\n  \
         keepalive_requests 10000000;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  \
         fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n  \
         server {{\n    listen {addr};\n    location /p/ {{ alias {d}/www/; }}\n  }}\n}}\n",
        connections.max(512) * 2
    );
    std::fs::write(dir.join("nginx.conf"), conf)?;
    let child = Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start nginx")?;
    let mut guard = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        let exited = guard.0.try_wait()?.is_some();
        if exited || Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            anyhow::bail!("nginx did not start: {}", log.trim());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((addr, guard))
}

/// wrk with a Lua script requesting random paths from `paths` (each thread seeds its own generator).
#[allow(clippy::too_many_arguments)]
async fn run_wrk(
    wrk: &Path,
    dir: &Path,
    paths: &Path,
    target: SocketAddr,
    accept: &str,
    threads: usize,
    connections: usize,
    duration: u64,
) -> anyhow::Result<Figures> {
    let script = dir.join(format!("{}.lua", accept.replace('/', "-")));
    std::fs::write(
        &script,
        format!(
            "local requests, counter = {{}}, 0\n\
             function setup(thread) counter = counter + 1; thread:set(\"tid\", counter) end\n\
             function init(args)\n  local headers = {{ [\"Accept\"] = \"{accept}\" }}\n  \
             for line in io.lines([==[{}]==]) do requests[#requests + 1] = wrk.format(\"GET\", line, headers) end\n  \
             math.randomseed(os.time() * 1000 + (tid or 0))\nend\n\
             function request() return requests[math.random(#requests)] end\n",
            paths.display()
        ),
    )?;
    let output = tokio::process::Command::new(wrk)
        .args([format!("-t{threads}"), format!("-c{connections}"), format!("-d{duration}s"), "--latency".into()])
        .arg("-s")
        .arg(&script)
        .arg(format!("http://{target}/"))
        .kill_on_drop(true)
        .output()
        .await?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    parse_wrk(&text).with_context(|| format!("unexpected wrk output:\n{text}"))
}

/// Requests/sec, the 50 % and 99 % latency lines, and failures from `wrk --latency` output.
fn parse_wrk(text: &str) -> anyhow::Result<Figures> {
    let mut figures = Figures { req_per_s: f64::NAN, p50_ms: f64::NAN, p99_ms: f64::NAN, ..Figures::default() };
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => figures.req_per_s = v.parse()?,
            ["50%", v] => figures.p50_ms = millis(v)?,
            ["99%", v] => figures.p99_ms = millis(v)?,
            [n, "requests", "in", ..] => figures.requests = n.parse()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => figures.non_2xx_3xx = n.parse()?,
            ["Socket", "errors:", rest @ ..] => {
                figures.socket_errors = rest.iter().filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok()).sum()
            }
            _ => {}
        }
    }
    anyhow::ensure!(
        figures.req_per_s.is_finite() && figures.p50_ms.is_finite() && figures.p99_ms.is_finite(),
        "no Requests/sec or latency distribution"
    );
    Ok(figures)
}

/// wrk's time format (`812.00us`, `1.20ms`, `2.00s`, `1.00m`) in milliseconds.
fn millis(v: &str) -> anyhow::Result<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).context("latency without unit")?;
    let (number, unit) = v.split_at(split);
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        other => anyhow::bail!("unknown time unit {other}"),
    };
    Ok(number.parse::<f64>()? * factor)
}

/// A voltpass run and the cold (cache-filling) rate measured just before it.
type Run<'a> = (&'a Figures, f64);

fn report(
    args: &Args,
    n: usize,
    base: &Figures,
    (json_run, json_cold): Run,
    (html_run, html_cold): Run,
) -> anyhow::Result<()> {
    println!("  {:<28} {:>12} {:>9} {:>9} {:>10} {:>8}", "run", "req/s", "p50 ms", "p99 ms", "requests", "errors");
    for (name, f) in [("baseline nginx static JSON", base), ("voltpass JSON", json_run), ("voltpass HTML", html_run)] {
        println!(
            "  {name:<28} {:>12.0} {:>9.3} {:>9.3} {:>10} {:>8}",
            f.req_per_s,
            f.p50_ms,
            f.p99_ms,
            f.requests,
            f.errors()
        );
    }
    let ratio = |f: &Figures| (f.req_per_s / base.req_per_s * 1000.0).round() / 1000.0;
    let (json_ratio, html_ratio) = (ratio(json_run), ratio(html_run));
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "  ratio JSON / nginx: {:.1} % with p99 {:.2} ms (target >= 50 % and p99 < 10 ms): {}",
        json_ratio * 100.0,
        json_run.p99_ms,
        verdict(json_ratio >= 0.5 && json_run.p99_ms < 10.0)
    );
    println!("  ratio HTML / nginx: {:.1} % (target >= 30 %): {}", html_ratio * 100.0, verdict(html_ratio >= 0.3));
    let failed: Vec<String> = [("nginx", base), ("voltpass JSON", json_run), ("voltpass HTML", html_run)]
        .into_iter()
        .filter(|(_, f)| f.errors() > 0)
        .map(|(name, f)| format!("{name}: {} non-2xx/3xx, {} socket errors", f.non_2xx_3xx, f.socket_errors))
        .collect();
    for line in &failed {
        println!("  !!! FAILED REQUESTS ({line}): the figures of this run are not valid");
    }
    let ms = |v: f64| (v * 1000.0).round() / 1000.0;
    // Keys in a fixed order (serde_json maps sort theirs), so the line reads like the issue's.
    let figures = [
        ("bench", json!("resolve")),
        ("passports", json!(n)),
        ("duration_s", json!(args.duration)),
        ("connections", json!(args.connections)),
        ("cache_mib", json!(args.cache_mib)),
        ("cache_ttl_s", json!(args.cache_ttl_s)),
        ("json_cold_req_per_s", json!(json_cold.round())),
        ("html_cold_req_per_s", json!(html_cold.round())),
        ("json_req_per_s", json!(json_run.req_per_s.round())),
        ("json_p50_ms", json!(ms(json_run.p50_ms))),
        ("json_p99_ms", json!(ms(json_run.p99_ms))),
        ("html_req_per_s", json!(html_run.req_per_s.round())),
        ("html_p50_ms", json!(ms(html_run.p50_ms))),
        ("html_p99_ms", json!(ms(html_run.p99_ms))),
        ("baseline_nginx_req_per_s", json!(base.req_per_s.round())),
        ("baseline_nginx_p50_ms", json!(ms(base.p50_ms))),
        ("baseline_nginx_p99_ms", json!(ms(base.p99_ms))),
        ("json_ratio", json!(json_ratio)),
        ("html_ratio", json!(html_ratio)),
        ("json_errors", json!(json_run.errors())),
        ("html_errors", json!(html_run.errors())),
        ("baseline_nginx_errors", json!(base.errors())),
    ];
    let line: Vec<String> = figures.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    println!("{{{}}}", line.join(","));
    anyhow::ensure!(failed.is_empty(), "the run had failed requests: {}", failed.join("; "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 5s test @ http://127.0.0.1:8080/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms  456.00us  10.00ms   75.00%
    Req/Sec    20.00k     1.00k   25.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.50ms
     90%    2.00ms
     99%    1.02s
  200123 requests in 5.00s, 1.00GB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  40024.60
Transfer/sec:    200.00MB
";

    #[test]
    fn wrk_output_is_parsed_with_units() {
        let f = parse_wrk(SAMPLE).unwrap();
        assert_eq!((f.req_per_s, f.requests, f.non_2xx_3xx, f.socket_errors), (40024.6, 200123, 7, 5));
        assert!((f.p50_ms - 0.812).abs() < 1e-9 && (f.p99_ms - 1020.0).abs() < 1e-9);
        assert!(parse_wrk("Running 5s test").is_err());
    }
}
