"""``roomcast.AsyncServer``: the asyncio form.

Handlers (``async def`` or plain) run on the event loop that awaited ``start()``. A
binding-owned thread waits for the core's events (GIL released) and hands each one to the
loop in order; there, the events of one socket run one after the other while different
sockets run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

from . import _native
from ._base import Handler, _connecting, Reason, Rooms, _ServerBase, _accepts, _ack_args, _args, _as_list, _call_result, _environ, _no_ack
from .cluster import ClusterResult, _reply
from .exceptions import ConnectionRefusedError, TimeoutError

# The socket whose events the current task handles (so stop() does not wait for itself).
_current_key: contextvars.ContextVar[Any] = contextvars.ContextVar("roomcast_current_key", default=None)


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class AsyncServer(_ServerBase):
    """A Socket.IO server for asyncio code; same options and handlers as ``Server``."""

    _asyncio_based = True
    # python-socketio's asyncio async_mode values: roomcast serves on its own port with
    # handlers on the loop that awaited start(), whichever framework the value names.
    _async_modes = ("asgi", "aiohttp", "tornado", "sanic")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._tails: Dict[Any, asyncio.Task] = {}
        self._drained: Optional[asyncio.Event] = None

    # ------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> "AsyncServer":
        """Starts listening; handlers will run on the current event loop."""
        self._start_on_loop(host, port, True)
        return self

    async def _start_attached(self) -> None:
        """Starts without a port of its own: ``roomcast.ASGIApp`` / ``attach`` carry the
        engine path's requests from the web framework (see ``roomcast._carry``)."""
        self._start_on_loop("127.0.0.1", 0, False)

    def _start_on_loop(self, host: str, port: int, listen: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._drained = asyncio.Event()
        self._tails = {}
        self._start_native(host, port, listen)
        self._dispatcher = threading.Thread(target=self._pump, name="roomcast-dispatcher", daemon=True)
        self._dispatcher.start()

    def attach(self, app: Any, socketio_path: str = "socket.io") -> None:
        """Serves this server inside an ``aiohttp.web.Application`` at ``/socketio_path/``
        (python-socketio's ``AsyncServer.attach``): the server starts with the application
        (``on_startup``), without a port of its own, and stops with it (``on_shutdown``)."""
        from ._aiohttp import attach

        attach(self, app, socketio_path)

    async def wait(self) -> None:
        """Returns once the server has stopped and every event was handed to the loop."""
        if self._drained is not None:
            await self._drained.wait()

    async def stop(self, timeout: Optional[float] = None) -> None:
        """Disconnects every client, lets the ``disconnect`` handlers run, and stops."""
        if self._native is None:
            return
        limit = self.stop_timeout if timeout is None else timeout
        native = self._core_server()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, native.stop, limit)
        if self._drained is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._drained.wait(), limit + 1)
        mine = _current_key.get()
        others = [t for k, t in self._tails.items() if k != mine and not t.done()]
        if others:
            await asyncio.wait(others, timeout=limit)

    def run(self, host: str = "127.0.0.1", port: int = 3000) -> None:
        """Runs the server on a new event loop until stopped or Ctrl-C."""

        async def main() -> None:
            await self.start(host, port)
            try:
                await self.wait()
            finally:
                await self.stop()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())

    async def __aenter__(self) -> "AsyncServer":
        if self._native is None or self._native.stopped:
            await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def _pump(self) -> None:
        """Dispatcher thread: forwards events to the loop, in order."""
        native, loop = self._native, self._loop
        assert loop is not None
        try:
            while True:
                ev = native.next_event()
                try:
                    loop.call_soon_threadsafe(self._on_event, ev)
                except RuntimeError:
                    break  # the loop is closed: nobody left to handle events
                if ev[0] == "stopped":
                    break
        finally:
            self._stopped.set()

    # ---------------------------------------------------------------- events

    def _on_event(self, ev: tuple) -> None:
        kind = ev[0]
        if kind == "stopped":
            for entry in self._clear_acks():
                if isinstance(entry, asyncio.Future) and not entry.done():
                    entry.set_result(([], True))
            assert self._drained is not None
            self._drained.set()
            return
        if kind == "ack":
            self._on_ack(ev)
            return
        if kind == "allow_request":
            assert self._loop is not None
            self._loop.create_task(self._allow(ev[1], ev[3]))
            return
        if kind == "cors_origin":
            assert self._loop is not None
            self._loop.create_task(self._origin(ev[1], ev[3]))
            return
        if kind == "plain_request":
            assert self._loop is not None
            self._loop.create_task(self._verify_plain(ev[1], ev[2], ev[3]))
            return
        if kind == "cluster_reply":
            _, request_id, reply = ev
            fut = self._take_callback(request_id)
            if isinstance(fut, asyncio.Future) and not fut.done():
                fut.set_result(reply)
            return
        # Every event of one socket id (from its connect request on) runs in order; the
        # room events of a namespace too, in their own line.
        if kind == "room":
            key: Any = ("room", ev[1])
        else:
            key = ev[3] if kind == "connect_request" else ev[2]
        prev = self._tails.get(key)
        assert self._loop is not None
        task = self._loop.create_task(self._run(key, ev, prev))
        self._tails[key] = task
        task.add_done_callback(lambda t, k=key: self._tails.get(k) is t and self._tails.pop(k))

    async def _allow(self, request: int, handshake: dict) -> None:
        """``allow_request`` for one handshake; an ``async def`` is awaited."""
        allowed = self._ask_allow_request(handshake)
        if inspect.isawaitable(allowed):
            try:
                allowed = await allowed
            except Exception:
                self.logger.exception("roomcast: error in allow_request; the request is refused")
                allowed = False
        self._answer_allow_request(request, allowed)

    async def _origin(self, request: int, handshake: dict) -> None:
        """The callable ``cors_allowed_origins`` for one request; an ``async def`` is awaited."""
        allowed = self._ask_origin(handshake)
        if inspect.isawaitable(allowed):
            try:
                allowed = await allowed
            except Exception:
                self.logger.exception("roomcast: error in cors_allowed_origins; the origin is not allowed")
                allowed = False
        self._answer_origin(request, allowed)

    async def _verify_plain(self, request: int, path: str, handshake: dict) -> None:
        """A plain route's ``verify`` for one upgrade; an ``async def`` is awaited."""
        route = self._routes[path]
        result = self._plain_verify(route, handshake)
        if inspect.isawaitable(result):
            try:
                result = await result
            except Exception:
                self.logger.exception("roomcast: error in verify of plain route %s; refused", path)
                result = (False, 500, "Internal Server Error")
        self._answer_plain_verify(request, route, result)

    async def _run(self, key: Any, ev: tuple, prev: Optional[asyncio.Task]) -> None:
        _current_key.set(key)
        if prev is not None and not prev.done():
            await asyncio.wait([prev])
        try:
            await self._handle(ev)
        except Exception:
            self.logger.exception("roomcast: error while handling %s", ev[0])

    def _on_ack(self, ev: tuple) -> None:
        _, ack_id, replies, timed_out = ev
        entry = self._take_callback(ack_id)
        if entry is None:
            return
        if isinstance(entry, asyncio.Future):
            if not entry.done():
                entry.set_result((replies, timed_out))
            return
        assert self._loop is not None
        for _sid, args in replies:
            self._loop.create_task(self._guard(entry, "ack callback", *args))

    async def _handle(self, ev: tuple) -> None:
        kind = ev[0]
        if kind.startswith("plain_"):
            call = self._plain_call(ev)
            if call is not None:
                await self._guard(call[0], f"plain route {ev[1]} {kind[6:]}", *call[1])
            return
        if kind == "room":
            room_call = self._room_call(ev)
            if room_call is not None:
                await self._guard(room_call[0], f"room event {ev[2]!r}", *room_call[1])
            return
        if kind == "message":
            _, nsp, sid, event, args, token = ev
            handler, star = self._catch_all(nsp, event)
            if handler is None:
                return
            try:
                result = await _maybe_await(handler(event, sid, *args) if star else handler(sid, *args))
            except Exception:
                self.logger.exception("roomcast: error in handler for event %r (namespace %s)", event, nsp)
                return
            if token is not None:
                try:
                    self._core_server().ack(token, _ack_args(result))
                except (_native.NoSuchSocket, _native.ServerStopped):
                    pass
                except (TypeError, ValueError):
                    self.logger.exception("roomcast: the return value of the handler for %r cannot be sent as an ack", event)
        elif kind == "connect_request":
            _, request, nsp, sid, auth, handshake, recovered = ev
            if recovered:
                self._recovered.add((nsp, sid))
            environ = _environ(handshake)
            self._environ[(nsp, sid)] = environ
            mark = _connecting.set((nsp, sid))
            try:
                result, exc = await self._run_connect(nsp, sid, environ, auth)
            finally:
                _connecting.reset(mark)
            refusal = self._refusal(result, exc)
            if refusal is not None:
                self._reject(request, nsp, sid, refusal)
                self._environ.pop((nsp, sid), None)
            elif not self._accept(request, nsp, sid):
                await self._run_disconnect(nsp, sid, Reason.TRANSPORT_CLOSE)
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
            mark = _connecting.set((nsp, sid))
            try:
                result, exc = await self._run_connect(nsp, sid, environ, auth)
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
                await self._guard(handler, "disconnecting", sid, reason)
        elif kind == "disconnect":
            _, nsp, sid, reason = ev
            if (nsp, sid) in self._refused:
                self._refused.discard((nsp, sid))
            else:
                await self._run_disconnect(nsp, sid, reason)
            self._forget(nsp, sid)
        elif kind == "server_side_emit":
            _, nsp, event, args, token = ev
            handler = self.server_side_handlers.get(nsp, {}).get(event)
            if handler is not None:
                result = await self._guard(handler, f"server-side {event!r}", *args)
                if token is not None:
                    self._server_side_answer(token, result, event)

    async def _guard(self, fn: Callable[..., Any], what: str, *args: Any) -> Any:
        try:
            return await _maybe_await(fn(*args))
        except Exception:
            self.logger.exception("roomcast: error in %s handler", what)
            return None

    async def _run_connect(self, nsp: str, sid: str, environ: dict, auth: Any) -> tuple:
        handler = self._handler(nsp, "connect")
        if handler is None:
            return None, None
        try:
            if _accepts(handler, 3):
                return await _maybe_await(handler(sid, environ, auth)), None
            return await _maybe_await(handler(sid, environ)), None
        except Exception as exc:
            if not isinstance(exc, ConnectionRefusedError):
                self.logger.exception("roomcast: error in connect handler (namespace %s); connection refused", nsp)
            return None, exc

    async def _run_disconnect(self, nsp: str, sid: str, reason: str) -> None:
        handler = self._handler(nsp, "disconnect")
        if handler is None:
            return
        if _accepts(handler, 2):
            await self._guard(handler, "disconnect", sid, reason)
        else:
            await self._guard(handler, "disconnect", sid)

    # -------------------------------------------------------------- commands

    async def emit(
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
        """As ``Server.emit``; ``callback`` may be a coroutine function."""
        self._emit(event, data, to, room, skip_sid, namespace, callback, compress)

    async def send(
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

    async def call(
        self,
        event: str,
        data: Any = None,
        to: Optional[str] = None,
        sid: Optional[str] = None,
        namespace: Optional[str] = None,
        timeout: float = 60,
        **_ignored: Any,
    ) -> Any:
        """As ``Server.call``, awaiting the acknowledgement without blocking the loop."""
        target = self._call_target(to, sid)
        nsp = namespace or "/"
        native = self._core_server()
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        with self._lock:
            ack_id = native.emit_with_ack(nsp, event, _args(data), [target], [], float(timeout))
            self._add_callback(ack_id, fut)
        replies: List[Any]
        replies, timed_out = await fut
        if not replies:
            raise TimeoutError(_no_ack(target, timeout, timed_out))
        return _call_result(replies[0][1])

    # ------------------------------------------------- cluster (socket.io's names)

    async def _cluster_request(self, kind: str, namespace: Optional[str], rooms: Rooms = None, skip_sid: Rooms = None,
                               event: str = "", args: Optional[list] = None, timeout: float = 5) -> Any:
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        with self._lock:  # held so that the reply finds the future
            request_id = self._cluster().request(kind, namespace or "/", _as_list(rooms), _as_list(skip_sid), event,
                                                 args or [], float(timeout))
            self._add_callback(request_id, fut)
        reply = await fut
        if not isinstance(reply, dict):
            raise _native.ServerStopped("server stopped")
        return _reply(reply)

    async def fetch_sockets(self, room: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None) -> ClusterResult:
        """As ``Server.fetch_sockets``, awaited."""
        return await self._cluster_request("fetch_sockets", namespace, room, skip_sid)

    async def all_rooms(self, namespace: Optional[str] = None) -> ClusterResult:
        """As ``Server.all_rooms``, awaited."""
        return await self._cluster_request("all_rooms", namespace)

    async def server_count(self, namespace: Optional[str] = None) -> Optional[int]:
        """As ``Server.server_count``, awaited."""
        return await self._cluster_request("server_count", namespace)

    async def server_side_emit(self, event: str, *args: Any, namespace: Optional[str] = None) -> None:
        """As ``Server.server_side_emit``."""
        self._cluster().server_side_emit(namespace or "/", event, list(args))

    async def server_side_call(self, event: str, *args: Any, namespace: Optional[str] = None, timeout: float = 5) -> ClusterResult:
        """As ``Server.server_side_call``, awaited."""
        return await self._cluster_request("server_side_emit_with_ack", namespace, event=event, args=list(args), timeout=timeout)

    async def sockets_join(self, rooms: Rooms, to: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None) -> None:
        """As ``Server.sockets_join``."""
        self._cluster().sockets_join(namespace or "/", _as_list(to), _as_list(skip_sid), _as_list(rooms))

    async def sockets_leave(self, rooms: Rooms, to: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None) -> None:
        """As ``Server.sockets_leave``."""
        self._cluster().sockets_leave(namespace or "/", _as_list(to), _as_list(skip_sid), _as_list(rooms))

    async def disconnect_sockets(self, to: Rooms = None, skip_sid: Rooms = None, namespace: Optional[str] = None,
                                 close: bool = False) -> None:
        """As ``Server.disconnect_sockets``."""
        self._cluster().disconnect_sockets(namespace or "/", _as_list(to), _as_list(skip_sid), close)

    async def enter_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """Puts ``sid`` in ``room``."""
        self._enter_room(sid, room, namespace)

    async def leave_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """Takes ``sid`` out of ``room``."""
        self._leave_room(sid, room, namespace)

    async def close_room(self, room: str, namespace: Optional[str] = None) -> None:
        """Takes every socket out of ``room``."""
        self._close_room(room, namespace)

    async def disconnect(self, sid: str, namespace: Optional[str] = None, **_ignored: Any) -> None:
        """Disconnects ``sid`` from the namespace."""
        self._disconnect(sid, namespace)

    async def get_session(self, sid: str, namespace: Optional[str] = None) -> Dict[str, Any]:
        """The session dict of ``sid``."""
        return self._get_session(sid, namespace)

    async def save_session(self, sid: str, session: Dict[str, Any], namespace: Optional[str] = None) -> None:
        """Replaces the session dict of ``sid``."""
        self._save_session(sid, session, namespace)

    @contextlib.asynccontextmanager
    async def session(self, sid: str, namespace: Optional[str] = None) -> AsyncIterator[Dict[str, Any]]:
        """``async with sio.session(sid) as s:`` edits the session and saves it on exit."""
        s = self._get_session(sid, namespace)
        yield s
        self._save_session(sid, s, namespace)

    async def sleep(self, seconds: float = 0) -> None:
        """``asyncio.sleep``, for code written against python-socketio."""
        await asyncio.sleep(seconds)

    def start_background_task(self, target: Handler, *args: Any, **kwargs: Any) -> "asyncio.Task":
        """Runs the coroutine ``target(*args, **kwargs)`` as a task on the server's loop."""
        assert self._loop is not None, "start the server first"
        return self._loop.create_task(target(*args, **kwargs))
