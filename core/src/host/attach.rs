//! Connections an embedding HTTP server hands in: the way a host serves the engine path
//! (`/socket.io/`) of its own server (Node's `http.Server`, an ASGI app) instead of a port
//! of roomcast's. Both kinds go through the same router, connection limits, deadlines and
//! graceful stop as accepted ones; the protocol stays in the core.
//!
//! - [`Server::adopt_fd`]: a connected TCP socket, duplicated, with the bytes the host has
//!   already read (the request head of a WebSocket upgrade). From then on the kernel
//!   socket is the core's: no copy through the host.
//! - [`Server::bridge`]: a connection whose bytes the host carries both ways (a polling
//!   request, or an upgrade on a socket that has no descriptor to give, such as TLS the
//!   host terminates).

use bytes::Bytes;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;

use super::{Error, Server};

/// What a bridged connection sends to its host.
#[derive(Debug, PartialEq, Eq)]
pub enum BridgeOutput {
    /// Bytes for the peer, in order.
    Data(Vec<u8>),
    /// The core closed its side: nothing more comes (sent once).
    End,
}

/// The host's end of a bridged connection: what the peer sent goes in with
/// [`Bridge::write`]; [`Bridge::end`] (or dropping it) is the peer's end of stream.
pub struct Bridge {
    tx: mpsc::UnboundedSender<Bytes>,
}

impl Bridge {
    /// Passes bytes from the peer to the core. [`Error::Stopped`] once the core's side is
    /// closed (the host then closes the peer too).
    pub fn write(&self, data: &[u8]) -> Result<(), Error> {
        self.tx
            .send(Bytes::copy_from_slice(data))
            .map_err(|_| Error::Stopped)
    }

    /// The peer has no more to send (its half close); the core still answers.
    pub fn end(self) {}
}

type Output = Arc<dyn Fn(BridgeOutput) + Send + Sync>;

/// The core's end: reads what the host wrote, writes through the host's callback.
struct BridgeStream {
    rx: mpsc::UnboundedReceiver<Bytes>,
    pending: Bytes,
    output: Output,
    ended: bool,
}

impl AsyncRead for BridgeStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.pending.is_empty() {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(b)) => self.pending = b,
                // The host's end is gone: end of stream.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = self.pending.len().min(buf.remaining());
        let chunk = self.pending.split_to(n);
        buf.put_slice(&chunk);
        Poll::Ready(Ok(()))
    }
}

impl BridgeStream {
    fn finish(&mut self) {
        if !self.ended {
            self.ended = true;
            (self.output)(BridgeOutput::End);
        }
    }
}

impl AsyncWrite for BridgeStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.ended {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        (self.output)(BridgeOutput::Data(buf.to_vec()));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.finish();
        Poll::Ready(Ok(()))
    }
}

impl Drop for BridgeStream {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A stream that first yields `prefix` (bytes its host read before handing it in).
struct Prefixed<S> {
    prefix: Bytes,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            let chunk = self.prefix.split_to(n);
            buf.put_slice(&chunk);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn refused() -> Error {
    Error::Io("connection refused: over a connection limit or stopping".into())
}

impl Server {
    /// Serves the connected TCP socket `fd` as if the listener had accepted it, reading
    /// `prefix` first (what the host already read from it, e.g. an upgrade request's head
    /// and the bytes after it). The socket is duplicated: the host closes its own
    /// descriptor after the call without reading or writing it again. The peer address is
    /// the socket's. [`Error::InvalidArgument`] when `fd` is not a connected TCP socket,
    /// [`Error::Io`] over a connection limit, [`Error::Stopped`] after stop.
    ///
    /// # Safety
    /// `fd` must be an open descriptor for the duration of the call.
    #[cfg(unix)]
    pub unsafe fn adopt_fd(&self, fd: std::os::fd::RawFd, prefix: Vec<u8>) -> Result<(), Error> {
        use std::os::fd::BorrowedFd;
        if self.is_stopped() {
            return Err(Error::Stopped);
        }
        if fd < 0 {
            return Err(Error::InvalidArgument(format!(
                "fd {fd} is not a descriptor"
            )));
        }
        // SAFETY: the caller keeps `fd` open during the call; only a duplicate is kept.
        let owned = unsafe { BorrowedFd::borrow_raw(fd) }
            .try_clone_to_owned()
            .map_err(|e| Error::InvalidArgument(format!("fd {fd}: {e}")))?;
        let std_stream = std::net::TcpStream::from(owned);
        let remote = std_stream.peer_addr().map_err(|e| {
            Error::InvalidArgument(format!("fd {fd} is not a connected TCP socket: {e}"))
        })?;
        std_stream
            .set_nonblocking(true)
            .map_err(|e| Error::Io(e.to_string()))?;
        let _enter = self.inner.handle.enter();
        let stream =
            tokio::net::TcpStream::from_std(std_stream).map_err(|e| Error::Io(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let stream = Prefixed {
            prefix: Bytes::from(prefix),
            inner: stream,
        };
        if self.inner.door.adopt(stream, remote) {
            Ok(())
        } else {
            Err(refused())
        }
    }

    /// Opens a connection from `remote` whose bytes the host carries: the peer's go in
    /// through the returned [`Bridge`], the core's come out through `output` (on a
    /// runtime thread, in order, never blocking: a host queues them). It is served like
    /// an accepted connection (HTTP/1.1, upgrades included). [`Error::Io`] over a
    /// connection limit, [`Error::Stopped`] after stop.
    pub fn bridge(
        &self,
        remote: SocketAddr,
        output: impl Fn(BridgeOutput) + Send + Sync + 'static,
    ) -> Result<Bridge, Error> {
        if self.is_stopped() {
            return Err(Error::Stopped);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let stream = BridgeStream {
            rx,
            pending: Bytes::new(),
            output: Arc::new(output),
            ended: false,
        };
        let _enter = self.inner.handle.enter();
        if self.inner.door.adopt(stream, remote) {
            Ok(Bridge { tx })
        } else {
            Err(refused())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::options::{ConfigBuilder, OptionValue};
    use std::io::{Read, Write};
    use std::sync::mpsc as std_mpsc;
    use std::time::Duration;

    fn attached() -> Server {
        let mut b = ConfigBuilder::new();
        b.set("listen", OptionValue::Bool(false)).unwrap();
        b.start().unwrap().0
    }

    #[test]
    fn a_bridged_polling_handshake_is_answered() {
        let server = attached();
        assert_eq!(server.local_addr().port(), 0);
        let (tx, rx) = std_mpsc::channel();
        let bridge = server
            .bridge("10.1.2.3:4567".parse().unwrap(), move |o| {
                let _ = tx.send(o);
            })
            .unwrap();
        bridge
            .write(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        while let BridgeOutput::Data(d) = rx.recv_timeout(Duration::from_secs(10)).unwrap() {
            out.extend(d);
        }
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("\"sid\""), "{text}");
        server.stop(Duration::from_secs(1));
        assert!(server
            .bridge("10.1.2.3:1".parse().unwrap(), |_| {})
            .is_err());
    }

    #[test]
    fn an_adopted_socket_is_served_after_its_prefix() {
        let server = attached();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        client
            .write_all(b"=4&transport=polling HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        use std::os::fd::AsRawFd;
        // SAFETY: `accepted` is open during the call.
        unsafe { server.adopt_fd(accepted.as_raw_fd(), b"GET /socket.io/?EIO".to_vec()) }.unwrap();
        drop(accepted);
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut text = String::new();
        client.read_to_string(&mut text).unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("\"sid\""), "{text}");
        // Not a socket: refused with a clear error, nothing served.
        let file = std::fs::File::open("/dev/null").unwrap();
        // SAFETY: `file` is open during the call.
        let e = unsafe { server.adopt_fd(file.as_raw_fd(), Vec::new()) }.unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARGUMENT");
        server.stop(Duration::from_secs(1));
    }
}
