//! The MQTT subscriber under faults, each test on a private Mosquitto (own port, persistence and log), so
//! stopping it or counting its connections does not disturb other tests: the broker restarted under load loses
//! no acknowledged reading, and of several servers sharing a store one subscribes at a time, another taking
//! over (with the broker's session) when it stops.

mod common;

use common::TestServer;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use server::Config;
use server::service::PassportService;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store::{SqliteStore, Store, testing};

on_both_backends!(one_server_at_a_time_subscribes_and_another_takes_over);

/// A private Mosquitto on a free port, keeping its messages on disk across restarts, with a log to read.
struct Broker {
    port: u16,
    /// Config, messages and log; removed with the broker.
    dir: PathBuf,
    child: std::process::Child,
}

impl Broker {
    fn start() -> Broker {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("voltpass-mosquitto-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        // Started as root, mosquitto drops to its own user, which must still write its messages and log here.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let config = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {data}/\n\
             log_dest file {data}/mosquitto.log\nlog_type all\n",
            data = dir.display()
        );
        std::fs::write(dir.join("mosquitto.conf"), config).unwrap();
        let child = Self::run(&dir.join("mosquitto.conf"), port);
        Broker { port, dir, child }
    }

    fn run(config: &std::path::Path, port: u16) -> std::process::Child {
        let child = std::process::Command::new("mosquitto")
            .arg("-c")
            .arg(config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("mosquitto is installed (.ci/run installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// Stops the broker the way a service manager does (SIGTERM: it saves its messages) and starts it again.
    fn restart(&mut self) {
        let stopped = std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        assert!(stopped.unwrap().success());
        self.child.wait().unwrap();
        self.child = Self::run(&self.dir.join("mosquitto.conf"), self.port);
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("mosquitto.log")
    }

    /// Connections the broker accepted from `client_id`.
    fn connections_of(&self, client_id: &str) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("New client connected") && l.contains(&format!(" as {client_id} ")))
            .count()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn bridge_config(store: &Arc<dyn Store>, broker: &Broker, client_id: &str) -> server::mqtt::MqttConfig {
    let bridge = store::Actor {
        id: format!("local:mqtt-{}", uuid::Uuid::now_v7().simple()),
        name: "bridge".into(),
        role: store::Role::Admin,
        organisation: None,
        subrole: None,
    };
    store.create_actor(&bridge).await.unwrap();
    server::mqtt::MqttConfig {
        url: format!("mqtt://127.0.0.1:{}", broker.port),
        topic_prefix: "voltpass/readings".into(),
        trace_topic_prefix: server::mqtt::DEFAULT_TRACE_TOPIC_PREFIX.into(),
        client_id: client_id.into(),
        actor: bridge,
    }
}

/// The reading numbered `i`: one second after the one before.
fn reading(i: usize) -> Value {
    let at = time::OffsetDateTime::from_unix_timestamp(1_780_000_000 + i as i64).unwrap();
    let at = at.format(&time::format_description::well_known::Rfc3339).unwrap();
    json!({"metric": "stateOfCharge", "at": at, "value": 40.0 + (i % 50) as f64, "source": "bms"})
}

/// Timestamps (Unix seconds) of the stored state-of-charge readings of a passport.
async fn stored(store: &Arc<dyn Store>, passport: &str) -> BTreeSet<i64> {
    let q = store::ReadingQuery {
        passport_id: passport.into(),
        metric: "stateOfCharge".into(),
        from_ms: 0,
        to_ms: i64::MAX,
        limit: 1_000_000,
    };
    store.readings(&q).await.unwrap().iter().map(|r| r.at_ms / 1000).collect()
}

/// Waits until every reading in `wanted` is stored (or 20 s pass) and returns what is stored.
async fn await_stored(store: &Arc<dyn Store>, passport: &str, wanted: &BTreeSet<i64>) -> BTreeSet<i64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let have = stored(store, passport).await;
        if wanted.is_subset(&have) || Instant::now() > deadline {
            return have;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Publishes readings `first..first + n` on a fresh connection (QoS 1, clean session) and says whether the
/// broker acknowledged every one of them on that connection; a burst cut by a broker restart counts as not
/// acknowledged, even if part of it was.
async fn publish_burst(port: u16, passport: &str, first: usize, n: usize) -> bool {
    let options = MqttOptions::new(format!("pub-{}", uuid::Uuid::now_v7().simple()), "127.0.0.1", port);
    let (client, mut events) = AsyncClient::new(options, n + 1);
    let topic = format!("voltpass/readings/{passport}");
    let all_acked = async {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {}
            _ => return false,
        }
        for i in first..first + n {
            if client.publish(topic.as_str(), QoS::AtLeastOnce, false, reading(i).to_string()).await.is_err() {
                return false;
            }
        }
        let mut acked = 0;
        while acked < n {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        true
    };
    tokio::time::timeout(Duration::from_secs(2), all_acked).await.unwrap_or(false)
}

/// Readings published in bursts for four seconds while the broker is restarted (SIGTERM, as a service manager
/// does) after one and a half: every reading the broker acknowledged is stored, including those it held for
/// the subscriber across the restart, and readings flow again after it without restarting the server.
#[tokio::test]
async fn no_acknowledged_reading_is_lost_when_the_broker_restarts_under_load() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&testing::fresh_sqlite_url()).await.unwrap());
    let s = TestServer::start(store.clone(), Config::default()).await;
    s.create_demo_models().await;
    let id = s.ev_passport(61).await.0;
    let broker = Broker::start();
    let port = broker.port;
    let config = bridge_config(&store, &broker, &format!("voltpass-{}", uuid::Uuid::now_v7().simple())).await;
    let subscriber = server::mqtt::spawn(PassportService::new(store.clone()), config).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let published = Arc::new(AtomicUsize::new(0));
    let restart = {
        let published = published.clone();
        std::thread::spawn(move || {
            let mut broker = broker;
            std::thread::sleep(Duration::from_millis(1500));
            let before = published.load(Ordering::SeqCst);
            broker.restart();
            (broker, before, published.load(Ordering::SeqCst))
        })
    };
    const BURST: usize = 20;
    let mut acked = BTreeSet::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        let first = published.fetch_add(BURST, Ordering::SeqCst);
        if publish_burst(port, &id, first, BURST).await {
            acked.extend((first..first + BURST).map(|i| 1_780_000_000 + i as i64));
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (broker, before_restart, after_restart) = restart.join().unwrap();
    let first_after = 1_780_000_000 + after_restart as i64;
    assert!(acked.iter().any(|&t| t < 1_780_000_000 + before_restart as i64), "acknowledged before the restart");
    assert!(acked.iter().any(|&t| t >= first_after), "acknowledged after the restart: {}", broker.log());

    let have = await_stored(&store, &id, &acked).await;
    let lost: Vec<_> = acked.difference(&have).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged readings lost: {lost:?}", lost.len(), acked.len());
    assert!(have.iter().any(|&t| t >= first_after), "readings flow again after the restart");
    assert!(!subscriber.is_finished());
    subscriber.abort();
}

/// Two servers share a store and a broker, both configured to subscribe: the lease lets one connect, the other
/// waits (both with one client id, they would otherwise throw each other off the broker). When the subscribing
/// server stops, the other takes the lease within three intervals, resumes the broker's session and stores the
/// readings published in between.
async fn one_server_at_a_time_subscribes_and_another_takes_over(store: Arc<dyn Store>) {
    let s = TestServer::start(store.clone(), Config::default()).await;
    s.create_demo_models().await;
    let id = s.ev_passport(71).await.0;
    let broker = Broker::start();
    let client_id = format!("voltpass-{}", uuid::Uuid::now_v7().simple());
    let config = bridge_config(&store, &broker, &client_id).await;
    let every = Duration::from_millis(300);
    let holders = [server::jobs::holder_id(), server::jobs::holder_id()];
    let servers: Vec<_> = holders
        .iter()
        .map(|holder| {
            let service = PassportService::new(store.clone());
            server::mqtt::spawn_leased(service, config.clone(), holder.clone(), every).unwrap()
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(broker.connections_of(&client_id), 1, "one server subscribes: {}", broker.log());

    assert!(publish_burst(broker.port, &id, 0, 10).await);
    let first: BTreeSet<i64> = (0..10).map(|i| 1_780_000_000 + i).collect();
    assert_eq!(await_stored(&store, &id, &first).await, first);

    // Which server holds the lease: renewing it succeeds only for the holder.
    let now = time::OffsetDateTime::now_utc();
    let ttl = time::Duration::try_from(every * 3).unwrap();
    let holding =
        if store.acquire_lease(server::mqtt::LEASE_JOB, &holders[0], now, ttl).await.unwrap() { 0 } else { 1 };
    servers[holding].abort();
    // Published while no server subscribes: the broker keeps them in the session.
    assert!(publish_burst(broker.port, &id, 10, 10).await);
    let all: BTreeSet<i64> = (0..20).map(|i| 1_780_000_000 + i).collect();
    assert_eq!(await_stored(&store, &id, &all).await, all, "the other server took over: {}", broker.log());
    assert_eq!(broker.connections_of(&client_id), 2, "{}", broker.log());
    assert!(!broker.log().contains("already connected"), "no server threw another off: {}", broker.log());
    servers[1 - holding].abort();
}
