"""The Socket.IO side shared by the carried apps (asgi_app.py, aiohttp_app.py): rooms,
broadcasts to a room minus the sender, acks, binary echo and a namespace-wide shout."""

import roomcast


def make_server() -> roomcast.AsyncServer:
    sio = roomcast.AsyncServer(ping_interval=5, ping_timeout=5)

    @sio.event
    async def connect(sid, environ, auth):
        await sio.save_session(sid, {"name": (auth or {}).get("name", "?")})

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return sorted(sio.rooms(sid))

    @sio.event
    async def say(sid, room, text):
        session = await sio.get_session(sid)
        await sio.emit("said", {"from": session["name"], "text": text}, to=room, skip_sid=sid)
        return "sent"

    @sio.event
    async def echo(sid, data):
        return data

    @sio.event
    async def shout(sid, data):
        await sio.emit("shout", data)

    return sio
