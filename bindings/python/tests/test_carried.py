"""roomcast inside the application's own web server, as python-socketio users deploy it:
``roomcast.ASGIApp`` in a FastAPI app under the real uvicorn (wrapping the app, or mounted
at a prefix), and ``AsyncServer.attach`` on an aiohttp application. Each is reached by the
real python-socketio client (polling, websocket, and the polling → websocket upgrade) and
by the real socket.io-client (Node), with rooms, broadcasts, acks and binary across both;
the application's own route keeps answering; a malformed engine request gets the
protocol's error; and the server shuts down cleanly with clients connected.

The apps live in ``tests/carried`` and run as real server processes."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import socketio

import roomcast
from conftest import wait_for

HERE = Path(__file__).resolve().parent / "carried"
NODE_CLIENT = HERE / "node_client.mjs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    """(status, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class App:
    """A server process: uvicorn with asgi_app.py, or aiohttp_app.py."""

    def __init__(self, kind: str, mode: str = "wrap") -> None:
        self.port = free_port()
        env = dict(os.environ, CARRY_MODE=mode, PYTHONUNBUFFERED="1")
        if kind == "asgi":
            cmd = [sys.executable, "-m", "uvicorn", "asgi_app:app", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning"]
        else:
            cmd = [sys.executable, "aiohttp_app.py", str(self.port)]
        self.base = f"http://127.0.0.1:{self.port}"
        self.path = "/rt/socket.io" if mode == "mount" else "/socket.io"
        self.proc = subprocess.Popen(cmd, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.output = []
        threading.Thread(target=self._read, daemon=True).start()

        def up() -> bool:
            try:
                return get(self.base + "/hello")[0] == 200
            except OSError:
                return False

        wait_for(lambda: up() or self.proc.poll() is not None, 30, "the app to answer /hello")
        assert self.proc.poll() is None, "".join(self.output)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)

    def client(self, transports, **kw) -> socketio.Client:
        c = socketio.Client(reconnection=False)
        for event in ("said", "shout"):
            got = []
            setattr(c, event, got)
            c.on(event, (lambda got: lambda data: got.append(data))(got))
        c.connect(self.base, socketio_path=self.path, transports=transports, wait_timeout=10, **kw)
        return c

    def stop(self) -> int:
        """SIGINT (Ctrl-C), as a deployment stops it; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("the server did not stop within 60 s:\n" + "".join(self.output))


@pytest.fixture
def app_factory():
    apps = []

    def make(kind: str, mode: str = "wrap") -> App:
        a = App(kind, mode)
        apps.append(a)
        return a

    yield make
    for a in apps:
        if a.proc.poll() is None:
            a.proc.kill()
            a.proc.wait()


def node_client(app: App, mode: str, room: str) -> subprocess.Popen:
    return subprocess.Popen(["node", str(NODE_CLIENT), app.base, app.path, mode, room], stdout=subprocess.PIPE,
                            text=True)


def node_steps(proc: subprocess.Popen, until: str) -> dict:
    """Reads the node client's lines until step ``until``; the steps by name."""
    steps = {}
    while until not in steps:
        line = proc.stdout.readline()
        assert line, f"node client ended early: {steps}"
        step = json.loads(line)
        assert step["step"] not in ("error", "timeout"), step
        steps[step["step"]] = step
    return steps


def exercise(app: App) -> None:
    """Both clients on every transport: rooms, broadcasts, acks and binary across them."""
    for node_mode, py_transports in (("polling", ["polling"]), ("websocket", ["websocket"]),
                                      ("upgrade", ["polling", "websocket"])):
        room = f"room-{node_mode}"
        py = app.client(py_transports, auth={"name": "py"})
        try:
            if py_transports == ["polling", "websocket"]:
                # python-socketio opens over polling, then upgrades.
                wait_for(lambda: py.transport() == "websocket", 15, "python client upgrade")
                assert py.eio.upgrades == ["websocket"]
            else:
                assert py.transport() == py_transports[0]
            assert room in py.call("join", room, timeout=10)
            assert py.call("echo", b"\x00\x01binary\xff", timeout=10) == b"\x00\x01binary\xff"
            node = node_client(app, node_mode, room)
            try:
                steps = node_steps(node, "ready")
                if node_mode == "upgrade":
                    assert steps["open"]["transport"] == "polling"
                    assert steps["upgraded"]["transport"] == "websocket"
                else:
                    assert steps["open"]["transport"] == node_mode
                    assert "upgraded" not in steps
                assert room in steps["ready"]["rooms"]
                assert steps["ready"]["echoed"] == "000102ff"
                # python → node through the room (the sender skipped), then node → python.
                assert py.call("say", (room, "from py"), timeout=10) == "sent"
                steps = node_steps(node, "said-ack")
                assert steps["said"]["msg"] == {"from": "py", "text": "from py"}
                assert steps["said-ack"]["ack"] == "sent"
                wait_for(lambda: {"from": "node", "text": "from node"} in py.said, 10, "node's say at python")
                # A namespace-wide broadcast of binary reaches both.
                py.emit("shout", b"\xde\xad")
                steps = node_steps(node, "shout")
                assert steps["shout"]["data"] == "dead"
                wait_for(lambda: py.shout == [b"\xde\xad"], 10, "the shout at python")
            finally:
                node.kill()
                node.wait()
        finally:
            py.disconnect()


def check_http(app: App) -> None:
    # The application's own route answers beside the engine path.
    status, body = get(app.base + "/hello")
    assert status == 200 and json.loads(body)["hello"] in ("fastapi", "aiohttp")
    # Malformed engine requests get Engine.IO's errors from the core.
    status, body = get(f"{app.base}{app.path}/?EIO=9&transport=polling")
    assert status == 400 and json.loads(body) == {"code": 5, "message": "Unsupported protocol version"}
    status, body = get(f"{app.base}{app.path}/?EIO=4&transport=polling&sid=nope")
    assert status == 400 and json.loads(body) == {"code": 1, "message": "Session ID unknown"}
    status, body = get(f"{app.base}{app.path}/?EIO=4&transport=carrier-pigeon")
    assert status == 400 and json.loads(body)["code"] == 0


def check_clean_shutdown(app: App) -> None:
    """Ctrl-C with a websocket and a polling client connected: the process ends (exit 0)
    and both clients see the disconnect."""
    gone = []
    ws = app.client(["websocket"])
    poll = app.client(["polling"])
    ws.on("disconnect", lambda *a: gone.append("ws"))
    poll.on("disconnect", lambda *a: gone.append("polling"))
    assert app.stop() == 0, "".join(app.output)
    wait_for(lambda: sorted(gone) == ["polling", "ws"], 30, "both clients to see the disconnect")
    assert "Traceback" not in "".join(app.output), "".join(app.output)


def test_fastapi_wrapped_by_asgiapp_under_uvicorn(app_factory):
    app = app_factory("asgi", "wrap")
    check_http(app)
    exercise(app)
    check_clean_shutdown(app)


def test_asgiapp_mounted_in_fastapi(app_factory):
    app = app_factory("asgi", "mount")
    check_http(app)
    # Off the mount, the engine path is the application's (FastAPI's 404).
    assert get(app.base + "/socket.io/?EIO=4&transport=polling")[0] == 404
    exercise(app)
    check_clean_shutdown(app)


def test_aiohttp_attach(app_factory):
    app = app_factory("aiohttp")
    check_http(app)
    exercise(app)
    check_clean_shutdown(app)


def test_listen_is_refused_by_name_and_asgiapp_needs_asyncserver():
    for value in (False, True):
        with pytest.raises(ValueError, match="listen"):
            roomcast.AsyncServer(listen=value)
        with pytest.raises(ValueError, match="listen"):
            roomcast.Server(listen=value)
    with pytest.raises(TypeError, match="AsyncServer"):
        roomcast.ASGIApp(roomcast.Server())
    with pytest.raises(ValueError, match="static_files"):
        roomcast.ASGIApp(roomcast.AsyncServer(), static_files={"/a": ".", "/b": "."})


def test_asgiapp_lifespan_and_static_files_in_process(tmp_path):
    """The ASGI protocol driven directly: lifespan starts the core without a port and runs
    on_startup/on_shutdown; static files come from the core; other paths 404."""
    import asyncio

    (tmp_path / "index.html").write_text("<p>hi</p>")
    calls = []
    sio = roomcast.AsyncServer()
    app = roomcast.ASGIApp(sio, static_files={"/": str(tmp_path)}, on_startup=lambda: calls.append("up"),
                           on_shutdown=lambda: calls.append("down"))

    async def http(path):
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(msg):
            sent.append(msg)

        await app({"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [],
                   "client": ("127.0.0.1", 5)}, receive, send)
        return sent[0]["status"], sent[1]["body"]

    async def main():
        q = asyncio.Queue()
        for m in ("lifespan.startup", "lifespan.shutdown"):
            q.put_nowait({"type": m})
        out = []

        async def send(msg):
            out.append(msg["type"])
            if msg["type"] == "lifespan.startup.complete":
                assert sio.port == 0  # attached: no port of its own
                assert await http("/index.html") == (200, b"<p>hi</p>")
                assert (await http("/nothing"))[0] == 404
                status, body = await http("/socket.io/")
                assert status == 400 and b"Transport unknown" in body

        async def receive():
            return await q.get()

        await app({"type": "lifespan"}, receive, send)
        return out

    async def after_shutdown():
        out = await main()
        # A client polling during or after shutdown does not start the server again.
        status, body = await http("/socket.io/?EIO=4&transport=polling")
        return out, status, body

    out, status, body = asyncio.run(after_shutdown())
    assert out == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["up", "down"]
    assert status == 503 and b"stopped" in body
    assert sio._native.stopped
