//! What the engine tells a host about connections beyond sockets: refused requests
//! (engine.io's `connection_error`) and upgrades (socket.io's `socket.conn` `upgrade`
//! event). Each is off until the host asks for it, so a host that does not listen
//! pays one relaxed load per refusal or upgrade.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{Client, Event, SocketIo};
use crate::engine::{RequestError, SessionRef};

/// Which connection events the host wants.
#[derive(Default)]
pub(crate) struct EngineReports {
    pub(crate) errors: AtomicBool,
    pub(crate) upgrades: AtomicBool,
}

impl SocketIo {
    /// Turns `Event::ConnectionError` on or off.
    pub fn report_connection_errors(&self, on: bool) {
        self.engine_reports.errors.store(on, Ordering::Relaxed);
    }

    /// Turns `Event::Upgrade` on or off.
    pub fn report_upgrades(&self, on: bool) {
        self.engine_reports.upgrades.store(on, Ordering::Relaxed);
    }

    pub(crate) fn wants_errors(&self) -> bool {
        self.engine_reports.errors.load(Ordering::Relaxed)
    }

    pub(crate) fn connection_error(&self, e: RequestError) {
        self.report(Event::ConnectionError {
            code: e.code,
            message: e.message,
            context: e.context,
            method: e.method,
            handshake: Arc::new(e.handshake),
        });
    }

    pub(crate) fn upgraded(&self, session: &SessionRef<Client>) {
        if self.engine_reports.upgrades.load(Ordering::Relaxed) {
            self.report(Event::Upgrade {
                conn_id: Arc::from(session.data.handshake.conn_id.as_str()),
            });
        }
    }
}
