//! Redis connection plumbing shared by the Redis adapters: one multiplexed connection for
//! publishing and commands, one pub/sub connection for subscriptions, both reconnected with
//! exponential backoff; subscriptions are replayed after every reconnect. Redis being down
//! never reaches a caller as a panic or a hang: publishes fail fast and are counted, the
//! subscriber keeps retrying in the background, and a log line says what happened.

use futures_util::StreamExt;
use parking_lot::Mutex;
use redis::aio::{MultiplexedConnection, PubSubSink};
use redis::{AsyncConnectionConfig, Client, FromRedisValue, RedisError, RedisResult};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch, Notify};

/// How a [`RedisLink`] connects and retries.
#[derive(Clone, Debug)]
pub struct LinkOptions {
    /// `redis://[user:pass@]host:port[/db]` (or `rediss://` is refused: no TLS built in).
    pub url: String,
    /// Longest wait for a connection to open (default 2 s).
    pub connect_timeout: Duration,
    /// Longest wait for a command's answer (default 5 s).
    pub command_timeout: Duration,
    /// First reconnect delay, doubled after each failure (default 100 ms) …
    pub backoff_min: Duration,
    /// … up to this (default 5 s).
    pub backoff_max: Duration,
    /// Publishes queued at most; beyond that they are dropped and counted (default 65 536).
    pub queue_bound: usize,
}

impl LinkOptions {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            queue_bound: 65_536,
        }
    }
}

/// A subscription the link keeps (replayed after reconnects).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subscription {
    /// `SUBSCRIBE channel`.
    Channel(String),
    /// `PSUBSCRIBE pattern`.
    Pattern(String),
}

/// A message from a subscription.
#[derive(Debug)]
pub struct Incoming<'a> {
    /// The channel it was published on.
    pub channel: &'a str,
    /// Whether it came through a pattern subscription.
    pub from_pattern: bool,
    /// The payload bytes.
    pub payload: &'a [u8],
}

/// Receives every subscribed message, on the subscriber task (must not block).
pub type OnMessage = Arc<dyn Fn(Incoming<'_>) + Send + Sync>;

/// Counters of one link, for logs, tests and monitoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Messages published successfully.
    pub published: u64,
    /// Publishes that failed or were dropped (Redis down, queue full).
    pub publish_errors: u64,
    /// Messages received from subscriptions.
    pub received: u64,
    /// Messages from other nodes that were dropped: malformed, or carrying arguments
    /// nested deeper than a client's packet may ([`crate::protocol::MAX_DEPTH`]).
    pub dropped: u64,
    /// Successful reconnects (publisher and subscriber).
    pub reconnects: u64,
    /// Whether the subscriber is connected and subscribed right now.
    pub subscribed: bool,
    /// Whether the publishing connection is up right now.
    pub publisher_up: bool,
}

#[derive(Default)]
struct Counters {
    published: AtomicU64,
    publish_errors: AtomicU64,
    received: AtomicU64,
    dropped: AtomicU64,
    reconnects: AtomicU64,
    subscribed: AtomicBool,
    publisher_up: AtomicBool,
}

type SubRequest = (Vec<Subscription>, Option<oneshot::Sender<bool>>);

/// A queued publish: the command (`PUBLISH` or `SPUBLISH`), the channel, the payload.
type Outgoing = (&'static str, String, Vec<u8>);

/// One node's connections to Redis. Cheap to share (`Arc`); [`RedisLink::close`] ends its
/// background tasks.
pub struct RedisLink {
    client: Client,
    opts: LinkOptions,
    conn: Mutex<Option<MultiplexedConnection>>,
    conn_lost: Notify,
    /// Wakes the publisher's reconnect backoff early (the subscriber got through).
    retry_now: Notify,
    out: mpsc::Sender<Outgoing>,
    subs: Mutex<BTreeSet<Subscription>>,
    sub_tx: mpsc::UnboundedSender<SubRequest>,
    counters: Counters,
    closed: watch::Sender<bool>,
}

/// Why a link could not start.
#[derive(Debug)]
pub enum LinkError {
    /// The URL does not parse.
    BadUrl(String),
    /// Redis did not answer (refused, unreachable, timed out, auth failed).
    Unreachable(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadUrl(e) => write!(f, "invalid Redis URL: {e}"),
            Self::Unreachable(e) => write!(f, "cannot reach Redis: {e}"),
        }
    }
}

impl std::error::Error for LinkError {}

fn timeout_err(what: &str) -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} timed out"),
    ))
}

impl RedisLink {
    /// Connects both connections (each within `connect_timeout`) and starts the publisher
    /// and subscriber tasks on the current runtime. Fails at once when Redis is down: a
    /// node must not start half-connected without saying so.
    pub async fn connect(opts: LinkOptions, on_message: OnMessage) -> Result<Arc<Self>, LinkError> {
        Self::open(opts, Some(on_message)).await
    }

    /// Like [`RedisLink::connect`] for a link that only publishes and runs commands (no
    /// pub/sub connection: an emitter).
    pub async fn connect_publisher(opts: LinkOptions) -> Result<Arc<Self>, LinkError> {
        Self::open(opts, None).await
    }

    async fn open(
        opts: LinkOptions,
        on_message: Option<OnMessage>,
    ) -> Result<Arc<Self>, LinkError> {
        let client =
            Client::open(opts.url.as_str()).map_err(|e| LinkError::BadUrl(e.to_string()))?;
        let conn = open_conn(&client, &opts)
            .await
            .map_err(|e| LinkError::Unreachable(e.to_string()))?;
        let pubsub = match &on_message {
            Some(_) => Some(
                open_pubsub(&client, &opts)
                    .await
                    .map_err(|e| LinkError::Unreachable(e.to_string()))?,
            ),
            None => None,
        };
        let (out, out_rx) = mpsc::channel(opts.queue_bound.max(1));
        let (sub_tx, sub_rx) = mpsc::unbounded_channel();
        let (closed, _) = watch::channel(false);
        let link = Arc::new(Self {
            client,
            opts,
            conn: Mutex::new(Some(conn)),
            conn_lost: Notify::new(),
            retry_now: Notify::new(),
            out,
            subs: Mutex::new(BTreeSet::new()),
            sub_tx,
            counters: Counters::default(),
            closed,
        });
        link.counters.publisher_up.store(true, Ordering::Relaxed);
        tokio::spawn(send_batches(
            link.clone(),
            out_rx,
            OnError::Drop,
            |(cmd, channel, payload): &Outgoing, pipe| {
                pipe.cmd(cmd).arg(channel).arg(&payload[..]).ignore();
            },
        ));
        tokio::spawn(reconnector(link.clone()));
        if let (Some(pubsub), Some(on_message)) = (pubsub, on_message) {
            tokio::spawn(subscriber(link.clone(), pubsub, sub_rx, on_message));
        }
        Ok(link)
    }

    /// Queues a PUBLISH (in order with every other publish of this link). Never waits:
    /// when Redis is down or the queue is full the message is dropped and counted.
    pub fn publish(&self, channel: String, payload: Vec<u8>) {
        self.queue("PUBLISH", channel, payload);
    }

    /// Queues an `SPUBLISH` (sharded pub/sub, Redis 7), in order with every other publish.
    pub fn spublish(&self, channel: String, payload: Vec<u8>) {
        self.queue("SPUBLISH", channel, payload);
    }

    fn queue(&self, cmd: &'static str, channel: String, payload: Vec<u8>) {
        if self.out.try_send((cmd, channel, payload)).is_err() {
            self.publish_failed(1, "queue full or link closed");
        }
    }

    fn publish_failed(&self, n: u64, why: &str) {
        let before = self.counters.publish_errors.fetch_add(n, Ordering::Relaxed);
        // One line per outage (and then one per 1000 losses), not one per message.
        if before == 0
            || self.counters.publisher_up.load(Ordering::Relaxed)
            || before / 1000 != (before + n) / 1000
        {
            tracing::warn!(
                "redis: {n} cross-node publish(es) failed ({why}); {} lost so far, local delivery continues",
                before + n
            );
        }
    }

    /// Counts a message from another node that is dropped (`what`: which message, where),
    /// logging the first and then one in 1000: a peer cannot flood the log.
    pub fn dropped(&self, what: &str) {
        let n = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if n % 1000 == 1 {
            tracing::warn!(
                "redis: dropped {what} (malformed, or arguments nested deeper than {}); {n} dropped so far",
                crate::protocol::MAX_DEPTH
            );
        }
    }

    /// Adds subscriptions and waits until Redis confirmed them (or the subscriber is down:
    /// they are then made on reconnect, and this returns `false`).
    pub async fn subscribe(&self, subs: Vec<Subscription>) -> bool {
        let fresh: Vec<Subscription> = {
            let mut known = self.subs.lock();
            subs.into_iter()
                .filter(|s| known.insert(s.clone()))
                .collect()
        };
        if fresh.is_empty() {
            return true;
        }
        let (tx, rx) = oneshot::channel();
        if self.sub_tx.send((fresh, Some(tx))).is_err() {
            return false;
        }
        tokio::time::timeout(self.opts.command_timeout, rx)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(false)
    }

    /// Runs one command on the shared connection, with the command timeout. Fails fast
    /// (no queueing) while the connection is down.
    pub async fn command<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> RedisResult<T> {
        let Some(mut conn) = self.conn.lock().clone() else {
            return Err(not_connected());
        };
        match cmd.query_async(&mut conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                if transient(&e) {
                    self.lost();
                }
                Err(e)
            }
        }
    }

    /// Runs a pipeline on the shared connection (see [`RedisLink::command`]).
    pub async fn pipeline<T: FromRedisValue>(&self, pipe: &redis::Pipeline) -> RedisResult<T> {
        let Some(mut conn) = self.conn.lock().clone() else {
            return Err(not_connected());
        };
        match pipe.query_async(&mut conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                if transient(&e) {
                    self.lost();
                }
                Err(e)
            }
        }
    }

    /// Opens one more connection to the same server for blocking reads (`XREAD BLOCK`
    /// would hold up every command behind it on the shared one); answers may take
    /// `blocking` longer than the command timeout. The caller reopens it after an error.
    pub async fn blocking_connection(
        &self,
        blocking: Duration,
    ) -> RedisResult<MultiplexedConnection> {
        let mut opts = self.opts.clone();
        opts.command_timeout += blocking;
        open_conn(&self.client, &opts).await
    }

    /// Whether the shared connection is up right now.
    pub fn is_up(&self) -> bool {
        self.counters.publisher_up.load(Ordering::Relaxed)
    }

    /// Counts messages that reached Redis (or were received) by another path than
    /// [`RedisLink::publish`] / the subscription: an adapter's stream appends and reads.
    pub fn count(&self, published: u64, failed: u64, received: u64) {
        self.counters
            .published
            .fetch_add(published, Ordering::Relaxed);
        self.counters
            .received
            .fetch_add(received, Ordering::Relaxed);
        if failed > 0 {
            self.publish_failed(failed, "redis stream append failed");
        }
    }

    /// The link's settings.
    pub fn options(&self) -> &LinkOptions {
        &self.opts
    }

    /// `PUBSUB NUMSUB channel`: how many connections subscribe to `channel`.
    pub async fn numsub(&self, channel: &str) -> RedisResult<usize> {
        let (_, n): (String, usize) = self
            .command(redis::cmd("PUBSUB").arg("NUMSUB").arg(channel))
            .await?;
        Ok(n)
    }

    /// `PUBSUB SHARDNUMSUB channel`: how many connections subscribe to shard `channel`.
    pub async fn shard_numsub(&self, channel: &str) -> RedisResult<usize> {
        let (_, n): (String, usize) = self
            .command(redis::cmd("PUBSUB").arg("SHARDNUMSUB").arg(channel))
            .await?;
        Ok(n)
    }

    /// The counters.
    pub fn stats(&self) -> LinkStats {
        let c = &self.counters;
        LinkStats {
            published: c.published.load(Ordering::Relaxed),
            publish_errors: c.publish_errors.load(Ordering::Relaxed),
            received: c.received.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            reconnects: c.reconnects.load(Ordering::Relaxed),
            subscribed: c.subscribed.load(Ordering::Relaxed),
            publisher_up: c.publisher_up.load(Ordering::Relaxed),
        }
    }

    /// Ends the background tasks (queued publishes are dropped).
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }

    fn lost(&self) {
        if self.conn.lock().take().is_some() {
            self.counters.publisher_up.store(false, Ordering::Relaxed);
            tracing::warn!("redis: publishing connection lost; reconnecting with backoff");
            self.conn_lost.notify_one();
        }
    }
}

async fn open_conn(client: &Client, opts: &LinkOptions) -> RedisResult<MultiplexedConnection> {
    let cfg = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(opts.connect_timeout))
        .set_response_timeout(Some(opts.command_timeout));
    tokio::time::timeout(
        opts.connect_timeout + Duration::from_millis(100),
        client.get_multiplexed_async_connection_with_config(&cfg),
    )
    .await
    .map_err(|_| timeout_err("connect"))?
}

async fn open_pubsub(client: &Client, opts: &LinkOptions) -> RedisResult<redis::aio::PubSub> {
    tokio::time::timeout(opts.connect_timeout, client.get_async_pubsub())
        .await
        .map_err(|_| timeout_err("connect"))?
}

/// What [`send_batches`] does with a batch Redis did not take.
pub(crate) enum OnError {
    /// Drop it and count it: a publish that comes late is worth nothing.
    Drop,
    /// Keep it and send it again, with backoff up to `max_delay`, until Redis answers
    /// (at least once: a batch whose answer was lost with the connection goes again); only
    /// what Redis refuses is dropped and counted. `label` starts the log lines.
    Retry {
        label: &'static str,
        max_delay: Duration,
    },
}

/// Sends queued writes in order, pipelining whatever is queued into one round trip (up to
/// 256 writes; `add` puts one into the pipeline), until the link closes. Every publish of a
/// link and the streams adapter's durable writes go through here.
pub(crate) async fn send_batches<W>(
    link: Arc<RedisLink>,
    mut rx: mpsc::Receiver<W>,
    on_error: OnError,
    add: impl Fn(&W, &mut redis::Pipeline),
) {
    let mut closed = link.closed.subscribe();
    let mut batch = Vec::with_capacity(256);
    let mut delay = link.opts.backoff_min;
    let mut down = false;
    loop {
        if batch.is_empty() {
            tokio::select! {
                n = rx.recv_many(&mut batch, 256) => if n == 0 { return },
                _ = closed.changed() => return,
            }
        }
        let n = batch.len() as u64;
        let mut pipe = redis::pipe();
        for w in &batch {
            add(w, &mut pipe);
        }
        let conn = link.conn.lock().clone();
        let connected = conn.is_some();
        let sent = match conn {
            Some(mut conn) => pipe.query_async::<()>(&mut conn).await,
            None => Err(not_connected()),
        };
        match (sent, &on_error) {
            (Ok(()), _) => {
                link.counters.published.fetch_add(n, Ordering::Relaxed);
                batch.clear();
                delay = link.opts.backoff_min;
                if let (true, OnError::Retry { label, .. }) = (down, &on_error) {
                    down = false;
                    tracing::info!("{label}: appends go through again");
                }
            }
            (Err(e), OnError::Drop) => {
                batch.clear();
                if connected {
                    link.publish_failed(n, &e.to_string());
                    link.lost();
                } else {
                    link.publish_failed(n, "redis is down");
                }
            }
            (Err(e), OnError::Retry { label, max_delay }) if transient(&e) => {
                link.lost();
                if !down {
                    down = true;
                    tracing::warn!(
                        "{label}: appending failed ({e}); {n}+ write(s) kept and retried until Redis answers"
                    );
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = closed.changed() => return,
                }
                delay = (delay * 2).min(*max_delay);
            }
            (Err(e), OnError::Retry { label, .. }) => {
                tracing::warn!("{label}: Redis refused {n} write(s): {e}");
                link.count(0, n, 0);
                batch.clear();
            }
        }
    }
}

/// Whether an error says the connection is gone (rather than Redis refusing a command).
fn transient(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout()
}

/// What a command gets while the shared connection is down.
fn not_connected() -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "redis connection is down (reconnecting)",
    ))
}

/// Reopens the publishing connection after a loss, with exponential backoff.
async fn reconnector(link: Arc<RedisLink>) {
    let mut closed = link.closed.subscribe();
    loop {
        tokio::select! {
            _ = link.conn_lost.notified() => {}
            _ = closed.changed() => return,
        }
        let mut delay = link.opts.backoff_min;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = link.retry_now.notified() => {}
                _ = closed.changed() => return,
            }
            match open_conn(&link.client, &link.opts).await {
                Ok(c) => {
                    *link.conn.lock() = Some(c);
                    link.counters.publisher_up.store(true, Ordering::Relaxed);
                    link.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(
                        "redis: publishing connection is back ({} publish(es) lost in total)",
                        link.counters.publish_errors.load(Ordering::Relaxed)
                    );
                    break;
                }
                Err(e) => {
                    tracing::debug!("redis: reconnect failed: {e}; next try in {delay:?}");
                    delay = (delay * 2).min(link.opts.backoff_max);
                }
            }
        }
    }
}

async fn add(sink: &mut PubSubSink, subs: &[Subscription]) -> RedisResult<()> {
    let channels: Vec<&str> = subs
        .iter()
        .filter_map(|s| match s {
            Subscription::Channel(c) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    let patterns: Vec<&str> = subs
        .iter()
        .filter_map(|s| match s {
            Subscription::Pattern(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    if !channels.is_empty() {
        sink.subscribe(channels).await?;
    }
    if !patterns.is_empty() {
        sink.psubscribe(patterns).await?;
    }
    Ok(())
}

/// Keeps the pub/sub connection: (re)subscribes, hands messages over, reconnects.
async fn subscriber(
    link: Arc<RedisLink>,
    first: redis::aio::PubSub,
    mut sub_rx: mpsc::UnboundedReceiver<SubRequest>,
    on_message: OnMessage,
) {
    let mut closed = link.closed.subscribe();
    let mut next = Some(first);
    let mut delay = link.opts.backoff_min;
    let mut reconnecting = false;
    let mut waiting: Vec<oneshot::Sender<bool>> = Vec::new();
    loop {
        let pubsub = match next.take() {
            Some(p) => p,
            None => {
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = closed.changed() => return,
                }
                // Requests made while down are already in the set: answer "not yet".
                while let Ok((_, done)) = sub_rx.try_recv() {
                    if let Some(d) = done {
                        let _ = d.send(false);
                    }
                }
                match open_pubsub(&link.client, &link.opts).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::debug!(
                            "redis: subscriber reconnect failed: {e}; next try in {delay:?}"
                        );
                        delay = (delay * 2).min(link.opts.backoff_max);
                        continue;
                    }
                }
            }
        };
        let (mut sink, mut stream) = pubsub.split();
        let all: Vec<Subscription> = link.subs.lock().iter().cloned().collect();
        if let Err(e) = add(&mut sink, &all).await {
            tracing::warn!("redis: resubscribing failed: {e}");
            continue;
        }
        link.counters.subscribed.store(true, Ordering::Relaxed);
        delay = link.opts.backoff_min;
        if reconnecting {
            // Redis is back: let the publishing connection retry now, not after its backoff.
            link.retry_now.notify_one();
            link.counters.reconnects.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                "redis: subscriber reconnected, {} subscription(s) restored",
                all.len()
            );
        }
        for d in waiting.drain(..) {
            let _ = d.send(true);
        }
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(msg) = msg else { break };
                    link.counters.received.fetch_add(1, Ordering::Relaxed);
                    on_message(Incoming {
                        channel: msg.get_channel_name(),
                        from_pattern: msg.from_pattern(),
                        payload: msg.get_payload_bytes(),
                    });
                }
                req = sub_rx.recv() => {
                    let Some((subs, done)) = req else { return };
                    let ok = add(&mut sink, &subs).await.is_ok();
                    if let Some(d) = done {
                        let _ = d.send(ok);
                    }
                    if !ok { break }
                }
                _ = closed.changed() => return,
            }
        }
        link.counters.subscribed.store(false, Ordering::Relaxed);
        reconnecting = true;
        tracing::warn!(
            "redis: subscription connection lost; this node keeps serving its own clients and reconnects with backoff"
        );
        // The publishing connection is most likely gone too: find out now, not on the next publish.
        link.lost();
    }
}
