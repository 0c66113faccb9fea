"""socket.io's connection semantics: the ``connect`` handler runs before the client can see
its connection, so rooms it enters and what it emits are in effect by then (the core holds
each CONNECT until the handler is done)."""

import asyncio
import threading
from typing import List

import socketio

import roomcast

N = 200


async def _connect_all(port: int, n: int) -> List[socketio.AsyncClient]:
    clients = []
    for _ in range(n):
        c = socketio.AsyncClient(reconnection=False)
        c.hellos = []  # type: ignore[attr-defined]
        c.on("hello", lambda sid, c=c: c.hellos.append((sid, c.connected, c.get_sid())))
        clients.append(c)
    await asyncio.gather(*(c.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=30) for c in clients))
    return clients


async def _all_get_news(clients: List[socketio.AsyncClient], broadcast) -> List[str]:
    loop = asyncio.get_running_loop()
    futures = []
    for c in clients:
        fut = loop.create_future()
        c.on("news", lambda data, fut=fut: fut.done() or fut.set_result(data))
        futures.append(fut)
    broadcast()
    try:
        return await asyncio.wait_for(asyncio.gather(*futures), 30)
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients))


def _check_hellos(clients: List[socketio.AsyncClient]) -> None:
    for c in clients:
        assert len(c.hellos) == 1
        sid, connected_first, client_sid = c.hellos[0]
        assert connected_first, "the handler's emit arrives after connect"
        assert sid == client_sid


def test_200_connects_rooms_entered_in_connect_reach_a_timer_broadcast(make_server):
    sio = make_server()
    handled = []

    @sio.event
    def connect(sid, environ):
        sio.enter_room(sid, "lobby")
        sio.emit("hello", sid, to=sid)
        handled.append(sid)

    sio.start()

    async def main():
        clients = await _connect_all(sio.port, N)
        # Every client has seen its connection, so every handler has run.
        assert len(handled) == N
        got = await _all_get_news(clients, lambda: threading.Timer(0.0, lambda: sio.emit("news", "all", room="lobby")).start())
        assert got == ["all"] * N
        _check_hellos(clients)

    asyncio.run(main())


def test_200_connects_async_server():
    async def main():
        sio = roomcast.AsyncServer()
        handled = []

        @sio.event
        async def connect(sid, environ):
            await sio.enter_room(sid, "lobby")
            await asyncio.sleep(0)  # an await inside the handler: still before CONNECT
            await sio.emit("hello", sid, to=sid)
            handled.append(sid)

        await sio.start()
        try:
            clients = await _connect_all(sio.port, N)
            assert len(handled) == N
            loop = asyncio.get_running_loop()
            got = await _all_get_news(clients, lambda: loop.call_later(0, lambda: loop.create_task(sio.emit("news", "all", room="lobby"))))
            assert got == ["all"] * N
            _check_hellos(clients)
        finally:
            await sio.stop()

    asyncio.run(main())


def test_handler_calls_take_effect_in_order_then_disconnect(make_server):
    sio = make_server()

    @sio.event
    def connect(sid, environ):
        sio.enter_room(sid, "a")
        sio.emit("rooms", sorted(sio.rooms(sid)), to=sid)
        sio.leave_room(sid, "a")
        sio.emit("rooms", sorted(sio.rooms(sid)), to=sid)
        sio.disconnect(sid)

    sio.start()
    seen = []
    done = threading.Event()
    c = socketio.Client(reconnection=False)
    c.on("connect", lambda: seen.append(("connect", c.get_sid())))
    c.on("rooms", lambda r: seen.append(("rooms", r)))
    c.on("disconnect", lambda *a: done.set())
    c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
    assert done.wait(10)
    sid = seen[0][1]
    assert seen == [("connect", sid), ("rooms", sorted([sid, "a"])), ("rooms", [sid])]
