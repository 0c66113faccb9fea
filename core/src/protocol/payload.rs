//! Event and ack arguments as they travel: a JSON array and its binary attachments.

use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;

/// Arguments of an event or an ack: the compact JSON array text (binary values appear in it
/// as `{"_placeholder":true,"num":i}`) plus the attachments those placeholders point to.
///
/// The JSON is kept as text so a host's arguments are spliced into the packet as they came
/// and a client's arguments reach the host without a parse/serialize round trip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    json: Arc<str>,
    /// Binary attachments, in placeholder order.
    pub attachments: Vec<Bytes>,
}

impl Default for Payload {
    fn default() -> Self {
        Self::empty()
    }
}

impl Payload {
    /// No arguments: `[]`.
    pub fn empty() -> Self {
        Self {
            json: Arc::from("[]"),
            attachments: Vec::new(),
        }
    }

    /// Arguments from a JSON array text, e.g. `[1,"two",{"three":3}]`. Fails when the text
    /// is not valid JSON or not an array.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let text = text.trim();
        let _: Vec<&RawValue> = serde_json::from_str(text)?;
        Ok(Self {
            json: Arc::from(text),
            attachments: Vec::new(),
        })
    }

    /// Arguments from JSON values.
    pub fn from_values(values: &[Value]) -> Self {
        let json = serde_json::to_string(values).expect("a Value always serializes");
        Self {
            json: Arc::from(json),
            attachments: Vec::new(),
        }
    }

    /// One argument.
    pub fn single(value: &Value) -> Self {
        Self::from_values(std::slice::from_ref(value))
    }

    /// Adds binary attachments; the JSON must hold matching placeholders (see [`placeholder`]).
    pub fn with_attachments(mut self, attachments: Vec<Bytes>) -> Self {
        self.attachments = attachments;
        self
    }

    /// Text already known to be a JSON array.
    pub(crate) fn from_validated(json: String) -> Self {
        Self {
            json: Arc::from(json),
            attachments: Vec::new(),
        }
    }

    /// The JSON array text.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// Parses the arguments into values (placeholders stay as they are).
    pub fn to_values(&self) -> Vec<Value> {
        serde_json::from_str(&self.json).unwrap_or_default()
    }

    /// Whether there are binary attachments.
    pub fn has_binary(&self) -> bool {
        !self.attachments.is_empty()
    }
}

/// The placeholder object that stands for attachment `num` inside the JSON.
pub fn placeholder(num: usize) -> Value {
    let mut m = serde_json::Map::with_capacity(2);
    m.insert("_placeholder".into(), Value::Bool(true));
    m.insert("num".into(), Value::from(num));
    Value::Object(m)
}

/// When `v` is a placeholder, the attachment index it points to.
pub fn placeholder_index(v: &Value) -> Option<usize> {
    let m = v.as_object()?;
    if m.len() != 2 || m.get("_placeholder")? != &Value::Bool(true) {
        return None;
    }
    m.get("num")?.as_u64().map(|n| n as usize)
}
