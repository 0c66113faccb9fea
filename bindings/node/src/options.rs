//! Options from JavaScript: one object of core option names in camelCase (see
//! [`roomcast::host::options::OPTIONS`]; durations in milliseconds) into the core's
//! builder, which checks them; errors are thrown with the core's code.

use napi::{Env, Error, JsObject, JsUnknown, Result, ValueType};
use napi_derive::napi;
use roomcast::host::options::{self, ConfigBuilder, ConfigError, OptionKind, OptionValue};

use crate::server::{err, ms, throw};

fn config_err(env: &Env, e: ConfigError) -> Error {
    err(env, roomcast::host::Error::Config(e))
}

/// `pingInterval` → `ping_interval`.
fn snake(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

/// A JavaScript value as the option value `kind` asks for (`null`/`undefined` unset it).
fn option_value(name: &str, kind: OptionKind, v: JsUnknown) -> Result<Option<OptionValue>> {
    let wrong = || ConfigError::WrongType(name.to_owned(), kind);
    let t = v.get_type()?;
    if matches!(t, ValueType::Null | ValueType::Undefined) {
        return Ok(Some(OptionValue::Unset));
    }
    let value = match (kind, t) {
        (OptionKind::Bool, ValueType::Boolean) => {
            OptionValue::Bool(v.coerce_to_bool()?.get_value()?)
        }
        (OptionKind::Count | OptionKind::Duration, ValueType::Number) => {
            let n = v.coerce_to_number()?.get_double()?;
            if !(n >= 0.0 && n.is_finite()) || (kind == OptionKind::Count && n.fract() != 0.0) {
                return Err(Error::from_reason(
                    ConfigError::OutOfRange(name.to_owned(), "must be a non-negative number")
                        .to_string(),
                ));
            }
            match kind {
                OptionKind::Count => OptionValue::Count(n as u64),
                _ => OptionValue::Duration(ms(n)),
            }
        }
        (OptionKind::Text | OptionKind::Texts, ValueType::String) => {
            OptionValue::Text(v.coerce_to_string()?.into_utf8()?.into_owned()?)
        }
        (OptionKind::Texts, ValueType::Object) => {
            let obj: JsObject = v.coerce_to_object()?;
            if !obj.is_array()? {
                return Err(Error::from_reason(wrong().to_string()));
            }
            let mut list = Vec::new();
            for i in 0..obj.get_array_length()? {
                let item: JsUnknown = obj.get_element(i)?;
                if item.get_type()? != ValueType::String {
                    return Err(Error::from_reason(wrong().to_string()));
                }
                list.push(item.coerce_to_string()?.into_utf8()?.into_owned()?);
            }
            OptionValue::Texts(list)
        }
        _ => return Err(Error::from_reason(wrong().to_string())),
    };
    Ok(Some(value))
}

/// The builder for an options object; errors are thrown with their core code.
pub(crate) fn builder(env: &Env, options: &JsObject) -> Result<ConfigBuilder> {
    let mut b = ConfigBuilder::new();
    let names = options.get_property_names()?;
    for i in 0..names.get_array_length()? {
        let key: String = names
            .get_element::<JsUnknown>(i)?
            .coerce_to_string()?
            .into_utf8()?
            .into_owned()?;
        if key == "plainRoutes" {
            routes(env, &mut b, options.get_named_property(&key)?)?;
            continue;
        }
        let name = snake(&key);
        let Some(spec) = options::option(&name) else {
            return Err(config_err(env, ConfigError::UnknownOption(key)));
        };
        let value: JsUnknown = options.get_named_property(&key)?;
        let value = match option_value(&name, spec.kind, value) {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(e) => return Err(throw(env, "ERR_INVALID_CONFIG", e.reason)),
        };
        if let Err(e) = b.set(&name, value) {
            return Err(config_err(env, e));
        }
    }
    Ok(b)
}

/// `plainRoutes: [[path, { option: value }], ...]`: each plain WebSocket route and its
/// options (the core's route option names in camelCase, see
/// [`roomcast::host::routes::ROUTE_OPTIONS`]; durations in milliseconds).
fn routes(env: &Env, b: &mut ConfigBuilder, list: JsObject) -> Result<()> {
    for i in 0..list.get_array_length()? {
        let entry: JsObject = list.get_element(i)?;
        let path: String = entry
            .get_element::<JsUnknown>(0)?
            .coerce_to_string()?
            .into_utf8()?
            .into_owned()?;
        b.add_route(&path).map_err(|e| config_err(env, e))?;
        let opts: JsObject = entry.get_element(1)?;
        let names = opts.get_property_names()?;
        for j in 0..names.get_array_length()? {
            let key: String = names
                .get_element::<JsUnknown>(j)?
                .coerce_to_string()?
                .into_utf8()?
                .into_owned()?;
            let name = snake(&key);
            let Some(spec) = roomcast::host::routes::route_option(&name) else {
                return Err(config_err(env, ConfigError::UnknownOption(key)));
            };
            let value = match option_value(&name, spec.kind, opts.get_named_property(&key)?) {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(e) => return Err(throw(env, "ERR_INVALID_CONFIG", e.reason)),
            };
            b.set_route(&path, &name, value)
                .map_err(|e| config_err(env, e))?;
        }
    }
    Ok(())
}

/// One row of the core's option table, for JavaScript (`require('roomcast/lib/native')`).
#[napi(object)]
pub struct OptionInfo {
    /// The core's name (snake_case; JavaScript passes it in camelCase).
    pub name: String,
    /// "bool", "count", "duration" (milliseconds), "text" or "texts".
    pub kind: String,
    /// What it does, with its default.
    pub doc: String,
}

/// Every core option.
#[napi]
pub fn options() -> Vec<OptionInfo> {
    options::OPTIONS
        .iter()
        .map(|o| OptionInfo {
            name: o.name.to_owned(),
            kind: o.kind.as_str().to_owned(),
            doc: o.doc.to_owned(),
        })
        .collect()
}

/// Checks an options object as `NativeServer` would (each value, then the combinations)
/// without starting anything; throws an `ERR_INVALID_CONFIG` error naming what is wrong.
#[napi]
pub fn check_options(env: Env, options: JsObject) -> Result<()> {
    let b = builder(&env, &options)?;
    b.build()
        .map(drop)
        .map_err(|e| err(&env, roomcast::host::Error::Config(e)))
}
