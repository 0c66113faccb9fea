//! A packet as the fan-out queues it: as encoded, or with permessage-deflate on, its
//! frames of at least the threshold marked deflatable, once per broadcast, so every
//! recipient that negotiated the extension shares one compressed copy (see
//! `engine::deflate`) and the others get the same bytes as always.

use bytes::Bytes;

use crate::engine::{Deflatable, Frame, Pushed, Session};
use crate::protocol::Encoded;

/// The frames of one packet, ready to queue for any number of recipients.
pub(crate) enum Wire<'a> {
    /// Sent as encoded (deflate off, `compress(false)`, or every frame below the threshold).
    AsIs(&'a Encoded),
    /// Some frame is deflatable.
    Deflatable { head: Frame, binary: Vec<Frame> },
}

impl<'a> Wire<'a> {
    /// `threshold`: the server's deflate threshold when deflate is on; `compress`: the
    /// emit's `compress` flag (socket.io's `compress(false)` turns it off).
    pub(crate) fn new(packet: &'a Encoded, threshold: Option<usize>, compress: bool) -> Self {
        let Some(threshold) = threshold.filter(|_| compress) else {
            return Self::AsIs(packet);
        };
        let big = |f: &Frame| f.len() >= threshold;
        if !big(&packet.head) && !packet.binary.iter().any(|b| b.len() >= threshold) {
            return Self::AsIs(packet);
        }
        let wrap = |f: Frame| if big(&f) { Deflatable::wrap(f) } else { f };
        Self::Deflatable {
            head: wrap(packet.head.clone()),
            binary: packet
                .binary
                .iter()
                .map(|b| wrap(Frame::Binary(b.clone())))
                .collect(),
        }
    }

    /// Queues the packet for one recipient (see [`Session::enqueue`]).
    pub(crate) fn enqueue<D>(&self, session: &Session<D>, volatile: bool) -> (Pushed, bool) {
        match self {
            Self::AsIs(p) => session.enqueue(p.head.clone(), &p.binary, volatile),
            Self::Deflatable { head, binary } => session.enqueue(head.clone(), binary, volatile),
        }
    }

    /// Queues the packet for one recipient, never volatile (see [`Session::push`]).
    pub(crate) fn push<D>(&self, session: &Session<D>) -> Pushed {
        match self {
            Self::AsIs(p) => session.push::<Bytes>(p.head.clone(), &p.binary, false),
            Self::Deflatable { head, binary } => session.push(head.clone(), binary, false),
        }
    }
}
