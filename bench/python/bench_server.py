"""The benchmark app (issue 6) on python-socketio, the Python peer roomcast is compared with.

Setup: ``socketio.AsyncServer(async_mode="aiohttp")`` on an aiohttp web app, run by
aiohttp's own server on the uvloop event loop -- the fastest production setup python-socketio
documents for WebSocket (the ASGI/uvicorn mode goes through one more layer; eventlet/gevent
are for the sync server). Library defaults otherwise; versions pinned in requirements.txt.

  join (room) + ack      -> enter_room, ack "ok"
  echo (data) + ack      -> ack data
  broadcast (room, data) -> emit "msg" (data) to the room, skipping the sender

Port from PORT (default 3000), 127.0.0.1, path /socket.io/.
"""

import asyncio
import os

import socketio
import uvloop
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp")
app = web.Application()
sio.attach(app)


@sio.event
async def join(sid, room):
    await sio.enter_room(sid, room)
    return "ok"


@sio.event
async def echo(sid, data):
    return data


@sio.event
async def broadcast(sid, room, data):
    await sio.emit("msg", data, room=room, skip_sid=sid)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    port = int(os.environ.get("PORT", "3000"))
    web.run_app(app, host="127.0.0.1", port=port, print=lambda _: print(f"listening on http://localhost:{port}", flush=True))
