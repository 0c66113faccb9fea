"""Plain WebSocket routes on the Python binding (``sio.plain_route``): the chat example
with the `ws` module's client and socket.io-client (tests/node's packages) in KPL, and the
API with the real ``websocket-client`` and python-socketio clients: verify before the
101, cookies, rooms, the delivery rules, close codes, option errors, ``AsyncServer``."""

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import socketio
import websocket

import roomcast
from conftest import wait_for

REPO = Path(__file__).resolve().parents[3]
CHAT = REPO / "examples" / "python" / "chat.py"


def test_chat_example_plain_and_socketio_users_chat_in_kpl():
    proc = subprocess.Popen(
        [sys.executable, str(CHAT)], env={**os.environ, "PORT": "0"}, stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://localhost:" in line, line
        port = int(line.rsplit(":", 1)[1])
        scenario = REPO / "tests" / "node" / "plainws-scenario.mjs"
        run = subprocess.run(
            ["node", str(scenario), f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "plain chat ok" in run.stdout
    finally:
        proc.terminate()
        proc.wait(15)


def connect(sio, path, **kw):
    return websocket.create_connection(f"ws://127.0.0.1:{sio.port}{path}", timeout=10, **kw)


def test_verify_cookies_rooms_delivery_and_close(make_server, make_client):
    sio = make_server()
    seen = []
    route = sio.plain_route(
        "/ws/room",
        rooms=["lobby"],
        verify=lambda environ: "name=" in environ.get("HTTP_COOKIE", "") or (False, 403, "Who are you"),
    )
    first = sio.plain_route("/ws/first", delivery="first_arg")

    @route.on("connect")
    def on_connect(ws, environ):
        seen.append(("connect", ws.cookies.get("name"), sorted(ws.rooms), sorted([ws.id, "lobby"])))

    @route.on("message")
    def on_message(ws, data):
        seen.append(("message", data))
        if data == "bye":
            ws.close(4000, "see you")
        elif data == "bad close":
            try:
                ws.close(1005)
            except roomcast.InvalidArgument:
                ws.send("refused")
        else:
            sio.emit("said", data, to="lobby")

    @route.on("close")
    def on_close(ws, code, reason):
        seen.append(("close", code, reason))

    @first.on("connect")
    def first_connect(ws, environ):
        ws.join("lobby")
        ws.send("joined")

    sio.start()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(sio, "/ws/room")
    assert refused.value.status_code == 403
    c = connect(sio, "/ws/room", cookie="theme=dark; name=yao")
    f = connect(sio, "/ws/first")
    assert f.recv() == "joined"
    c.send("hello")
    # json_array (the default): the whole emit; first_arg: its first argument alone.
    assert c.recv() == '["said","hello"]'
    assert f.recv() == "hello"
    c.send_binary(b"\x07")
    assert c.recv() == '["said",{"_placeholder":true,"num":0}]'
    assert c.recv() == b"\x07"
    assert f.recv() == b"\x07"
    c.send("bad close")
    assert c.recv() == "refused"
    # A Socket.IO emit to the room reaches both routes; a namespace-wide one neither.
    sio.emit("everyone", 1)
    sio.emit("news", {"n": 1}, to="lobby")
    assert c.recv() == '["news",{"n":1}]'
    assert f.recv() == '{"n":1}'
    c.send("bye")
    opcode, frame = c.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert (int.from_bytes(frame[:2], "big"), frame[2:]) == (4000, b"see you")
    wait_for(lambda: seen and seen[-1][0] == "close", what="close handler")
    connected = seen[0]
    assert connected[:2] == ("connect", "yao")
    assert connected[2] == connected[3]
    assert seen[1] == ("message", "hello")
    assert seen[2] == ("message", b"\x07")
    assert seen[-1] == ("close", 4000, "see you")
    f.close()


def test_route_options_are_refused_by_name(make_server):
    for options, name in [
        ({"delivery": "xml"}, "delivery"),
        ({"relay_event": "disconnect"}, "relay_event"),
        ({"max_message_size": 0}, "max_message_size"),
        ({"ping_interval": "soon"}, "ping_interval"),
        ({"colour": "blue"}, "colour"),
    ]:
        sio = make_server()
        sio.plain_route("/ws/x", **options)
        with pytest.raises(roomcast.ConfigError, match=name):
            sio.start()
    with pytest.raises(ValueError):
        make_server().plain_route("ws/x")
    with pytest.raises(ValueError):
        make_server().plain_route("/ws/x").on("open")


def test_async_server_handlers_run_in_order_and_verify_may_await():
    got = []
    done = threading.Event()

    async def main():
        sio = roomcast.AsyncServer()

        async def verify(environ):
            await asyncio.sleep(0)
            return environ.get("QUERY_STRING") == "ok=1"

        route = sio.plain_route("/ws/echo", verify=verify)

        @route.on("message")
        async def echo(ws, data):
            await asyncio.sleep(0)
            got.append(data)
            ws.send(f"ECHO: {data}")

        await sio.start("127.0.0.1", 0)
        port = sio.port

        def client():
            try:
                with pytest.raises(websocket.WebSocketBadStatusException):
                    websocket.create_connection(f"ws://127.0.0.1:{port}/ws/echo", timeout=10)
                c = websocket.create_connection(f"ws://127.0.0.1:{port}/ws/echo?ok=1", timeout=10)
                for i in range(5):
                    c.send(str(i))
                got.append([c.recv() for _ in range(5)])
                c.close()
            finally:
                done.set()

        t = threading.Thread(target=client)
        t.start()
        while not done.is_set():
            await asyncio.sleep(0.01)
        t.join()
        await sio.stop()

    asyncio.run(main())
    assert got[:5] == ["0", "1", "2", "3", "4"]
    assert got[5] == [f"ECHO: {i}" for i in range(5)]
