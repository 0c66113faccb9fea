//! Metrics for the hosts: [`MetricsSnapshot`] (what `Server::metrics` returns, and what C,
//! Python and Node get as JSON, a dict and an object), and the Prometheus endpoint mounted
//! at the `metrics_path` option, encoded by `prometheus-client` in the text format 0.0.4.
//!
//! Counters come from [`crate::metrics::Metrics`]; gauges are read from the live server at
//! each call, so they cost nothing between scrapes.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use serde::Serialize;

use crate::engine::{Body, Endpoint};
use crate::metrics::{Metrics, DISCONNECT_REASONS};
use crate::server::{SocketIo, SocketIoEngine};

/// The server's numbers at one moment. Counters (`*` totals) only grow while the server
/// runs; the others are gauges.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MetricsSnapshot {
    /// Connected sockets per namespace.
    pub sockets: BTreeMap<String, u64>,
    /// Rooms per namespace (a room exists while a socket is in it).
    pub rooms: BTreeMap<String, u64>,
    /// Engine.IO sessions by transport (`polling`, `websocket`).
    pub sessions: BTreeMap<String, u64>,
    /// Sockets that joined a namespace.
    pub connects: u64,
    /// Sockets that left a namespace, by reason (socket.io's names, every reason listed).
    pub disconnects: BTreeMap<String, u64>,
    /// Polling sessions upgraded to WebSocket.
    pub upgrades: u64,
    /// EVENT packets received from clients.
    pub events_received: u64,
    /// Packets queued for clients (each recipient of a broadcast counts).
    pub packets_sent: u64,
    /// Engine.IO message bytes received from clients.
    pub bytes_in: u64,
    /// Socket.IO packet bytes queued for clients (attachments included).
    pub bytes_out: u64,
    /// Emits through the adapter (to rooms, to all, or to one socket by id).
    pub broadcasts: u64,
    /// Copies of those broadcasts queued for a client.
    pub deliveries: u64,
    /// Server emits with acknowledgement still waiting for answers.
    pub acks_pending: u64,
    /// Server emits with acknowledgement that timed out.
    pub acks_timed_out: u64,
    /// Connections closed because their outbound queue overflowed.
    pub slow_consumer_disconnects: u64,
    /// Volatile packets not sent (the client was not ready for them).
    pub volatile_drops: u64,
    /// Cross-node publishes that failed (Redis adapter; 0 without one).
    pub adapter_publish_errors: u64,
    /// Messages from other nodes dropped: malformed, or carrying arguments nested deeper
    /// than a client's packet may (Redis adapter; 0 without one).
    pub adapter_dropped_messages: u64,
    /// Time from the Engine.IO handshake to the socket's first namespace connection.
    pub handshake_seconds: HistogramSnapshot,
}

/// A histogram: cumulative counts per upper bound, as Prometheus reports them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HistogramSnapshot {
    /// Observations.
    pub count: u64,
    /// Their sum (seconds).
    pub sum: f64,
    /// `(le, count of observations ≤ le)`, ascending; `+Inf` is `count`.
    pub buckets: Vec<(f64, u64)>,
}

impl MetricsSnapshot {
    /// As JSON (what C's `roomcast_server_metrics` returns).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot always serialises")
    }

    /// In the Prometheus text format 0.0.4 (what `metrics_path` serves).
    pub fn to_prometheus(&self) -> String {
        let mut registry = Registry::with_prefix("roomcast");
        registry.register_collector(Box::new(Scrape(self.clone())));
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Reads everything into a snapshot.
pub(crate) fn snapshot(io: &SocketIo, engine: &SocketIoEngine, m: &Metrics) -> MetricsSnapshot {
    let get = Metrics::get;
    let mut s = MetricsSnapshot::default();
    for (name, sockets, rooms) in io.namespace_stats() {
        s.sockets.insert(name.clone(), sockets as u64);
        s.rooms.insert(name, rooms as u64);
    }
    let (polling, websocket) = engine.sessions_by_transport();
    s.sessions.insert("polling".into(), polling as u64);
    s.sessions.insert("websocket".into(), websocket as u64);
    s.connects = get(&m.connects);
    for (reason, n) in DISCONNECT_REASONS.iter().zip(&m.disconnects) {
        s.disconnects.insert((*reason).into(), get(n));
    }
    s.upgrades = get(&m.upgrades);
    s.events_received = get(&m.events_received);
    s.packets_sent = get(&m.packets_sent);
    s.bytes_in = get(&m.bytes_in);
    s.bytes_out = get(&m.bytes_out);
    s.broadcasts = get(&m.broadcasts);
    s.deliveries = get(&m.deliveries);
    s.acks_pending = m
        .acks_pending
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(0) as u64;
    s.acks_timed_out = get(&m.acks_timed_out);
    s.slow_consumer_disconnects = get(&m.slow_consumer_disconnects);
    s.volatile_drops = get(&m.volatile_drops);
    let cluster = io.cluster_stats().unwrap_or_default();
    s.adapter_publish_errors = cluster.publish_errors;
    s.adapter_dropped_messages = cluster.dropped;
    let (buckets, count, sum) = m.handshake.read();
    let mut acc = 0;
    s.handshake_seconds = HistogramSnapshot {
        count,
        sum,
        buckets: buckets
            .into_iter()
            .map(|(le, n)| {
                acc += n;
                (le, acc)
            })
            .collect(),
    };
    s
}

/// One scrape's values, for `prometheus-client`.
#[derive(Debug)]
struct Scrape(MetricsSnapshot);

type Res = Result<(), std::fmt::Error>;

fn counter(e: &mut DescriptorEncoder<'_>, name: &str, help: &str, v: u64) -> Res {
    e.encode_descriptor(name, help, None, MetricType::Counter)?
        .encode_counter::<NoLabelSet, _, u64>(&v, None)
}

fn gauge(e: &mut DescriptorEncoder<'_>, name: &str, help: &str, v: u64) -> Res {
    e.encode_descriptor(name, help, None, MetricType::Gauge)?
        .encode_gauge(&v)
}

fn labelled(
    e: &mut DescriptorEncoder<'_>,
    kind: MetricType,
    name: &str,
    help: &str,
    label: &str,
    values: &BTreeMap<String, u64>,
) -> Res {
    let mut m = e.encode_descriptor(name, help, None, kind)?;
    for (k, v) in values {
        let labels = [(label, k.as_str())];
        let mut f = m.encode_family(&labels)?;
        match kind {
            MetricType::Counter => f.encode_counter::<NoLabelSet, _, u64>(v, None)?,
            _ => f.encode_gauge(v)?,
        }
    }
    Ok(())
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder<'_>) -> Res {
        let s = &self.0;
        let e = &mut e;
        labelled(
            e,
            MetricType::Gauge,
            "sockets_connected",
            "Connected sockets per namespace.",
            "namespace",
            &s.sockets,
        )?;
        labelled(
            e,
            MetricType::Gauge,
            "rooms",
            "Rooms per namespace.",
            "namespace",
            &s.rooms,
        )?;
        labelled(
            e,
            MetricType::Gauge,
            "engine_sessions",
            "Engine.IO sessions by transport.",
            "transport",
            &s.sessions,
        )?;
        counter(
            e,
            "connects",
            "Sockets that joined a namespace.",
            s.connects,
        )?;
        labelled(
            e,
            MetricType::Counter,
            "disconnects",
            "Sockets that left a namespace, by reason.",
            "reason",
            &s.disconnects,
        )?;
        counter(
            e,
            "upgrades",
            "Polling sessions upgraded to WebSocket.",
            s.upgrades,
        )?;
        counter(
            e,
            "events_received",
            "EVENT packets received from clients.",
            s.events_received,
        )?;
        counter(
            e,
            "packets_sent",
            "Packets queued for clients (each broadcast recipient counts).",
            s.packets_sent,
        )?;
        counter(
            e,
            "received_bytes",
            "Engine.IO message bytes received from clients.",
            s.bytes_in,
        )?;
        counter(
            e,
            "sent_bytes",
            "Socket.IO packet bytes queued for clients.",
            s.bytes_out,
        )?;
        counter(e, "broadcasts", "Emits through the adapter.", s.broadcasts)?;
        counter(
            e,
            "deliveries",
            "Broadcast copies queued for a client.",
            s.deliveries,
        )?;
        gauge(
            e,
            "acks_pending",
            "Server emits with acknowledgement waiting for answers.",
            s.acks_pending,
        )?;
        counter(
            e,
            "acks_timed_out",
            "Server emits with acknowledgement that timed out.",
            s.acks_timed_out,
        )?;
        counter(
            e,
            "slow_consumer_disconnects",
            "Connections closed because their outbound queue overflowed.",
            s.slow_consumer_disconnects,
        )?;
        counter(
            e,
            "volatile_drops",
            "Volatile packets not sent.",
            s.volatile_drops,
        )?;
        counter(
            e,
            "adapter_publish_errors",
            "Cross-node publishes that failed (Redis adapter).",
            s.adapter_publish_errors,
        )?;
        counter(
            e,
            "adapter_dropped_messages",
            "Messages from other nodes dropped: malformed or nested too deep (Redis adapter).",
            s.adapter_dropped_messages,
        )?;
        let h = &s.handshake_seconds;
        let mut prev = 0;
        let per_bucket: Vec<(f64, u64)> = h
            .buckets
            .iter()
            .map(|(le, n)| {
                let b = (*le, n - prev);
                prev = *n;
                b
            })
            .collect();
        e.encode_descriptor(
            "handshake_duration_seconds",
            "Engine.IO handshake to the first namespace connection.",
            None,
            MetricType::Histogram,
        )?
        .encode_histogram::<NoLabelSet>(h.sum, h.count, &per_bucket, None)
    }
}

/// Serves the Prometheus text at the `metrics_path` option.
pub(crate) struct MetricsEndpoint {
    pub(crate) io: Arc<SocketIo>,
    pub(crate) engine: Arc<SocketIoEngine>,
    pub(crate) metrics: Arc<Metrics>,
}

impl Endpoint for MetricsEndpoint {
    fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        _remote: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        Box::pin(async move {
            if req.method() != Method::GET && req.method() != Method::HEAD {
                return Response::builder()
                    .status(StatusCode::METHOD_NOT_ALLOWED)
                    .header(ALLOW, "GET, HEAD")
                    .body(Full::new(Bytes::new()))
                    .expect("static response parts are valid");
            }
            let text = snapshot(&self.io, &self.engine, &self.metrics).to_prometheus();
            let body = if req.method() == Method::HEAD {
                Bytes::new()
            } else {
                Bytes::from(text)
            };
            Response::builder()
                .header(
                    CONTENT_TYPE,
                    prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                )
                .body(Full::new(body))
                .expect("static response parts are valid")
        })
    }
}
