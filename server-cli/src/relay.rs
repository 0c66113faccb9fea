//! What the program does with the events of its clients (it has no host code).
//!
//! Always: a handshake waiting for `allow_request` is allowed, a connection waiting on
//! middleware is accepted, a held CONNECT is released (so every option works without a
//! host). Without `--relay` nothing else happens: clients connect, stay, and leave (acks
//! they ask for are not answered). With `--relay`:
//!
//! * `join` (room) and `leave` (room): the socket joins or leaves `room`; the ack, if
//!   asked for, is `"ok"`;
//! * any other event is re-emitted, with the same name and arguments (binary included), to
//!   the other sockets of the sender's rooms, or of its whole namespace when it joined no
//!   room (socket.io's `socket.broadcast.to(rooms).emit`); the ack, if asked for, comes
//!   with no arguments once it is sent.

use roomcast::host::{Event, Events, Server};
use roomcast::{BroadcastOptions, Payload};

/// Handles every event until the server stops (the stream ends).
pub fn run(server: &Server, events: &Events, relay: bool) {
    let ok = Payload::from_json(r#"["ok"]"#).expect("static JSON");
    while let Some(event) = events.recv() {
        match event {
            Event::AllowRequest { request, .. } => {
                let _ = server.allow_request(request, Ok(()));
            }
            Event::ConnectRequest { request, .. } => {
                let _ = server.accept(request);
            }
            Event::Connection { nsp, sid, .. } => {
                let _ = server.release(&nsp, sid.as_str());
            }
            Event::Message {
                nsp,
                sid,
                event,
                args,
                ack,
            } if relay => {
                let sid = sid.as_str();
                let reply = match event.as_str() {
                    "join" | "leave" => {
                        let Some(room) = first_string(&args) else {
                            continue; // not a room name: ignored, as an unknown event
                        };
                        let done = if event == "join" {
                            server.join(&nsp, sid, &[&room])
                        } else {
                            server.leave(&nsp, sid, &[&room])
                        };
                        done.is_ok().then_some(&ok)
                    }
                    _ => {
                        let rooms: Vec<String> = server
                            .rooms_of(&nsp, sid)
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|r| r != sid)
                            .collect();
                        let to = rooms
                            .iter()
                            .fold(BroadcastOptions::all(), |to, r| to.to(r))
                            .except(sid);
                        let _ = server.emit(&nsp, &to, &event, &args);
                        None
                    }
                };
                if let Some(ack) = ack {
                    let _ = server.ack(ack, reply.unwrap_or(&Payload::empty()));
                }
            }
            _ => {}
        }
    }
}

/// The first argument when it is a string.
fn first_string(args: &Payload) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(args.json()).ok()?;
    v.get(0)?.as_str().map(str::to_owned)
}
