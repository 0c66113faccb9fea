//! Every option of core's table ([`roomcast::host::options::OPTIONS`]) as a flag and an
//! environment variable, generated from the table: option `max_payload` is
//! `--max-payload` and `ROOMCAST_MAX_PAYLOAD`. Values are typed by the option's kind
//! (booleans `true`/`false`/`1`/`0`/`yes`/`no`, bare booleans mean true; durations with a
//! unit, `500ms`, `25s`, `2m`, `1h`; lists comma-separated); core checks ranges and
//! combinations, and every refusal names the option.

use clap::builder::{BoolishValueParser, ValueParser};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches};
use roomcast::config::OptionKind;
use roomcast::host::options::{OptionSpec, OptionValue, OPTIONS};
use roomcast::host::{ConfigBuilder, ConfigError};
use std::time::Duration;

/// The flag of option `name`: `max_payload` → `max-payload`.
pub fn flag_name(name: &str) -> String {
    name.replace('_', "-")
}

/// The environment variable of option `name`: `max_payload` → `ROOMCAST_MAX_PAYLOAD`.
pub fn env_name(name: &str) -> String {
    format!("ROOMCAST_{}", name.to_ascii_uppercase())
}

/// A duration with its unit: `250ms`, `25s`, `1.5s`, `2m`, `1h`; `0` alone is zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{t:?} needs a unit: ms, s, m or h (e.g. 25s)"))?;
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{t:?} is not a duration (e.g. 500ms, 25s)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{t:?}: unknown unit {unit:?} (ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{t:?} is out of range"))
}

/// The clap argument of one option.
fn arg(spec: &OptionSpec) -> Arg {
    let a = Arg::new(spec.name)
        .long(flag_name(spec.name))
        .env(env_name(spec.name))
        .help(spec.doc)
        .help_heading("Server options (core's option table)");
    let a = match spec.kind {
        OptionKind::Bool => a
            .value_name("BOOL")
            .num_args(0..=1)
            .default_missing_value("true")
            .value_parser(BoolishValueParser::new()),
        OptionKind::Count => a.value_name("N").value_parser(clap::value_parser!(u64)),
        OptionKind::Duration => a
            .value_name("DURATION")
            .value_parser(ValueParser::new(parse_duration)),
        OptionKind::Text => a.value_name("TEXT"),
        OptionKind::Texts => a
            .value_name("LIST")
            .value_delimiter(',')
            .action(ArgAction::Append),
    };
    // `--static DIR` is what people type for a static folder.
    if spec.name == "static_dir" {
        a.visible_alias("static")
    } else {
        a
    }
}

/// One argument per option of the table.
pub fn args() -> Vec<Arg> {
    OPTIONS.iter().map(arg).collect()
}

/// Sets every option given on the command line or in the environment; the rest keep
/// core's defaults.
pub fn apply(matches: &ArgMatches, b: &mut ConfigBuilder) -> Result<(), ConfigError> {
    for spec in OPTIONS {
        if !matches!(
            matches.value_source(spec.name),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        let value = match spec.kind {
            OptionKind::Bool => {
                OptionValue::Bool(*matches.get_one::<bool>(spec.name).unwrap_or(&true))
            }
            OptionKind::Count => {
                OptionValue::Count(*matches.get_one::<u64>(spec.name).unwrap_or(&0))
            }
            OptionKind::Duration => OptionValue::Duration(
                *matches
                    .get_one::<Duration>(spec.name)
                    .unwrap_or(&Duration::ZERO),
            ),
            OptionKind::Text => OptionValue::Text(
                matches
                    .get_one::<String>(spec.name)
                    .cloned()
                    .unwrap_or_default(),
            ),
            OptionKind::Texts => OptionValue::Texts(
                matches
                    .get_many::<String>(spec.name)
                    .map(|v| v.filter(|s| !s.is_empty()).cloned().collect())
                    .unwrap_or_default(),
            ),
        };
        b.set(spec.name, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("25").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn every_option_has_a_flag_and_an_env_var() {
        let cmd = crate::command();
        for spec in OPTIONS {
            let a = cmd
                .get_arguments()
                .find(|a| a.get_id() == spec.name)
                .unwrap_or_else(|| panic!("no flag for {}", spec.name));
            assert_eq!(a.get_long(), Some(flag_name(spec.name).as_str()));
            assert_eq!(
                a.get_env().and_then(|e| e.to_str()),
                Some(env_name(spec.name).as_str())
            );
        }
    }
}
