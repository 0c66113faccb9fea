"""Class-based namespaces (python-socketio's ``Namespace``/``AsyncNamespace``) reached by the
real python-socketio clients and the real socket.io-client (node)."""

import asyncio
import json
import subprocess
import threading
from pathlib import Path

import pytest
import socketio

import roomcast
from conftest import wait_for

CLIENT = Path(__file__).resolve().parent / "namespace_client.mjs"


class Chat(roomcast.Namespace):
    def __init__(self):
        super().__init__("/chat")
        self.events = []

    def on_connect(self, sid, environ, auth):
        if not isinstance(auth, dict) or auth.get("token") != "ok":
            raise roomcast.ConnectionRefusedError("bad token", {"hint": "token"})
        self.save_session(sid, {"name": auth["name"]})
        self.enter_room(sid, "lobby")
        self.events.append(("connect", sid, environ["PATH_INFO"]))

    def on_join(self, sid, room):
        self.enter_room(sid, room)
        with self.session(sid) as s:
            s["room"] = room
        self.emit("joined", {"name": self.get_session(sid)["name"], "room": room}, room=room)
        return sorted(self.rooms(sid))

    def on_whoami(self, sid):
        return self.get_session(sid)

    def on_leave(self, sid, room):
        self.leave_room(sid, room)
        return sorted(self.rooms(sid))

    def on_shout(self, sid, text):
        self.send(text, to="lobby", skip_sid=sid)

    def on_kick(self, sid):
        self.disconnect(sid)

    def on_disconnect(self, sid, reason):
        self.events.append(("disconnect", sid, reason))


def py_client(sio, auth, on=None, transport="websocket"):
    c = socketio.Client(reconnection=False)
    for event, fn in (on or {}).items():
        c.on(event, fn, namespace="/chat")
    c.connect(f"http://127.0.0.1:{sio.port}", namespaces=["/chat"], auth=auth, transports=[transport], wait_timeout=10)
    return c


def test_namespace_methods_reached_by_python_socketio_and_socket_io_client(make_server):
    sio = make_server()
    chat = Chat()
    sio.register_namespace(chat)
    assert chat.server is sio
    sio.start()

    joined, said = [], []
    a = py_client(sio, {"token": "ok", "name": "py"}, on={"joined": joined.append, "message": said.append})
    try:
        rooms = a.call("join", "r1", namespace="/chat", timeout=10)
        a_sid = a.get_sid("/chat")
        assert rooms == sorted([a_sid, "lobby", "r1"])
        assert a.call("whoami", namespace="/chat", timeout=10) == {"name": "py", "room": "r1"}

        # socket.io-client over polling (then upgraded) joins r1: the room broadcast made by
        # the namespace helper reaches both.
        proc = subprocess.Popen(["node", str(CLIENT), f"http://127.0.0.1:{sio.port}", "node", "r1", "polling"],
                                stdout=subprocess.PIPE, text=True)
        try:
            steps = []
            while len(steps) < 3:
                line = proc.stdout.readline()
                assert line, f"node client ended early: {steps}"
                steps.append(json.loads(line))
            by_step = {s["step"]: s for s in steps}
            assert by_step["joined"]["msg"] == {"name": "node", "room": "r1"}
            assert "lobby" in by_step["join-ack"]["rooms"] and "r1" in by_step["join-ack"]["rooms"]
            assert by_step["session"]["session"] == {"name": "node", "room": "r1"}
            wait_for(lambda: {"name": "node", "room": "r1"} in joined, what="py client sees node join r1")

            # send() from a method to a room minus the sender: node gets it, a does not
            # (a's next ack would come after it: one dispatcher, one ordered connection).
            a.emit("shout", "hello lobby", namespace="/chat")
            assert json.loads(proc.stdout.readline()) == {"step": "message", "args": ["hello lobby"]}
            assert a.call("leave", "r1", namespace="/chat", timeout=10) == sorted([a_sid, "lobby"])
            assert said == []
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    finally:
        a.disconnect()
    wait_for(lambda: any(e[0] == "disconnect" and e[1] == a_sid for e in chat.events), what="on_disconnect")
    # python-socketio's client sends DISCONNECT or just closes the transport: a reason either way
    reasons = [e[2] for e in chat.events if e[0] == "disconnect" and e[1] == a_sid]
    assert reasons in ([roomcast.Reason.CLIENT_DISCONNECT], [roomcast.Reason.TRANSPORT_CLOSE])
    assert ("connect", a_sid, "/socket.io/") in chat.events


def test_on_connect_refusal_and_server_disconnect(make_server):
    sio = make_server()
    chat = Chat()
    sio.register_namespace(chat)
    sio.start()
    errors = []
    with pytest.raises(socketio.exceptions.ConnectionError):
        py_client(sio, {"token": "no"}, on={"connect_error": errors.append})
    wait_for(lambda: errors, what="connect_error")
    assert errors[0] == {"message": "bad token", "data": {"hint": "token"}}
    gone = threading.Event()
    c = py_client(sio, {"token": "ok", "name": "x"}, on={"disconnect": lambda *a: gone.set()})
    sid = c.get_sid("/chat")
    c.emit("kick", namespace="/chat")
    assert gone.wait(10)
    wait_for(lambda: ("disconnect", sid, roomcast.Reason.SERVER_DISCONNECT) in chat.events, what="on_disconnect")


def test_short_signatures_trigger_event_override_and_function_handlers_first(make_server):
    calls = []

    class Short(roomcast.Namespace):
        def on_connect(self, sid, environ):  # no auth parameter
            calls.append("connect")

        def on_disconnect(self, sid):  # no reason parameter
            calls.append("disconnect")

        def on_echo(self, sid, *args):
            return args

        def on_both(self, sid):
            return "method"

        def trigger_event(self, event, *args):
            calls.append(f"trigger:{event}")
            return super().trigger_event(event, *args)

    sio = make_server()
    sio.register_namespace(Short("/s"))
    sio.on("both", lambda sid: "function", namespace="/s")
    sio.start()
    c = socketio.Client(reconnection=False)
    c.connect(f"http://127.0.0.1:{sio.port}", namespaces=["/s"], transports=["websocket"], wait_timeout=10)
    assert tuple(c.call("echo", (1, "two"), namespace="/s", timeout=10)) == (1, "two")
    assert c.call("both", namespace="/s", timeout=10) == "function"
    assert c.call("nothing", namespace="/s", timeout=10) is None  # no method: an empty ack
    c.disconnect()
    wait_for(lambda: "disconnect" in calls, what="on_disconnect(sid)")
    assert calls[:2] == ["trigger:connect", "connect"]
    assert "trigger:echo" in calls and "trigger:both" not in calls and "trigger:nothing" in calls


def test_register_namespace_checks_the_class():
    with pytest.raises(ValueError, match="Namespace"):
        roomcast.Server().register_namespace(object())
    with pytest.raises(ValueError, match="AsyncNamespace"):
        roomcast.AsyncServer().register_namespace(roomcast.Namespace("/x"))
    with pytest.raises(ValueError, match="Namespace"):
        roomcast.Server().register_namespace(roomcast.AsyncNamespace("/x"))
    assert roomcast.Namespace().namespace == "/"


def test_async_namespace_with_the_async_client():
    class Room(roomcast.AsyncNamespace):
        def __init__(self):
            super().__init__("/room")
            self.left = asyncio.Event()
            self.reason = None

        async def on_connect(self, sid, environ, auth):
            await self.save_session(sid, {"name": auth["name"]})
            await self.enter_room(sid, "all")

        async def on_say(self, sid, text):
            s = await self.get_session(sid)
            await self.emit("said", f"{s['name']}: {text}", room="all", skip_sid=sid)
            async with self.session(sid) as s:
                s["said"] = s.get("said", 0) + 1
            return s["said"], sorted(self.rooms(sid))

        def on_plain(self, sid):  # a plain method works on the async server too
            return "plain"

        async def on_ask(self, sid):
            return await self.call("answer", "q?", to=sid, timeout=10)

        async def on_close(self, sid):
            await self.close_room("all")
            return sorted(self.rooms(sid))

        async def on_disconnect(self, sid, reason):
            self.reason = reason
            self.left.set()

    async def main():
        sio = roomcast.AsyncServer()
        ns = Room()
        sio.register_namespace(ns)
        await sio.start()
        heard = []
        clients = []
        try:
            for name in ("a", "b"):
                c = socketio.AsyncClient(reconnection=False)
                c.on("said", heard.append, namespace="/room")
                c.on("answer", lambda q: f"a:{q}", namespace="/room")
                await c.connect(f"http://127.0.0.1:{sio.port}", namespaces=["/room"], auth={"name": name},
                                transports=["websocket"], wait_timeout=10)
                clients.append(c)
            a, b = clients
            count, rooms = await a.call("say", "hi", namespace="/room", timeout=10)
            assert count == 1 and "all" in rooms
            assert (await a.call("say", "again", namespace="/room", timeout=10))[0] == 2
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while len(heard) < 2 and loop.time() < deadline:
                await asyncio.sleep(0.01)
            assert heard == ["a: hi", "a: again"]  # b heard it; a was skipped
            assert await a.call("plain", namespace="/room", timeout=10) == "plain"
            assert await a.call("ask", namespace="/room", timeout=10) == "a:q?"
            assert "all" not in await b.call("close", namespace="/room", timeout=10)
            await b.disconnect()
            await asyncio.wait_for(ns.left.wait(), 10)
            # (the async client closes its transport at once: a reason either way)
            assert ns.reason in (roomcast.Reason.CLIENT_DISCONNECT, roomcast.Reason.TRANSPORT_CLOSE)
        finally:
            for c in clients:
                await c.disconnect()
            await sio.stop()

    asyncio.run(asyncio.wait_for(main(), 60))
