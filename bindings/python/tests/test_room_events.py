"""roomcast's room events (``on_room_event``, socket.io's adapter events) with the real
python-socketio client: order and arguments as socket.io's in-memory adapter, each
socket's own room, no second create-room, every room left on disconnect."""

import asyncio
import threading

import pytest
import socketio

import roomcast
from conftest import wait_for


def record_rooms(sio, seen, namespace=None):
    """Registers a handler for each room event that appends (event, *args) to ``seen``."""
    for event in roomcast.ROOM_EVENTS:
        sio.on_room_event(event, lambda *args, e=event: seen.append((e, *args)), namespace=namespace)


def take(seen, n):
    """Waits until ``seen`` has ``n`` entries, checks no more come, and takes them."""
    wait_for(lambda: len(seen) >= n, what=f"{n} entries, got {seen}")
    threading.Event().wait(0.05)
    out = list(seen)
    del seen[:]
    return out


def test_room_events_in_socket_io_order(make_server, make_client):
    sio = make_server()
    seen = []
    record_rooms(sio, seen)

    @sio.event
    def connect(sid, environ):
        seen.append(("connect", sid))

    @sio.event
    def join(sid, room):
        sio.enter_room(sid, room)

    @sio.event
    def leave(sid, room):
        sio.leave_room(sid, room)

    @sio.event
    def disconnect(sid, reason):
        seen.append(("disconnect", sid))

    sio.start()
    c1 = make_client(sio)
    a = c1.get_sid()
    # The socket's own room first: create-room (room), join-room (room, sid), then connect.
    assert take(seen, 3) == [("create-room", a), ("join-room", a, a), ("connect", a)]

    c1.call("join", "r1", timeout=10)
    c1.call("join", "r1", timeout=10)  # in it already: nothing
    c1.call("leave", "nope", timeout=10)  # not in it: nothing
    c2 = make_client(sio)
    b = c2.get_sid()
    c2.call("join", "r1", timeout=10)  # a room a has: no create-room
    assert take(seen, 6) == [
        ("create-room", "r1"),
        ("join-room", "r1", a),
        ("create-room", b),
        ("join-room", b, b),
        ("connect", b),
        ("join-room", "r1", b),
    ]

    # b goes: a leave-room per room, in the order it joined them, before its disconnect
    # handler; its own room empties (delete-room after the leave-room).
    c2.disconnect()
    assert take(seen, 4) == [
        ("leave-room", b, b),
        ("delete-room", b),
        ("leave-room", "r1", b),
        ("disconnect", b),
    ]

    # The last one out of r1; close_room takes everyone out.
    c1.call("leave", "r1", timeout=10)
    assert take(seen, 2) == [("leave-room", "r1", a), ("delete-room", "r1")]
    c1.call("join", "r2", timeout=10)
    assert take(seen, 2) == [("create-room", "r2"), ("join-room", "r2", a)]
    sio.close_room("r2")
    assert take(seen, 2) == [("leave-room", "r2", a), ("delete-room", "r2")]


def test_room_events_per_namespace_and_registered_after_start(make_server, make_client):
    sio = make_server()
    root = []
    record_rooms(sio, root)

    @sio.on("connect", namespace="/chat")
    def chat_connect(sid, environ):
        sio.enter_room(sid, "lobby", namespace="/chat")

    sio.start()
    c1 = make_client(sio, namespaces=["/chat"])
    threading.Event().wait(0.2)
    assert root == [], "no event of another namespace"
    # Registered while running: reported from then on.
    chat = []
    record_rooms(sio, chat, namespace="/chat")
    c2 = make_client(sio, namespaces=["/chat"])
    b = c2.get_sid(namespace="/chat")
    # lobby exists already (c1 is in it): no create-room for it.
    assert take(chat, 3) == [("create-room", b), ("join-room", b, b), ("join-room", "lobby", b)]
    assert root == []
    assert c1.connected


def test_on_room_event_refuses_unknown_events_and_namespaces(make_server):
    sio = make_server()
    with pytest.raises(ValueError, match="'room-created' is not one of create-room"):
        sio.on_room_event("room-created", lambda room: None)
    with pytest.raises(ValueError, match="namespace 'chat' does not start with '/'"):
        sio.on_room_event("join-room", lambda room, sid: None, namespace="chat")

    # As a decorator, it returns the function.
    @sio.on_room_event("delete-room")
    def gone(room):
        pass

    assert sio.room_handlers["/"]["delete-room"] is gone


def test_async_server_awaits_room_event_handlers_in_order():
    async def main():
        sio = roomcast.AsyncServer()
        seen = []

        @sio.on_room_event("create-room")
        async def created(room):
            await asyncio.sleep(0.01)  # the next event waits for this one
            seen.append(("create-room", room))

        @sio.on_room_event("join-room")
        async def joined(room, sid):
            seen.append(("join-room", room, sid))

        @sio.on_room_event("leave-room")
        def left(room, sid):
            seen.append(("leave-room", room, sid))

        @sio.on_room_event("delete-room")
        async def deleted(room):
            seen.append(("delete-room", room))

        @sio.event
        async def join(sid, room):
            await sio.enter_room(sid, room)

        await sio.start()
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
        a = c.get_sid()
        await c.call("join", "r", timeout=10)
        await c.disconnect()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(seen) < 8 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert seen == [
            ("create-room", a),
            ("join-room", a, a),
            ("create-room", "r"),
            ("join-room", "r", a),
            ("leave-room", a, a),
            ("delete-room", a),
            ("leave-room", "r", a),
            ("delete-room", "r"),
        ]
        await sio.stop()

    asyncio.run(asyncio.wait_for(main(), 60))
