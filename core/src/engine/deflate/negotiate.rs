//! The `Sec-WebSocket-Extensions` handshake of permessage-deflate (RFC 7692 section 7.1).

/// What the server answers when it accepts an offer: no context takeover either way, so
/// neither side keeps compression state between messages.
const AGREED: &str = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

/// The same, to a client that asked for `server_max_window_bits=15` (the answer must
/// carry the parameter when the offer did).
const AGREED_15: &str = "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15";

/// Picks the first permessage-deflate offer the server can accept from the request's
/// `Sec-WebSocket-Extensions` values and returns the response header's value, or `None`
/// (no extension: the connection goes uncompressed).
///
/// An offer is declined, as RFC 7692 requires, when it has an unknown parameter, one
/// twice, or a bad value. One asking for `server_max_window_bits` below 15 is declined
/// too: a broadcast is compressed once with a 32 KiB window for every recipient, so a
/// smaller one cannot be honoured per connection (the client can then offer again without
/// it, as browsers and `ws` do, or go uncompressed). `client_max_window_bits` needs no
/// answer: the inflater takes any window up to 15 bits.
pub(crate) fn negotiate<'a>(offers: impl IntoIterator<Item = &'a str>) -> Option<&'static str> {
    offers
        .into_iter()
        .flat_map(|v| v.split(','))
        .find_map(accept)
}

/// The answer to one offer (`permessage-deflate; param; param=value`), if acceptable.
fn accept(offer: &str) -> Option<&'static str> {
    let mut parts = offer.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("permessage-deflate") {
        return None;
    }
    let mut seen: [bool; 4] = [false; 4];
    let mut window_15 = false;
    for p in parts {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n.trim(), Some(unquote(v.trim())?)),
            None => (p, None),
        };
        let slot = match name {
            "server_no_context_takeover" if value.is_none() => 0,
            "client_no_context_takeover" if value.is_none() => 1,
            "server_max_window_bits" => {
                if window_bits(value?)? != 15 {
                    return None;
                }
                window_15 = true;
                2
            }
            "client_max_window_bits" => {
                if let Some(v) = value {
                    window_bits(v)?;
                }
                3
            }
            _ => return None,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return None;
        }
    }
    Some(if window_15 { AGREED_15 } else { AGREED })
}

/// A parameter value, its quotes (allowed by RFC 7692's ABNF) removed.
fn unquote(v: &str) -> Option<&str> {
    match v.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"'),
        None => Some(v),
    }
}

/// A window size: 8 to 15, decimal without a leading zero.
fn window_bits(v: &str) -> Option<u8> {
    if v.starts_with('0') || v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|b| (8..=15).contains(b))
}
