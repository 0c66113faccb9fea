//! The resource limits and timeouts (issue 12) as options of [`super::options`]: their
//! `ConfigBuilder::set` arms and the checks [`crate::Config::validate`] runs on them.
//!
//! A limit of 0 would lock everyone out (or, for a timeout, close every connection at
//! once), so it is refused with an error naming the option; only the per-IP limits and the
//! handshake rates take 0, meaning "no limit", their default.

use std::time::Duration;

use super::options::OptionValue;
use crate::config::ConfigError;
use crate::Config;

/// Longest duration any option takes: longer ones would overflow the clock's arithmetic
/// (a deadline `now + t`), and a year is "never" for a connection.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

fn at_least_1(name: &str, n: u64) -> Result<usize, ConfigError> {
    if n == 0 {
        return Err(ConfigError::OutOfRange(name.into(), "must be at least 1"));
    }
    usize::try_from(n).map_err(|_| ConfigError::OutOfRange(name.into(), "too large"))
}

fn any_count(name: &str, n: u64) -> Result<usize, ConfigError> {
    usize::try_from(n).map_err(|_| ConfigError::OutOfRange(name.into(), "too large"))
}

fn rate(name: &str, n: u64) -> Result<u32, ConfigError> {
    u32::try_from(n).map_err(|_| ConfigError::OutOfRange(name.into(), "must be at most 4294967295"))
}

fn above_0(name: &str, t: Duration) -> Result<Duration, ConfigError> {
    if t.is_zero() {
        return Err(ConfigError::OutOfRange(name.into(), "must be above 0"));
    }
    Ok(t)
}

/// Sets limit `name` of `c`; `None` when `name` is not one of them (or the value's type
/// does not fit it: the caller then reports the type).
pub(super) fn set(
    c: &mut Config,
    name: &str,
    value: &OptionValue,
) -> Option<Result<(), ConfigError>> {
    let d = Config::default();
    let r = (|| {
        match (name, value) {
            ("max_buffered_bytes", OptionValue::Count(n)) => {
                c.max_buffered_bytes = at_least_1(name, *n)?
            }
            ("max_pending_events", OptionValue::Count(n)) => {
                c.max_pending_events = at_least_1(name, *n)?
            }
            ("max_pending_bytes", OptionValue::Count(n)) => {
                c.max_pending_bytes = at_least_1(name, *n)?
            }
            ("max_pending_events_total", OptionValue::Count(n)) => {
                c.max_pending_events_total = at_least_1(name, *n)?
            }
            ("max_pending_bytes_total", OptionValue::Count(n)) => {
                c.max_pending_bytes_total = at_least_1(name, *n)?
            }
            ("max_connections", OptionValue::Count(n)) => c.max_connections = at_least_1(name, *n)?,
            ("max_connections_per_ip", OptionValue::Count(n)) => {
                c.max_connections_per_ip = any_count(name, *n)?
            }
            ("handshakes_per_sec", OptionValue::Count(n)) => c.handshakes_per_sec = rate(name, *n)?,
            ("handshakes_per_sec_per_ip", OptionValue::Count(n)) => {
                c.handshakes_per_sec_per_ip = rate(name, *n)?
            }
            ("max_name_length", OptionValue::Count(n)) => c.max_name_length = at_least_1(name, *n)?,
            ("max_rooms_per_socket", OptionValue::Count(n)) => {
                c.max_rooms_per_socket = at_least_1(name, *n)?
            }
            ("write_timeout", OptionValue::Duration(t)) => c.write_timeout = above_0(name, *t)?,
            ("header_timeout", OptionValue::Duration(t)) => c.header_timeout = above_0(name, *t)?,
            ("body_timeout", OptionValue::Duration(t)) => c.body_timeout = above_0(name, *t)?,
            ("cleanup_empty_child_namespaces", OptionValue::Bool(b)) => {
                c.cleanup_empty_child_namespaces = *b
            }
            ("max_buffered_bytes", OptionValue::Unset) => {
                c.max_buffered_bytes = d.max_buffered_bytes
            }
            ("max_pending_events", OptionValue::Unset) => {
                c.max_pending_events = d.max_pending_events
            }
            ("max_pending_bytes", OptionValue::Unset) => c.max_pending_bytes = d.max_pending_bytes,
            ("max_pending_events_total", OptionValue::Unset) => {
                c.max_pending_events_total = d.max_pending_events_total
            }
            ("max_pending_bytes_total", OptionValue::Unset) => {
                c.max_pending_bytes_total = d.max_pending_bytes_total
            }
            ("max_connections", OptionValue::Unset) => c.max_connections = d.max_connections,
            ("max_connections_per_ip", OptionValue::Unset) => {
                c.max_connections_per_ip = d.max_connections_per_ip
            }
            ("handshakes_per_sec", OptionValue::Unset) => {
                c.handshakes_per_sec = d.handshakes_per_sec
            }
            ("handshakes_per_sec_per_ip", OptionValue::Unset) => {
                c.handshakes_per_sec_per_ip = d.handshakes_per_sec_per_ip
            }
            ("max_name_length", OptionValue::Unset) => c.max_name_length = d.max_name_length,
            ("max_rooms_per_socket", OptionValue::Unset) => {
                c.max_rooms_per_socket = d.max_rooms_per_socket
            }
            ("write_timeout", OptionValue::Unset) => c.write_timeout = d.write_timeout,
            ("header_timeout", OptionValue::Unset) => c.header_timeout = d.header_timeout,
            ("body_timeout", OptionValue::Unset) => c.body_timeout = d.body_timeout,
            ("cleanup_empty_child_namespaces", OptionValue::Unset) => {
                c.cleanup_empty_child_namespaces = d.cleanup_empty_child_namespaces
            }
            _ => return Ok(false),
        }
        Ok(true)
    })();
    match r {
        Ok(false) => None,
        Ok(true) => Some(Ok(())),
        Err(e) => Some(Err(e)),
    }
}

/// The limits' part of [`Config::validate`], for Rust hosts that fill [`Config`] directly.
pub(crate) fn validate(c: &Config) -> Result<(), ConfigError> {
    let counts = [
        ("max_buffered_bytes", c.max_buffered_bytes),
        ("max_pending_events", c.max_pending_events),
        ("max_pending_bytes", c.max_pending_bytes),
        ("max_pending_events_total", c.max_pending_events_total),
        ("max_pending_bytes_total", c.max_pending_bytes_total),
        ("max_connections", c.max_connections),
        ("max_name_length", c.max_name_length),
        ("max_rooms_per_socket", c.max_rooms_per_socket),
    ];
    for (name, n) in counts {
        at_least_1(name, n as u64)?;
    }
    let durations = [
        ("write_timeout", c.write_timeout),
        ("header_timeout", c.header_timeout),
        ("body_timeout", c.body_timeout),
    ];
    for (name, t) in durations {
        above_0(name, t)?;
    }
    let bounded = [
        ("ping_interval", c.ping_interval),
        ("ping_timeout", c.ping_timeout),
        ("connect_timeout", c.connect_timeout),
    ];
    for (name, t) in durations.into_iter().chain(bounded) {
        if t > MAX_DURATION {
            return Err(ConfigError::OutOfRange(
                name.into(),
                "must be at most 1 year",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::options::{ConfigBuilder, OPTIONS};
    use super::*;
    use crate::config::OptionKind;

    /// Every limit and timeout is in the table, is applied to the `Config`, and a 0 where
    /// it makes no sense is refused with an error naming it.
    #[test]
    fn limits_are_options_applied_and_checked_by_name() {
        let mut b = ConfigBuilder::new();
        let set = |b: &mut ConfigBuilder, n: &str, v| b.set(n, v).map(drop);
        set(&mut b, "max_connections", OptionValue::Count(7)).unwrap();
        set(&mut b, "handshakes_per_sec_per_ip", OptionValue::Count(3)).unwrap();
        set(
            &mut b,
            "write_timeout",
            OptionValue::Duration(Duration::from_millis(1500)),
        )
        .unwrap();
        set(
            &mut b,
            "cleanup_empty_child_namespaces",
            OptionValue::Bool(true),
        )
        .unwrap();
        set(&mut b, "max_connections_per_ip", OptionValue::Count(0)).unwrap();
        let (c, _) = b.build().unwrap();
        assert_eq!(c.max_connections, 7);
        assert_eq!(c.handshakes_per_sec_per_ip, 3);
        assert_eq!(c.write_timeout, Duration::from_millis(1500));
        assert!(c.cleanup_empty_child_namespaces);
        assert_eq!(c.max_connections_per_ip, 0);
        let zero_ok = [
            "max_connections_per_ip",
            "handshakes_per_sec",
            "handshakes_per_sec_per_ip",
        ];
        for name in [
            "max_buffered_bytes",
            "write_timeout",
            "header_timeout",
            "body_timeout",
            "max_pending_events",
            "max_pending_bytes",
            "max_pending_events_total",
            "max_pending_bytes_total",
            "max_connections",
            "max_connections_per_ip",
            "handshakes_per_sec",
            "handshakes_per_sec_per_ip",
            "max_name_length",
            "max_rooms_per_socket",
            "cleanup_empty_child_namespaces",
        ] {
            let spec = OPTIONS.iter().find(|o| o.name == name).expect(name);
            let zero = match spec.kind {
                OptionKind::Count => OptionValue::Count(0),
                OptionKind::Duration => OptionValue::Duration(Duration::ZERO),
                _ => OptionValue::Bool(false),
            };
            let r = ConfigBuilder::new().set(name, zero).map(drop);
            match r {
                Err(e) => {
                    assert!(!zero_ok.contains(&name), "{name}: {e}");
                    assert!(e.to_string().contains(name), "{e}");
                }
                Ok(()) => assert!(
                    zero_ok.contains(&name) || spec.kind == OptionKind::Bool,
                    "{name} takes 0"
                ),
            }
            let wrong = ConfigBuilder::new()
                .set(name, OptionValue::Text("x".into()))
                .map(drop);
            assert_eq!(wrong, Err(ConfigError::WrongType(name.into(), spec.kind)));
        }
        assert!(ConfigBuilder::new()
            .set("handshakes_per_sec", OptionValue::Count(1 << 33))
            .is_err());
        let forever = OptionValue::Duration(MAX_DURATION + Duration::from_secs(1));
        for name in ["ping_interval", "write_timeout", "redis_request_timeout"] {
            let e = ConfigBuilder::new().set(name, forever.clone()).unwrap_err();
            assert!(e.to_string().contains(name), "{e}");
        }
        let direct = Config {
            max_rooms_per_socket: 0,
            ..Config::default()
        };
        assert!(direct
            .validate()
            .unwrap_err()
            .to_string()
            .contains("max_rooms_per_socket"));
    }
}
