//! Log routing for hosts: core's `tracing` events go to a sink the host provides.
//!
//! Core emits `tracing` events at the lifecycle points of a connection (session open and
//! close, upgrade, namespace connect, refusal and disconnect, malformed input, slow
//! consumers), of the cluster adapter (Redis errors) and of the server (start, TLS reload,
//! shutdown), with these stable fields: `sid` (the Engine.IO session id, or the socket id
//! on namespace events, where `conn` is the session's), `nsp`, `transport` (`polling` or
//! `websocket`) and `reason` (socket.io's disconnect reason strings). Nothing is logged per
//! message or per recipient. Targets are `roomcast::engine`, `roomcast::socket`,
//! `roomcast::server` and `roomcast::adapter::...`.
//!
//! Logs are off by default. The filter is a `RUST_LOG`-style directive list
//! (`info`, `roomcast::socket=debug,warn`, `off`): the one a host set with
//! [`set_log_filter`], else the `ROOMCAST_LOG` environment variable, else `RUST_LOG`, else
//! `off`.
//!
//! A Rust program needs none of this: install any `tracing` subscriber, e.g.
//! `tracing_subscriber::fmt().with_env_filter(EnvFilter::from_env("ROOMCAST_LOG")).init()`.
//! The bindings call [`set_log_sink`] once, which installs the process's global subscriber
//! (a filter and a layer handing each record to the sink); it fails if the program already
//! installed one.

use parking_lot::RwLock;
use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};
use tracing_subscriber::{reload, EnvFilter};

use super::Error;

/// The environment variable read first for the filter (then `RUST_LOG`).
pub const LOG_ENV: &str = "ROOMCAST_LOG";

/// Severity of a [`LogRecord`], most severe first (the numbers are the C constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Something failed (e.g. the cluster adapter cannot reach Redis).
    Error = 1,
    /// Something degraded (a slow consumer dropped, a Redis publish lost).
    Warn = 2,
    /// Server lifecycle: listening, TLS reloaded, stopping.
    Info = 3,
    /// Connection lifecycle: opened, upgraded, connected, disconnected with reason.
    Debug = 4,
    /// Finer detail.
    Trace = 5,
}

impl LogLevel {
    /// Lower-case name, as in filters (`"warn"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }

    fn of(level: &tracing::Level) -> Self {
        match *level {
            tracing::Level::ERROR => Self::Error,
            tracing::Level::WARN => Self::Warn,
            tracing::Level::INFO => Self::Info,
            tracing::Level::DEBUG => Self::Debug,
            _ => Self::Trace,
        }
    }
}

/// One log record as a sink receives it.
#[derive(Debug)]
pub struct LogRecord<'a> {
    /// Severity.
    pub level: LogLevel,
    /// Where it comes from, e.g. `roomcast::socket`.
    pub target: &'a str,
    /// The message, without the fields.
    pub message: &'a str,
    /// The structured fields (`sid`, `nsp`, `transport`, `reason`, ...), in order, the
    /// event's first and then those of its enclosing spans.
    pub fields: &'a [(&'static str, String)],
}

impl LogRecord<'_> {
    /// The fields as one JSON object of strings, e.g. `{"sid":"..","reason":"ping timeout"}`.
    pub fn fields_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// The message followed by the fields as `key=value` (values with spaces quoted).
    pub fn text(&self) -> String {
        let mut s = self.message.to_owned();
        for (k, v) in self.fields {
            if v.is_empty() || v.contains([' ', '"', '=']) {
                let _ = write!(s, " {k}={v:?}");
            } else {
                let _ = write!(s, " {k}={v}");
            }
        }
        s
    }
}

/// A host's log sink. It runs on whichever thread logged (usually a runtime worker), so it
/// must be quick and must not block on anything that thread might be holding.
pub type LogSink = Arc<dyn Fn(&LogRecord<'_>) + Send + Sync>;

struct Routing {
    sink: RwLock<Option<LogSink>>,
    filter: reload::Handle<EnvFilter, Registry>,
}

static ROUTING: OnceLock<Result<Routing, String>> = OnceLock::new();

thread_local! {
    /// Set while this thread runs the sink: what the sink itself logs is dropped (no
    /// recursion), and changing the sink from inside it is refused (no self-deadlock).
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// The filter from the environment: `ROOMCAST_LOG`, else `RUST_LOG`, else `None` (off).
pub fn env_filter() -> Option<String> {
    [LOG_ENV, "RUST_LOG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

fn parse_filter(text: &str) -> Result<EnvFilter, Error> {
    EnvFilter::builder()
        .parse(text)
        .map_err(|e| Error::InvalidArgument(format!("log filter {text:?}: {e}")))
}

fn routing() -> Result<&'static Routing, Error> {
    let r = ROUTING.get_or_init(|| {
        // A malformed environment filter must not turn logs on or fail the host: off.
        let initial = env_filter()
            .and_then(|f| parse_filter(&f).ok())
            .unwrap_or_else(|| EnvFilter::new("off"));
        let (filter, handle) = reload::Layer::new(initial);
        let subscriber = Registry::default().with(filter).with(SinkLayer);
        tracing::subscriber::set_global_default(subscriber)
            .map(|()| Routing {
                sink: RwLock::new(None),
                filter: handle,
            })
            .map_err(|e| format!("cannot route logs: {e}"))
    });
    r.as_ref().map_err(|e| Error::InvalidArgument(e.clone()))
}

/// Whether this thread is running the log sink now (a sink's own calls are refused).
pub fn in_log_sink() -> bool {
    IN_SINK.with(Cell::get)
}

/// Sets (or with `None` removes) the process's log sink, installing the routing on the
/// first call. When it returns, no call to the previous sink is running or will start,
/// so its resources can be freed. Refused from inside a sink, and when the program
/// installed another global `tracing` subscriber.
pub fn set_log_sink(sink: Option<LogSink>) -> Result<(), Error> {
    if IN_SINK.with(Cell::get) {
        return Err(Error::InvalidArgument(
            "the log sink cannot be changed from inside the log sink".into(),
        ));
    }
    let r = routing()?;
    // The write lock waits for every running sink call (they hold the read lock).
    let old = std::mem::replace(&mut *r.sink.write(), sink);
    drop(old);
    Ok(())
}

/// Sets the filter (`RUST_LOG` syntax, e.g. `"debug"`, `"roomcast::socket=debug,info"`,
/// `"off"`); `None` goes back to the environment's (see the module doc). A malformed
/// filter is refused with [`Error::InvalidArgument`] and the current one stays.
pub fn set_log_filter(filter: Option<&str>) -> Result<(), Error> {
    let f = match filter {
        Some(f) => parse_filter(f)?,
        None => match env_filter() {
            Some(f) => parse_filter(&f)?,
            None => EnvFilter::new("off"),
        },
    };
    routing()?
        .filter
        .reload(f)
        .map_err(|e| Error::InvalidArgument(format!("log filter: {e}")))
}

/// Field values collected from an event or span.
#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.fields.push((field.name(), value.to_owned()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields.push((field.name(), format!("{value:?}")));
        }
    }
}

/// Fields of a span, kept in its extensions for the events inside it.
struct SpanFields(Vec<(&'static str, String)>);

struct SinkLayer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SinkLayer {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut f = Fields::default();
        attrs.record(&mut f);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(f.fields));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        let mut f = Fields::default();
        values.record(&mut f);
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<SpanFields>() {
                fields.0.extend(f.fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if IN_SINK.with(Cell::get) {
            return;
        }
        let Some(Ok(r)) = ROUTING.get() else { return };
        let sink = r.sink.read();
        let Some(sink) = sink.as_ref() else { return };
        let mut f = Fields::default();
        event.record(&mut f);
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                if let Some(extra) = span.extensions().get::<SpanFields>() {
                    for (k, v) in &extra.0 {
                        if !f.fields.iter().any(|(n, _)| n == k) {
                            f.fields.push((k, v.clone()));
                        }
                    }
                }
            }
        }
        let meta = event.metadata();
        let record = LogRecord {
            level: LogLevel::of(meta.level()),
            target: meta.target(),
            message: &f.message,
            fields: &f.fields,
        };
        IN_SINK.with(|s| s.set(true));
        // A panicking sink loses its record, never the runtime thread that logged.
        let _ = catch_unwind(AssertUnwindSafe(|| sink(&record)));
        IN_SINK.with(|s| s.set(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_text_and_json() {
        let fields = [
            ("sid", "abc".to_owned()),
            ("reason", "ping timeout".to_owned()),
        ];
        let r = LogRecord {
            level: LogLevel::Debug,
            target: "roomcast::socket",
            message: "socket disconnected",
            fields: &fields,
        };
        assert_eq!(
            r.text(),
            "socket disconnected sid=abc reason=\"ping timeout\""
        );
        assert_eq!(r.fields_json(), r#"{"sid":"abc","reason":"ping timeout"}"#);
    }

    #[test]
    fn malformed_filter_is_refused() {
        assert!(matches!(
            parse_filter("roomcast=loud"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(parse_filter("roomcast::socket=debug,warn").is_ok());
    }
}
