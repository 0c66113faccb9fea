//! Room events as a host sees them (`Server::observe_rooms`, `Event::Room`) over a real
//! WebSocket: off until observed, socket.io's in-memory adapter's order (own room before
//! `Connection`, create before join, leave before delete, every room left in join order
//! between `Disconnecting` and `Disconnect`), per namespace or for all of them.

use crate::common::{config, connect, recv, runtime};
use roomcast::config::NamespaceRule;
use roomcast::host::{Event, RecvError, RoomChange, Server};
use roomcast::BroadcastOptions;

/// What the test compares: a room event as (kind, nsp, room, sid), others by name.
fn next(events: &roomcast::Events) -> (String, String, String, Option<String>) {
    match recv(events) {
        Event::Room {
            nsp,
            kind,
            room,
            sid,
        } => (
            kind.as_str().into(),
            nsp.to_string(),
            room.to_string(),
            sid.map(|s| s.to_string()),
        ),
        Event::Connection { nsp, sid, .. } => (
            "connection".into(),
            nsp.to_string(),
            String::new(),
            Some(sid.to_string()),
        ),
        Event::Disconnecting { nsp, sid, .. } => (
            "disconnecting".into(),
            nsp.to_string(),
            String::new(),
            Some(sid.to_string()),
        ),
        Event::Disconnect { nsp, sid, .. } => (
            "disconnect".into(),
            nsp.to_string(),
            String::new(),
            Some(sid.to_string()),
        ),
        other => panic!("unexpected {other:?}"),
    }
}

fn ev(kind: &str, room: &str, sid: Option<&str>) -> (String, String, String, Option<String>) {
    (kind.into(), "/".into(), room.into(), sid.map(Into::into))
}

#[test]
fn room_events_follow_socket_io_in_memory_adapter() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    // Not observed: nothing but the connection.
    let _quiet = rt.block_on(connect(&server));
    assert!(matches!(recv(&events), Event::Connection { .. }));
    server
        .join(
            "/",
            &server.sockets("/", &BroadcastOptions::all()).unwrap()[0],
            &["q"],
        )
        .unwrap();
    assert_eq!(events.try_recv().err(), Some(RecvError::Timeout));
    assert!(matches!(
        server.observe_rooms(Some("no-slash")),
        Err(roomcast::host::Error::InvalidArgument(_))
    ));

    server.observe_rooms(Some("/")).unwrap();
    server.observe_rooms(Some("/")).unwrap(); // again: each change still reported once
    let mut a_ws = rt.block_on(connect(&server));
    let (kind, _, a, _) = next(&events);
    assert_eq!(kind, "create-room");
    let a = a.as_str();
    assert_eq!(next(&events), ev("join-room", a, Some(a)));
    assert_eq!(next(&events), ev("connection", "", Some(a)));

    server.join("/", a, &["r1", "r1"]).unwrap();
    server.leave("/", a, &["nope"]).unwrap();
    assert_eq!(next(&events), ev("create-room", "r1", None));
    assert_eq!(next(&events), ev("join-room", "r1", Some(a)));
    let b_ws = rt.block_on(connect(&server));
    let (kind, _, b, _) = next(&events);
    assert_eq!(kind, "create-room");
    let b = b.as_str();
    assert_eq!(next(&events), ev("join-room", b, Some(b)));
    assert_eq!(next(&events), ev("connection", "", Some(b)));
    server.join("/", b, &["r1"]).unwrap(); // a room a has: no create-room
    assert_eq!(next(&events), ev("join-room", "r1", Some(b)));

    server
        .sockets_join("/", &BroadcastOptions::all().to("r1"), &["all"])
        .unwrap();
    assert_eq!(next(&events), ev("create-room", "all", None));
    let mut joined = [next(&events), next(&events)];
    joined.sort();
    let mut want = [
        ev("join-room", "all", Some(a)),
        ev("join-room", "all", Some(b)),
    ];
    want.sort();
    assert_eq!(joined, want);

    drop(b_ws);
    assert_eq!(next(&events), ev("disconnecting", "", Some(b)));
    assert_eq!(next(&events), ev("leave-room", b, Some(b)));
    assert_eq!(next(&events), ev("delete-room", b, None));
    assert_eq!(next(&events), ev("leave-room", "r1", Some(b)));
    assert_eq!(next(&events), ev("leave-room", "all", Some(b)));
    assert_eq!(next(&events), ev("disconnect", "", Some(b)));

    server.leave("/", a, &["r1"]).unwrap();
    assert_eq!(next(&events), ev("leave-room", "r1", Some(a)));
    assert_eq!(next(&events), ev("delete-room", "r1", None));
    assert_eq!(events.try_recv().err(), Some(RecvError::Timeout));
    rt.block_on(crate::common::send(&mut a_ws, "41"));
    assert_eq!(next(&events).0, "disconnecting");
    server.stop(std::time::Duration::from_secs(2));
}

#[test]
fn observing_all_namespaces_covers_ones_made_later() {
    let mut cfg = config();
    cfg.namespaces.push(NamespaceRule::glob("/room-*"));
    let (server, events) = Server::start(cfg).unwrap();
    server.observe_rooms(None).unwrap();
    let rt = runtime();
    let mut ws = rt.block_on(crate::common::open(&server));
    rt.block_on(crate::common::send(&mut ws, "40/room-7,"));
    match recv(&events) {
        Event::Room { nsp, kind, sid, .. } => {
            assert_eq!((&*nsp, kind), ("/room-7", RoomChange::Create));
            assert!(sid.is_none());
        }
        other => panic!("expected create-room, got {other:?}"),
    }
    assert!(matches!(
        recv(&events),
        Event::Room {
            kind: RoomChange::Join,
            ..
        }
    ));
    assert!(matches!(recv(&events), Event::Connection { .. }));
    server.stop(std::time::Duration::from_secs(2));
}
