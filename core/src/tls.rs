//! TLS termination with rustls (no OpenSSL): the certificate chain and key come as PEM,
//! from files or bytes, and can be swapped while the server runs (see
//! [`crate::host::Server::reload_tls`]). Only the accept path reads the current settings,
//! once per connection; messages never touch this module.

use parking_lot::RwLock;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_rustls::rustls;

use crate::config::ConfigError;

/// Where a PEM document comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Pem {
    /// Read from this file (at start and at each reload).
    Path(PathBuf),
    /// These bytes, as given.
    Bytes(Vec<u8>),
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Path(p) => write!(f, "Path({p:?})"),
            // Never print key material.
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

impl Pem {
    /// How every host passes a PEM as one string: PEM text when it starts with
    /// `-----BEGIN` (after whitespace), otherwise a file path.
    pub fn from_arg(s: &str) -> Self {
        if s.trim_start().starts_with("-----BEGIN") {
            Self::Bytes(s.as_bytes().to_vec())
        } else {
            Self::Path(s.into())
        }
    }

    fn load(&self, what: &str) -> Result<Vec<u8>, String> {
        match self {
            Self::Path(p) => std::fs::read(p).map_err(|e| format!("{what} {}: {e}", p.display())),
            Self::Bytes(b) => Ok(b.clone()),
        }
    }
}

/// A certificate chain (leaf first) and its private key, both PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate chain, leaf first (`fullchain.pem`).
    pub cert: Pem,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Pem,
}

impl TlsConfig {
    /// Both from files.
    pub fn from_paths(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self {
            cert: Pem::Path(cert.into()),
            key: Pem::Path(key.into()),
        }
    }

    /// Both from PEM bytes.
    pub fn from_pem(cert: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        Self {
            cert: Pem::Bytes(cert.into()),
            key: Pem::Bytes(key.into()),
        }
    }

    /// Loads and checks the chain and key into a rustls server config (HTTP/1.1 only, as
    /// the listener speaks it). Errors name the part that is wrong.
    pub(crate) fn build(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        let cert_pem = self.cert.load("tls cert")?;
        let key_pem = self.key.load("tls key")?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("tls cert: {e}"))?;
        if chain.is_empty() {
            return Err("tls cert: no CERTIFICATE in the PEM".into());
        }
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| format!("tls key: {e}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("tls: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("tls cert/key: {e}"))?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// The live TLS settings of a listener; [`Acceptor::reload`] swaps them for new
/// connections (open ones keep their session).
pub(crate) struct Acceptor {
    current: RwLock<Arc<rustls::ServerConfig>>,
}

impl Acceptor {
    pub(crate) fn new(cfg: &TlsConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            current: RwLock::new(cfg.build().map_err(ConfigError::Tls)?),
        })
    }

    /// Builds the new settings first, so a bad certificate leaves the old one serving.
    pub(crate) fn reload(&self, cfg: &TlsConfig) -> Result<(), ConfigError> {
        let built = cfg.build().map_err(ConfigError::Tls)?;
        *self.current.write() = built;
        Ok(())
    }

    /// The acceptor for one new connection (the lock is held for an `Arc` clone only).
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.current.read().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_argument_is_text_or_a_path() {
        assert_eq!(
            Pem::from_arg("/etc/ssl/fullchain.pem"),
            Pem::Path("/etc/ssl/fullchain.pem".into())
        );
        let text = "\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(Pem::from_arg(text), Pem::Bytes(text.as_bytes().to_vec()));
    }

    #[test]
    fn bad_pem_is_an_error_naming_the_part() {
        let e = TlsConfig::from_pem("nothing here", "nor here")
            .build()
            .unwrap_err();
        assert!(e.starts_with("tls cert"), "{e}");
        let e = TlsConfig::from_paths("/nonexistent/cert.pem", "/nonexistent/key.pem")
            .build()
            .unwrap_err();
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
        // Key material never appears in Debug output.
        let dbg = format!("{:?}", TlsConfig::from_pem("c", "secret key"));
        assert!(!dbg.contains("secret"), "{dbg}");
    }

    #[test]
    fn start_refuses_a_bad_certificate_and_reload_needs_tls() {
        let cfg = crate::Config {
            bind: ([127, 0, 0, 1], 0).into(),
            tls: Some(TlsConfig::from_pem("-----BEGIN CERTIFICATE-----\n", "x")),
            ..crate::Config::default()
        };
        match crate::host::Server::start(cfg) {
            Err(crate::host::Error::Config(ConfigError::Tls(m))) => {
                assert!(m.starts_with("tls"), "{m}")
            }
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("a bad certificate must not start"),
        }
        let plain = crate::Config {
            bind: ([127, 0, 0, 1], 0).into(),
            ..crate::Config::default()
        };
        let (server, _events) = crate::host::Server::start(plain).unwrap();
        assert!(!server.is_tls());
        let err = server
            .reload_tls(&TlsConfig::from_pem("a", "b"))
            .unwrap_err();
        assert!(err.to_string().contains("without tls"), "{err}");
        server.stop(std::time::Duration::from_secs(1));
    }
}
