//! Logs for Node: core's records reach one JavaScript function (`setLogger`), through a
//! thread-safe function called non-blocking (a full queue drops the record; the runtime
//! threads never wait for JavaScript). The function is unreferenced, so it never keeps the
//! process alive, and the routing is removed when the environment that set it goes away.

use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsFunction, JsObject, Result};
use roomcast::host::log::{self, LogRecord};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::server::err;

/// Records waiting for the JavaScript thread beyond this are dropped.
const QUEUE: usize = 10_000;

struct Owned {
    level: &'static str,
    target: String,
    message: String,
    fields: Vec<(&'static str, String)>,
}

type Deliver = ThreadsafeFunction<Owned, ErrorStrategy::Fatal>;

/// Which `setLogger` call installed the current function (its environment's cleanup hook
/// removes the routing only if it is still that one).
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn to_js(ctx: ThreadSafeCallContext<Owned>) -> Result<Vec<JsObject>> {
    let env = &ctx.env;
    let r = ctx.value;
    let mut obj = env.create_object()?;
    obj.set_named_property("level", env.create_string(r.level)?)?;
    obj.set_named_property("target", env.create_string(&r.target)?)?;
    obj.set_named_property("message", env.create_string(&r.message)?)?;
    let mut fields = env.create_object()?;
    for (k, v) in &r.fields {
        fields.set_named_property(k, env.create_string(v)?)?;
    }
    obj.set_named_property("fields", fields)?;
    Ok(vec![obj])
}

/// `setLogger(fn | null)`: `fn({ level, target, message, fields })` receives every record
/// that passes the filter, on the JavaScript thread; `null` stops. Process-wide.
#[napi_derive::napi(js_name = "setLogger")]
pub fn set_logger(mut env: Env, callback: Option<JsFunction>) -> Result<()> {
    let generation = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
    let sink: Option<log::LogSink> = match callback {
        None => None,
        Some(f) => {
            let mut deliver: Deliver = f.create_threadsafe_function(QUEUE, to_js)?;
            deliver.unref(&env)?;
            // The environment goes away (process exit, worker end): stop calling into it.
            env.add_env_cleanup_hook(generation, |generation| {
                if GENERATION.load(Ordering::Acquire) == generation {
                    let _ = log::set_log_sink(None);
                }
            })?;
            Some(Arc::new(move |r: &LogRecord<'_>| {
                let _ = deliver.call(
                    Owned {
                        level: r.level.as_str(),
                        target: r.target.to_owned(),
                        message: r.message.to_owned(),
                        fields: r.fields.to_vec(),
                    },
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }))
        }
    };
    log::set_log_sink(sink).map_err(|e| err(&env, e))
}

/// `setLogFilter(filter | null)`: the filter in `RUST_LOG` syntax (`"debug"`,
/// `"roomcast::socket=debug,warn"`, `"off"`); `null` goes back to `ROOMCAST_LOG`, else
/// `RUST_LOG`, else off.
#[napi_derive::napi(js_name = "setLogFilter")]
pub fn set_log_filter(env: Env, filter: Option<String>) -> Result<()> {
    log::set_log_filter(filter.as_deref()).map_err(|e| err(&env, e))
}
