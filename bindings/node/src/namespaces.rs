//! Dynamic namespaces given as a JavaScript RegExp (or a function), as core namespace
//! rules added while the server runs.
//!
//! The RegExp is also compiled with the `regex` crate as a pre-filter, so that arbitrary
//! names do not reach JavaScript (nor create namespaces in the core). JavaScript tests the
//! real RegExp again, so a Rust pattern that matches more (Unicode `\w`) is harmless. A
//! RegExp Rust cannot compile (lookaround, backreferences) and a function-form dynamic
//! namespace accept every name here and are decided in JavaScript only.

use roomcast::{NamespaceMatch, NamespaceRule};
use std::sync::Arc;

/// The core rule of a dynamic namespace: every name it may cover becomes a connect request
/// that JavaScript answers (`source` `None`: any name).
pub fn dynamic_rule(source: Option<&str>, flags: &str) -> NamespaceRule {
    let re = source.and_then(|src| {
        let mut prefix = String::new();
        for flag in ['i', 'm', 's'] {
            if flags.contains(flag) {
                prefix.push(flag);
            }
        }
        let pattern = if prefix.is_empty() {
            src.to_owned()
        } else {
            format!("(?{prefix}){src}")
        };
        regex::Regex::new(&pattern).ok()
    });
    NamespaceRule {
        matcher: NamespaceMatch::Predicate(Arc::new(move |n: &str| {
            re.as_ref().is_none_or(|r| r.is_match(n))
        })),
        middleware: true,
    }
}
