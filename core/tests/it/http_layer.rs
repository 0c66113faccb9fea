//! The HTTP layer around the Engine.IO endpoint, seen over real TCP connections: the cors
//! package's header options (methods, allowed and exposed headers, max age).

use crate::common::config;
use roomcast::host::Server;
use roomcast::{AllowedOrigins, Cors, CorsHeaders};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// One HTTP/1.1 answer: status, headers (names lower-case, in order) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    /// Every value of header `name`, joined with ", " as a fetch client sees them.
    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// Sends `method target` with `headers` (each "Name: value") on a fresh connection.
fn request(addr: SocketAddr, method: &str, target: &str, headers: &[&str]) -> Answer {
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

fn server_with(headers: CorsHeaders) -> Server {
    let mut c = config();
    c.cors = Some(Cors {
        origins: AllowedOrigins::List(vec!["http://app.example".into()]),
        credentials: false,
        headers,
    });
    Server::start(c).unwrap().0
}

#[test]
fn cors_header_options_go_on_preflights_and_answers_as_the_cors_package_sends_them() {
    let server = server_with(CorsHeaders {
        methods: Some("GET,POST".into()),
        allowed: Some("x-token,content-type".into()),
        exposed: Some("x-request-id".into()),
        max_age: Some(600),
    });
    let addr = server.local_addr();
    let preflight = request(
        addr,
        "OPTIONS",
        HANDSHAKE,
        &[
            "Origin: http://app.example",
            "Access-Control-Request-Method: POST",
            "Access-Control-Request-Headers: x-other",
        ],
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin").as_deref(),
        Some("http://app.example")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods").as_deref(),
        Some("GET,POST")
    );
    // The configured list, not the one asked for.
    assert_eq!(
        preflight.header("access-control-allow-headers").as_deref(),
        Some("x-token,content-type")
    );
    assert_eq!(
        preflight.header("access-control-max-age").as_deref(),
        Some("600")
    );
    assert_eq!(
        preflight.header("access-control-expose-headers").as_deref(),
        Some("x-request-id")
    );
    assert_eq!(preflight.header("vary").as_deref(), Some("Origin"));

    let answer = request(addr, "GET", HANDSHAKE, &["Origin: http://app.example"]);
    assert_eq!(answer.status, 200);
    assert!(answer.body.starts_with(b"0{\"sid\":"));
    assert_eq!(
        answer.header("access-control-expose-headers").as_deref(),
        Some("x-request-id")
    );
    assert_eq!(answer.header("access-control-max-age"), None);
    assert_eq!(answer.header("access-control-allow-headers"), None);
    // Errors carry them too (engine.io's cors middleware runs before its checks).
    let error = request(addr, "GET", "/socket.io/?EIO=3&transport=polling", &[]);
    assert_eq!(error.status, 400);
    assert_eq!(
        error.header("access-control-expose-headers").as_deref(),
        Some("x-request-id")
    );
}

#[test]
fn by_default_a_preflight_reflects_the_requested_headers_and_sends_no_max_age() {
    let server = server_with(CorsHeaders::default());
    let addr = server.local_addr();
    let preflight = request(
        addr,
        "OPTIONS",
        HANDSHAKE,
        &[
            "Origin: http://app.example",
            "Access-Control-Request-Method: POST",
            "Access-Control-Request-Headers: x-token,x-trace",
        ],
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-headers").as_deref(),
        Some("x-token,x-trace")
    );
    assert_eq!(
        preflight.header("vary").as_deref(),
        Some("Access-Control-Request-Headers, Origin")
    );
    assert_eq!(preflight.header("access-control-max-age"), None);
    assert_eq!(preflight.header("access-control-expose-headers"), None);
    assert_eq!(
        preflight.header("access-control-allow-methods").as_deref(),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE")
    );

    // An empty list sends no Allow-Headers at all (the cors package's `allowedHeaders: []`),
    // and max age 0 is sent as 0.
    let server = server_with(CorsHeaders {
        allowed: Some(String::new()),
        max_age: Some(0),
        ..CorsHeaders::default()
    });
    let preflight = request(
        server.local_addr(),
        "OPTIONS",
        HANDSHAKE,
        &[
            "Origin: http://app.example",
            "Access-Control-Request-Method: POST",
            "Access-Control-Request-Headers: x-token",
        ],
    );
    assert_eq!(preflight.header("access-control-allow-headers"), None);
    assert_eq!(
        preflight.header("access-control-max-age").as_deref(),
        Some("0")
    );
}

#[test]
fn the_engine_answers_every_url_below_its_path_and_nothing_beside_it() {
    let static_dir = tempdir("static");
    std::fs::write(static_dir.join("socket.io.js"), "/* a page's own file */").unwrap();
    let mut c = config();
    c.static_dir = Some(static_dir.clone());
    c.metrics_path = Some("/socket.io/metrics".into());
    let (server, _events) = Server::start(c).unwrap();
    let addr = server.local_addr();
    // socket.io's handshake.ts uses a URL below the path.
    for target in [
        "/socket.io/default/?EIO=4&transport=polling",
        "/socket.io/?EIO=4&transport=polling",
        "/socket.io?EIO=4&transport=polling",
    ] {
        let a = request(addr, "GET", target, &[]);
        assert_eq!(a.status, 200, "{target}");
        assert!(a.body.starts_with(b"0{\"sid\":"), "{target}");
    }
    // Below the path, anything else is the engine's to refuse (400), not a 404.
    let a = request(addr, "GET", "/socket.io/anything", &[]);
    assert_eq!(a.status, 400);
    assert_eq!(a.body, br#"{"code":0,"message":"Transport unknown"}"#);
    // An endpoint mounted below the engine path keeps its own path.
    let metrics = request(addr, "GET", "/socket.io/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(String::from_utf8_lossy(&metrics.body).contains("# TYPE"));
    // Paths that only start with the same letters are not the engine's.
    let file = request(addr, "GET", "/socket.io.js", &[]);
    assert_eq!(file.status, 200);
    assert_eq!(file.body, b"/* a page's own file */");
    assert_eq!(
        request(addr, "GET", "/socket.iox/?EIO=4&transport=polling", &[]).status,
        404
    );
    assert_eq!(
        request(addr, "GET", "/abcdefghij/socket.io.js", &[]).status,
        404
    );
    std::fs::remove_dir_all(static_dir).unwrap();
}

/// A fresh directory under the system's temp dir.
fn tempdir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "roomcast-http-layer-{what}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A client bundle directory: socket.io.js and its map (big enough to compress), no
/// msgpack bundle.
fn bundle_dir() -> std::path::PathBuf {
    let dir = tempdir("bundle");
    let js = "/* engine.io and socket.io */\n".repeat(400);
    std::fs::write(dir.join("socket.io.js"), &js).unwrap();
    std::fs::write(dir.join("socket.io.js.map"), r#"{"sources":["engine.io"]}"#).unwrap();
    std::fs::write(dir.join("socket.io.esm.js"), "not one of socket.io's files").unwrap();
    dir
}

const ETAG: &str = concat!("\"", env!("CARGO_PKG_VERSION"), "\"");

#[test]
fn the_client_bundle_is_served_as_socket_io_serves_it() {
    let dir = bundle_dir();
    let js = std::fs::read(dir.join("socket.io.js")).unwrap();
    let mut c = config();
    c.client_dist_dir = Some(dir.clone());
    c.cors = Some(Cors {
        origins: AllowedOrigins::List(vec!["https://good-origin.com".into()]),
        credentials: false,
        headers: CorsHeaders::default(),
    });
    let (server, _events) = Server::start(c).unwrap();
    let addr = server.local_addr();

    for target in [
        "/socket.io/socket.io.js",
        "/socket.io/socket.io.js?buster=17",
    ] {
        let a = request(addr, "GET", target, &["Origin: https://good-origin.com"]);
        assert_eq!(a.status, 200, "{target}");
        assert_eq!(
            a.header("content-type").as_deref(),
            Some("application/javascript; charset=utf-8")
        );
        assert_eq!(a.header("etag").as_deref(), Some(ETAG));
        assert_eq!(
            a.header("cache-control").as_deref(),
            Some("public, max-age=0")
        );
        assert_eq!(a.header("content-encoding"), None);
        assert_eq!(
            a.header("access-control-allow-origin").as_deref(),
            Some("https://good-origin.com")
        );
        assert_eq!(a.body, js);
    }
    let map = request(addr, "GET", "/socket.io/socket.io.js.map", &[]);
    assert_eq!(map.status, 200);
    assert_eq!(
        map.header("content-type").as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(map.header("etag").as_deref(), Some(ETAG));
    assert_eq!(map.body, br#"{"sources":["engine.io"]}"#);

    // gzip first when the request lists it first; br when it is the only one; deflate.
    let gz = request(
        addr,
        "GET",
        "/socket.io/socket.io.js",
        &["Accept-Encoding: gzip,br,deflate"],
    );
    assert_eq!(gz.header("content-encoding").as_deref(), Some("gzip"));
    assert!(gz.body.len() < js.len() / 4);
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, js);
    let br = request(
        addr,
        "GET",
        "/socket.io/socket.io.js",
        &["Accept-Encoding: br"],
    );
    assert_eq!(br.status, 200);
    assert_eq!(br.header("content-encoding").as_deref(), Some("br"));
    let mut plain = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, js);
    let zl = request(
        addr,
        "GET",
        "/socket.io/socket.io.js",
        &["Accept-Encoding: deflate"],
    );
    assert_eq!(zl.header("content-encoding").as_deref(), Some("deflate"));
    let mut plain = Vec::new();
    flate2::read::ZlibDecoder::new(&zl.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, js);
    // The second answer is the same bytes (made once, kept).
    let again = request(
        addr,
        "GET",
        "/socket.io/socket.io.js",
        &["Accept-Encoding: br"],
    );
    assert_eq!(again.body, br.body);

    // 304 to the ETag, strong or weak; another one gets the file.
    for tag in [ETAG.to_owned(), format!("W/{ETAG}")] {
        let a = request(
            addr,
            "GET",
            "/socket.io/socket.io.js",
            &[&format!("If-None-Match: {tag}")],
        );
        assert_eq!(a.status, 304, "{tag}");
        assert!(a.body.is_empty());
    }
    let stale = request(
        addr,
        "GET",
        "/socket.io/socket.io.js",
        &["If-None-Match: \"0.0.0-old\""],
    );
    assert_eq!(stale.status, 200);

    // Names that are not socket.io's files, and its files missing here, are the
    // engine's: 400, as socket.io answers them.
    for target in [
        "/socket.io/socket.io.esm.js",
        "/socket.io/socket.io.msgpack.min.js",
    ] {
        let a = request(addr, "GET", target, &[]);
        assert_eq!(a.status, 400, "{target}");
        assert_eq!(a.body, br#"{"code":0,"message":"Transport unknown"}"#);
    }
    // The Engine.IO path still works beside the files.
    let hs = request(addr, "GET", HANDSHAKE, &[]);
    assert!(hs.body.starts_with(b"0{\"sid\":"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_a_client_bundle_its_names_are_the_engines() {
    let server = Server::start(config()).unwrap().0;
    let a = request(server.local_addr(), "GET", "/socket.io/socket.io.js", &[]);
    assert_eq!(a.status, 400);
}
