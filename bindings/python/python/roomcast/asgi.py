"""``roomcast.ASGIApp``: a roomcast ``AsyncServer`` inside an ASGI application (uvicorn,
FastAPI, Starlette, Hypercorn), in python-socketio's shape.

>>> sio = roomcast.AsyncServer()
>>> app = roomcast.ASGIApp(sio, other_asgi_app=fastapi_app)   # or fastapi_app.mount('/ws', ...)
>>> # uvicorn module:app

Requests on the engine path go to the core whole (polling) or as WebSocket messages (see
``roomcast._carry``); other requests go to ``other_asgi_app`` (404 without one). The core
runs attached (no port of its own) and starts at ASGI lifespan startup, or at the first
request when the app is mounted (Starlette does not pass lifespan to mounted apps); it
stops at lifespan shutdown (or at interpreter exit).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from typing import Any, Awaitable, Callable, Dict, Optional

from ._base import _static_dir
from ._native import IoError, ServerStopped
from ._carry import Carrier, core_close_code, engine_prefix

Scope = Dict[str, Any]
Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]


async def _call(fn: Optional[Callable[[], Any]]) -> None:
    if fn is None:
        return
    r = fn()
    if inspect.isawaitable(r):
        await r


class ASGIApp:
    """python-socketio's ``socketio.ASGIApp(socketio_server, other_asgi_app=None,
    static_files=None, socketio_path='socket.io', on_startup=None, on_shutdown=None)``.

    - ``socketio_server``: a ``roomcast.AsyncServer`` (``roomcast.Server`` is refused with
      ``TypeError``: its handlers run on threads, not on the ASGI loop).
    - ``socketio_path``: the engine path relative to where the app is mounted (``root_path``).
    - ``static_files``: ``{'/': directory}`` (what the core serves, see ``Server``); other
      shapes raise ``ValueError``. GET/HEAD requests off the engine path try it first; what
      it lacks goes to ``other_asgi_app``.
    - ``on_startup`` / ``on_shutdown``: callables (or coroutine functions) run at lifespan
      startup / shutdown. Without them and with ``other_asgi_app``, lifespan goes to that app
      too (as python-socketio does), with the core started before it and stopped after.
    """

    def __init__(
        self,
        socketio_server: Any,
        other_asgi_app: Any = None,
        static_files: Any = None,
        socketio_path: str = "socket.io",
        on_startup: Optional[Callable[[], Any]] = None,
        on_shutdown: Optional[Callable[[], Any]] = None,
    ) -> None:
        self.carrier = Carrier(socketio_server)
        self.sio = socketio_server
        self.other_asgi_app = other_asgi_app
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.socketio_path = socketio_path
        self._prefix = engine_prefix(socketio_path)
        self._static = static_files is not None or bool(socketio_server._options.get("static_dir"))
        if static_files is not None:
            socketio_server._options["static_dir"] = _static_dir(static_files)

    # ----------------------------------------------------------------- routing

    def _engine_rest(self, scope: Scope) -> Optional[str]:
        """The part of the path after the engine path, or ``None`` off the engine path."""
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        p = self._prefix
        if p == "":
            return path
        if path == p or path.startswith(p + "/"):
            return path[len(p):]
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        rest = self._engine_rest(scope) if kind in ("http", "websocket") else None
        if rest is not None:
            query = scope.get("query_string", b"").decode("latin-1")
            target = self.carrier.target(rest, query)
            try:
                if kind == "http":
                    await self._http(scope, receive, send, target)
                else:
                    await self._websocket(scope, receive, send, target)
            except (ServerStopped, IoError) as e:
                # Stopping, or over a connection limit: nothing was sent yet.
                if kind == "http":
                    await _respond(send, 503, [(b"content-type", b"text/plain")], str(e).encode())
                else:
                    await send({"type": "websocket.close", "code": 1013})
            return
        if kind == "http" and self._static and scope.get("method") in ("GET", "HEAD"):
            if await self._static_file(scope, receive, send):
                return
        if self.other_asgi_app is not None:
            await self.other_asgi_app(scope, receive, send)
        elif kind == "http":
            await _respond(send, 404, [(b"content-type", b"text/plain")], b"Not Found")
        elif kind == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1000})

    # ----------------------------------------------------------------- lifespan

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.other_asgi_app is not None and self.on_startup is None and self.on_shutdown is None:
            # The application handles lifespan; the core starts before its startup and
            # stops after its shutdown handlers ran.
            async def receive_() -> Dict[str, Any]:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await self.carrier.start()
                return msg

            async def send_(msg: Dict[str, Any]) -> None:
                if msg["type"] == "lifespan.shutdown.complete":
                    await self.carrier.stop()
                await send(msg)

            await self.other_asgi_app(scope, receive_, send_)
            return
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                try:
                    await self.carrier.start()
                    await _call(self.on_startup)
                except Exception as e:
                    await send({"type": "lifespan.startup.failed", "message": str(e)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                try:
                    await _call(self.on_shutdown)
                    await self.carrier.stop()
                except Exception as e:
                    await send({"type": "lifespan.shutdown.failed", "message": str(e)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ------------------------------------------------------------------- http

    async def _http(self, scope: Scope, receive: Receive, send: Send, target: str) -> None:
        limit = self.carrier.max_body
        chunks = []
        size = 0
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            if size < limit:
                chunks.append(chunk[: limit - size])
            size += len(chunk)
            more = msg.get("more_body", False)
        # A long poll waits in the core; the peer leaving meanwhile aborts it.
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            r = await self.carrier.request(
                scope.get("client"), scope["method"], target, scope.get("headers", []), b"".join(chunks), gone
            )
        finally:
            gone.cancel()
        if r is None:
            return
        status, headers, body = r
        await _respond(send, status, headers, body if scope["method"] != "HEAD" else b"")

    async def _static_file(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Serves a static file from the core; False when it has none (404)."""
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        query = scope.get("query_string", b"").decode("latin-1")
        r = await self.carrier.request(
            scope.get("client"), scope["method"], path + ("?" + query if query else ""), scope.get("headers", []), b""
        )
        if r is None or (r[0] == 404 and self.other_asgi_app is not None):
            return False
        await _respond(send, r[0], r[1], r[2] if scope["method"] != "HEAD" else b"")
        return True

    # -------------------------------------------------------------- websocket

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, target: str) -> None:
        msg = await receive()
        if msg["type"] != "websocket.connect":
            return
        sock, i = await self.carrier.websocket(scope.get("client"), target, scope.get("headers", []))
        try:
            first = await sock.output()
            if first[0] != "accept":
                await _refuse(scope, send, first)
                return
            await send({"type": "websocket.accept"})
            inbound = asyncio.ensure_future(_feed(sock, receive))
            try:
                while True:
                    o = await sock.output()
                    if o[0] == "text":
                        await send({"type": "websocket.send", "text": o[1]})
                    elif o[0] == "binary":
                        await send({"type": "websocket.send", "bytes": o[1]})
                    elif o[0] == "close":
                        if not inbound.done():
                            await send({"type": "websocket.close", "code": core_close_code(o[1]), "reason": o[2]})
                        break
            except OSError:
                pass  # the peer is gone: the core learns it from `close` below
            finally:
                inbound.cancel()
                with contextlib.suppress(BaseException):
                    await inbound
        finally:
            sock.close(1006)
            self.carrier.forget(i)


async def _feed(sock: Any, receive: Receive) -> None:
    """The peer's messages to the core until it disconnects."""
    while True:
        msg = await receive()
        t = msg["type"]
        if t == "websocket.receive":
            data = msg.get("text")
            if data is None:
                data = msg.get("bytes") or b""
            if not await sock.feed(data):
                return
        elif t == "websocket.disconnect":
            sock.close(int(msg.get("code", 1005)))
            return


async def _disconnected(receive: Receive) -> None:
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return


async def _respond(send: Send, status: int, headers: Any, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: Scope, send: Send, refusal: tuple) -> None:
    """The core refused the handshake: its response when the server can send one
    (``websocket.http.response``), else a close before accept (HTTP 403)."""
    _, status, headers, body = refusal
    if "websocket.http.response" in (scope.get("extensions") or {}):
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})
