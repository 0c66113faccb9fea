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
        sio = roomcast.AsyncServer()
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
        sio = roomcast.AsyncServer()
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
        sio = roomcast.AsyncServer()
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
        sio = roomcast.AsyncServer()

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
        sio = roomcast.AsyncServer()
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
        sio = roomcast.AsyncServer()

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


def test_async_client_sid_is_the_sid_the_server_handlers_see():
    async def main():
        sio = roomcast.AsyncServer(namespaces=["/", "/plain"])
        connected = []

        @sio.event
        async def connect(sid, environ, auth):  # "/" has a connect handler, "/plain" none
            await sio.enter_room(sid, "lobby")
            connected.append(sid)

        async def whoami(sid):
            return sid, sio.rooms(sid, namespace=None)

        sio.on("whoami", whoami)
        sio.on("whoami", lambda sid: sid, namespace="/plain")
        await sio.start()
        c = await client(sio, namespaces=["/", "/plain"])
        await eventually(lambda: connected, what="connect handler")
        assert connected == [c.get_sid("/")]
        assert await c.call("whoami", timeout=10) == (c.get_sid("/"), sorted([c.get_sid("/"), "lobby"]))
        assert await c.call("whoami", namespace="/plain", timeout=10) == c.get_sid("/plain")
        assert c.get_sid("/") != c.get_sid("/plain")
        await c.disconnect()
        await sio.stop()

    run(main())


def test_async_pending_acks_of_a_socket_end_when_it_disconnects():
    async def main():
        sio = roomcast.AsyncServer()
        sids, outcomes, callbacks, disconnected = [], [], [], []
        sio.on("connect", lambda sid, environ, auth: sids.append(sid))
        sio.on("disconnect", lambda sid, reason: disconnected.append(reason))

        @sio.event
        async def ask(sid):
            # A handler of the very socket that leaves: its call() must not wait for the
            # timeout (the socket's disconnect event is queued behind this handler).
            try:
                await sio.call("hang", to=sid, timeout=60)
            except roomcast.TimeoutError as e:
                outcomes.append(("in handler", str(e)))

        async def hang():
            await asyncio.sleep(30)  # never answers in time

        await sio.start()
        c = await client(sio, on={"hang": hang})
        await eventually(lambda: sids, what="connect")
        sid = sids[0]
        await sio.emit("hang", to=sid, callback=lambda *a: callbacks.append(a))
        outside = asyncio.ensure_future(sio.call("hang", to=sid, timeout=60))
        await c.emit("ask")
        await eventually(lambda: len(sio._callbacks) == 3, what="three pending acks")
        await c.disconnect()
        with pytest.raises(roomcast.TimeoutError, match="disconnected before answering"):
            await asyncio.wait_for(outside, 30)  # well under its own 60 s timeout
        await eventually(lambda: outcomes and disconnected, timeout=30, what="call in handler ended")
        assert outcomes == [("in handler", f"no acknowledgement from {sid}: it is not connected, or disconnected before answering")]
        # (python-socketio may close the WebSocket before its DISCONNECT packet is flushed)
        assert len(disconnected) == 1 and disconnected[0] in (sio.reason.CLIENT_DISCONNECT, sio.reason.TRANSPORT_CLOSE)
        assert callbacks == [] and sio._callbacks == {}
        await sio.stop()

    run(main())


def test_async_stop_without_clients_uses_the_default_timeout():
    # The default stop_timeout is a graceful upper bound; with nobody connected stop()
    # returns once the listener is closed, and the server can start again.
    async def main():
        sio = roomcast.AsyncServer()
        await sio.start()
        await sio.stop()
        assert sio._native.stopped
        await sio.start()
        c = await client(sio)
        assert c.connected
        await c.disconnect()
        await sio.stop()

    run(main())
