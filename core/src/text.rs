//! [`Text`]: the bytes of a text frame, valid UTF-8 by construction.
//!
//! The WebSocket writer hands text frames to the peer without checking them again, so the
//! UTF-8 promise lives in this type: safe code builds a `Text` only from `&str`/`String`
//! (or checked bytes); unchecked bytes need an `unsafe` block that makes the promise.
//!
//! ```
//! use roomcast::host::engine_io::{Frame, Text};
//! let frame = Frame::Text(Text::from("4hello"));
//! assert_eq!(Text::try_from(bytes::Bytes::from_static(&[0xff])), Err(std::str::from_utf8(&[0xff]).unwrap_err()));
//! # let _ = frame;
//! ```
//!
//! Raw bytes are not a text frame; this does not compile:
//!
//! ```compile_fail
//! use roomcast::host::engine_io::Frame;
//! let frame = Frame::Text(bytes::Bytes::from_static(&[0xff]));
//! ```

use bytes::Bytes;
use std::fmt;

/// Cheaply cloneable UTF-8 text (shared bytes underneath, like [`Bytes`]).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Bytes);

impl Text {
    /// Text from a string literal, without copying.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Wraps `bytes` without checking them.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8: they reach the WebSocket peer as a text message
    /// (through tungstenite's unchecked `Utf8Bytes`) and are read back as `&str`.
    pub unsafe fn from_utf8_unchecked(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor guarantees UTF-8 (checked, from `str`, or promised by
        // the caller of `from_utf8_unchecked`).
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The bytes (shared, not copied).
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes, giving up the UTF-8 type.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl TryFrom<Bytes> for Text {
    type Error = std::str::Utf8Error;

    /// Checks `bytes` and wraps them without copying.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}
