//! The errors of the host's commands, one kind per stable code every binding maps.

use std::fmt;

use crate::config::ConfigError;

/// Errors of the command methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// No namespace of that name has been used.
    NoSuchNamespace,
    /// No connected socket with that id in that namespace.
    NoSuchSocket,
    /// The connect request was already answered or its connection is gone.
    NoSuchRequest,
    /// Arguments are not a JSON array (or other invalid input), with details.
    InvalidArgument(String),
    /// The server has stopped.
    Stopped,
    /// The configuration is refused: an option is unknown, malformed, out of range, or
    /// conflicts with another (see [`ConfigError`]).
    Config(ConfigError),
    /// Binding or starting failed.
    Io(String),
}

impl Error {
    /// The stable code of this kind of error, mapped one to one by every binding: C
    /// `ROOMCAST_<code without ERR_>` status, a Python exception class, Node `Error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSuchNamespace => "ERR_NO_SUCH_NAMESPACE",
            Self::NoSuchSocket => "ERR_NO_SUCH_SOCKET",
            Self::NoSuchRequest => "ERR_NO_SUCH_REQUEST",
            Self::InvalidArgument(_) => "ERR_INVALID_ARGUMENT",
            Self::Config(_) => "ERR_INVALID_CONFIG",
            Self::Stopped => "ERR_SERVER_STOPPED",
            Self::Io(_) => "ERR_IO",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchNamespace => f.write_str("no such namespace"),
            Self::NoSuchSocket => f.write_str("no such socket"),
            Self::NoSuchRequest => f.write_str("no such connect request"),
            Self::InvalidArgument(s) => write!(f, "invalid argument: {s}"),
            Self::Stopped => f.write_str("server stopped"),
            Self::Config(e) => write!(f, "invalid config: {e}"),
            Self::Io(s) => write!(f, "i/o error: {s}"),
        }
    }
}

impl std::error::Error for Error {}
