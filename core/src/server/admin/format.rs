//! The dashboard's JSON as the reference `instrument()` writes it: sockets (with their
//! handshake), dates as JavaScript's `Date.toJSON()`, query strings as objects.

use serde_json::{json, Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::engine::SessionRef;
use crate::server::civil::civil_from_days;
use crate::server::{Client, Namespace, Socket};

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `ms` since the epoch as JavaScript's `Date.toJSON()` writes it
/// (`2026-12-02T03:59:59.123Z`).
fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

pub(super) fn now() -> Value {
    Value::String(iso8601(now_ms()))
}

/// The query string as an object (`{"EIO":"4","transport":"polling",..}`).
fn query_object(query: &str) -> Value {
    let mut m = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        m.insert(decode(k), Value::String(decode(v)));
    }
    Value::Object(m)
}

/// Percent-decoding (`+` is a space), lossy on invalid UTF-8.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).and_then(|c| (*c as char).to_digit(16));
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A socket as the dashboard lists it (the reference's `serialize`).
pub(super) fn serialize(ns: &Namespace, socket: &Socket) -> Value {
    let session = socket.session();
    let hs = &session.data.handshake;
    let address = hs
        .header("cf-connecting-ip")
        .or_else(|| hs.header("x-forwarded-for"))
        .unwrap_or(&hs.address);
    let headers: Map<String, Value> = hs
        .joined_headers()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let data = socket
        .data
        .lock()
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let mut rooms: Vec<String> = ns
        .adapter()
        .socket_rooms(socket.sid)
        .iter()
        .map(|r| r.to_string())
        .collect();
    rooms.sort();
    let client_id: String = session.sid.as_str().chars().take(12).collect();
    json!({
        "id": socket.sid.as_str(),
        "clientId": client_id,
        "transport": transport_name(session),
        "nsp": &*ns.name,
        "data": data,
        "handshake": {
            "address": address,
            "headers": headers,
            "query": query_object(&hs.query),
            "issued": hs.issued,
            "secure": hs.header("x-forwarded-proto") == Some("https"),
            "time": iso8601(hs.issued),
            "url": hs.url,
            "xdomain": hs.header("origin").is_some(),
        },
        "rooms": rooms,
    })
}

fn transport_name(session: &SessionRef<Client>) -> &'static str {
    match session.transport() {
        crate::engine::TransportKind::Polling => "polling",
        crate::engine::TransportKind::WebSocket => "websocket",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_javascript_does() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_796_183_999_999), "2026-12-02T03:59:59.999Z");
    }

    #[test]
    fn queries_are_decoded() {
        let q = query_object("EIO=4&transport=polling&t=a%20b+c&x");
        assert_eq!(q["EIO"], "4");
        assert_eq!(q["t"], "a b c");
        assert_eq!(q["x"], "");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%e2%82%ac"), "€");
    }
}
