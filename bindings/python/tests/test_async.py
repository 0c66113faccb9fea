"""roomcast.AsyncServer driven by the real python-socketio AsyncClient (aiohttp)."""

import asyncio
import threading

import pytest
import socketio

import roomcast


async def eventually(cond, timeout=10.0, what="condition"):
    """Awaits until ``cond()`` is true; fails after a generous ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def client(sio, on=None, **kwargs):
    c = socketio.AsyncClient(reconnection=False)
    for event, fn in (on or {}).items():
        c.on(event, fn)
    kwargs.setdefault("transports", ["websocket"])
    await c.connect(f"http://127.0.0.1:{sio.port}", wait_timeout=10, **kwargs)
    return c


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 60))


def test_async_handlers_run_on_the_loop_that_started_the_server():
    async def main():
        sio = roomcast.AsyncServer(stop_timeout=0.5)
        loop_threads = []

        @sio.event
        async def connect(sid, environ, auth):
            loop_threads.append(threading.get_ident())
            await sio.enter_room(sid, "room")
            await sio.emit("welcome", {"auth": auth}, to=sid)

        @sio.event
        async def add(sid, a, b):
            await asyncio.sleep(0.01)
            loop_threads.append(threading.get_ident())
            return a + b, "sum"

        @sio.event
        def plain(sid, x):  # plain functions work too, on the loop
            loop_threads.append(threading.get_ident())
            return x

        await sio.start()
        welcomed = []
        c = await client(sio, on={"welcome": lambda d: welcomed.append(d)}, auth={"k": "v"})
        assert await c.call("add", (2, 3), timeout=10) == (5, "sum")
        assert await c.call("plain", b"\x01bin", timeout=10) == b"\x01bin"
        await eventually(lambda: welcomed, what="welcome")
        assert welcomed == [{"auth": {"k": "v"}}]
        assert set(loop_threads) == {threading.get_ident()}
        await c.disconnect()
        await sio.stop()

    run(main())


def test_async_call_emit_callback_rooms_and_sessions():
    async def main():
        sio = roomcast.AsyncServer(stop_timeout=0.5)
        sids = []
        sio.on("connect", lambda sid, environ, auth: sids.append(sid))

        @sio.event
        async def remember(sid, value):
            async with sio.session(sid) as s:
                s["value"] = value
            return (await sio.get_session(sid))["value"]

        await sio.start()

        async def double(x):
            return x * 2

        async def slow():
            await asyncio.sleep(3)

        c = await client(sio, on={"double": double, "slow": slow})
        await eventually(lambda: sids, what="connect")
        sid = sids[0]
        assert await sio.call("double", 21, to=sid, timeout=10) == 42
        got = []

        async def callback(*args):
            got.append(args)

        await sio.emit("double", 4, to=sid, callback=callback)
        await eventually(lambda: got, what="callback")
        assert got == [(8,)]
        with pytest.raises(roomcast.TimeoutError):
            await sio.call("slow", to=sid, timeout=0.3)
        assert await c.call("remember", "x", timeout=10) == "x"
        await sio.enter_room(sid, "a")
        assert sio.rooms(sid) == sorted([sid, "a"])
        await sio.leave_room(sid, "a")
        await sio.enter_room(sid, "b")
        await sio.close_room("b")
        assert sio.rooms(sid) == [sid]
        await sio.save_session(sid, {"fresh": True})
        assert await sio.get_session(sid) == {"fresh": True}
        await c.disconnect()
        await sio.stop()

    run(main())


def test_async_rejection_and_disconnect_reasons():
    async def main():
        sio = roomcast.AsyncServer(stop_timeout=0.5)
        reasons = []

        @sio.event
        async def connect(sid, environ, auth):
            if not auth:
                raise roomcast.ConnectionRefusedError("who are you", {"need": "auth"})

        @sio.event
        async def disconnect(sid, reason):
            reasons.append(reason)

        @sio.event
        async def kick(sid):
            await sio.disconnect(sid)

        await sio.start()
        bad = socketio.AsyncClient(reconnection=False)
        errors = []
        bad.on("connect_error", lambda data: errors.append(data))
        with pytest.raises(socketio.exceptions.ConnectionError):
            await bad.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
        await eventually(lambda: errors, what="connect_error")
        assert errors[0] == {"message": "who are you", "data": {"need": "auth"}}

        good = await client(sio, auth={"me": 1})
        await good.emit("kick")
        await eventually(lambda: reasons, what="kick")
        assert reasons == [sio.reason.SERVER_DISCONNECT]
        await good.disconnect()

        # stop with clients connected: every disconnect handler has run when stop() returns
        others = [await client(sio, auth={"n": i}) for i in range(5)]
        await sio.stop()
        assert reasons[1:] == [sio.reason.SERVER_SHUTTING_DOWN] * 5
        for c in others:
            await c.disconnect()

    run(main())


def test_async_exception_in_handler_is_logged(caplog):
    async def main():
        sio = roomcast.AsyncServer(stop_timeout=0.5)

        @sio.event
        async def fail(sid):
            raise RuntimeError("async kaboom")

        sio.on("ok", lambda sid: "fine")
        await sio.start()
        c = await client(sio)
        await c.emit("fail")
        assert await c.call("ok", timeout=10) == "fine"
        await eventually(lambda: "async kaboom" in caplog.text, what="logged exception")
        assert c.connected
        await c.disconnect()
        await sio.stop()

    run(main())


def test_async_many_clients_and_per_socket_order():
    async def main():
        sio = roomcast.AsyncServer(stop_timeout=0.5)
        seen = {}

        @sio.event
        async def seq(sid, n):
            # a short sleep in the middle: events of one socket must still come in order
            await asyncio.sleep(0.001 * (n % 3))
            seen.setdefault(sid, []).append(n)

        @sio.event
        async def done(sid):
            return seen.get(sid, [])

        await sio.start()
        clients = await asyncio.gather(*(client(sio) for _ in range(20)))
        for c in clients:
            for n in range(10):
                await c.emit("seq", n)
        results = await asyncio.gather(*(c.call("done", timeout=20) for c in clients))
        assert results == [list(range(10))] * 20
        got = []
        for c in clients:
            c.on("all", lambda x: got.append(x))
        await sio.emit("all", "hi")
        await eventually(lambda: len(got) == 20, what="broadcast to 20")
        await asyncio.gather(*(c.disconnect() for c in clients))
        await sio.stop()

    run(main())


def test_async_stop_from_a_handler():
    async def main():
        sio = roomcast.AsyncServer(stop_timeout=0.5)

        @sio.event
        async def shutdown(sid):
            await sio.stop()

        await sio.start()
        c = await client(sio)
        await c.emit("shutdown")
        await asyncio.wait_for(sio.wait(), 10)
        assert sio._native.stopped
        await c.disconnect()

    run(main())
