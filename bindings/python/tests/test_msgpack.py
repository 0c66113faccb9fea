"""``Server(serializer="msgpack")``: python-socketio's msgpack client talks to a roomcast
server whose handlers get and send the same Python values (``bytes`` for binaries) as
with JSON."""

import threading

import pytest
import socketio

import roomcast
from conftest import wait_for


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_msgpack_server_and_client(make_server, transport):
    sio = make_server(serializer="msgpack")
    got = []
    sio.on("echo", lambda sid, *args: args)  # the arguments back as the ack
    sio.on("note", lambda sid, data: got.append(data))

    @sio.on("relay")
    def relay(sid, room, data):
        sio.emit("relayed", data, to=room, skip_sid=sid)

    sio.on("connect", lambda sid, environ, auth=None: sio.enter_room(sid, "r"))
    sio.start()
    clients = []
    for _ in range(2):
        c = socketio.Client(reconnection=False, serializer="msgpack")
        clients.append(c)
    heard = threading.Event()
    received = []
    clients[1].on("relayed", lambda data: (received.append(data), heard.set()))
    try:
        for c in clients:
            c.connect(f"http://127.0.0.1:{sio.port}", transports=[transport], wait_timeout=10)
        a = clients[0]
        assert a.call("echo", ("x", b"\x00\xff", {"k": [1, 2.5]}), timeout=10) == ("x", b"\x00\xff", {"k": [1, 2.5]})
        a.emit("note", {"bin": b"\x01"})
        wait_for(lambda: got, what="the note")
        assert got == [{"bin": b"\x01"}], "a handler sees bytes for a msgpack bin"
        a.emit("relay", ("r", b"to the room"))
        assert heard.wait(10)
        assert received == [b"to the room"]
        assert clients[1].call("echo", 7, timeout=10) == 7
    finally:
        for c in clients:
            c.disconnect()


def test_server_call_to_a_msgpack_client(make_server):
    sio = make_server(serializer="msgpack")
    sio.start()
    c = socketio.Client(reconnection=False, serializer="msgpack")
    c.on("double", lambda data: data * 2)
    c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
    try:
        assert sio.call("double", b"ab", to=c.get_sid(), timeout=10) == b"abab"
    finally:
        c.disconnect()


def test_the_serializer_is_python_socketios_option():
    from socketio.msgpack_packet import MsgPackPacket

    assert roomcast.Server(serializer=MsgPackPacket)._options["parser"] == "msgpack"
    assert roomcast.Server()._options["parser"] == "json"
    for bad in ("pickle", "cbor", object):
        with pytest.raises(ValueError, match="serializer"):
            roomcast.Server(serializer=bad)


def test_a_json_client_is_refused_clearly(make_server):
    sio = make_server(serializer="msgpack")
    sio.start()
    c = socketio.Client(reconnection=False)
    errors = []
    c.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=5)
    wait_for(lambda: errors, what="connect_error")
    assert "this server uses the msgpack parser" in str(errors[0])
