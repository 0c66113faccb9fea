//! Room changes for the host (socket.io's adapter events `create-room`, `delete-room`,
//! `join-room`, `leave-room`), off until the host observes a namespace or all of them:
//! the adapter of an unobserved namespace pays one load per membership change.
//!
//! The adapter reports under its lock (see [`crate::adapter::LocalAdapter::observe`]), so
//! the events come in the order of the changes, on the one event stream: a socket's own
//! room before `Connection`, its leaves between `Disconnecting` and `Disconnect`.

use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{Error, Namespace, SocketIo};

/// Which namespaces the host observes.
#[derive(Default)]
pub(crate) struct RoomWatch {
    /// Every namespace (the ones served by the core itself aside).
    all: AtomicBool,
    /// These, by name (also before they exist, and again when recreated).
    names: Mutex<HashSet<Arc<str>>>,
}

impl SocketIo {
    /// Reports the room changes of namespace `nsp` (`None`: of every namespace, present
    /// and future) as `Event::Room` from now on. Observation stays on.
    pub fn observe_rooms(&self, nsp: Option<&str>) -> Result<(), Error> {
        let Some(me) = self.me.get().cloned() else {
            return Err(Error::Stopped);
        };
        match nsp {
            None => {
                self.room_watch.all.store(true, Ordering::SeqCst);
                let all: Vec<Arc<Namespace>> = self.namespaces.read().values().cloned().collect();
                for ns in all {
                    ns.observe_rooms(me.clone());
                }
            }
            Some(name) => {
                if !name.starts_with('/') {
                    return Err(Error::InvalidArgument(format!(
                        "observe_rooms: namespace {name:?} does not start with '/'"
                    )));
                }
                self.room_watch.names.lock().insert(Arc::from(name));
                let ns = self.namespaces.read().get(name).cloned();
                if let Some(ns) = ns {
                    ns.observe_rooms(me);
                }
            }
        }
        Ok(())
    }

    /// Turns reporting on for a namespace just made when the host observes it (called
    /// before anyone else can see the namespace).
    pub(crate) fn watch_new_namespace(&self, ns: &Namespace) {
        let wanted = self.room_watch.all.load(Ordering::SeqCst)
            || self.room_watch.names.lock().contains(&ns.name);
        if wanted {
            if let Some(me) = self.me.get() {
                ns.observe_rooms(me.clone());
            }
        }
    }
}
