"""The real python-socketio client (from PyPI) against examples/rust/e2e.rs.

Run through scripts/test.sh, which builds the example and the .venv-tests venv.
"""

import os
import queue
import subprocess
import threading
from pathlib import Path

import pytest
import socketio

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "target" / "release" / "examples" / "e2e"
DEADLINE = 10


@pytest.fixture(scope="module")
def server_url():
    """Starts the e2e server on a free port and yields its URL; kills it afterwards."""
    if not BIN.exists():
        pytest.fail(f"{BIN} is missing: run `cargo build --release --examples -p roomcast`")
    proc = subprocess.Popen([str(BIN)], env={**os.environ, "PORT": "0"}, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://"), line
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield line.removeprefix("listening on ")
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(params=[["websocket"], ["polling"]], ids=lambda t: t[0])
def client(server_url, request):
    """A connected client on one transport; `client.events` queues every received event."""
    sio = socketio.Client(reconnection=False)
    sio.events = queue.Queue()
    sio.on("*", lambda event, *args: sio.events.put((event, list(args))))
    sio.connect(server_url, transports=request.param, auth={"token": "py"}, wait_timeout=DEADLINE)
    yield sio
    sio.disconnect()


def next_event(sio, name):
    """The args of the next received event called `name` (others are skipped)."""
    while True:
        event, args = sio.events.get(timeout=DEADLINE)
        if event == name:
            return args


def test_welcome_carries_auth_and_sid(client):
    welcome = next_event(client, "welcome")[0]
    assert welcome == {"sid": client.get_sid(), "nsp": "/", "auth": {"token": "py"}}


def test_client_to_server_event_and_ack(client):
    assert client.call("echo", ("hello", {"n": [1, 2]}), timeout=DEADLINE) == ("hello", {"n": [1, 2]})
    assert client.call("echo", b"\x00\x01\xff", timeout=DEADLINE) == b"\x00\x01\xff"
    client.emit("echo-event", ("ping", 3))
    assert next_event(client, "echo") == ["ping", 3]


def test_server_to_client_event_and_ack(client):
    client.on("ask", lambda x, y: (x * 2, y.upper()))  # a tuple answers several values
    assert client.call("server-ack", ("ask", 5000, 21, "py"), timeout=DEADLINE) == {"ok": [42, "PY"]}
    client.emit("to-room", (client.get_sid(), "direct", {"to": "me"}))
    assert next_event(client, "direct") == [{"to": "me"}]
