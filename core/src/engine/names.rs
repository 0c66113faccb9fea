//! Session ids a host chooses (socket.io's `generateId`), and the requests the engine
//! refuses as the host sees them (engine.io's `connection_error`).
//!
//! A session is keyed by a random [`Sid`] inside the engine either way; a host-chosen id
//! is a name that the client uses instead (in the open packet and every `sid=` after), so
//! ids of any length cost nothing on the per-message paths, and nothing at all until a
//! host chooses one.

use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::Handshake;
use crate::sid::Sid;

/// Longest id a host may choose.
const MAX_NAME: usize = 128;

/// Checks a host-chosen session id: 1 to 128 characters of `A-Z a-z 0-9 - _ . ~` (what
/// a URL query carries as is, so the client's `sid=` finds it unchanged).
pub fn check_name(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= MAX_NAME
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a session id must be 1 to {MAX_NAME} characters of A-Z a-z 0-9 - _ . ~ (got {:?})",
            id.chars().take(40).collect::<String>()
        ))
    }
}

#[derive(Default)]
struct Table {
    by_name: HashMap<Arc<str>, Sid>,
    by_sid: HashMap<Sid, Arc<str>>,
}

/// The host-chosen ids in use (or reserved by a handshake in progress).
#[derive(Default)]
pub(crate) struct Names {
    /// False until a host chose an id: lookups skip the table.
    used: AtomicBool,
    table: Arc<RwLock<Table>>,
}

impl Names {
    pub(crate) fn get(&self, name: &str) -> Option<Sid> {
        if !self.used.load(Ordering::Relaxed) {
            return None;
        }
        self.table.read().by_name.get(name).copied()
    }

    /// Whether `sid` is the inner key of a named session (never valid on the wire).
    pub(crate) fn is_named(&self, sid: &Sid) -> bool {
        self.used.load(Ordering::Relaxed) && self.table.read().by_sid.contains_key(sid)
    }

    pub(crate) fn remove(&self, sid: &Sid) {
        if !self.used.load(Ordering::Relaxed) {
            return;
        }
        let mut t = self.table.write();
        if let Some(name) = t.by_sid.remove(sid) {
            t.by_name.remove(&name);
        }
    }

    /// A random id, or `name` when it is valid and not in use (it stays taken until the
    /// session ends, or until the returned reservation is dropped unused).
    pub(crate) fn reserve(
        &self,
        name: Option<String>,
        in_use: impl Fn(&str) -> bool,
    ) -> Result<Reserved, String> {
        let sid = Sid::new();
        let Some(name) = name else {
            return Ok(Reserved {
                sid,
                name: None,
                table: None,
            });
        };
        check_name(&name)?;
        let name: Arc<str> = Arc::from(name);
        let mut t = self.table.write();
        if t.by_name.contains_key(&name) || in_use(&name) {
            return Err(format!("session id {name:?} is already in use"));
        }
        t.by_name.insert(name.clone(), sid);
        t.by_sid.insert(sid, name.clone());
        self.used.store(true, Ordering::Relaxed);
        Ok(Reserved {
            sid,
            name: Some(name),
            table: Some(self.table.clone()),
        })
    }
}

/// The id a handshake will open its session with.
pub(crate) struct Reserved {
    sid: Sid,
    name: Option<Arc<str>>,
    table: Option<Arc<RwLock<Table>>>,
}

impl Reserved {
    /// The id the client will know.
    pub(crate) fn public(&self) -> String {
        match &self.name {
            Some(n) => n.to_string(),
            None => self.sid.to_string(),
        }
    }

    /// The session opens with it: the name stays until the session is forgotten.
    pub(crate) fn commit(mut self) -> Sid {
        self.table = None;
        self.sid
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        // The handshake failed before its session opened: the name is free again.
        if let (Some(table), Some(name)) = (&self.table, &self.name) {
            let mut t = table.write();
            t.by_name.remove(name);
            t.by_sid.remove(&self.sid);
        }
    }
}

/// A request the engine refused, as engine.io reports it (`connection_error`).
#[derive(Clone, Debug)]
pub struct RequestError {
    /// engine.io's code: 0 unknown transport, 1 unknown session id, 2 bad handshake
    /// method, 3 bad request, 4 forbidden, 5 unsupported protocol version.
    pub code: u8,
    /// engine.io's message for the code ("Transport unknown", ...).
    pub message: &'static str,
    /// engine.io's context object (`{"sid": ..}`, `{"transport": ..}`, `{"name": ..}`, ...).
    pub context: serde_json::Value,
    /// The request method.
    pub method: String,
    /// The request: headers, query, URL, peer address (`conn_id` empty).
    pub handshake: Handshake,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ids_are_checked_unique_and_freed() {
        let names = Names::default();
        assert!(check_name("0b6f5f1c-4a7e-4f0e-9d0a-1f2e3d4c5b6a").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"x".repeat(129)).is_err());
        let r = names.reserve(Some("user-1".into()), |_| false).unwrap();
        assert_eq!(r.public(), "user-1");
        let e = names
            .reserve(Some("user-1".into()), |_| false)
            .err()
            .unwrap();
        assert!(e.contains("already in use"), "{e}");
        // Dropped unused: free again.
        drop(r);
        let r = names.reserve(Some("user-1".into()), |_| false).unwrap();
        let sid = r.commit();
        assert_eq!(names.get("user-1"), Some(sid));
        assert!(names.is_named(&sid));
        names.remove(&sid);
        assert_eq!(names.get("user-1"), None);
        // A random id is not in the table.
        let r = names.reserve(None, |_| false).unwrap();
        assert_eq!(r.public().len(), 20);
        assert!(names
            .reserve(Some("taken".into()), |n| n == "taken")
            .is_err());
    }
}
