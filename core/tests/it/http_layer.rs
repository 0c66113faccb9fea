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
