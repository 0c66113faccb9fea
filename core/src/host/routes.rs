//! The options of plain WebSocket routes ([`PlainRoute`]): named, typed and checked once
//! here, as the server options are in [`super::options`]. Bindings pass each route's
//! options by these names (Node in camelCase, durations in milliseconds; Python in
//! seconds; C through `roomcast_config_set_route_*`).

use super::limits::MAX_DURATION;
use super::options::{ConfigBuilder, OptionSpec, OptionValue};
use crate::config::{ConfigError, OptionKind};
use crate::route::{Delivery, PlainRoute};
use crate::Config;

const fn spec(name: &'static str, kind: OptionKind, doc: &'static str) -> OptionSpec {
    OptionSpec { name, kind, doc }
}

/// Every option of a plain WebSocket route.
pub const ROUTE_OPTIONS: &[OptionSpec] = &[
    spec("namespace", OptionKind::Text, "the namespace whose rooms the route's connections share (default \"/\")"),
    spec("rooms", OptionKind::Texts, "rooms every connection is in from the start, before the host hears of it (default none; the room of its own id always)"),
    spec("delivery", OptionKind::Text, "how a Socket.IO emit reaches the route's connections: \"json_array\" (a text frame [\"event\",...args]; the default) or \"first_arg\" (the first argument alone: a string as text, a binary as binary, other values as JSON text)"),
    spec("relay_event", OptionKind::Text, "also emit each text message from a connection as this event (the text its one argument) to the rooms the connection is in, sender skipped (default none: the host relays)"),
    spec("max_message_size", OptionKind::Count, "largest message from a client in bytes; a bigger one closes with 1009 (default: max_payload)"),
    spec("ping_interval", OptionKind::Duration, "interval between WebSocket pings (default: the server's ping_interval)"),
    spec("ping_timeout", OptionKind::Duration, "close a connection that has not answered a ping within this time (default: the server's ping_timeout)"),
    spec("verify", OptionKind::Bool, "ask the host before the 101: a PlainRequest event answered with allow_request (default false)"),
];

/// The spec of route option `name`, if there is one.
pub fn route_option(name: &str) -> Option<&'static OptionSpec> {
    ROUTE_OPTIONS.iter().find(|o| o.name == name)
}

/// Events that a relay may not use (socket.io reserves them).
const RESERVED: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Sets option `name` of `route`; errors name the option.
pub fn set_route_option(
    route: &mut PlainRoute,
    name: &str,
    value: OptionValue,
) -> Result<(), ConfigError> {
    let spec = route_option(name).ok_or_else(|| ConfigError::UnknownOption(name.into()))?;
    let wrong = || ConfigError::WrongType(name.into(), spec.kind);
    if matches!(value, OptionValue::Duration(t) if t > MAX_DURATION) {
        return Err(ConfigError::OutOfRange(
            name.into(),
            "must be at most 1 year",
        ));
    }
    let defaults = PlainRoute::new(route.path.clone());
    match (name, value) {
        ("namespace", OptionValue::Text(n)) => {
            if !n.starts_with('/') {
                return Err(ConfigError::InvalidNamespace(n));
            }
            route.namespace = n;
        }
        ("namespace", OptionValue::Unset) => route.namespace = defaults.namespace,
        ("rooms", OptionValue::Text(r)) => route.rooms = vec![r],
        ("rooms", OptionValue::Texts(r)) => route.rooms = r,
        ("rooms", OptionValue::Unset) => route.rooms = Vec::new(),
        ("delivery", OptionValue::Text(d)) => {
            route.delivery = Delivery::parse(&d).ok_or_else(|| {
                ConfigError::OutOfRange(name.into(), "must be \"json_array\" or \"first_arg\"")
            })?;
        }
        ("delivery", OptionValue::Unset) => route.delivery = Delivery::default(),
        ("relay_event", OptionValue::Text(e)) => {
            if e.is_empty() || RESERVED.contains(&e.as_str()) {
                return Err(ConfigError::OutOfRange(
                    name.into(),
                    "must be a non-empty event name that socket.io does not reserve",
                ));
            }
            route.relay_event = Some(e);
        }
        ("relay_event", OptionValue::Unset) => route.relay_event = None,
        ("max_message_size", OptionValue::Count(n)) => {
            if n == 0 {
                return Err(ConfigError::OutOfRange(name.into(), "must be at least 1"));
            }
            route.max_message_size = Some(
                usize::try_from(n)
                    .map_err(|_| ConfigError::OutOfRange(name.into(), "too large"))?,
            );
        }
        ("max_message_size", OptionValue::Unset) => route.max_message_size = None,
        ("ping_interval", OptionValue::Duration(t)) => {
            if t.is_zero() {
                return Err(ConfigError::OutOfRange(name.into(), "must be above 0"));
            }
            route.ping_interval = Some(t);
        }
        ("ping_timeout", OptionValue::Duration(t)) => {
            if t.is_zero() {
                return Err(ConfigError::OutOfRange(name.into(), "must be above 0"));
            }
            route.ping_timeout = Some(t);
        }
        ("ping_interval", OptionValue::Unset) => route.ping_interval = None,
        ("ping_timeout", OptionValue::Unset) => route.ping_timeout = None,
        ("verify", OptionValue::Bool(b)) => route.verify = b,
        ("verify", OptionValue::Unset) => route.verify = false,
        _ => return Err(wrong()),
    }
    Ok(())
}

/// Checks a route path: it starts with `/` and has no `?` or `#`.
fn route_path(path: &str) -> Result<String, ConfigError> {
    if !path.starts_with('/') || path.contains(['?', '#']) || path.trim_end_matches('/').is_empty()
    {
        return Err(ConfigError::OutOfRange(
            format!("route {path}"),
            "a route path starts with '/', is not '/' itself and has no '?' or '#'",
        ));
    }
    Ok(path.to_owned())
}

/// The routes' part of [`Config::validate`]: paths well formed, distinct, apart from the
/// Engine.IO and metrics paths; namespaces accepted by a rule; options in range.
pub(crate) fn validate(c: &Config) -> Result<(), ConfigError> {
    let taken = |p: &str| p.trim_end_matches('/').to_owned();
    let mut seen = vec![taken(&c.path)];
    if let Some(m) = &c.metrics_path {
        seen.push(taken(m));
    }
    for r in &c.plain_routes {
        route_path(&r.path)?;
        let p = taken(&r.path);
        if seen.contains(&p) {
            return Err(ConfigError::OutOfRange(
                format!("route {}", r.path),
                "the path is already used (by another route, the Engine.IO path or metrics_path)",
            ));
        }
        seen.push(p);
        if !c
            .namespaces
            .iter()
            .any(|rule| rule.matcher.matches(&r.namespace))
        {
            return Err(ConfigError::OutOfRange(
                format!("route {} namespace", r.path),
                "no namespace rule accepts it (add the namespace), or it is longer than max_name_length",
            ));
        }
        if r.rooms.iter().any(|room| room.len() > c.max_name_length) {
            return Err(ConfigError::OutOfRange(
                format!("route {} rooms", r.path),
                "a room name is longer than max_name_length",
            ));
        }
        if r.rooms.len() + 1 > c.max_rooms_per_socket {
            return Err(ConfigError::OutOfRange(
                format!("route {} rooms", r.path),
                "more rooms than max_rooms_per_socket allows",
            ));
        }
        if r.max_message_size == Some(0) {
            return Err(ConfigError::OutOfRange(
                "max_message_size".into(),
                "must be at least 1",
            ));
        }
        if r.ping_interval.is_some_and(|t| t.is_zero())
            || r.ping_timeout.is_some_and(|t| t.is_zero())
        {
            return Err(ConfigError::OutOfRange(
                format!("route {} ping_interval/ping_timeout", r.path),
                "must be above 0",
            ));
        }
    }
    Ok(())
}

impl ConfigBuilder {
    /// Adds a plain WebSocket route at `path` with the defaults, or finds the one there;
    /// then set its options with [`ConfigBuilder::set_route`].
    pub fn add_route(&mut self, path: &str) -> Result<(), ConfigError> {
        let path = route_path(path)?;
        let routes = &mut self.config_mut().plain_routes;
        if !routes.iter().any(|r| r.path == path) {
            routes.push(PlainRoute::new(path));
        }
        Ok(())
    }

    /// Sets option `name` (see [`ROUTE_OPTIONS`]) of the route at `path`.
    pub fn set_route(
        &mut self,
        path: &str,
        name: &str,
        value: OptionValue,
    ) -> Result<(), ConfigError> {
        let route = self
            .config_mut()
            .plain_routes
            .iter_mut()
            .find(|r| r.path == path)
            .ok_or_else(|| {
                ConfigError::OutOfRange(format!("route {path}"), "no such route (add it first)")
            })?;
        set_route_option(route, name, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn route_options_are_set_by_name_and_refused_by_name() {
        let mut b = ConfigBuilder::new();
        b.add_route("/ws/chat").unwrap();
        b.set_route(
            "/ws/chat",
            "delivery",
            OptionValue::Text("first_arg".into()),
        )
        .unwrap();
        b.set_route("/ws/chat", "relay_event", OptionValue::Text("talk".into()))
            .unwrap();
        b.set_route(
            "/ws/chat",
            "ping_interval",
            OptionValue::Duration(Duration::from_secs(1)),
        )
        .unwrap();
        let (c, _) = b.build().unwrap();
        let r = &c.plain_routes[0];
        assert_eq!(
            (r.delivery, r.relay_event.as_deref(), r.ping_interval),
            (
                Delivery::FirstArg,
                Some("talk"),
                Some(Duration::from_secs(1))
            )
        );
        let bad = |name: &str, v: OptionValue| {
            b.clone()
                .set_route("/ws/chat", name, v)
                .unwrap_err()
                .to_string()
        };
        assert!(bad("delivery", OptionValue::Text("xml".into())).contains("\"delivery\""));
        assert!(
            bad("relay_event", OptionValue::Text("disconnect".into())).contains("\"relay_event\"")
        );
        assert!(bad("max_message_size", OptionValue::Count(0)).contains("\"max_message_size\""));
        assert!(bad("verify", OptionValue::Count(1)).contains("\"verify\""));
        assert!(bad("nope", OptionValue::Bool(true)).contains("\"nope\""));
        assert!(b
            .add_route("ws")
            .unwrap_err()
            .to_string()
            .contains("route ws"));
        let mut clash = ConfigBuilder::new();
        clash.add_route("/socket.io").unwrap();
        assert!(clash
            .build()
            .unwrap_err()
            .to_string()
            .contains("already used"));
        let mut nsp = ConfigBuilder::new();
        nsp.add_route("/ws").unwrap();
        nsp.set_route("/ws", "namespace", OptionValue::Text("/other".into()))
            .unwrap();
        assert!(nsp.build().unwrap_err().to_string().contains("namespace"));
    }
}
