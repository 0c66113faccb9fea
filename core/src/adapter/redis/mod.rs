//! Redis adapters. [`conn`] is the connection plumbing any Redis-based adapter can reuse
//! (reconnect with backoff, resubscribe, counted publish errors); [`wire`] is the classic
//! `@socket.io/redis-adapter` 8.3 wire format; [`classic`] is the adapter speaking it, so
//! roomcast nodes and Node socket.io nodes share one cluster; [`emitter`] publishes into a
//! cluster without a server; [`streams`] speaks `@socket.io/redis-streams-adapter` 0.3
//! (durable broadcasts in a Redis stream, recovery across nodes); [`sharded`] speaks the
//! sharded variant (`createShardedAdapter`, Redis 7 sharded pub/sub through [`shard_sub`]).

pub mod classic;
pub mod conn;
pub mod emitter;
pub mod shard_sub;
pub mod sharded;
pub mod streams;
pub mod wire;

pub use classic::RedisAdapter;
pub use conn::{LinkError, LinkOptions, LinkStats, RedisLink, Subscription};
pub use emitter::{EmitError, Emitter};
pub use sharded::{ShardedAdapter, SubscriptionMode};
pub use streams::StreamsAdapter;

use std::time::Duration;

/// How a node joins a Redis cluster (the options of `createAdapter(pub, sub, opts)`).
#[derive(Clone, Debug)]
pub struct RedisConfig {
    /// Connection and retry settings (URL first).
    pub link: LinkOptions,
    /// Channel prefix, `opts.key` (default `socket.io`).
    pub key: String,
    /// How long cluster requests (fetchSockets, allRooms, serverSideEmit with ack) wait
    /// for the other nodes, `requestsTimeout` (default 5 s).
    pub request_timeout: Duration,
    /// Answer on `<key>-response#<nsp>#<uid>#` instead of the shared response channel,
    /// `publishOnSpecificResponseChannel` (default false).
    pub specific_response_channel: bool,
    /// Speak `@socket.io/redis-streams-adapter` 0.3 (a Redis stream named `key`, sessions
    /// in `sio:session:<pid>`: connection state recovery across nodes) instead of the
    /// classic adapter (default false).
    pub streams: bool,
    /// The stream's approximate bound, `maxLen` (`XADD MAXLEN ~`, default 10 000).
    pub stream_max_len: usize,
    /// `Some(mode)`: the sharded adapter (`createShardedAdapter`, SSUBSCRIBE/SPUBLISH,
    /// Redis 7) with that `subscriptionMode`, instead of the classic one (default `None`).
    /// `specific_response_channel` does not apply to it (responses always go to the
    /// requester's own channel).
    pub sharded: Option<SubscriptionMode>,
}

impl RedisConfig {
    /// The classic adapter on `url` (e.g. `redis://127.0.0.1:6379`) with socket.io's defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            link: LinkOptions::new(url),
            key: "socket.io".into(),
            request_timeout: Duration::from_secs(5),
            specific_response_channel: false,
            streams: false,
            stream_max_len: 10_000,
            sharded: None,
        }
    }

    /// Sets the channel prefix.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
}
