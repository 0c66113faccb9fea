//! Plain data shared with C: byte buffers and emit targets.

use std::ffi::c_char;

use roomcast::BroadcastOptions;

use crate::input::texts;
use crate::status::Res;

/// A byte buffer `(ptr, len)`: a binary attachment.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct roomcast_bytes {
    /// First byte (may be NULL when `len` is 0).
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

/// `roomcast_target.flags`: drop the packet for sockets that cannot take it right now.
pub const ROOMCAST_TARGET_VOLATILE: u32 = 1;
/// `roomcast_target.flags`: deliver on this node only (no effect with one process).
pub const ROOMCAST_TARGET_LOCAL: u32 = 2;
/// `roomcast_target.flags` (revision 20): send uncompressed even to clients that negotiated
/// permessage-deflate, socket.io's `compress(false)`.
pub const ROOMCAST_TARGET_NO_COMPRESS: u32 = 4;

/// Who receives an emit. A socket id works as a room, so:
/// everyone = NULL target (or all fields zero); one socket = `rooms = {sid}`;
/// everyone but the sender = `except = {sender_sid}`;
/// a room but not the sender (socket.io's `socket.to(room)`) = `rooms = {room}, except = {sender_sid}`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct roomcast_target {
    /// Target rooms (union); none means every socket of the namespace.
    pub rooms: *const *const c_char,
    /// Number of entries in `rooms`.
    pub rooms_len: usize,
    /// Sockets in any of these rooms (or with these ids) are skipped.
    pub except: *const *const c_char,
    /// Number of entries in `except`.
    pub except_len: usize,
    /// `ROOMCAST_TARGET_*` bits; unknown bits are ignored.
    pub flags: u32,
}

/// Converts a target (NULL = everyone).
///
/// # Safety
/// `to` is NULL or points to a valid target whose arrays hold valid strings.
pub unsafe fn broadcast_options(to: *const roomcast_target) -> Res<BroadcastOptions> {
    let mut opts = BroadcastOptions::all();
    if let Some(t) = to.as_ref() {
        for r in texts(t.rooms, t.rooms_len, "target rooms")? {
            opts = opts.to(r);
        }
        for r in texts(t.except, t.except_len, "target except")? {
            opts = opts.except(r);
        }
        opts.volatile = t.flags & ROOMCAST_TARGET_VOLATILE != 0;
        opts.local = t.flags & ROOMCAST_TARGET_LOCAL != 0;
        if t.flags & ROOMCAST_TARGET_NO_COMPRESS != 0 {
            opts.compress = Some(false);
        }
    }
    Ok(opts)
}
