//! Handles as numbers: every handle C receives is a fresh id from one global counter,
//! disguised as an opaque pointer that the library never dereferences. A freed handle's id
//! is never issued again, so a stale (or made-up) handle is always detected and answered
//! with `ROOMCAST_ERR_INVALID_HANDLE` instead of touching freed memory.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::status::{Fail, Res, ROOMCAST_ERR_INVALID_HANDLE, ROOMCAST_ERR_NULL};

/// Shared by every registry, so an id names at most one object of any kind, ever.
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// Live objects of one kind, by id. Lookups clone the `Arc` and release the lock at once,
/// so a concurrent free never pulls an object from under a running call.
pub struct Registry<T> {
    live: Mutex<Option<HashMap<usize, Arc<T>>>>,
}

impl<T> Registry<T> {
    pub const fn new() -> Self {
        Registry {
            live: Mutex::new(None),
        }
    }

    /// Registers `value` and returns its handle.
    pub fn insert<H>(&self, value: T) -> *mut H {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        self.live
            .lock()
            .get_or_insert_with(HashMap::new)
            .insert(id, Arc::new(value));
        id as *mut H
    }

    /// The object behind a live handle.
    pub fn get<H>(&self, handle: *const H) -> Res<Arc<T>> {
        if handle.is_null() {
            return Err(Fail::new(ROOMCAST_ERR_NULL, "handle is NULL"));
        }
        self.live
            .lock()
            .as_ref()
            .and_then(|m| m.get(&(handle as usize)).cloned())
            .ok_or_else(|| {
                Fail::new(
                    ROOMCAST_ERR_INVALID_HANDLE,
                    "handle is not live (freed or never issued)",
                )
            })
    }

    /// Unregisters a handle; later lookups fail. The map itself is released when it
    /// empties, so a host that freed every handle holds no library memory (clean leak checks).
    pub fn remove<H>(&self, handle: *const H) -> Res<Arc<T>> {
        let mut live = self.live.lock();
        let found = live.as_mut().and_then(|m| m.remove(&(handle as usize)));
        if live.as_ref().is_some_and(|m| m.is_empty()) {
            *live = None;
        }
        found.ok_or_else(|| {
            Fail::new(
                ROOMCAST_ERR_INVALID_HANDLE,
                "handle is not live (freed or never issued)",
            )
        })
    }
}
