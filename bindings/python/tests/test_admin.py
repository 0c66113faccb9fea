"""``sio.instrument(...)``: the Socket.IO admin UI on the Python binding, driven by the real
python-socketio client exactly as the @socket.io/admin-ui dashboard drives it (namespace
/admin, auth {username, password}, then events config / all_sockets / server_stats and the
actions join / _disconnect). The full dashboard checks run on examples/python/chat.py in
tests/node/admin (scripts/test-admin.sh)."""

import threading

import pytest
import socketio

import roomcast
from conftest import wait_for

HASH = "$2a$10$LN0CY/HjZaFrQrece7wEg.aJLCu.9p4ZDOv1G4VjTw8cAxplT3z1S"  # bcrypt of "changeit"


def dashboard(port, auth, namespace="/admin"):
    """A python-socketio client on the admin namespace recording what it gets."""
    log = []
    lock = threading.Lock()
    c = socketio.Client(reconnection=False)

    def record(event, *args):
        with lock:
            log.append((event, args))

    c.on("*", record, namespace=namespace)
    c.connect(f"http://127.0.0.1:{port}", namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=10)
    return c, log


def last(log, event):
    hits = [args for e, args in list(log) if e == event]
    return hits[-1] if hits else None


def test_instrument_before_start_with_a_plain_password(make_server, make_client):
    sio = make_server()
    sio.on("connect", lambda sid, environ, auth: sio.enter_room(sid, "lobby"))
    sio.instrument(auth={"username": "ops", "password": "changeit"}, server_id="py-1", server_stats_interval=0.2)
    sio.start("127.0.0.1", 0)
    client = make_client(sio)
    with pytest.raises(socketio.exceptions.ConnectionError):
        dashboard(sio.port, {"username": "ops", "password": "wrong"})
    admin, log = dashboard(sio.port, {"username": "ops", "password": "changeit"})
    try:
        wait_for(lambda: last(log, "all_sockets") is not None, what="all_sockets")
        (sockets,) = last(log, "all_sockets")
        mine = [s for s in sockets if s["id"] == client.get_sid("/")]
        assert mine and sorted(mine[0]["rooms"]) == sorted([client.get_sid("/"), "lobby"]), sockets
        assert "JOIN" in last(log, "config")[0]["supportedFeatures"]
        wait_for(
            lambda: (last(log, "server_stats") or [{}])[0].get("clientsCount") == 2,
            what="clientsCount 2 (the client and the dashboard)",
        )
        assert last(log, "server_stats")[0]["serverId"] == "py-1"
        # The dashboard's disconnect action really disconnects the client.
        admin.emit("_disconnect", ("/", False, client.get_sid("/")), namespace="/admin")
        wait_for(lambda: not client.connected, what="client disconnected by the dashboard")
        wait_for(
            lambda: any(e == "socket_disconnected" and a[2] == "server namespace disconnect" for e, a in list(log)),
            what="socket_disconnected",
        )
    finally:
        admin.disconnect()


def test_instrument_on_a_running_server(make_server, make_client):
    sio = make_server()
    sio.start("127.0.0.1", 0)
    client = make_client(sio)
    sio.instrument(auth=False, mode="production", read_only=True, namespace="/ops")
    admin, log = dashboard(sio.port, {}, namespace="/ops")
    try:
        wait_for(lambda: last(log, "config") is not None, what="config")
        assert last(log, "config")[0]["supportedFeatures"] == ["AGGREGATED_EVENTS"]
        wait_for(lambda: last(log, "server_stats") is not None, what="server_stats")
        names = {n["name"]: n["socketsCount"] for n in last(log, "server_stats")[0]["namespaces"]}
        assert names["/"] == 1 and names["/ops"] == 1
        assert last(log, "all_sockets") is None, "production mode lists no socket"
        assert client.connected
    finally:
        admin.disconnect()
    with pytest.raises(roomcast.InvalidArgument):
        sio.instrument(auth=False)


def test_instrument_arguments_are_checked(make_server):
    sio = make_server()
    with pytest.raises(ValueError, match="auth must be specified"):
        sio.instrument()
    with pytest.raises(TypeError, match="not supported"):
        sio.instrument(auth=[{"username": "a", "password": "b"}])
    with pytest.raises(TypeError, match="unsupported keys"):
        sio.instrument(auth={"username": "a", "password": "b", "role": "x"})
    with pytest.raises(roomcast.ConfigError, match="admin_ui_mode"):
        sio.instrument(auth=False, mode="debug")
    with pytest.raises(roomcast.ConfigError, match="admin_ui_namespace"):
        sio.instrument(auth=False, namespace="/")
    with pytest.raises(roomcast.ConfigError, match="admin_ui_stats_interval"):
        sio.instrument(auth=False, server_stats_interval=0)
    sio.instrument(auth={"username": "a", "password": HASH})
    with pytest.raises(roomcast.InvalidArgument):
        sio.instrument(auth=False)
