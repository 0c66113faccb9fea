"""What serving roomcast inside a Python web server costs (issue 13, scripts/bench-asgi.sh).

The benchmark handlers (join + ack, echo + ack, broadcast to a room minus the sender) on an
asyncio server, served four ways on 127.0.0.1:PORT, chosen by MODE:

  own        roomcast.AsyncServer on its own port (the fast path)
  asgi       roomcast.ASGIApp wrapping a one-route ASGI app, under uvicorn
  aiohttp    roomcast.AsyncServer.attach on an aiohttp web app (aiohttp's server)
  psio-asgi  the peer: python-socketio's AsyncServer + socketio.ASGIApp under uvicorn

uvicorn runs with its defaults (the websockets library for WebSocket, uvloop when
installed). Prints "listening on http://localhost:PORT" once it accepts.
"""

import asyncio
import os
import sys

MODE = os.environ.get("MODE", "own")
PORT = int(os.environ.get("PORT", "3000"))


def handlers(sio, enter_room, emit) -> None:
    @sio.event
    async def join(sid, room):
        await enter_room(sid, room)
        return "ok"

    @sio.event
    async def echo(sid, data):
        return data

    @sio.event
    async def broadcast(sid, room, data):
        await emit("msg", data, room=room, skip_sid=sid)


async def other_app(scope, receive, send):
    """The application's own routes: one plain-text answer."""
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            await send({"type": m["type"] + ".complete"})
            if m["type"] == "lifespan.shutdown":
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"app"})


def ready() -> None:
    print(f"listening on http://localhost:{PORT}", flush=True)


def main() -> None:
    if MODE == "psio-asgi":
        import socketio
        import uvicorn

        sio = socketio.AsyncServer(async_mode="asgi")
        handlers(sio, sio.enter_room, sio.emit)
        app = socketio.ASGIApp(sio, other_asgi_app=other_app)
        ready()
        uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
        return
    import roomcast

    sio = roomcast.AsyncServer()
    handlers(sio, sio.enter_room, sio.emit)
    if MODE == "own":
        async def run() -> None:
            await sio.start("127.0.0.1", PORT)
            ready()
            await sio.wait()

        asyncio.run(run())
    elif MODE == "asgi":
        import uvicorn

        ready()
        uvicorn.run(roomcast.ASGIApp(sio, other_asgi_app=other_app), host="127.0.0.1", port=PORT,
                    log_level="warning")
    elif MODE == "aiohttp":
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/", lambda _r: web.Response(text="app"))
        sio.attach(app)
        ready()
        web.run_app(app, host="127.0.0.1", port=PORT, print=None)
    else:
        sys.exit(f"MODE: own, asgi, aiohttp or psio-asgi, not {MODE!r}")


if __name__ == "__main__":
    main()
