"""Options reach the core by name; each refusal is its own exception class. (An unknown
keyword is a TypeError at construction: test_keywords.py.)"""

import pytest

import roomcast


@pytest.mark.parametrize(
    "options, match",
    [
        ({"max_buffered_frames": 0}, "max_buffered_frames"),
        ({"max_attachments": "ten"}, "max_attachments"),
        ({"allow_polling": False, "allow_websocket": False}, "allow_polling and allow_websocket"),
        ({"path": "/a?b"}, "path"),
        ({"per_message_deflate_threshold": 10}, "per_message_deflate_threshold.*needs per_message_deflate"),
    ],
)
def test_invalid_options_raise_config_error_naming_them(make_server, options, match):
    sio = make_server(**options)
    with pytest.raises(roomcast.ConfigError, match=match):
        sio.start()


def test_transports_must_be_known(make_server):
    with pytest.raises(ValueError, match="transports"):
        make_server(transports=["carrier-pigeon"])
    sio = make_server(transports=[])
    with pytest.raises(roomcast.ConfigError):
        sio.start()


def test_core_errors_map_one_to_one_to_classes(make_server):
    sio = make_server()
    sio.start()
    native = sio._native
    with pytest.raises(roomcast.NoSuchSocket):
        native.join("/", "AAAAAAAAAAAAAAAAAAAA", ["r"])
    with pytest.raises(roomcast.NoSuchNamespace):
        native.join("/nope", "AAAAAAAAAAAAAAAAAAAA", ["r"])
    with pytest.raises(roomcast.NoSuchRequest):
        native.accept(12345)
    for cls in (roomcast.NoSuchSocket, roomcast.NoSuchNamespace, roomcast.NoSuchRequest, roomcast.ConfigError, roomcast.ServerStopped, roomcast.IoError, roomcast.InvalidArgument):
        assert issubclass(cls, roomcast.RoomcastError)
    sio.stop()
    with pytest.raises(roomcast.ServerStopped):
        native.join("/", "AAAAAAAAAAAAAAAAAAAA", ["r"])


def test_a_port_in_use_is_an_io_error(make_server):
    a = make_server()
    a.start()
    b = make_server()
    with pytest.raises(roomcast.IoError):
        b.start(port=a.port)


def test_core_options_by_name_are_honoured(make_server, make_client):
    import threading

    sio = make_server(max_attachments=0)
    gone = threading.Event()
    sio.on("disconnect", lambda sid, reason: gone.set())
    sio.start()
    c = make_client(sio)
    c.emit("bin", b"\x01\x02")
    assert gone.wait(10), "a binary packet is refused with max_attachments=0"


# A valid value of each kind, and what some options need beside them to be valid.
_SAMPLE = {"bool": True, "count": 3, "duration": 1.5, "text": "/x", "texts": ["*"]}
_HASH = "$2a$10$LN0CY/HjZaFrQrece7wEg.aJLCu.9p4ZDOv1G4VjTw8cAxplT3z1S"
_SPECIAL = {
    "host": "127.0.0.1",
    "port": 0,
    "redis_url": "redis://127.0.0.1:6379",
    "redis_subscription_mode": "dynamic",
    "parser": "msgpack",
    "admin_ui_password": _HASH,
    "admin_ui_mode": "production",
    "cors_origin_patterns": [r"^https://[a-z]+\.example$"],
}
# The admin UI needs credentials, or auth said to be off.
_ADMIN = {"admin_ui": True, "admin_ui_auth": False}
_NEEDS = {
    "redis_key": {"redis_url": "redis://127.0.0.1:6379"},
    "redis_request_timeout": {"redis_url": "redis://127.0.0.1:6379"},
    "redis_specific_response_channel": {"redis_url": "redis://127.0.0.1:6379"},
    "redis_streams": {"redis_url": "redis://127.0.0.1:6379"},
    "redis_stream_max_len": {"redis_url": "redis://127.0.0.1:6379", "redis_streams": True},
    "redis_sharded": {"redis_url": "redis://127.0.0.1:6379"},
    "redis_subscription_mode": {"redis_url": "redis://127.0.0.1:6379", "redis_sharded": True},
    "per_message_deflate_threshold": {"per_message_deflate": True},
    "recovery_skip_middlewares": {"recovery_max_disconnection_duration": 1},
    "recovery_max_packets": {"recovery_max_disconnection_duration": 1},
    "cors_credentials": {"cors_origins": "*"},
    "cors_methods": {"cors_origins": "*"},
    "cors_allowed_headers": {"cors_origins": "*"},
    "cors_exposed_headers": {"cors_origins": "*"},
    "cors_max_age": {"cors_origins": "*"},
    "tls_cert": {"tls_key": "/x"},
    "tls_key": {"tls_cert": "/x"},
    "admin_ui": {"admin_ui_auth": False},
    "admin_ui_namespace": _ADMIN,
    "admin_ui_auth": {"admin_ui": True, "admin_ui_password": _HASH},
    "admin_ui_username": {"admin_ui": True, "admin_ui_password": _HASH},
    "admin_ui_password": {"admin_ui": True},
    "admin_ui_readonly": _ADMIN,
    "admin_ui_mode": _ADMIN,
    "admin_ui_server_id": _ADMIN,
    "admin_ui_stats_interval": _ADMIN,
}
# A value of the wrong type for each kind.
_WRONG = {"bool": "yes", "count": "ten", "duration": "1s", "text": 5, "texts": 5}


@pytest.mark.parametrize("name,kind", [(n, k) for n, k, _ in roomcast._native.options()])
def test_every_core_option_is_settable_and_checked_by_name(name, kind):
    value = _SPECIAL.get(name, _SAMPLE[kind])
    roomcast._native.check_options(**{name: value}, **_NEEDS.get(name, {}))
    roomcast._native.check_options(**{name: None})  # None restores the default
    with pytest.raises(roomcast.ConfigError, match=name):
        roomcast._native.check_options(**{name: _WRONG[kind]})
    if kind in ("count", "duration"):
        with pytest.raises(roomcast.ConfigError, match=name):
            roomcast._native.check_options(**{name: -1})


def test_the_limits_are_core_options_with_their_checks():
    names = {n for n, _, _ in roomcast._native.options()}
    limits = {
        "max_buffered_bytes", "write_timeout", "header_timeout", "body_timeout",
        "max_pending_events", "max_pending_bytes", "max_pending_events_total",
        "max_pending_bytes_total", "max_connections", "max_connections_per_ip",
        "handshakes_per_sec", "handshakes_per_sec_per_ip", "max_name_length",
        "max_rooms_per_socket", "cleanup_empty_child_namespaces",
    }
    assert limits <= names
    for name in ("max_connections", "max_rooms_per_socket", "write_timeout", "body_timeout"):
        with pytest.raises(roomcast.ConfigError, match=name):
            roomcast.Server(**{name: 0}).start()
    with pytest.raises(roomcast.ConfigError, match="header_timeout"):
        roomcast.Server(header_timeout=400 * 24 * 3600).start()


def test_max_connections_refuses_a_second_client(make_server, make_client):
    import socketio

    sio = make_server(max_connections=1)
    sio.start()
    first = make_client(sio)
    second = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        second.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=5)
    first.disconnect()
    # Its slot is free once the first connection is closed (which takes a moment).
    from conftest import wait_for

    def third_connects():
        c = socketio.Client(reconnection=False)
        try:
            c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            return False
        c.disconnect()
        return True

    wait_for(third_connects, what="a client after the first left")


def test_max_rooms_per_socket_refuses_the_join_past_it(make_server, make_client):
    import threading

    sio = make_server(max_rooms_per_socket=3)
    outcome = {}
    done = threading.Event()

    @sio.event
    def connect(sid, environ):
        sio.enter_room(sid, "a")
        sio.enter_room(sid, "b")  # with its own room: 3
        try:
            sio.enter_room(sid, "c")
        except roomcast.InvalidArgument as e:
            outcome["error"] = str(e)
        outcome["rooms"] = sorted(sio.rooms(sid))
        done.set()

    sio.start()
    make_client(sio)
    assert done.wait(10)
    assert "max_rooms_per_socket" in outcome.get("error", "")
    assert len(outcome["rooms"]) == 3 and "c" not in outcome["rooms"]

