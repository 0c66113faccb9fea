"""``roomcast.Server``: the python-socketio-shaped server with plain (thread) handlers.

One dispatcher thread, owned by the server, takes the core's events in order and calls the
handlers; handlers never run on the Rust runtime's threads. While the dispatcher waits for
the next event the GIL is released. A slow handler delays the events behind it (they are
handled in order); ``call()`` inside a handler is fine, its ack does not go through the
dispatcher.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Callable, Dict, Iterator, Optional

from . import _native
from ._base import Handler, _connecting, Reason, Rooms, _ServerBase, _accepts, _ack_args, _args, _as_list, _call_result, _environ, _no_ack
from .cluster import ClusterResult, _reply
from .exceptions import TimeoutError


class Server(_ServerBase):
    """A Socket.IO server whose protocol, rooms and fan-out run in Rust.

    >>> sio = roomcast.Server(cors_allowed_origins="*")
    >>> @sio.event
    ... def chat(sid, text):
    ...     sio.emit("chat", text, skip_sid=sid)
    >>> sio.run("127.0.0.1", 3000)
    """

    # ------------------------------------------------------------- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "Server":
        """Starts listening (``port=0`` picks a free port, see ``sio.port``) and returns at once."""
        self._start_native(host, port)
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="roomcast-dispatcher", daemon=True)
        self._dispatcher.start()
        return self

    def run(self, host: str = "127.0.0.1", port: int = 3000) -> None:
        """Starts and blocks until ``stop()`` (from a handler or another thread) or Ctrl-C."""
        self.start(host, port)
        try:
            self.wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the server has stopped and every event was handled; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopped.is_set():
            left = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
            if left <= 0:
                return False
            self._stopped.wait(left)  # short waits keep Ctrl-C responsive
        return True

    def stop(self, timeout: Optional[float] = None) -> None:
        """Disconnects every client ("server shutting down"), waits for their ``disconnect``
        handlers, and stops. Safe from a handler and idempotent."""
        if self._native is None:
            return
        self._stop_native(timeout)
        d = self._dispatcher
        if d is not None and d is not threading.current_thread():
            d.join(self.stop_timeout if timeout is None else timeout)

    def __enter__(self) -> "Server":
        if self._native is None or self._native.stopped:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _dispatch_loop(self) -> None:
        native = self._native
        try:
            while True:
                ev = native.next_event()
                if ev[0] == "stopped":
                    break
                try:
                    self._handle(ev)
                except Exception:
                    self.logger.exception("roomcast: error while handling %s", ev[0])
        finally:
            self._clear_acks()
            self._stopped.set()

    # ---------------------------------------------------------------- events

    def _handle(self, ev: tuple) -> None:
        kind = ev[0]
        if kind == "message":
            _, nsp, sid, event, args, token = ev
            handler, star = self._catch_all(nsp, event)
            if handler is None:
                return
            try:
                result = handler(event, sid, *args) if star else handler(sid, *args)
            except Exception:
                self.logger.exception("roomcast: error in handler for event %r (namespace %s)", event, nsp)
                return
            if token is not None:
                self._send_ack(token, result, event)
        elif kind == "allow_request":
            _, request, _method, handshake = ev
            self._answer_allow_request(request, self._ask_allow_request(handshake))
        elif kind == "cors_origin":
            _, request, _method, handshake = ev
            self._answer_origin(request, self._ask_origin(handshake))
        elif kind == "plain_request":
            _, request, path, handshake = ev
            route = self._routes[path]
            self._answer_plain_verify(request, route, self._plain_verify(route, handshake))
        elif kind.startswith("plain_"):
            call = self._plain_call(ev)
            if call is not None:
                self._guard(call[0], f"plain route {ev[1]} {kind[6:]}", *call[1])
        elif kind == "room":
            call = self._room_call(ev)
            if call is not None:
                self._guard(call[0], f"room event {ev[2]!r}", *call[1])
        elif kind == "connect_request":
            _, request, nsp, sid, auth, handshake, recovered = ev
            if recovered:
                self._recovered.add((nsp, sid))
            environ = _environ(handshake)
            self._environ[(nsp, sid)] = environ
            mark = _connecting.set((nsp, sid))
            try:
                result, exc = self._run_connect(nsp, sid, environ, auth)
            finally:
                _connecting.reset(mark)
            refusal = self._refusal(result, exc)
            if refusal is not None:
                self._reject(request, nsp, sid, refusal)
                self._environ.pop((nsp, sid), None)
            elif not self._accept(request, nsp, sid):
                # The client went away while its connect handler ran.
                self._run_disconnect(nsp, sid, Reason.TRANSPORT_CLOSE)
                self._forget(nsp, sid)
        elif kind == "connect":
            _, nsp, sid, auth, handshake, recovered = ev
            if not self._connected(nsp, sid, handshake, recovered):
                # Its connect handler already ran, before the accept.
                self._release(nsp, sid)
                return
            environ = self._environ[(nsp, sid)]
            if self._always_connect:
                # python-socketio's always_connect: CONNECT first, then the handler; a
                # refusal disconnects without running the disconnect handler.
                self._release(nsp, sid)
            # Only a connect handler added after start runs here (no middleware): it can no
            # longer refuse at CONNECT, so a refusal disconnects instead.
            mark = _connecting.set((nsp, sid))
            try:
                result, exc = self._run_connect(nsp, sid, environ, auth)
            finally:
                _connecting.reset(mark)
            if self._refusal(result, exc) is not None and self._handler(nsp, "connect") is not None:
                if self._always_connect:
                    self._refused.add((nsp, sid))
                self._disconnect(sid, nsp)
            self._release(nsp, sid)
        elif kind == "disconnecting":
            _, nsp, sid, reason, _rooms = ev
            handler = self._handler(nsp, "disconnecting")
            if handler is not None:
                self._guard(handler, "disconnecting", sid, reason)
        elif kind == "disconnect":
            _, nsp, sid, reason = ev
            if (nsp, sid) in self._refused:
                self._refused.discard((nsp, sid))
            else:
                self._run_disconnect(nsp, sid, reason)
            self._forget(nsp, sid)
        elif kind == "server_side_emit":
            _, nsp, event, args, token = ev
            handler = self.server_side_handlers.get(nsp, {}).get(event)
            result = None if handler is None else self._guard(handler, f"server-side {event!r}", *args)
            if token is not None and handler is not None:
                self._server_side_answer(token, result, event)
        elif kind == "ack":
            _, ack_id, replies, _timed_out = ev
            callback = self._take_callback(ack_id)
            if callback is not None:
                for _sid, args in replies:
                    self._guard(callback, "ack callback", *args)

    def _guard(self, fn: Callable[..., Any], what: str, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            self.logger.exception("roomcast: error in %s handler", what)
            return None

    def _run_connect(self, nsp: str, sid: str, environ: dict, auth: Any) -> tuple:
        handler = self._handler(nsp, "connect")
        if handler is None:
            return None, None
        try:
            if _accepts(handler, 3):
                return handler(sid, environ, auth), None
            return handler(sid, environ), None
        except Exception as exc:  # refusals are reported by _refusal
            from .exceptions import ConnectionRefusedError

            if not isinstance(exc, ConnectionRefusedError):
                self.logger.exception("roomcast: error in connect handler (namespace %s); connection refused", nsp)
            return None, exc

    def _run_disconnect(self, nsp: str, sid: str, reason: str) -> None:
        handler = self._handler(nsp, "disconnect")
        if handler is None:
            return
        if _accepts(handler, 2):
            self._guard(handler, "disconnect", sid, reason)
        else:
            self._guard(handler, "disconnect", sid)

    def _send_ack(self, token: Any, result: Any, event: str) -> None:
        try:
            self._core_server().ack(token, _ack_args(result))
        except (_native.NoSuchSocket, _native.ServerStopped):
            pass  # the client left before its answer
        except (TypeError, ValueError):
            self.logger.exception("roomcast: the return value of the handler for %r cannot be sent as an ack", event)

    # -------------------------------------------------------------- commands

    def emit(
        self,
        event: str,
        data: Any = None,
        to: Rooms = None,
        room: Rooms = None,
        skip_sid: Rooms = None,
        namespace: Optional[str] = None,
        callback: Optional[Callable[..., Any]] = None,
        compress: bool = True,
        **_ignored: Any,
    ) -> None:
        """Emits ``event`` to everyone in ``namespace``, or to ``to``/``room`` (a sid or room,
        or a list of them), minus ``skip_sid``. ``data`` is one argument, a tuple of several,
        or None for none. ``callback(*args)`` runs (on the dispatcher) with each recipient's
        acknowledgement, if it comes within ``ack_timeout``. ``compress=False`` sends it
        uncompressed even to clients that negotiated permessage-deflate (socket.io's
        ``compress(false)``; see ``per_message_deflate``)."""
        self._emit(event, data, to, room, skip_sid, namespace, callback, compress)

    def send(
        self,
        data: Any,
        to: Rooms = None,
        room: Rooms = None,
        skip_sid: Rooms = None,
        namespace: Optional[str] = None,
        callback: Optional[Callable[..., Any]] = None,
        compress: bool = True,
        **_ignored: Any,
    ) -> None:
        """Emits a ``message`` event."""
        self._emit("message", data, to, room, skip_sid, namespace, callback, compress)

    def call(
        self,
        event: str,
        data: Any = None,
        to: Optional[str] = None,
        sid: Optional[str] = None,
        namespace: Optional[str] = None,
        timeout: float = 60,
        **_ignored: Any,
    ) -> Any:
        """Emits to one socket and waits for its acknowledgement: returns None, the single
        value, or a tuple of several. Raises ``roomcast.TimeoutError`` when none came in time."""
        target = self._call_target(to, sid)
        nsp = namespace or "/"
        replies, timed_out = self._core_server().call(nsp, event, _args(data), [target], float(timeout))
        if not replies:
            raise TimeoutError(_no_ack(target, timeout, timed_out))
        return _call_result(replies[0][1])

    def enter_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """Puts ``sid`` in ``room``."""
        self._enter_room(sid, room, namespace)

    def leave_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """Takes ``sid`` out of ``room``."""
        self._leave_room(sid, room, namespace)

    def close_room(self, room: str, namespace: Optional[str] = None) -> None:
        """Takes every socket out of ``room``."""
        self._close_room(room, namespace)

    def disconnect(self, sid: str, namespace: Optional[str] = None, **_ignored: Any) -> None:
        """Disconnects ``sid`` from the namespace; its ``disconnect`` handler gets
        ``sio.reason.SERVER_DISCONNECT``."""
        self._disconnect(sid, namespace)

    def get_session(self, sid: str, namespace: Optional[str] = None) -> Dict[str, Any]:
        """The session dict of ``sid`` (kept in Python, dropped when it disconnects)."""
        return self._get_session(sid, namespace)

    def save_session(self, sid: str, session: Dict[str, Any], namespace: Optional[str] = None) -> None:
        """Replaces the session dict of ``sid``."""
        self._save_session(sid, session, namespace)

    @contextlib.contextmanager
    def session(self, sid: str, namespace: Optional[str] = None) -> Iterator[Dict[str, Any]]:
        """``with sio.session(sid) as s:`` edits the session and saves it on exit."""
        s = self._get_session(sid, namespace)
        yield s
        self._save_session(sid, s, namespace)

    # ------------------------------------------------- cluster (socket.io's names)

    def _cluster_call(self, kind: str, namespace: Optional[str], rooms: Rooms = None, skip_sid: Rooms = None,
                      event: str = "", args: Optional[list] = None, timeout: Optional[float] = None) -> Any:
        wait = (self._request_timeout if timeout is None else float(timeout)) + 5
        reply = self._cluster().call(kind, namespace or "/", _as_list(rooms), _as_list(skip_sid), event, args or [],
                                     5.0 if timeout is None else float(timeout), wait)
        return _reply(reply)

    def fetch_sockets(self, room: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None) -> ClusterResult:
        """socket.io's ``fetchSockets``: the sockets in ``room`` (all when None) minus
        ``skip_sid``, on every node of the cluster, as dicts ``{"id", "handshake", "rooms",
        "data"}``. Waits at most the ``RedisManager``'s ``request_timeout`` for the other
        nodes; ``result.complete`` says whether every node answered."""
        return self._cluster_call("fetch_sockets", namespace, room, skip_sid)

    def all_rooms(self, namespace: Optional[str] = None) -> ClusterResult:
        """Every room of every node (socket-id rooms included), sorted."""
        return self._cluster_call("all_rooms", namespace)

    def server_count(self, namespace: Optional[str] = None) -> Optional[int]:
        """Nodes serving the namespace (this one included; 1 without a cluster), or None
        when Redis cannot be asked."""
        return self._cluster_call("server_count", namespace)

    def server_side_emit(self, event: str, *args: Any, namespace: Optional[str] = None) -> None:
        """socket.io's ``serverSideEmit``: every other node gets ``event`` with ``args`` (JSON
        values; Node nodes in ``io.on(event)``, roomcast nodes in ``on_server_side``)."""
        self._cluster().server_side_emit(namespace or "/", event, list(args))

    def server_side_call(self, event: str, *args: Any, namespace: Optional[str] = None, timeout: float = 5) -> ClusterResult:
        """``serverSideEmitWithAck``: returns one answer per other node; waits at most
        ``timeout`` seconds (``result.complete`` is then False)."""
        return self._cluster_call("server_side_emit_with_ack", namespace, event=event, args=list(args), timeout=timeout)

    def sockets_join(self, rooms: Rooms, to: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None) -> None:
        """``socketsJoin``: the sockets in ``to`` (all when None) minus ``skip_sid``, on every
        node, join ``rooms``."""
        self._cluster().sockets_join(namespace or "/", _as_list(to), _as_list(skip_sid), _as_list(rooms))

    def sockets_leave(self, rooms: Rooms, to: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None) -> None:
        """``socketsLeave``: as ``sockets_join``, leaving ``rooms``."""
        self._cluster().sockets_leave(namespace or "/", _as_list(to), _as_list(skip_sid), _as_list(rooms))

    def disconnect_sockets(self, to: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None,
                           close: bool = False) -> None:
        """``disconnectSockets``: disconnects the selected sockets on every node (``close``:
        their whole connections)."""
        self._cluster().disconnect_sockets(namespace or "/", _as_list(to), _as_list(skip_sid), close)

    # ----------------------------------------------------- python-socketio extras

    def sleep(self, seconds: float = 0) -> None:
        """``time.sleep``, for code written against python-socketio."""
        time.sleep(seconds)

    def start_background_task(self, target: Handler, *args: Any, **kwargs: Any) -> threading.Thread:
        """Runs ``target(*args, **kwargs)`` on a new daemon thread."""
        t = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        t.start()
        return t
