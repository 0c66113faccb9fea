//! Server → client acknowledgements: one collector per emit, shared by its recipients.

use parking_lot::Mutex;
use std::sync::Arc;
use tokio::task::AbortHandle;

use super::{AckReply, AckResult, Namespace};
use crate::adapter::cluster::{OnReply, RemoteAckSink};
use crate::protocol::Payload;
use crate::sid::Sid;

/// Called once with the outcome of an emit with acknowledgement.
pub type AckCallback = Box<dyn FnOnce(AckResult) + Send>;

struct State {
    recipients: Vec<Sid>,
    /// Known once the broadcast has reached every recipient.
    expected: Option<usize>,
    replies: Vec<AckReply>,
    /// Recipients that disconnected before answering.
    gone: usize,
    /// Other nodes' part, when the emit went through the cluster.
    remote: Option<Remote>,
    done: Option<AckCallback>,
    /// Called with each reply as it arrives (broadcasts made for another node).
    on_reply: Option<OnReply>,
}

/// Other nodes of an emit with acknowledgement: how many will report, how many did, and
/// how many of their clients got the packet.
#[derive(Default)]
struct Remote {
    servers: Option<usize>,
    reported: usize,
    clients: usize,
}

/// Gathers the replies to one emit until all recipients answered or the timeout fires.
pub(crate) struct Collector {
    pub(crate) id: u64,
    state: Mutex<State>,
    /// The timeout task, aborted when the outcome is known earlier, so an answered ack
    /// frees its memory at once instead of at its timeout.
    timer: Mutex<Option<AbortHandle>>,
}

impl Collector {
    pub(crate) fn new(id: u64, done: AckCallback) -> Arc<Self> {
        Arc::new(Self {
            id,
            state: Mutex::new(State {
                recipients: Vec::new(),
                expected: None,
                replies: Vec::new(),
                gone: 0,
                remote: None,
                done: Some(done),
                on_reply: None,
            }),
            timer: Mutex::new(None),
        })
    }

    /// Like [`Collector::new`], calling `on_reply` with each reply as it arrives.
    pub(crate) fn streaming(id: u64, done: AckCallback, on_reply: OnReply) -> Arc<Self> {
        let c = Self::new(id, done);
        c.state.lock().on_reply = Some(on_reply);
        c
    }

    /// Other nodes take part: the outcome also waits for their counts and replies.
    pub(crate) fn expect_remote(&self) {
        self.state.lock().remote = Some(Remote::default());
    }

    /// Keeps the timeout task's handle; aborts it at once if the outcome is already known.
    pub(crate) fn set_timer(&self, timer: AbortHandle) {
        let finished = self.state.lock().done.is_none();
        if finished {
            timer.abort();
        } else {
            *self.timer.lock() = Some(timer);
            // The outcome may have come between the two locks.
            if self.state.lock().done.is_none() {
                if let Some(t) = self.timer.lock().take() {
                    t.abort();
                }
            }
        }
    }

    pub(crate) fn add_recipient(&self, sid: Sid) {
        self.state.lock().recipients.push(sid);
    }

    /// The broadcast is out: `n` replies are awaited (0 finishes at once).
    pub(crate) fn expect(&self, n: usize) {
        self.state.lock().expected = Some(n);
        self.settle();
    }

    pub(crate) fn reply(&self, sid: Sid, args: Payload) {
        self.push(Some(sid), args);
    }

    fn push(&self, sid: Option<Sid>, args: Payload) {
        {
            let mut st = self.state.lock();
            if st.done.is_none() {
                return;
            }
            if let Some(f) = &st.on_reply {
                f(args.clone());
            }
            st.replies.push(AckReply { sid, args });
        }
        self.settle();
    }

    /// A recipient disconnected without answering: once nobody else can answer, finish
    /// now, as a timeout carrying what arrived, instead of waiting for the timer.
    pub(crate) fn recipient_gone(&self) {
        self.state.lock().gone += 1;
        self.settle();
    }

    fn settle(&self) {
        let outcome = {
            let st = self.state.lock();
            let (remote_known, remote_clients) = match &st.remote {
                None => (true, 0),
                Some(r) => (r.servers.is_some_and(|s| r.reported >= s), r.clients),
            };
            match st.expected {
                Some(_) if !remote_known => None,
                Some(n) if st.replies.len() >= n + remote_clients => Some(false),
                Some(n) if st.gone > 0 && st.replies.len() + st.gone >= n + remote_clients => {
                    Some(true)
                }
                _ => None,
            }
        };
        if let Some(timed_out) = outcome {
            self.finish(timed_out);
        }
    }

    /// Unregisters from recipients that never answered (on timeout).
    pub(crate) fn forget(&self, ns: &Namespace) {
        let recipients = std::mem::take(&mut self.state.lock().recipients);
        for sid in recipients {
            if let Some(s) = ns.socket(sid) {
                s.acks.lock().remove(&self.id);
            }
        }
    }

    /// Runs the callback once (outside the lock).
    pub(crate) fn finish(&self, timed_out: bool) {
        let (done, replies, disconnected) = {
            let mut st = self.state.lock();
            let Some(done) = st.done.take() else { return };
            (done, std::mem::take(&mut st.replies), st.gone)
        };
        // From the timer itself this only marks its own finished task.
        if let Some(t) = self.timer.lock().take() {
            t.abort();
        }
        done(AckResult {
            id: self.id,
            replies,
            timed_out,
            disconnected,
        });
    }
}

impl RemoteAckSink for Collector {
    fn servers(&self, n: usize) {
        if let Some(r) = self.state.lock().remote.as_mut() {
            r.servers = Some(n);
        }
        self.settle();
    }

    fn client_count(&self, n: usize) {
        if let Some(r) = self.state.lock().remote.as_mut() {
            r.reported += 1;
            r.clients += n;
        }
        self.settle();
    }

    fn reply(&self, args: Payload) {
        self.push(None, args);
    }
}
