//! Readings over MQTT: the server subscribes to `<prefix>/+` on a broker, one topic per battery
//! (`voltpass/readings/<passport id>`), with a persistent session and QoS 1. A message is acknowledged only
//! after its readings are stored (or refused and recorded), so a reading the broker holds is never lost: if
//! the server or the store fails first, the broker delivers it again, and duplicates are ignored by the store.
//! Malformed payloads are refused with the topic and reason, never crash the subscriber. A broker that goes
//! away is reconnected with exponential backoff. Servers sharing a store run the subscriber on one of them at a
//! time, under a lease in the store ([`spawn_leased`]).
//!
//! Production events (genealogy, issue 7) arrive the same way on `<trace prefix>/<operator id>`
//! (`voltpass/trace/BPNL...`): each message is one event, a JSON array of them, or NDJSON. They are recorded for
//! the operator the topic names (the broker's ACL decides who may publish to it), attributed to the MQTT actor.
//! Events that break a rule are logged with the topic and reason and left out; the rest of the batch is stored.

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS};
use std::time::Duration;
use store::Actor;

use crate::service::PassportService;
use crate::service::readings::{Channel, ReadingLine};

/// Where to subscribe and as whom readings are written.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// `mqtt://host:port`.
    pub url: String,
    /// Topic prefix; the subscription is `<prefix>/+`.
    pub topic_prefix: String,
    /// Topic prefix of production events; the subscription is `<prefix>/+`, one topic per economic operator.
    pub trace_topic_prefix: String,
    /// Stable client id: the broker keeps the session (and unacknowledged messages) under it.
    pub client_id: String,
    /// The actor MQTT readings are attributed to (the broker's ACL decides who may publish).
    pub actor: Actor,
}

pub const DEFAULT_TOPIC_PREFIX: &str = "voltpass/readings";
pub const DEFAULT_TRACE_TOPIC_PREFIX: &str = "voltpass/trace";

#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("MQTT URL `{0}`: use mqtt://HOST:PORT")]
    BadUrl(String),
}

/// Host and port of an `mqtt://HOST[:PORT]` URL (1883 by default).
pub fn host_port(url: &str) -> Result<(String, u16), MqttError> {
    let rest =
        url.strip_prefix("mqtt://").or_else(|| url.strip_prefix("tcp://")).ok_or(MqttError::BadUrl(url.into()))?;
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_string(), port.parse().map_err(|_| MqttError::BadUrl(url.into()))?)),
        None if !rest.is_empty() => Ok((rest.to_string(), 1883)),
        None => Err(MqttError::BadUrl(url.into())),
    }
}

/// Connects and runs the subscriber until the process ends.
pub fn spawn(service: PassportService, config: MqttConfig) -> Result<tokio::task::JoinHandle<()>, MqttError> {
    let options = options(&config)?;
    Ok(start(service, config, options))
}

/// The job name of the subscriber's lease.
pub const LEASE_JOB: &str = "mqtt-subscriber";

/// Runs the subscriber on one server at a time among those sharing the store, renewing its lease every `every`
/// (see [`crate::jobs::spawn_while_leased`]). All servers use the same client id, so the one that takes over
/// also takes over the broker's session and the messages it kept meanwhile.
pub fn spawn_leased(
    service: PassportService,
    config: MqttConfig,
    holder: String,
    every: Duration,
) -> Result<tokio::task::JoinHandle<()>, MqttError> {
    let options = options(&config)?;
    let store = service.store().clone();
    Ok(crate::jobs::spawn_while_leased(store, LEASE_JOB, holder, every, move || {
        start(service.clone(), config.clone(), options.clone())
    }))
}

fn options(config: &MqttConfig) -> Result<MqttOptions, MqttError> {
    let (host, port) = host_port(&config.url)?;
    let mut options = MqttOptions::new(&config.client_id, host, port);
    options.set_keep_alive(Duration::from_secs(15)).set_clean_session(false).set_manual_acks(true);
    options.set_max_packet_size(4 * 1024 * 1024, 4 * 1024 * 1024);
    Ok(options)
}

fn start(service: PassportService, config: MqttConfig, options: MqttOptions) -> tokio::task::JoinHandle<()> {
    let (client, events) = AsyncClient::new(options, 1024);
    tokio::spawn(run(service, config, client, events))
}

/// Messages stored in one transaction at most: a busy broker's backlog is taken in large bites.
const MAX_BATCH: usize = 2000;

async fn run(service: PassportService, config: MqttConfig, client: AsyncClient, mut events: EventLoop) {
    let filter = format!("{}/+", config.topic_prefix.trim_end_matches('/'));
    let trace_prefix = format!("{}/", config.trace_topic_prefix.trim_end_matches('/'));
    let trace_filter = format!("{trace_prefix}+");
    // The event loop only reads the network; a worker stores what arrived meanwhile as one batch. The bounded
    // channel holds the broker back when storage is slower than the stream.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Publish>(MAX_BATCH * 4);
    let (trace_sender, trace_receiver) = tokio::sync::mpsc::channel::<Publish>(MAX_BATCH * 4);
    tokio::spawn(store_batches(service.clone(), config.actor.clone(), client.clone(), receiver));
    tokio::spawn(store_trace_batches(service, config.actor.clone(), client.clone(), trace_receiver));
    let mut backoff = Duration::from_millis(250);
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = Duration::from_millis(250);
                tracing::info!(url = %config.url, %filter, "MQTT connected");
                // Subscribing again is harmless with a kept session and needed without one.
                for filter in [&filter, &trace_filter] {
                    if let Err(e) = client.subscribe(filter.as_str(), QoS::AtLeastOnce).await {
                        tracing::warn!(%filter, "MQTT subscribe failed: {e}");
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let to = if publish.topic.starts_with(&trace_prefix) { &trace_sender } else { &sender };
                if to.send(publish).await.is_err() {
                    tracing::error!("MQTT storage worker stopped; the subscriber stops too");
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(url = %config.url, "MQTT connection lost ({e}); retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Stores every message waiting (up to [`MAX_BATCH`]) in one batch, then acknowledges them. Store failures
/// are retried; if they persist the messages stay unacknowledged and the broker delivers them again after
/// reconnecting.
async fn store_batches(
    service: PassportService,
    actor: Actor,
    client: AsyncClient,
    mut receiver: tokio::sync::mpsc::Receiver<Publish>,
) {
    let mut batch: Vec<Publish> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let lines: Vec<(String, Result<serde_json::Value, String>, String)> =
            batch.iter().flat_map(message_lines).collect();
        let mut delay = Duration::from_millis(200);
        let mut stored = false;
        for attempt in 1..=5 {
            let attempt_lines = lines
                .iter()
                .map(|(text, json, topic)| ReadingLine {
                    text: text.clone(),
                    json: json.clone(),
                    origin: Some(format!("mqtt:{topic}")),
                    passport: topic.rsplit('/').next().map(str::to_string),
                })
                .collect();
            match service.ingest_readings(&actor, None, attempt_lines, Channel::Mqtt).await {
                Ok(outcome) => {
                    for refusal in &outcome.refusals {
                        let topic = lines.get(refusal.line - 1).map(|l| l.2.as_str()).unwrap_or_default();
                        tracing::warn!(%topic, "MQTT reading refused: {}", refusal.reason);
                    }
                    stored = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!(attempt, "storing MQTT readings failed: {e}");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
        settle(&client, &batch, stored, "readings").await;
        batch.clear();
    }
}

/// Acknowledges a stored batch; leaves one that could not be stored unacknowledged, for redelivery.
async fn settle(client: &AsyncClient, batch: &[Publish], stored: bool, what: &str) {
    if !stored {
        tracing::error!(messages = batch.len(), "MQTT {what} not stored; left unacknowledged for redelivery");
        return;
    }
    for publish in batch {
        if let Err(e) = client.ack(publish).await {
            tracing::warn!(topic = %publish.topic, "MQTT ack failed: {e}");
        }
    }
}

/// Stores the production events of every message waiting (up to [`MAX_BATCH`]), per operator topic, then
/// acknowledges them. Refused events are logged and left out; a store failure is retried, then the messages
/// stay unacknowledged for redelivery.
async fn store_trace_batches(
    service: PassportService,
    actor: Actor,
    client: AsyncClient,
    mut receiver: tokio::sync::mpsc::Receiver<Publish>,
) {
    let mut batch: Vec<Publish> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut by_operator: std::collections::BTreeMap<String, Vec<(usize, trace::TraceEvent)>> = Default::default();
        for publish in &batch {
            let operator = publish.topic.rsplit('/').next().unwrap_or_default().to_string();
            for (text, json) in passport::readings::payload_lines(&publish.payload) {
                match json.and_then(|v| serde_json::from_value::<trace::TraceEvent>(v).map_err(|e| e.to_string())) {
                    Ok(event) => by_operator.entry(operator.clone()).or_default().push((0, event)),
                    Err(reason) => {
                        tracing::warn!(topic = %publish.topic, %text, "MQTT production event refused: {reason}")
                    }
                }
            }
        }
        let mut stored = true;
        for (operator, events) in by_operator {
            let for_operator =
                Actor { role: store::Role::EconomicOperator, organisation: Some(operator.clone()), ..actor.clone() };
            stored &= store_trace_events(&service, &for_operator, events).await;
        }
        settle(&client, &batch, stored, "production events").await;
        batch.clear();
    }
}

/// Ingests one operator's events, leaving out refused ones (logged) until the rest goes through; `false` when
/// the store keeps failing.
async fn store_trace_events(
    service: &PassportService,
    actor: &Actor,
    mut events: Vec<(usize, trace::TraceEvent)>,
) -> bool {
    let mut delay = Duration::from_millis(200);
    let mut failures = 0;
    while !events.is_empty() {
        for (i, (position, _)) in events.iter_mut().enumerate() {
            *position = i + 1;
        }
        match service.ingest_trace(actor, events.clone()).await {
            Ok(_) => return true,
            Err(crate::service::ServiceError::Trace(refused)) => {
                for e in &refused {
                    let operator = actor.organisation.as_deref().unwrap_or_default();
                    tracing::warn!(%operator, event = %e.event_id, "MQTT production event refused: {}", e.message);
                }
                let out: std::collections::HashSet<usize> = refused.iter().map(|e| e.position).collect();
                let before = events.len();
                events.retain(|(p, _)| !out.contains(p));
                if events.len() == before {
                    return true;
                }
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(failures, "storing MQTT production events failed: {e}");
                if failures == 5 {
                    return false;
                }
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    true
}

/// The readings of one message, each naming the passport of its topic (`<prefix>/<passport id>`).
fn message_lines(publish: &Publish) -> Vec<(String, Result<serde_json::Value, String>, String)> {
    let topic = publish.topic.clone();
    let passport = topic.rsplit('/').next().unwrap_or_default().to_string();
    passport::readings::payload_lines(&publish.payload)
        .into_iter()
        .map(|(text, json)| {
            let json = json.and_then(|mut value| {
                match value.as_object_mut().map(|o| o.entry("passportId").or_insert_with(|| passport.clone().into())) {
                    Some(named) if *named != passport.as_str() => {
                        Err(format!("passportId {named} differs from the topic's passport {passport}"))
                    }
                    _ => Ok(value),
                }
            });
            (text, json, topic.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(host_port("mqtt://127.0.0.1:1883").unwrap(), ("127.0.0.1".into(), 1883));
        assert_eq!(host_port("mqtt://broker").unwrap(), ("broker".into(), 1883));
        assert!(host_port("http://x").is_err());
    }
}
