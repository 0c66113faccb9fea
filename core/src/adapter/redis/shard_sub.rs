//! Sharded pub/sub subscriptions (`SSUBSCRIBE`/`SUNSUBSCRIBE`, Redis 7) for the sharded
//! adapter. The `redis` crate has no shard-subscribe call outside Redis Cluster, so this
//! keeps its own RESP3 connection: the commands go out without waiting for a reply (their
//! confirmations and the `smessage`s come back as RESP3 pushes, which the crate parses and
//! hands over), and a periodic PING notices a dead connection. Like the classic
//! subscriber, it reconnects with exponential backoff and restores every subscription; a
//! caller never waits longer than the command timeout.

use parking_lot::Mutex;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, PushInfo, PushKind, RedisResult, Value};
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

use super::conn::{LinkError, LinkOptions};

/// Receives every shard message `(channel, payload)` on the subscriber task (must not block).
pub type OnShardMessage = Arc<dyn Fn(&str, &[u8]) + Send + Sync>;

enum Req {
    Sub(Vec<String>, Option<oneshot::Sender<bool>>),
    Unsub(Vec<String>),
}

/// A node's shard subscriptions; [`ShardSubscriber::close`] ends its task.
pub struct ShardSubscriber {
    channels: Mutex<BTreeSet<String>>,
    tx: mpsc::UnboundedSender<Req>,
    closed: watch::Sender<bool>,
    timeout: Duration,
    subscribed: AtomicBool,
    reconnects: AtomicU64,
    received: AtomicU64,
}

/// Sends `cmd channels…` without waiting for a reply (RESP3 answers with pushes).
async fn send(conn: &mut MultiplexedConnection, cmd: &str, channels: &[String]) -> RedisResult<()> {
    let mut c = redis::cmd(cmd);
    c.arg(channels).set_no_response(true);
    c.exec_async(conn).await
}

/// Opens a RESP3 connection whose pushes go to `push`.
async fn open(
    client: &Client,
    opts: &LinkOptions,
    push: mpsc::UnboundedSender<PushInfo>,
) -> RedisResult<MultiplexedConnection> {
    let cfg = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(opts.connect_timeout))
        .set_response_timeout(Some(opts.command_timeout))
        .set_push_sender(push);
    match tokio::time::timeout(
        opts.connect_timeout + Duration::from_millis(100),
        client.get_multiplexed_async_connection_with_config(&cfg),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timed out",
        ))),
    }
}

fn resp3(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}protocol=resp3")
}

fn text(v: Option<&Value>) -> Option<&[u8]> {
    match v? {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

impl ShardSubscriber {
    /// Connects (failing at once when Redis is down or refuses RESP3) and starts the task.
    pub async fn connect(
        opts: LinkOptions,
        on_message: OnShardMessage,
    ) -> Result<Arc<Self>, LinkError> {
        let client =
            Client::open(resp3(&opts.url)).map_err(|e| LinkError::BadUrl(e.to_string()))?;
        let (push_tx, push_rx) = mpsc::unbounded_channel();
        let conn = open(&client, &opts, push_tx.clone())
            .await
            .map_err(|e| LinkError::Unreachable(format!("{e} (sharded pub/sub needs Redis 7)")))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (closed, _) = watch::channel(false);
        let this = Arc::new(Self {
            channels: Mutex::new(BTreeSet::new()),
            tx,
            closed,
            timeout: opts.command_timeout,
            subscribed: AtomicBool::new(true),
            reconnects: AtomicU64::new(0),
            received: AtomicU64::new(0),
        });
        let task = Task {
            sub: this.clone(),
            client,
            opts,
            push_tx,
            push_rx,
            rx,
            on_message,
        };
        tokio::spawn(task.run(conn));
        Ok(this)
    }

    /// Adds shard subscriptions; resolves once Redis confirmed them (`false` when the
    /// connection is down: they are then made on reconnect).
    pub async fn subscribe(&self, channels: Vec<String>) -> bool {
        let fresh: Vec<String> = {
            let mut known = self.channels.lock();
            channels
                .into_iter()
                .filter(|c| known.insert(c.clone()))
                .collect()
        };
        if fresh.is_empty() {
            return true;
        }
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Req::Sub(fresh, Some(tx))).is_err() {
            return false;
        }
        tokio::time::timeout(self.timeout, rx)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(false)
    }

    /// Adds shard subscriptions without waiting for the confirmation.
    pub fn subscribe_now(&self, channels: Vec<String>) {
        let fresh: Vec<String> = {
            let mut known = self.channels.lock();
            channels
                .into_iter()
                .filter(|c| known.insert(c.clone()))
                .collect()
        };
        if !fresh.is_empty() {
            let _ = self.tx.send(Req::Sub(fresh, None));
        }
    }

    /// Drops shard subscriptions.
    pub fn unsubscribe(&self, channels: Vec<String>) {
        let gone: Vec<String> = {
            let mut known = self.channels.lock();
            channels.into_iter().filter(|c| known.remove(c)).collect()
        };
        if !gone.is_empty() {
            let _ = self.tx.send(Req::Unsub(gone));
        }
    }

    /// Whether `channel` is subscribed (or will be after a reconnect).
    pub fn has(&self, channel: &str) -> bool {
        self.channels.lock().contains(channel)
    }

    /// Whether the connection is up and subscribed.
    pub fn is_subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    /// Successful reconnects.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    /// Messages received.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Ends the task.
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }
}

struct Task {
    sub: Arc<ShardSubscriber>,
    client: Client,
    opts: LinkOptions,
    push_tx: mpsc::UnboundedSender<PushInfo>,
    push_rx: mpsc::UnboundedReceiver<PushInfo>,
    rx: mpsc::UnboundedReceiver<Req>,
    on_message: OnShardMessage,
}

/// Confirmations still to come for one SSUBSCRIBE, and who waits for them.
type Waiting = VecDeque<(usize, Option<oneshot::Sender<bool>>)>;

impl Task {
    async fn run(mut self, first: MultiplexedConnection) {
        let mut closed = self.sub.closed.subscribe();
        let mut next = Some(first);
        let mut delay = self.opts.backoff_min;
        let mut reconnecting = false;
        loop {
            let mut conn = match next.take() {
                Some(c) => c,
                None => {
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = closed.changed() => return,
                    }
                    // Pushes of the dead connection are stale now.
                    while self.push_rx.try_recv().is_ok() {}
                    match open(&self.client, &self.opts, self.push_tx.clone()).await {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::debug!("redis: shard subscriber reconnect failed: {e}; next try in {delay:?}");
                            delay = (delay * 2).min(self.opts.backoff_max);
                            continue;
                        }
                    }
                }
            };
            let mut waiting: Waiting = VecDeque::new();
            let all: Vec<String> = self.sub.channels.lock().iter().cloned().collect();
            if !all.is_empty() {
                if let Err(e) = send(&mut conn, "SSUBSCRIBE", &all).await {
                    tracing::warn!("redis: shard resubscribing failed: {e}");
                    continue;
                }
                waiting.push_back((all.len(), None));
            }
            self.sub.subscribed.store(true, Ordering::Relaxed);
            delay = self.opts.backoff_min;
            if reconnecting {
                self.sub.reconnects.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    "redis: shard subscriber reconnected, {} subscription(s) restored",
                    all.len()
                );
            }
            if self.serve(&mut conn, &mut waiting, &mut closed).await {
                return;
            }
            for (_, w) in waiting.drain(..) {
                if let Some(w) = w {
                    let _ = w.send(false);
                }
            }
            self.sub.subscribed.store(false, Ordering::Relaxed);
            reconnecting = true;
            tracing::warn!(
                "redis: shard subscription connection lost; this node keeps serving its own clients and reconnects with backoff"
            );
        }
    }

    /// Serves one connection; true when the subscriber was closed.
    async fn serve(
        &mut self,
        conn: &mut MultiplexedConnection,
        waiting: &mut Waiting,
        closed: &mut watch::Receiver<bool>,
    ) -> bool {
        let mut ping = tokio::time::interval(Duration::from_secs(1));
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                push = self.push_rx.recv() => {
                    let Some(push) = push else { return true };
                    if !self.on_push(push, waiting) {
                        return false;
                    }
                }
                req = self.rx.recv() => {
                    let Some(req) = req else { return true };
                    let (cmd, channels, done) = match req {
                        Req::Sub(c, done) => ("SSUBSCRIBE", c, Some(done)),
                        Req::Unsub(c) => ("SUNSUBSCRIBE", c, None),
                    };
                    if send(conn, cmd, &channels).await.is_err() {
                        if let Some(Some(d)) = done {
                            let _ = d.send(false);
                        }
                        return false;
                    }
                    if let Some(done) = done {
                        waiting.push_back((channels.len(), done));
                    }
                }
                _ = ping.tick() => {
                    let alive: RedisResult<Value> = tokio::time::timeout(
                        self.opts.command_timeout,
                        redis::cmd("PING").query_async(conn),
                    )
                    .await
                    .unwrap_or_else(|_| Err(redis::RedisError::from(std::io::Error::new(
                        std::io::ErrorKind::TimedOut, "ping timed out"))));
                    if alive.is_err() {
                        return false;
                    }
                }
                _ = closed.changed() => return true,
            }
        }
    }

    /// Handles one push; false when the connection is gone.
    fn on_push(&self, push: PushInfo, waiting: &mut Waiting) -> bool {
        match push.kind {
            PushKind::SMessage => {
                let (Some(ch), Some(payload)) = (text(push.data.first()), text(push.data.get(1)))
                else {
                    return true;
                };
                self.sub.received.fetch_add(1, Ordering::Relaxed);
                if let Ok(ch) = std::str::from_utf8(ch) {
                    (self.on_message)(ch, payload);
                }
            }
            PushKind::SSubscribe => {
                if let Some(front) = waiting.front_mut() {
                    front.0 = front.0.saturating_sub(1);
                    if front.0 == 0 {
                        if let Some((_, Some(done))) = waiting.pop_front() {
                            let _ = done.send(true);
                        }
                    }
                }
            }
            PushKind::Disconnection => return false,
            _ => {}
        }
        true
    }
}
