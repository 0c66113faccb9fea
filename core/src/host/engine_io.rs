//! Plain Engine.IO endpoints, mounted beside the Socket.IO one with
//! [`super::Server::start_with`]: for hosts that speak their own protocol over Engine.IO
//! (and for the Engine.IO conformance suite's echo server, `examples/rust/conformance.rs`).
//!
//! A [`Handler`] sees each session open, its messages in order, and its close; it answers
//! with [`Session::push_frame`]. Text frames are [`Text`], valid UTF-8 by construction.
//!
//! ```
//! use roomcast::host::engine_io::{self, CloseReason, Frame, Handler, Handshake, Message, SessionRef, Text};
//! use roomcast::Sid;
//!
//! struct Echo;
//! impl Handler for Echo {
//!     type Data = ();
//!     fn create(&self, _: Sid, _: Handshake) {}
//!     fn on_open(&self, _: &SessionRef<()>) {}
//!     fn on_message(&self, session: &SessionRef<()>, msg: Message<'_>) {
//!         let frame = match msg {
//!             Message::Text(t) => Frame::Text(Text::from(format!("4{t}"))),
//!             Message::Binary(b) => Frame::Binary(b),
//!         };
//!         session.push_frame(frame);
//!     }
//!     fn on_close(&self, _: &SessionRef<()>, _: CloseReason) {}
//! }
//! let config = roomcast::Config::default();
//! let _echo = engine_io::endpoint(&config, Echo);
//! ```

use std::sync::Arc;

pub use crate::engine::{
    CloseReason, Deflatable, Frame, Handler, Handshake, Message, Pushed, Session, SessionRef,
    TransportKind,
};
use crate::engine::{Endpoint, Engine, EngineConfig};
pub use crate::text::Text;
use crate::Config;

/// An Engine.IO endpoint ready to mount (see [`super::Server::start_with`]).
#[derive(Clone)]
pub struct RawEndpoint(pub(crate) Arc<dyn Endpoint>);

/// An endpoint that runs `handler` with the Engine.IO settings of `config` (ping interval
/// and timeout, payload limit, transports, CORS, queue bound, `allow_request`).
pub fn endpoint<H: Handler>(config: &Config, handler: H) -> RawEndpoint {
    RawEndpoint(Engine::new(EngineConfig::from_config(config), handler))
}
