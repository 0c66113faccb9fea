//! Which namespace names the core accepts, decided while the server runs.
//!
//! The core's rules are fixed at start, so the binding installs two predicate rules over a
//! shared table that JavaScript edits (`io.of()`, `nsp.use()`): names without middleware
//! are accepted by the core at once; names with middleware, and every name a dynamic
//! namespace may cover, become connect requests that JavaScript answers.
//!
//! A dynamic namespace given as a JavaScript RegExp is also compiled with the `regex`
//! crate as a pre-filter, so that arbitrary names do not reach JavaScript (nor create
//! namespaces in the core). JavaScript tests the real RegExp again, so a Rust pattern that
//! matches more (Unicode `\w`) is harmless. A RegExp Rust cannot compile (lookaround,
//! backreferences) and a function-form dynamic namespace accept every name here and are
//! decided in JavaScript only.

use parking_lot::RwLock;
use roomcast::{NamespaceMatch, NamespaceRule};
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Default)]
struct Table {
    plain: HashSet<String>,
    guarded: HashSet<String>,
    /// `None` accepts every name (decided in JavaScript).
    dynamic: Vec<Option<regex::Regex>>,
}

/// The shared table behind the two core rules.
#[derive(Clone, Default)]
pub struct Namespaces(Arc<RwLock<Table>>);

impl Namespaces {
    /// The core rules reading this table: plain names first, then the guarded ones.
    pub fn rules(&self) -> Vec<NamespaceRule> {
        let plain = self.0.clone();
        let guarded = self.0.clone();
        vec![
            NamespaceRule {
                matcher: NamespaceMatch::Predicate(Arc::new(move |n: &str| {
                    plain.read().plain.contains(n)
                })),
                middleware: false,
            },
            NamespaceRule {
                matcher: NamespaceMatch::Predicate(Arc::new(move |n: &str| {
                    let t = guarded.read();
                    t.guarded.contains(n)
                        || t.dynamic
                            .iter()
                            .any(|r| r.as_ref().is_none_or(|r| r.is_match(n)))
                })),
                middleware: true,
            },
        ]
    }

    /// Declares an exact namespace; with `middleware`, its connections wait for JavaScript.
    pub fn set(&self, name: &str, middleware: bool) {
        let mut t = self.0.write();
        if middleware {
            t.plain.remove(name);
            t.guarded.insert(name.to_owned());
        } else if !t.guarded.contains(name) {
            t.plain.insert(name.to_owned());
        }
    }

    /// Declares a dynamic namespace from a JavaScript RegExp `source` and `flags`, or one
    /// that accepts every name when `source` is `None` or does not compile in Rust.
    pub fn add_dynamic(&self, source: Option<&str>, flags: &str) {
        let re = source.and_then(|src| {
            let mut prefix = String::new();
            for (flag, inline) in [('i', "i"), ('m', "m"), ('s', "s")] {
                if flags.contains(flag) {
                    prefix.push_str(inline);
                }
            }
            let pattern = if prefix.is_empty() {
                src.to_owned()
            } else {
                format!("(?{prefix}){src}")
            };
            regex::Regex::new(&pattern).ok()
        });
        self.0.write().dynamic.push(re);
    }
}
