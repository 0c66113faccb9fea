"""``AsyncServer.attach(app)``: the engine path inside an ``aiohttp.web.Application``, on the
same carried requests and WebSocket messages as ``roomcast.ASGIApp`` (``roomcast._carry``)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, List, Tuple

from ._carry import Carrier, core_close_code, engine_prefix
from ._native import IoError, ServerStopped


def attach(sio: Any, app: Any, socketio_path: str = "socket.io") -> None:
    from aiohttp import WSMsgType, web
    from multidict import CIMultiDict

    carrier = Carrier(sio)
    prefix = engine_prefix(socketio_path)
    if not prefix:
        raise ValueError("socketio_path: give the path the engine is served at (e.g. 'socket.io')")

    def client(request: Any) -> Any:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        return (peer[0], peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else None

    def headers_of(request: Any) -> List[Tuple[bytes, bytes]]:
        return list(request.raw_headers)

    def response(status: int, headers: Any, body: bytes) -> Any:
        out: CIMultiDict = CIMultiDict()
        for k, v in headers:
            if k.lower() != b"content-length":
                out.add(k.decode("latin-1"), v.decode("latin-1"))
        return web.Response(status=status, headers=out, body=body)

    async def handler(request: Any) -> Any:
        try:
            return await serve(request)
        except (ServerStopped, IoError) as e:
            # Stopping, or over a connection limit: nothing was sent yet.
            return web.Response(status=503, text=str(e))

    async def serve(request: Any) -> Any:
        rest = request.path[len(prefix):] if request.path.startswith(prefix) else ""
        target = carrier.target(rest, request.query_string)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await websocket(request, target)
        body = await request.content.read(carrier.max_body)
        r = await carrier.request(client(request), request.method, target, headers_of(request), body)
        if r is None:  # pragma: no cover - only with a `gone` future
            return web.Response(status=499)
        return response(*r)

    async def websocket(request: Any, target: str) -> Any:
        sock, i = await carrier.websocket(client(request), target, headers_of(request))
        try:
            first = await sock.output()
            if first[0] != "accept":
                return response(first[1], first[2], first[3])
            # Engine.IO pings at its own level; the core limits message sizes.
            ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
            await ws.prepare(request)

            async def feed() -> None:
                async for msg in ws:
                    if msg.type == WSMsgType.TEXT:
                        ok = await sock.feed(msg.data)
                    elif msg.type == WSMsgType.BINARY:
                        ok = await sock.feed(bytes(msg.data))
                    else:
                        break
                    if not ok:
                        break
                sock.close(ws.close_code or 1005)

            inbound = asyncio.ensure_future(feed())
            try:
                # When the peer leaves, `feed` tells the core, whose close ends this loop.
                while True:
                    o = await sock.output()
                    if o[0] == "text":
                        await ws.send_str(o[1])
                    elif o[0] == "binary":
                        await ws.send_bytes(o[1])
                    elif o[0] == "close":
                        if not ws.closed:
                            await ws.close(code=core_close_code(o[1]), message=o[2].encode())
                        break
            except (ConnectionResetError, RuntimeError):
                pass  # the peer is gone
            finally:
                inbound.cancel()
                with contextlib.suppress(BaseException):
                    await inbound
            return ws
        finally:
            sock.close(1006)
            carrier.forget(i)

    async def on_startup(_app: Any) -> None:
        await carrier.start()

    async def on_shutdown(_app: Any) -> None:
        await carrier.stop()

    # python-socketio registers the path with its trailing slash; both spellings answer.
    app.router.add_route("*", prefix + "/", handler)
    app.router.add_route("*", prefix, handler)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
