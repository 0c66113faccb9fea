//! socket.io's client bundle under the Engine.IO path (`/socket.io/socket.io.min.js`, ...),
//! answered as socket.io's `serveClient` answers it: the eight files of socket.io-client's
//! `dist` by name, an `ETag` of the server's version (`304` to a matching
//! `If-None-Match`), `br`, `gzip` or `deflate` when the request accepts one (negotiated
//! as the `accepts` package does), and the engine's CORS headers (added by the endpoint).
//! Each file is read, and each encoding of it made, once: the bytes are kept.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use hyper::{Request, Response, StatusCode};
use std::io::Write;
use std::path::PathBuf;
use tokio::sync::OnceCell;

use super::Body;

/// The files socket.io serves from its client bundle (any other name under the engine
/// path is the engine's, which answers 400).
pub(crate) const CLIENT_FILES: [&str; 8] = [
    "socket.io.esm.min.js",
    "socket.io.esm.min.js.map",
    "socket.io.js",
    "socket.io.js.map",
    "socket.io.min.js",
    "socket.io.min.js.map",
    "socket.io.msgpack.min.js",
    "socket.io.msgpack.min.js.map",
];

/// The `ETag` of every file: the server's version, quoted, as socket.io sends its own.
const ETAG_VALUE: &str = concat!("\"", env!("CARGO_PKG_VERSION"), "\"");

/// A content coding of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    /// As on disk.
    Identity,
    /// Brotli.
    Br,
    /// gzip.
    Gzip,
    /// zlib (HTTP's `deflate`).
    Deflate,
}

impl Coding {
    /// The codings offered, in socket.io's order (the tie-break after the request's own).
    const OFFERED: [Coding; 3] = [Coding::Br, Coding::Gzip, Coding::Deflate];

    fn token(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Br => "br",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// The coding to answer with for an `Accept-Encoding` header, as `accepts(req)
/// .encodings(["br", "gzip", "deflate"])` picks it: the highest quality, then an exact
/// name over `*`, then the request's order, then ours; none accepted (or no header) is
/// [`Coding::Identity`].
pub(crate) fn negotiate(accept: Option<&str>) -> Coding {
    let Some(accept) = accept else {
        return Coding::Identity;
    };
    // (name, quality, position) of each entry.
    let entries: Vec<(String, f32, usize)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(pos, part)| {
            let mut bits = part.split(';');
            let name = bits.next()?.trim().to_ascii_lowercase();
            if name.is_empty() {
                return None;
            }
            let mut q = 1.0;
            for param in bits {
                if let Some((k, v)) = param.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = v.trim().parse::<f32>().unwrap_or(0.0);
                    }
                }
            }
            Some((name, q, pos))
        })
        .collect();
    // (quality, specificity, position, our index, coding) of each offered coding.
    let mut best: Option<(f32, u8, usize, usize, Coding)> = None;
    for (ours, coding) in Coding::OFFERED.into_iter().enumerate() {
        let mut priority: Option<(u8, f32, usize)> = None;
        for (name, q, pos) in &entries {
            let s = if name == coding.token() {
                1
            } else if name == "*" {
                0
            } else {
                continue;
            };
            let candidate = (s, *q, *pos);
            let better = match priority {
                None => true,
                Some(p) => (candidate.0, candidate.1, candidate.2) > (p.0, p.1, p.2),
            };
            if better {
                priority = Some(candidate);
            }
        }
        let Some((s, q, pos)) = priority else {
            continue;
        };
        if q <= 0.0 {
            continue;
        }
        let wins = match best {
            None => true,
            Some((bq, bs, bpos, bours, _)) => {
                q > bq || (q == bq && (s > bs || (s == bs && (pos, ours) < (bpos, bours))))
            }
        };
        if wins {
            best = Some((q, s, pos, ours, coding));
        }
    }
    best.map_or(Coding::Identity, |b| b.4)
}

/// Encodes `data` with `coding` (at the best ratio: it is done once per file).
fn encode(data: &[u8], coding: Coding) -> std::io::Result<Vec<u8>> {
    match coding {
        Coding::Identity => Ok(data.to_vec()),
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data)?;
            e.finish()
        }
        Coding::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data)?;
            e.finish()
        }
        Coding::Br => {
            let mut out = Vec::new();
            {
                // Quality 11 (Node's default for createBrotliCompress), 4 MiB window.
                let mut e = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
                e.write_all(data)?;
                e.flush()?;
            }
            Ok(out)
        }
    }
}

/// The client bundle of one engine: where the files are and their bytes once made.
pub(crate) struct ClientBundle {
    dir: PathBuf,
    /// The engine path with its trailing slash (`/socket.io/`).
    prefix: String,
    /// Per file of [`CLIENT_FILES`], per [`Coding`]: the bytes (`None`: the file cannot
    /// be read, so the engine answers).
    cells: Vec<[OnceCell<Option<Bytes>>; 4]>,
}

impl ClientBundle {
    /// The bundle in `dir`, served below engine path `path` (e.g. `/socket.io/`).
    pub(crate) fn new(dir: PathBuf, path: &str) -> Self {
        let mut prefix = path.trim_end_matches('/').to_owned();
        prefix.push('/');
        Self {
            dir,
            prefix,
            cells: CLIENT_FILES.iter().map(|_| Default::default()).collect(),
        }
    }

    /// The index in [`CLIENT_FILES`] of the file a request path names, if it names one.
    pub(crate) fn file_of(&self, path: &str) -> Option<usize> {
        let name = path.strip_prefix(&self.prefix)?;
        CLIENT_FILES.iter().position(|f| *f == name)
    }

    /// The bytes of file `index` with `coding`, read and encoded on first use.
    async fn bytes(&self, index: usize, coding: Coding) -> Option<Bytes> {
        let raw = self.cells[index][Coding::Identity.slot()]
            .get_or_init(|| {
                let path = self.dir.join(CLIENT_FILES[index]);
                async move {
                    tokio::task::spawn_blocking(move || std::fs::read(path).ok().map(Bytes::from))
                        .await
                        .ok()
                        .flatten()
                }
            })
            .await
            .clone()?;
        if coding == Coding::Identity {
            return Some(raw);
        }
        self.cells[index][coding.slot()]
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || encode(&raw, coding).ok().map(Bytes::from))
                    .await
                    .ok()
                    .flatten()
            })
            .await
            .clone()
    }

    /// Answers a request for file `index`; `None` when the file cannot be read.
    pub(crate) async fn serve<B>(&self, index: usize, req: &Request<B>) -> Option<Response<Body>> {
        // The file must exist before anything is promised about it.
        self.bytes(index, Coding::Identity).await?;
        let is_map = CLIENT_FILES[index].ends_with(".map");
        let content_type = if is_map {
            "application/json; charset=utf-8"
        } else {
            "application/javascript; charset=utf-8"
        };
        let resp = Response::builder()
            .header(CACHE_CONTROL, "public, max-age=0")
            .header(ETAG, ETAG_VALUE)
            .header(VARY, "Accept-Encoding");
        let cached = req
            .headers()
            .get(IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',').map(str::trim).any(|tag| {
                    tag == "*" || tag == ETAG_VALUE || tag.strip_prefix("W/") == Some(ETAG_VALUE)
                })
            });
        if cached {
            return Some(
                resp.status(StatusCode::NOT_MODIFIED)
                    .body(Full::new(Bytes::new()))
                    .expect("static response parts are valid"),
            );
        }
        let accept = req
            .headers()
            .get(ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let mut coding = negotiate(accept);
        let body = match self.bytes(index, coding).await {
            Some(b) => b,
            None => {
                // Encoding failed (it cannot for bytes in memory): send them as they are.
                coding = Coding::Identity;
                self.bytes(index, coding).await?
            }
        };
        let mut resp = resp
            .status(StatusCode::OK)
            .header(CONTENT_TYPE, content_type);
        if coding != Coding::Identity {
            resp = resp.header(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
        }
        Some(
            resp.body(Full::new(body))
                .expect("static response parts are valid"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{negotiate, Coding};

    #[test]
    fn encodings_are_negotiated_as_the_accepts_package_does() {
        assert_eq!(negotiate(None), Coding::Identity);
        assert_eq!(negotiate(Some("")), Coding::Identity);
        assert_eq!(negotiate(Some("gzip,br,deflate")), Coding::Gzip);
        assert_eq!(negotiate(Some("br")), Coding::Br);
        assert_eq!(negotiate(Some("gzip, deflate, br")), Coding::Gzip);
        assert_eq!(negotiate(Some("gzip;q=0.5, br;q=0.8")), Coding::Br);
        assert_eq!(negotiate(Some("deflate")), Coding::Deflate);
        assert_eq!(negotiate(Some("*")), Coding::Br);
        assert_eq!(negotiate(Some("*, gzip;q=0")), Coding::Br);
        assert_eq!(negotiate(Some("br;q=0, *;q=0.1")), Coding::Gzip);
        assert_eq!(negotiate(Some("identity")), Coding::Identity);
        assert_eq!(negotiate(Some("compress, zstd")), Coding::Identity);
        assert_eq!(negotiate(Some("GZIP")), Coding::Gzip);
    }
}
