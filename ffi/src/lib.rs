//! C ABI for roomcast (see include/roomcast.h).
