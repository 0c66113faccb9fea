"""The engine path (``/socket.io/``) served inside the application's own web framework.

``roomcast.ASGIApp`` (uvicorn, FastAPI, Starlette) and ``AsyncServer.attach`` (aiohttp) hand
each request on the engine path to the core as a whole (a polling GET or POST) and each
WebSocket as messages (the framework owns the socket). The core answers them as it would
on its own port: the protocol, sessions, upgrades, ping, limits and the slow-consumer
policy are the core's. Python moves whole requests and messages, nothing else.

The core never calls into Python: it marks connections ready on a ``NativeWaker`` whose
descriptor the event loop watches (``loop.add_reader``), so no core thread waits for the
GIL. One ``_Carrier`` serves one ``AsyncServer`` on one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import _native
from ._native import ServerStopped

Headers = List[Tuple[bytes, bytes]]


def engine_prefix(socketio_path: Optional[str]) -> str:
    """python-socketio's ``socketio_path`` ('socket.io', '/socket.io/', ...) as '/socket.io'."""
    p = (socketio_path or "").strip("/")
    return "/" + p if p else ""


def core_close_code(code: int) -> int:
    """A close code the framework may send: 1005/1006 are never sent in a close frame."""
    return 1000 if code in (1005, 1006) or not (1000 <= code <= 4999) else code


class CarriedSocket:
    """One WebSocket whose messages the framework carries."""

    def __init__(self, native: Any, readable: asyncio.Event, writable: asyncio.Event) -> None:
        self.native = native
        self._readable = readable
        self._writable = writable

    async def output(self) -> tuple:
        """The core's next output: ``("accept",)``, ``("refuse", status, headers, body)``,
        ``("text", s)``, ``("binary", b)``, ``("close", code, reason)``."""
        while True:
            self._readable.clear()
            o = self.native.recv()
            if o is not None:
                return o
            await self._readable.wait()

    async def feed(self, data: Any) -> bool:
        """Passes one message from the peer; waits while the core's queue is full. False
        once the core's side is gone."""
        while True:
            self._writable.clear()
            try:
                if self.native.send(data):
                    return True
            except ServerStopped:
                return False
            await self._writable.wait()

    def close(self, code: int = 1005) -> None:
        """The peer closed or went away."""
        self.native.close(code if 1000 <= code <= 4999 else 1005)


class Carrier:
    """Carries one ``AsyncServer``'s engine path through the framework, on one loop."""

    def __init__(self, sio: Any) -> None:
        from .async_server import AsyncServer

        if not isinstance(sio, AsyncServer):
            raise TypeError(
                f"roomcast.ASGIApp / attach need a roomcast.AsyncServer (got {type(sio).__name__}): "
                "the framework's requests are served on its event loop"
            )
        self.sio = sio
        self._ids = itertools.count(1)
        self._events: Dict[int, Tuple[asyncio.Event, ...]] = {}
        self._waker: Any = None
        self._carrier: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._lock: Optional[asyncio.Lock] = None
        self._started_here = False
        self._closed = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Starts the server attached (no port of its own) on the running loop, unless it
        runs already (e.g. ``await sio.start()`` also gave it a port). A server that was
        stopped is not started again by a request: that request gets ``ServerStopped``
        (503), so a shutdown is not undone by a client that polls during it."""
        loop = asyncio.get_running_loop()
        if self._carrier is not None and self._loop is loop:
            if self.sio._native.stopped:
                raise ServerStopped("the Socket.IO server has stopped")
            return
        if self._lock is None or self._loop is not loop:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._carrier is not None and self._loop is loop:
                return
            if self._closed:
                raise ServerStopped("the Socket.IO server has stopped")
            native = self.sio._native
            if native is None:
                await self.sio._start_attached()
                self._started_here = True
            elif native.stopped:
                raise ServerStopped("the Socket.IO server has stopped")
            if self._waker is not None and self._loop is not None:
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(self._waker.fileno())
            self._waker = _native.NativeWaker()
            self._loop = loop
            loop.add_reader(self._waker.fileno(), self._on_wake)
            self._carrier = self.sio._core_server().carrier()

    async def stop(self) -> None:
        """Stops the server if this carrier started it (its clients are disconnected);
        requests after this get ``ServerStopped``."""
        self._closed = True
        if self._started_here and self.sio._native is not None and not self.sio._native.stopped:
            await self.sio.stop()
        self._started_here = False

    def _on_wake(self) -> None:
        for i in self._waker.take():
            for ev in self._events.get(i, ()):
                ev.set()

    @property
    def max_body(self) -> int:
        """Bytes of a request body worth reading: one past the limit gets the core's 413."""
        return int(self.sio._options.get("max_payload") or 1_000_000) + 1

    def target(self, rest: str, query: str) -> str:
        """The request target for the core: its own engine path, whatever the mount."""
        path = "/" + str(self.sio._options.get("path") or "/socket.io/").strip("/") + "/"
        t = path + rest.lstrip("/")
        return t + "?" + query if query else t

    # ------------------------------------------------------------- requests

    async def request(
        self,
        client: Optional[Tuple[str, int]],
        method: str,
        target: str,
        headers: Iterable[Tuple[bytes, bytes]],
        body: bytes,
        gone: Optional["asyncio.Future[Any]"] = None,
    ) -> Optional[Tuple[int, Headers, bytes]]:
        """The core's response to one request, or ``None`` when ``gone`` (the peer left)
        resolved first: the request is then aborted as a closed connection would be."""
        await self.start()
        host, port = client or ("", 0)
        i = next(self._ids)
        ready = asyncio.Event()
        self._events[i] = (ready,)
        req = self._carrier.request(self._waker, i, host, port, method, target, list(headers), body)
        try:
            while True:
                ready.clear()
                r = req.result()
                if r is not None:
                    return r
                if gone is None:
                    await ready.wait()
                    continue
                waiter = asyncio.ensure_future(ready.wait())
                try:
                    await asyncio.wait({waiter, gone}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                if gone.done() and not ready.is_set():
                    req.cancel()
                    return None
        finally:
            del self._events[i]
            req.cancel()

    async def websocket(
        self, client: Optional[Tuple[str, int]], target: str, headers: Iterable[Tuple[bytes, bytes]]
    ) -> Tuple[CarriedSocket, int]:
        """Opens a carried WebSocket; ``forget(id)`` when done with it."""
        await self.start()
        host, port = client or ("", 0)
        i = next(self._ids)
        readable, writable = asyncio.Event(), asyncio.Event()
        self._events[i] = (readable, writable)
        try:
            native = self._carrier.websocket(self._waker, i, host, port, target, list(headers))
        except BaseException:
            del self._events[i]
            raise
        return CarriedSocket(native, readable, writable), i

    def forget(self, i: int) -> None:
        self._events.pop(i, None)


def response_headers(headers: Headers, keep_length: bool = True) -> Headers:
    if keep_length:
        return headers
    return [(k, v) for k, v in headers if k.lower() != b"content-length"]
