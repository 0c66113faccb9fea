//! Memory of the connection state recovery replay buffer, measured exactly: a counting
//! global allocator gives the bytes still allocated after storing `PACKETS` events (100-byte
//! payload, like the fan-out benchmark) in one namespace, with recovery on, and the same with
//! it off (nothing kept: the baseline). Prints one JSON line. `scripts/bench-recovery.sh`
//! runs it; `PACKETS` (default 10000) and `PAYLOAD` (bytes, default 100) change it.

use roomcast::host::Server;
use roomcast::{BroadcastOptions, Config, Payload, RecoveryConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator, which upholds the
// `GlobalAlloc` contract; the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's `layout` obligations are passed on as they are.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc`/`realloc` above with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let delta = new_size as isize - layout.size() as isize;
        LIVE.fetch_add(delta, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; `new_size` is the caller's, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Bytes still allocated after `packets` emits to a room nobody is in (stored all the same).
fn retained(recovery: bool, packets: usize, payload: usize) -> isize {
    let config = Config {
        bind: ([127, 0, 0, 1], 0).into(),
        worker_threads: Some(1),
        connection_state_recovery: recovery.then(|| RecoveryConfig {
            max_packets: packets,
            ..RecoveryConfig::default()
        }),
        ..Config::default()
    };
    let (server, _events) = Server::start(config).expect("start");
    let to = BroadcastOptions::all().to("room");
    let data = format!(
        r#"[{{"t":1700000000000000,"s":1,"q":1,"p":"{}"}}]"#,
        "x".repeat(payload)
    );
    let args = Payload::from_json(&data).expect("valid JSON");
    server.emit("/", &to, "msg", &args).expect("emit"); // creates the namespace
    let before = LIVE.load(Ordering::Relaxed);
    for _ in 0..packets {
        server.emit("/", &to, "msg", &args).expect("emit");
    }
    let after = LIVE.load(Ordering::Relaxed);
    server.stop(std::time::Duration::from_secs(1));
    after - before
}

fn main() {
    let packets = env("PACKETS", 10_000);
    let payload = env("PAYLOAD", 100);
    let on = retained(true, packets, payload);
    let off = retained(false, packets, payload);
    println!(
        "{{\"packets\":{packets},\"payload_bytes\":{payload},\"retained_bytes_recovery_on\":{on},\"retained_bytes_recovery_off\":{off},\"bytes_per_packet\":{:.1}}}",
        (on - off) as f64 / packets as f64
    );
}
