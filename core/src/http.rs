//! The HTTP listener: routes requests to Engine.IO endpoints by path, and serves static
//! files (the chat page, the socket.io client bundle) for everything else.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCEPT_RANGES, ALLOW, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::conn_limit::{ConnCount, ConnSlot};
use crate::engine::{Body, Endpoint};
use crate::live::Tracker;
use crate::stall::StallGuard;
use crate::tls::Acceptor;

/// Which endpoint or directory answers which path: an endpoint mounted at the path asked
/// for first, then an Engine.IO endpoint whose path starts the one asked for (engine.io
/// answers every URL that starts with its path), then files.
#[derive(Default, Clone)]
pub struct Router {
    endpoints: Vec<(String, Arc<dyn Endpoint>)>,
    /// Engine.IO endpoints by path with its trailing slash, longest first.
    engines: Vec<(String, Arc<dyn Endpoint>)>,
    files: Vec<(String, PathBuf)>,
}

impl Router {
    /// An empty router (everything 404).
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts an Engine.IO endpoint at `path` (e.g. `/socket.io/`); the path also matches
    /// without its trailing slash.
    pub fn endpoint(mut self, path: &str, endpoint: Arc<dyn Endpoint>) -> Self {
        self.endpoints
            .push((path.trim_end_matches('/').to_owned(), endpoint));
        self
    }

    /// Mounts an Engine.IO endpoint at `path` as [`Router::endpoint`] does, and for every
    /// path below it too (`/socket.io/default/?EIO=4...`), as engine.io's check
    /// `path === req.url.slice(0, path.length)` with its trailing slash does; an endpoint
    /// mounted at a longer path (a metrics or plain WebSocket route under it) keeps its own.
    pub fn engine(mut self, path: &str, endpoint: Arc<dyn Endpoint>) -> Self {
        let mut prefix = path.trim_end_matches('/').to_owned();
        prefix.push('/');
        self.engines.push((prefix, endpoint.clone()));
        self.engines.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        self.endpoint(path, endpoint)
    }

    /// Serves the files under `dir` at URL prefix `prefix` (e.g. `/`).
    pub fn files(mut self, prefix: &str, dir: impl Into<PathBuf>) -> Self {
        let mut p = prefix.to_owned();
        if !p.ends_with('/') {
            p.push('/');
        }
        self.files.push((p, dir.into()));
        // Longest prefix first, so `/socket.io/` wins over `/`.
        self.files.sort_by_key(|f| std::cmp::Reverse(f.0.len()));
        self
    }

    async fn route(
        self: Arc<Self>,
        req: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> Response<Body> {
        let path = req.uri().path();
        let trimmed = path.trim_end_matches('/');
        if let Some((_, ep)) = self.endpoints.iter().find(|(p, _)| p == trimmed) {
            return ep.clone().handle(req, remote).await;
        }
        if let Some((_, ep)) = self
            .engines
            .iter()
            .find(|(p, _)| path.starts_with(p.as_str()))
        {
            return ep.clone().handle(req, remote).await;
        }
        for (prefix, dir) in &self.files {
            if let Some(rest) = path.strip_prefix(prefix.as_str()) {
                if let Some(resp) = serve_file(dir, rest, &req).await {
                    return resp;
                }
            }
        }
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header(CONTENT_TYPE, "text/plain; charset=UTF-8")
            .body(Full::new(Bytes::from_static(b"Not Found")))
            .expect("static response parts are valid")
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "application/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// Reads `rel` under `dir`, refusing anything that would climb out of it. An existing
/// file answers GET and HEAD (one `Range` honoured: 206, or 416 past the end; several
/// ranges get the whole file, as RFC 9110 allows) and 405 to other methods.
async fn serve_file<B>(dir: &Path, rel: &str, req: &Request<B>) -> Option<Response<Body>> {
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_owned()
    };
    let rel = Path::new(&rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = dir.join(rel);
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let is_file = tokio::fs::metadata(&full).await.ok()?.is_file();
        return is_file.then(|| {
            Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(ALLOW, "GET, HEAD")
                .body(Full::new(Bytes::new()))
                .expect("static response parts are valid")
        });
    }
    let data = Bytes::from(tokio::fs::read(&full).await.ok()?);
    let resp = Response::builder()
        .header(CONTENT_TYPE, HeaderValue::from_static(content_type(&full)))
        .header(ACCEPT_RANGES, "bytes");
    let len = data.len() as u64;
    let range = req
        .headers()
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, len));
    Some(
        match range {
            Some(Range::Satisfiable(start, end)) => resp
                .status(StatusCode::PARTIAL_CONTENT)
                .header(CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))
                .body(Full::new(data.slice(start as usize..=end as usize))),
            Some(Range::Unsatisfiable) => resp
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(CONTENT_RANGE, format!("bytes */{len}"))
                .body(Full::new(Bytes::new())),
            Some(Range::Ignored) | None => resp.status(StatusCode::OK).body(Full::new(data)),
        }
        .expect("static response parts are valid"),
    )
}

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// Bytes `start..=end`.
    Satisfiable(u64, u64),
    /// Starts past the end (416).
    Unsatisfiable,
    /// Not one byte range we understand: the whole file is sent.
    Ignored,
}

fn parse_range(header: &str, len: u64) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Range::Ignored;
    };
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => {
            if start >= len {
                Range::Unsatisfiable
            } else {
                Range::Satisfiable(start, end.min(len - 1))
            }
        }
        (Ok(start), Err(_)) if b.is_empty() => {
            if start >= len {
                Range::Unsatisfiable
            } else {
                Range::Satisfiable(start, len - 1)
            }
        }
        (Err(_), Ok(n)) if a.is_empty() => {
            if n == 0 || len == 0 {
                Range::Unsatisfiable
            } else {
                Range::Satisfiable(len.saturating_sub(n), len - 1)
            }
        }
        _ => Range::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_range, Range};

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=2-9", 100), Range::Satisfiable(2, 9));
        assert_eq!(parse_range("bytes=90-200", 100), Range::Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=10-", 100), Range::Satisfiable(10, 99));
        assert_eq!(parse_range("bytes=-5", 100), Range::Satisfiable(95, 99));
        assert_eq!(parse_range("bytes=-500", 100), Range::Satisfiable(0, 99));
        assert_eq!(parse_range("bytes=100-", 100), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Range::Ignored);
        assert_eq!(parse_range("items=0-1", 100), Range::Ignored);
        assert_eq!(parse_range("bytes=9-2", 100), Range::Ignored);
    }
}

/// Per-connection deadlines of the HTTP server (see [`crate::Config`]).
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// Accept (or end of the previous response) to complete request headers.
    pub header_timeout: Duration,
    /// Longest time a blocked write may make no progress.
    pub write_timeout: Duration,
    /// Most live connections (0: no limit).
    pub max_connections: usize,
    /// Most live connections per IP address (0: no limit).
    pub max_connections_per_ip: usize,
}

impl HttpLimits {
    /// The HTTP deadlines of a server config.
    pub fn from_config(c: &crate::Config) -> Self {
        Self {
            header_timeout: c.header_timeout,
            write_timeout: c.write_timeout,
            max_connections: c.max_connections,
            max_connections_per_ip: c.max_connections_per_ip,
        }
    }
}

/// Where connections enter: the router with the connection limits, deadlines and shutdown
/// signal every connection shares, whether the listener accepted it or the host handed it
/// in ([`Door::adopt`]: an embedding HTTP server's connection, see `host::attach`).
#[derive(Clone)]
pub(crate) struct Door {
    router: Arc<Router>,
    counts: Arc<ConnCount>,
    shutdown: watch::Receiver<bool>,
    tracker: Tracker,
    limits: HttpLimits,
}

impl Door {
    /// A door to `router` under `limits`, closing when `shutdown` turns true.
    pub(crate) fn new(
        router: Arc<Router>,
        shutdown: watch::Receiver<bool>,
        tracker: Tracker,
        limits: HttpLimits,
    ) -> Self {
        Self {
            counts: ConnCount::new(limits.max_connections, limits.max_connections_per_ip),
            router,
            shutdown,
            tracker,
            limits,
        }
    }

    /// Serves plain HTTP/1.1 on `stream` from `remote` in a task of the current runtime,
    /// counted against the connection limits (over a limit it is dropped unread, as an
    /// accepted one would be). Says whether it was admitted.
    pub(crate) fn adopt<S>(&self, stream: S, remote: SocketAddr) -> bool
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        if *self.shutdown.borrow() {
            return false;
        }
        let Some(slot) = self.counts.admit(remote.ip()) else {
            return false;
        };
        let live = self.tracker.enter();
        let stream = StallGuard::new(stream, self.limits.write_timeout);
        let (router, shutdown, limits) = (self.router.clone(), self.shutdown.clone(), self.limits);
        tokio::spawn(async move {
            let _live = live;
            serve_conn(stream, remote, router, Arc::new(slot), shutdown, limits).await;
        });
        true
    }
}

/// Accepts connections until `shutdown` turns true; with `tls`, each connection first
/// completes a TLS handshake (within the header timeout) in its own task.
pub(crate) async fn serve(listener: TcpListener, door: Door, tls: Option<Arc<Acceptor>>) {
    let mut shutdown = door.shutdown.clone();
    let limits = door.limits;
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let (stream, remote) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Some(tls) = &tls else {
            door.adopt(stream, remote);
            continue;
        };
        let Some(slot) = door.counts.admit(remote.ip()) else {
            // Over a connection limit: closed at once, before reading anything.
            drop(stream);
            continue;
        };
        let slot = Arc::new(slot);
        let router = door.router.clone();
        let conn_shutdown = shutdown.clone();
        let live = door.tracker.enter();
        // The stall guard sits under TLS, so a peer that stops reading is caught during
        // the handshake too.
        let stream = StallGuard::new(stream, limits.write_timeout);
        let acceptor = tls.acceptor();
        tokio::spawn(async move {
            let _live = live;
            // A handshake is bounded like request headers are (slow clients).
            let handshake = tokio::time::timeout(limits.header_timeout, acceptor.accept(stream));
            match handshake.await {
                Ok(Ok(stream)) => {
                    serve_conn(stream, remote, router, slot, conn_shutdown, limits).await
                }
                Ok(Err(e)) => tracing::debug!(%remote, "tls handshake failed: {e}"),
                Err(_) => tracing::debug!(%remote, "tls handshake timed out"),
            }
        });
    }
}

/// Serves HTTP/1.1 (with upgrades) on one connection, plain or TLS.
async fn serve_conn<S>(
    stream: S,
    remote: SocketAddr,
    router: Arc<Router>,
    slot: Arc<ConnSlot>,
    mut shutdown: watch::Receiver<bool>,
    limits: HttpLimits,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(slot.clone());
        let router = router.clone();
        async move { Ok::<_, std::convert::Infallible>(router.route(req, remote).await) }
    });
    // hyper starts the header timer whenever the connection waits for a request,
    // so it also closes connections that stay idle after accept or a response.
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), svc)
        .with_upgrades();
    tokio::pin!(conn);
    let stopping = tokio::select! {
        _ = conn.as_mut() => false,
        _ = shutdown.wait_for(|stop| *stop) => true,
    };
    if stopping {
        conn.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), conn).await;
    }
}
