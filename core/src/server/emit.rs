//! Emits: each is encoded once (with its replay offset when recovery is on) and fanned
//! out to this node's sockets, and handed to the cluster; with acknowledgements, one
//! collector gathers every recipient's answer or times out.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{
    ack, plain, stream_log, AckCallback, AckHandle, AckResult, Error, Namespace, SocketIo,
};
use crate::adapter::BroadcastOptions;
use crate::protocol::Payload;

impl SocketIo {
    /// Emits `event` with `args` to the sockets `opts` selects; returns how many got it.
    pub fn emit(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
    ) -> Result<usize, Error> {
        let ns = self.namespace(nsp)?;
        self.sent_to_admin(&ns, opts, event, args);
        Ok(self.emit_on(&ns, opts, event, args))
    }

    /// Tells the admin UI (development mode) who an emit goes to.
    fn sent_to_admin(&self, ns: &Namespace, opts: &BroadcastOptions, event: &str, args: &Payload) {
        if let Some(a) = self.admin_dev().filter(|_| !ns.internal) {
            let mut sids = Vec::new();
            ns.adapter()
                .for_each_recipient(opts, &mut |sid| sids.push(sid));
            self.admin_message(a, true, &ns.name, &sids, event, args);
        }
    }

    /// [`SocketIo::emit`] on a namespace, without telling the admin UI.
    pub(super) fn emit_on(
        &self,
        ns: &Arc<Namespace>,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
    ) -> usize {
        if let Some(c) = self.cluster.get().filter(|c| c.ordered() && !opts.local) {
            // A streams cluster: this node's clients get it when it comes back from the
            // stream, in the cluster's order and with its offset; the count is of now.
            c.broadcast(&ns.name, opts, event, args);
            let mut n = 0;
            ns.adapter().for_each_recipient(opts, &mut |_| n += 1);
            return n;
        }
        let n = self.deliver(ns, opts, event, args);
        if let Some(c) = self.cluster.get() {
            c.broadcast(&ns.name, opts, event, args);
        }
        n
    }

    /// Delivers a broadcast read from a streams cluster's log at `offset`: with recovery
    /// on, the offset travels as its last argument (unless volatile, as socket.io) and the
    /// namespace's stream log records it, under its lock over the fan-out.
    pub(crate) fn deliver_at(
        &self,
        ns: &Namespace,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        offset: &str,
    ) -> usize {
        let id = stream_log::StreamId::parse(offset);
        let plain = plain::PlainSource::new(event, args);
        match (&ns.stream_log, id) {
            (Some(log), Some(id)) => {
                let mut log = log.lock();
                if log.seen(id) {
                    return 0;
                }
                if opts.volatile {
                    log.delivered(id, None);
                    let packet = ns.parser.encode_event(&ns.name, event, args, None, None);
                    return ns.broadcast(opts, &packet, &plain, None, &self.rt);
                }
                let packet = ns
                    .parser
                    .encode_event(&ns.name, event, args, None, Some(offset));
                log.delivered(id, Some((opts, &packet)));
                ns.broadcast(opts, &packet, &plain, None, &self.rt)
            }
            _ => {
                let packet = ns.parser.encode_event(&ns.name, event, args, None, None);
                ns.broadcast(opts, &packet, &plain, None, &self.rt)
            }
        }
    }

    /// Delivers an EVENT to this node's sockets that `opts` selects (a local emit, or a
    /// broadcast from another node). With recovery on, it is stored for replay with an
    /// offset as its last argument, the same for every recipient, and the buffer stays
    /// locked over the fan-out (see `recovery`). The only sessions the fan-out may close
    /// under that lock are slow consumers, which are never saved, so it is not taken again.
    pub(crate) fn deliver(
        &self,
        ns: &Namespace,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
    ) -> usize {
        let plain = plain::PlainSource::new(event, args);
        match &ns.recovery {
            // In a streams cluster a local-only emit carries no offset (socket.io's
            // ClusterAdapter): offsets are stream ids.
            Some(rec) if !opts.volatile && ns.stream_log.is_none() => {
                let mut buf = rec.lock();
                let offset = buf.next_offset().to_string();
                let packet = ns
                    .parser
                    .encode_event(&ns.name, event, args, None, Some(&offset));
                buf.push(opts, &packet, &rec.cfg);
                ns.broadcast(opts, &packet, &plain, None, &self.rt)
            }
            _ => {
                let packet = ns.parser.encode_event(&ns.name, event, args, None, None);
                ns.broadcast(opts, &packet, &plain, None, &self.rt)
            }
        }
    }

    /// Emits and collects every recipient's acknowledgement, or times out after `timeout`
    /// with what arrived. `done` runs once, on a runtime thread. Returns the ack id.
    pub fn emit_with_ack(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
        done: AckCallback,
    ) -> Result<u64, Error> {
        let ns = self.namespace(nsp)?;
        self.sent_to_admin(&ns, opts, event, args);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let done: AckCallback = match &self.cfg.metrics {
            Some(m) => {
                m.acks_pending.fetch_add(1, Ordering::Relaxed);
                let m = m.clone();
                Box::new(move |r: AckResult| {
                    m.acks_pending.fetch_sub(1, Ordering::Relaxed);
                    if r.timed_out {
                        m.acks_timed_out.fetch_add(1, Ordering::Relaxed);
                    }
                    done(r)
                })
            }
            None => done,
        };
        let collector = ack::Collector::new(id, done);
        let cluster = self.cluster.get().filter(|_| !opts.local);
        if let Some(c) = cluster {
            collector.expect_remote();
            c.broadcast_with_ack(&ns.name, opts, event, args, timeout, collector.clone());
        }
        self.broadcast_acked(ns, opts, event, args, timeout, collector);
        Ok(id)
    }

    /// Local part of an emit with acknowledgement: sends, then arms the timeout.
    pub(super) fn broadcast_acked(
        &self,
        ns: Arc<Namespace>,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
        collector: Arc<ack::Collector>,
    ) -> usize {
        let packet = ns
            .parser
            .encode_event(&ns.name, event, args, Some(collector.id), None);
        let plain = plain::PlainSource::new(event, args);
        let n = ns.broadcast(opts, &packet, &plain, Some(&collector), &self.rt);
        collector.expect(n);
        // The timer owns a reference until the outcome is known: then it is aborted
        // (see `Collector::set_timer`), or it fires and reports the timeout.
        let ns = Arc::downgrade(&ns);
        let timed = collector.clone();
        let timer = self.rt.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(ns) = ns.upgrade() {
                timed.forget(&ns);
            }
            timed.finish(true);
        });
        collector.set_timer(timer.abort_handle());
        n
    }

    /// Answers a client's acknowledgement request.
    pub fn ack(&self, handle: AckHandle, args: &Payload) -> Result<(), Error> {
        let socket = self.socket(&handle.nsp, handle.sid)?;
        let packet = self.cfg.parser.encode_ack(&handle.nsp, handle.id, args);
        socket.send(&packet);
        Ok(())
    }
}
