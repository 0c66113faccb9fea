"""python-socketio's msgpack client (`socketio.Client(serializer="msgpack")`, from PyPI)
against examples/rust/e2e.rs started with PARSER=msgpack: events, acks both ways, binary
both ways, rooms and broadcasts, over WebSocket and polling.
"""

import os
import queue
import subprocess
import threading

import pytest
import socketio

from test_python_client import BIN, DEADLINE, next_event


@pytest.fixture(scope="module")
def server_url():
    """The e2e server with the msgpack parser on a free port; killed afterwards."""
    if not BIN.exists():
        pytest.fail(f"{BIN} is missing: run `cargo build --release --examples -p roomcast`")
    env = {**os.environ, "PORT": "0", "PARSER": "msgpack"}
    proc = subprocess.Popen([str(BIN)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://"), line
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield line.removeprefix("listening on ")
    finally:
        proc.kill()
        proc.wait()


def make_client(url, transports):
    sio = socketio.Client(reconnection=False, serializer="msgpack")
    sio.events = queue.Queue()
    sio.on("*", lambda event, *args: sio.events.put((event, list(args))))
    sio.connect(url, transports=transports, auth={"token": "mp"}, wait_timeout=DEADLINE)
    return sio


@pytest.fixture(params=[["websocket"], ["polling"]], ids=lambda t: t[0])
def transports(request):
    return request.param


@pytest.fixture
def client(server_url, transports):
    sio = make_client(server_url, transports)
    yield sio
    sio.disconnect()


def test_welcome_decoded_from_msgpack(client):
    welcome = next_event(client, "welcome")[0]
    assert welcome == {"sid": client.get_sid(), "nsp": "/", "auth": {"token": "mp"}}


def test_events_acks_and_binary_both_ways(client):
    assert client.call("echo", ("hello", {"n": [1, 2.5, None]}), timeout=DEADLINE) == ("hello", {"n": [1, 2.5, None]})
    assert client.call("echo", b"\x00\x01\xff", timeout=DEADLINE) == b"\x00\x01\xff"
    client.emit("echo-event", ({"bin": b"\x07\x08"}, -3))
    assert next_event(client, "echo") == [{"bin": b"\x07\x08"}, -3]
    client.on("ask", lambda x, y: (x * 2, y + b"!"))
    assert client.call("server-ack", ("ask", 5000, 21, b"py"), timeout=DEADLINE) == {"ok": [42, b"py!"]}


def test_room_and_broadcast_reach_other_clients(server_url, client, transports):
    other = make_client(server_url, transports)
    try:
        assert sorted(other.call("join", "mp-room", timeout=DEADLINE)) == sorted([other.get_sid(), "mp-room"])
        client.emit("to-room", ("mp-room", "news", b"\x01", "x"))
        assert next_event(other, "news") == [b"\x01", "x"]
        client.emit("broadcast", ("all-but-me", 1))
        assert next_event(other, "all-but-me") == [1]
    finally:
        other.disconnect()
