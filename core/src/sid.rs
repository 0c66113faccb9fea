//! Random identifiers for Engine.IO sessions and Socket.IO sockets.

use base64::Engine as _;
use rand::RngCore;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A 20-character URL-safe id from 15 bytes of a cryptographic RNG (like socket.io's
/// `base64id`). Copy-able and cheap to hash, so rooms and maps key on it directly.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sid([u8; 20]);

impl Sid {
    /// A fresh random id.
    pub fn new() -> Self {
        let mut raw = [0u8; 15];
        rand::rng().fill_bytes(&mut raw);
        let mut out = [0u8; 20];
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(raw, &mut out)
            .expect("15 bytes encode to exactly 20 characters");
        Sid(out)
    }

    /// Parses an id a client or host handed back; `None` when it cannot be one of ours.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 20
            || !b
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        {
            return None;
        }
        let mut out = [0u8; 20];
        out.copy_from_slice(b);
        Some(Sid(out))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("base64 is ASCII")
    }
}

impl Default for Sid {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

/// Hashes a [`Sid`] by taking 8 of its random bytes: ids are chosen by the server from a
/// cryptographic RNG, so no client can aim for collisions, and SipHash would only add cost
/// on the per-recipient path of every broadcast.
#[derive(Default, Clone, Copy)]
pub struct SidHasher(u64);

impl Hasher for SidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `Sid::hash` feeds this hasher: one 20-byte write.
        let mut b = [0u8; 8];
        let n = bytes.len().min(8);
        b[..n].copy_from_slice(&bytes[bytes.len() - n..]);
        self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
    }
    fn write_usize(&mut self, _: usize) {
        // The length prefix of the array: the same for every id.
    }
}

/// A map keyed by socket id.
pub type SidMap<V> = HashMap<Sid, V, BuildHasherDefault<SidHasher>>;
/// A set of socket ids.
pub type SidSet = HashSet<Sid, BuildHasherDefault<SidHasher>>;

impl Hash for Sid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_parse_back() {
        let a = Sid::new();
        let b = Sid::new();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 20);
        assert_eq!(Sid::parse(a.as_str()), Some(a));
        assert_eq!(Sid::parse("short"), None);
        assert_eq!(Sid::parse("ééééééééééé"), None);
    }

    #[test]
    fn sid_sets_work_with_the_cheap_hasher() {
        let ids: Vec<Sid> = (0..1000).map(|_| Sid::new()).collect();
        let set: SidSet = ids.iter().copied().collect();
        assert_eq!(set.len(), 1000);
        assert!(ids.iter().all(|s| set.contains(s)));
    }
}
