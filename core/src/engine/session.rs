//! One Engine.IO session: its bounded outbound queue, transport state and heartbeat.
//!
//! Slow-consumer policy: the queue holds at most `max_buffered_bytes` bytes and
//! `max_buffered_frames` frames (each frame counts its length plus [`FRAME_OVERHEAD`]).
//! A volatile packet is dropped when the transport cannot take it at once (WebSocket
//! writer busy, no long-poll waiting, upgrade in progress) or when it does not fit; any
//! other packet that does not fit closes the session with [`CloseReason::SlowConsumer`].
//! Besides, a WebSocket whose socket takes no bytes for `write_timeout` is closed the same
//! way (see `websocket`). So a stalled client is bounded in bytes and in time, a briefly
//! slow one that keeps reading survives a burst, and neither slows the others down. A
//! closed session's queue is released at once.

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use tokio::sync::Notify;

use super::deflate::Deflatable;
use super::CloseReason;
use crate::sid::Sid;
use crate::text::Text;

/// One transport frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A text packet: type digit plus payload, e.g. `4hello`. [`Text`] is UTF-8 by
    /// construction, which the WebSocket writer relies on.
    Text(Text),
    /// A binary message (raw bytes on WebSocket, `b`+base64 on polling).
    Binary(Bytes),
    /// A text or binary message that goes compressed to a WebSocket that negotiated
    /// permessage-deflate (compressed once for all of them), as it is elsewhere.
    Deflatable(Deflatable),
}

impl Frame {
    /// The message's bytes, uncompressed.
    pub fn payload(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Binary(b) => b,
            Self::Deflatable(d) => d.frame().payload(),
        }
    }

    /// The uncompressed frame (text or binary): the frame itself unless deflatable.
    pub fn plain(&self) -> &Frame {
        match self {
            Self::Deflatable(d) => d.frame(),
            other => other,
        }
    }

    /// Length of the uncompressed message in bytes.
    pub fn len(&self) -> usize {
        self.payload().len()
    }

    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A binary attachment queued after a message's first frame: raw bytes, or a frame
/// (deflatable, when the message goes out with permessage-deflate).
pub(crate) trait Attachment {
    /// The frame queued.
    fn frame(&self) -> Frame;
    /// Its length in bytes.
    fn size(&self) -> usize;
}

impl Attachment for Bytes {
    fn frame(&self) -> Frame {
        Frame::Binary(self.clone())
    }
    fn size(&self) -> usize {
        self.len()
    }
}

impl Attachment for Frame {
    fn frame(&self) -> Frame {
        self.clone()
    }
    fn size(&self) -> usize {
        self.len()
    }
}

/// Which transport currently carries the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl TransportKind {
    /// The name socket.io uses: `"polling"` or `"websocket"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::WebSocket => "websocket",
        }
    }
}

pub(crate) struct Outbox {
    pub frames: VecDeque<Frame>,
    pub transport: TransportKind,
    /// A probe succeeded; the client is about to send `5`.
    pub upgrading: bool,
    /// A long-poll GET is waiting for frames.
    pub get_waiting: bool,
    /// Set once by [`Session::close`]; the writer drains what is queued and stops.
    pub closed: Option<CloseReason>,
    /// Whether a long-poll was waiting at the moment the session closed.
    pub get_waiting_at_close: bool,
    /// The WebSocket close status to send when the session ends (a protocol error).
    pub close_code: Option<tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode>,
    /// Bytes queued, as counted by [`frame_cost`].
    pub bytes: usize,
    /// Queue bounds (beside the queue: one cache line less per broadcast recipient).
    pub max_frames: usize,
    pub max_bytes: usize,
}

/// Bookkeeping counted for each queued frame on top of its length (the queue entry and
/// the refcount it holds).
pub(crate) const FRAME_OVERHEAD: usize = 64;

/// What one frame counts against the byte bound.
pub(crate) fn frame_cost(f: &Frame) -> usize {
    FRAME_OVERHEAD + f.len()
}

impl Outbox {
    /// Takes every queued frame out (the byte count goes back to zero).
    pub(crate) fn take_frames(&mut self, into: &mut VecDeque<Frame>) {
        std::mem::swap(into, &mut self.frames);
        self.bytes = 0;
    }

    /// Drops every queued frame and gives its memory back.
    pub(crate) fn release(&mut self) {
        self.frames = VecDeque::new();
        self.bytes = 0;
    }
}

/// A wake-up for the one task that drains a queue (the WebSocket writer, or the long-poll
/// GET waiting): a flag plus an `AtomicWaker`, lighter than `Notify` on the per-recipient
/// path. A notification that comes while nobody waits is kept for the next wait.
#[derive(Default)]
pub(crate) struct Signal {
    set: AtomicBool,
    waker: AtomicWaker,
}

impl Signal {
    pub(crate) fn notify(&self) {
        self.set.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Completes once a notification has come since the last wait completed.
    pub(crate) async fn wait(&self) {
        std::future::poll_fn(|cx| {
            if self.set.swap(false, Ordering::AcqRel) {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            if self.set.swap(false, Ordering::AcqRel) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Runs once when the session closes (set by the engine).
pub(crate) type Closer = Box<dyn FnOnce(CloseReason) + Send>;

/// An Engine.IO session shared by its transports, its heartbeat and the layer above.
pub struct Session<D> {
    /// The session id (the Engine.IO `sid`; secret, never shown to other clients).
    pub sid: Sid,
    /// Data of the layer above (the Socket.IO client state).
    pub data: D,
    pub(crate) outbox: Mutex<Outbox>,
    /// Wakes whoever drains the outbox (WebSocket writer or long-poll GET).
    pub(crate) wake: Signal,
    /// Fires when a pong arrives.
    pub(crate) pong_signal: Notify,
    /// Fires when the session closes.
    pub(crate) closed_signal: Notify,
    pub(crate) post_in_flight: AtomicBool,
    /// How many holds on reading this session are in progress (backpressure from the
    /// layer above), and a count of holds begun or ended: see [`ReadHold`].
    read_held: AtomicUsize,
    read_holds: AtomicU64,
    closer: Mutex<Option<Closer>>,
}

/// Marks a session's reading as held back by the server (inbound backpressure) while it
/// lives. The heartbeat does not time a client out for a pong the server itself did not
/// read: a hold in progress, or one begun or ended since the ping went out, excuses a
/// missing pong for that round (see `heartbeat` in the engine).
pub(crate) struct ReadHold<'a> {
    held: &'a AtomicUsize,
    holds: &'a AtomicU64,
}

impl Drop for ReadHold<'_> {
    fn drop(&mut self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
        self.holds.fetch_add(1, Ordering::AcqRel);
    }
}

/// What happened to a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Queued for the transport.
    Queued,
    /// A volatile packet was dropped.
    Dropped,
    /// The session is closed.
    Closed,
    /// The queue is full; the caller must close the session (see the policy above) once
    /// it holds no locks.
    Overflow,
}

impl<D> Session<D> {
    pub(crate) fn new(
        sid: Sid,
        data: D,
        transport: TransportKind,
        max_frames: usize,
        max_bytes: usize,
    ) -> Self {
        Self {
            sid,
            data,
            outbox: Mutex::new(Outbox {
                frames: VecDeque::new(),
                transport,
                upgrading: false,
                get_waiting: false,
                closed: None,
                get_waiting_at_close: false,
                close_code: None,
                bytes: 0,
                max_frames,
                max_bytes,
            }),
            wake: Signal::default(),
            pong_signal: Notify::new(),
            closed_signal: Notify::new(),
            post_in_flight: AtomicBool::new(false),
            read_held: AtomicUsize::new(0),
            read_holds: AtomicU64::new(0),
            closer: Mutex::new(None),
        }
    }

    pub(crate) fn set_closer(&self, f: Closer) {
        *self.closer.lock() = Some(f);
    }

    /// Queues one message: its first frame (a text `4…` or a binary packet) and its binary
    /// attachments, all or nothing. Closes the session with "slow consumer" when the queue
    /// is full.
    pub(crate) fn push<A: Attachment>(&self, head: Frame, binary: &[A], volatile: bool) -> Pushed {
        self.push_frames(head, binary, volatile)
    }

    /// Queues one raw frame (e.g. a bare binary message); overflow closes the session.
    pub fn push_frame(&self, frame: Frame) -> Pushed {
        self.push_frames::<Bytes>(frame, &[], false)
    }

    fn push_frames<A: Attachment>(&self, head: Frame, binary: &[A], volatile: bool) -> Pushed {
        let (pushed, wake) = self.enqueue(head, binary, volatile);
        match pushed {
            Pushed::Overflow => {
                self.close(CloseReason::SlowConsumer);
                Pushed::Closed
            }
            Pushed::Queued if wake => {
                self.wake();
                Pushed::Queued
            }
            other => other,
        }
    }

    /// Queues `head` and its binary attachments, all or nothing, and says whether the
    /// drainer must be woken (only the push that makes the queue non-empty needs to: the
    /// drainer takes everything queued after it in the same pass). Closing on overflow is
    /// left to the caller, so a broadcast can do it once no lock is held, and batch its
    /// wake-ups.
    pub(crate) fn enqueue<A: Attachment>(
        &self,
        head: Frame,
        binary: &[A],
        volatile: bool,
    ) -> (Pushed, bool) {
        let n = 1 + binary.len();
        let mut o = self.outbox.lock();
        if o.closed.is_some() {
            return (Pushed::Closed, false);
        }
        let cost = frame_cost(&head)
            + binary
                .iter()
                .map(|b| FRAME_OVERHEAD + b.size())
                .sum::<usize>();
        let full = o.frames.len() + n > o.max_frames || o.bytes + cost > o.max_bytes;
        if volatile {
            let writable = match o.transport {
                TransportKind::WebSocket => o.frames.is_empty(),
                TransportKind::Polling => o.get_waiting && !o.upgrading,
            };
            if !writable || full {
                return (Pushed::Dropped, false);
            }
        }
        if full {
            return (Pushed::Overflow, false);
        }
        let was_empty = o.frames.is_empty();
        o.bytes += cost;
        o.frames.push_back(head);
        o.frames.extend(binary.iter().map(Attachment::frame));
        (Pushed::Queued, was_empty)
    }

    /// Wakes whoever drains the queue (WebSocket writer or waiting long-poll).
    pub(crate) fn wake(&self) {
        self.wake.notify();
    }

    /// Queues a control packet (ping, noop); never refused for size.
    pub(crate) fn push_control(&self, frame: Frame) {
        let mut o = self.outbox.lock();
        if o.closed.is_none() {
            o.bytes += frame_cost(&frame);
            o.frames.push_back(frame);
            drop(o);
            self.wake.notify();
        }
    }

    /// Closes the session once; later calls do nothing. Queued frames are still flushed
    /// on WebSocket; a waiting long-poll is answered.
    pub fn close(&self, reason: CloseReason) {
        let transport = {
            let mut o = self.outbox.lock();
            if o.closed.is_some() {
                return;
            }
            o.closed = Some(reason);
            o.get_waiting_at_close = o.get_waiting;
            if reason.drops_queue() {
                // Nothing more will reach this peer: give its memory back now.
                o.release();
            }
            o.transport
        };
        log_close(self.sid, transport, reason);
        self.wake.notify();
        self.closed_signal.notify_waiters();
        if let Some(f) = self.closer.lock().take() {
            f(reason);
        }
    }

    /// Whether [`Session::close`] has run.
    pub fn is_closed(&self) -> bool {
        self.outbox.lock().closed.is_some()
    }

    /// The transport now in use.
    pub fn transport(&self) -> TransportKind {
        self.outbox.lock().transport
    }

    pub(crate) fn got_pong(&self) {
        self.pong_signal.notify_waiters();
    }

    /// Holds back reading this session until the guard drops (see [`ReadHold`]).
    pub(crate) fn hold_reads(&self) -> ReadHold<'_> {
        self.read_held.fetch_add(1, Ordering::AcqRel);
        self.read_holds.fetch_add(1, Ordering::AcqRel);
        ReadHold {
            held: &self.read_held,
            holds: &self.read_holds,
        }
    }

    /// A mark to pass to [`Self::reads_held_since`] later.
    pub(crate) fn read_hold_mark(&self) -> u64 {
        self.read_holds.load(Ordering::Acquire)
    }

    /// Whether the server held back reading this session at any time since `mark` was
    /// taken (or does now).
    pub(crate) fn reads_held_since(&self, mark: u64) -> bool {
        self.read_held.load(Ordering::Acquire) > 0
            || self.read_holds.load(Ordering::Acquire) != mark
    }
}

/// Shared handle to a session.
pub type SessionRef<D> = Arc<Session<D>>;

/// The session-closed log line: a dropped slow consumer or overflowing client is a warning,
/// malformed input is info, the ordinary ends are debug.
fn log_close(sid: Sid, transport: TransportKind, reason: CloseReason) {
    let (transport, reason) = (transport.as_str(), reason.as_str());
    match reason {
        "slow consumer" | "inbound overflow" => tracing::warn!(
            target: "roomcast::engine", %sid, transport, reason, "connection dropped"
        ),
        "parse error" => tracing::info!(
            target: "roomcast::engine", %sid, transport, reason, "connection closed on malformed input"
        ),
        _ => tracing::debug!(
            target: "roomcast::engine", %sid, transport, reason, "connection closed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(max: usize, transport: TransportKind) -> Session<()> {
        Session::new(Sid::new(), (), transport, max, usize::MAX)
    }

    const NONE: &[Bytes] = &[];

    fn text(s: &'static str) -> Text {
        Text::from_static(s)
    }

    #[test]
    fn only_the_push_that_fills_an_empty_queue_wakes_the_drainer() {
        let s = session(8, TransportKind::WebSocket);
        assert_eq!(
            s.enqueue(Frame::Text(text("4a")), NONE, false),
            (Pushed::Queued, true)
        );
        assert_eq!(
            s.enqueue(Frame::Text(text("4b")), NONE, false),
            (Pushed::Queued, false)
        );
        let o = s.outbox.lock();
        assert_eq!(o.frames.len(), 2);
    }

    #[test]
    fn a_message_and_its_attachments_are_queued_all_or_nothing() {
        let s = session(3, TransportKind::WebSocket);
        let bins = [Bytes::from_static(b"1"), Bytes::from_static(b"2")];
        assert_eq!(
            s.enqueue(Frame::Text(text("451-")), &bins[..1], false).0,
            Pushed::Queued
        );
        // 2 queued + 3 more would pass the bound of 3: nothing of it is queued.
        assert_eq!(
            s.enqueue(Frame::Text(text("452-")), &bins, false).0,
            Pushed::Overflow
        );
        assert_eq!(s.outbox.lock().frames.len(), 2);
    }

    #[test]
    fn volatile_packets_are_dropped_when_the_transport_cannot_take_them() {
        let ws = session(8, TransportKind::WebSocket);
        assert_eq!(
            ws.enqueue(Frame::Text(text("4a")), NONE, true).0,
            Pushed::Queued
        );
        // The writer has not drained the first one: busy, so the next volatile is dropped.
        assert_eq!(
            ws.enqueue(Frame::Text(text("4b")), NONE, true).0,
            Pushed::Dropped
        );
        let poll = session(8, TransportKind::Polling);
        assert_eq!(
            poll.enqueue(Frame::Text(text("4a")), NONE, true).0,
            Pushed::Dropped
        );
        poll.outbox.lock().get_waiting = true;
        assert_eq!(
            poll.enqueue(Frame::Text(text("4a")), NONE, true).0,
            Pushed::Queued
        );
    }

    #[test]
    fn overflow_closes_with_slow_consumer_and_close_runs_once() {
        let s = session(1, TransportKind::WebSocket);
        let closed = Arc::new(Mutex::new(Vec::new()));
        let seen = closed.clone();
        s.set_closer(Box::new(move |r| seen.lock().push(r)));
        assert_eq!(s.push(Frame::Text(text("4a")), NONE, false), Pushed::Queued);
        assert_eq!(s.push(Frame::Text(text("4b")), NONE, false), Pushed::Closed);
        assert!(s.is_closed());
        s.close(CloseReason::TransportClose);
        assert_eq!(*closed.lock(), vec![CloseReason::SlowConsumer]);
        assert_eq!(s.push(Frame::Text(text("4c")), NONE, false), Pushed::Closed);
        // A slow consumer's queue is released at close (issue 12), and control frames are
        // refused after close too.
        s.push_control(Frame::Text(text("2")));
        assert_eq!(s.outbox.lock().frames.len(), 0);
        assert_eq!(s.outbox.lock().bytes, 0);
    }

    #[tokio::test]
    async fn a_wake_up_before_the_wait_is_kept() {
        let s = Signal::default();
        s.notify();
        tokio::time::timeout(std::time::Duration::from_secs(5), s.wait())
            .await
            .expect("the earlier notification completes the wait");
    }
}
