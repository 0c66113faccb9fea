//! Validation of what C hands in: NUL-terminated UTF-8 strings, JSON text, byte buffers.

use bytes::Bytes;
use std::ffi::{c_char, CStr};

use roomcast::Payload;

use crate::status::{
    Fail, Res, ROOMCAST_ERR_INVALID_JSON, ROOMCAST_ERR_INVALID_UTF8, ROOMCAST_ERR_NULL,
};
use crate::types::roomcast_bytes;

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string readable for the call.
pub unsafe fn text<'a>(ptr: *const c_char, what: &str) -> Res<&'a str> {
    if ptr.is_null() {
        return Err(Fail::new(ROOMCAST_ERR_NULL, format!("{what} is NULL")));
    }
    utf8(CStr::from_ptr(ptr).to_bytes(), what)
}

/// Bytes that must be UTF-8 text (a string argument, or a text frame's `(ptr, len)`).
pub fn utf8<'a>(bytes: &'a [u8], what: &str) -> Res<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| {
        Fail::new(
            ROOMCAST_ERR_INVALID_UTF8,
            format!("{what} is not valid UTF-8"),
        )
    })
}

/// An out-pointer the call writes its result through: NULL is refused.
pub fn out_ptr<T>(out: *mut T) -> Res {
    if out.is_null() {
        Err(Fail::new(ROOMCAST_ERR_NULL, "out is NULL"))
    } else {
        Ok(())
    }
}

/// An optional string argument (NULL means absent).
///
/// # Safety
/// As [`text`].
pub unsafe fn opt_text<'a>(ptr: *const c_char, what: &str) -> Res<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        text(ptr, what).map(Some)
    }
}

/// A C array `(ptr, len)`; NULL with length 0 is the empty array.
///
/// # Safety
/// `ptr` points to `len` readable elements, or `len` is 0.
pub unsafe fn slice<'a, T>(ptr: *const T, len: usize, what: &str) -> Res<&'a [T]> {
    if len == 0 {
        Ok(&[])
    } else if ptr.is_null() {
        Err(Fail::new(
            ROOMCAST_ERR_NULL,
            format!("{what} is NULL but its length is {len}"),
        ))
    } else {
        Ok(std::slice::from_raw_parts(ptr, len))
    }
}

/// An array of strings (room names, socket ids).
///
/// # Safety
/// As [`slice`] and [`text`] for each element.
pub unsafe fn texts<'a>(ptr: *const *const c_char, len: usize, what: &str) -> Res<Vec<&'a str>> {
    slice(ptr, len, what)?
        .iter()
        .map(|p| text(*p, what))
        .collect()
}

/// Event or ack arguments: a JSON array text (NULL means `[]`) whose binary placeholders
/// `{"_placeholder":true,"num":i}` point into `attachments`. The JSON is validated, then
/// kept as text; attachment bytes are copied.
///
/// # Safety
/// As [`text`]; `attachments` points to `len` [`roomcast_bytes`] whose buffers are readable.
pub unsafe fn payload(
    json: *const c_char,
    attachments: *const roomcast_bytes,
    len: usize,
) -> Res<Payload> {
    let payload = match opt_text(json, "args_json")? {
        None => Payload::empty(),
        Some(t) => Payload::from_json(t).map_err(|e| {
            Fail::new(
                ROOMCAST_ERR_INVALID_JSON,
                format!("args_json is not a JSON array: {e}"),
            )
        })?,
    };
    let mut bins = Vec::with_capacity(len);
    for b in slice(attachments, len, "attachments")? {
        bins.push(Bytes::copy_from_slice(slice(
            b.ptr,
            b.len,
            "attachment data",
        )?));
    }
    Ok(if bins.is_empty() {
        payload
    } else {
        payload.with_attachments(bins)
    })
}

/// Checks that `text` is one JSON value (any type).
pub fn json_value(text: &str, what: &str) -> Res {
    serde_json::from_str::<&serde_json::value::RawValue>(text)
        .map(|_| ())
        .map_err(|e| {
            Fail::new(
                ROOMCAST_ERR_INVALID_JSON,
                format!("{what} is not JSON: {e}"),
            )
        })
}

/// Writes through an optional out-pointer.
///
/// # Safety
/// `out` is NULL or writable.
pub unsafe fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        out.write(value)
    }
}
