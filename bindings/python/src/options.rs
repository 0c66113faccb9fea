//! Options from Python: keyword arguments under the core's option names (see
//! [`roomcast::host::options::OPTIONS`]; durations in seconds) into the core's builder,
//! which checks them.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};
use roomcast::host::options::{
    self as opts, ConfigBuilder, ConfigError as CoreConfigError, OptionKind, OptionValue,
};
use roomcast::host::Error;
use std::path::PathBuf;
use std::time::Duration;

use crate::server::err;

/// A Python value as the option value `kind` asks for (`None` unsets it); durations are
/// seconds.
pub(crate) fn option_value(
    name: &str,
    kind: OptionKind,
    v: &Bound<'_, PyAny>,
) -> Result<OptionValue, CoreConfigError> {
    let wrong = || CoreConfigError::WrongType(name.to_owned(), kind);
    if v.is_none() {
        return Ok(OptionValue::Unset);
    }
    let is_bool = v.is_instance_of::<PyBool>();
    Ok(match kind {
        OptionKind::Bool if is_bool => OptionValue::Bool(v.extract().map_err(|_| wrong())?),
        OptionKind::Count if !is_bool => {
            let n: i128 = v.extract().map_err(|_| wrong())?;
            OptionValue::Count(u64::try_from(n).map_err(|_| {
                CoreConfigError::OutOfRange(name.to_owned(), "must be a non-negative integer")
            })?)
        }
        OptionKind::Duration if !is_bool => {
            let s: f64 = v.extract().map_err(|_| wrong())?;
            OptionValue::Duration(Duration::try_from_secs_f64(s).map_err(|_| {
                CoreConfigError::OutOfRange(
                    name.to_owned(),
                    "must be a non-negative number of seconds",
                )
            })?)
        }
        OptionKind::Text | OptionKind::Texts if v.is_instance_of::<PyString>() => {
            OptionValue::Text(v.extract().map_err(|_| wrong())?)
        }
        OptionKind::Text => {
            // Paths may come as os.PathLike.
            let p: PathBuf = v.extract().map_err(|_| wrong())?;
            OptionValue::Text(p.to_str().ok_or_else(wrong)?.to_owned())
        }
        OptionKind::Texts => OptionValue::Texts(v.extract().map_err(|_| wrong())?),
        _ => return Err(wrong()),
    })
}

/// The core's builder with `options` (the core's option names, durations in seconds) set.
pub(crate) fn builder(options: Option<&Bound<'_, PyDict>>) -> PyResult<ConfigBuilder> {
    let mut b = ConfigBuilder::new();
    for (key, value) in options.into_iter().flatten() {
        let name: String = key.extract()?;
        let spec = opts::option(&name)
            .ok_or_else(|| err(Error::Config(CoreConfigError::UnknownOption(name.clone()))))?;
        let v = option_value(&name, spec.kind, &value).map_err(|e| err(Error::Config(e)))?;
        b.set(&name, v).map_err(|e| err(Error::Config(e)))?;
    }
    Ok(b)
}

/// Every core option as `(name, kind, doc)`; kind is "bool", "count", "duration" (seconds),
/// "text" or "texts".
#[pyfunction(name = "options")]
pub fn option_table() -> Vec<(&'static str, &'static str, &'static str)> {
    opts::OPTIONS
        .iter()
        .map(|o| (o.name, o.kind.as_str(), o.doc))
        .collect()
}

/// Checks `options` as `NativeServer` would (each value, then the combinations) without
/// starting anything; raises `ConfigError` naming what is wrong.
#[pyfunction]
#[pyo3(signature = (**options))]
pub fn check_options(options: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    builder(options)?
        .build()
        .map(drop)
        .map_err(|e| err(Error::Config(e)))
}

/// The bcrypt hash of `password` (for `instrument(auth={"username", "password"})` with a
/// plain password); a bcrypt hash is returned as it is.
#[pyfunction]
pub fn password_hash(py: Python<'_>, password: &str) -> PyResult<String> {
    if roomcast::host::is_password_hash(password) {
        return Ok(password.to_owned());
    }
    py.detach(|| roomcast::host::admin_password_hash(password))
        .map_err(err)
}
