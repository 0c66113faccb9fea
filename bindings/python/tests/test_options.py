"""Options reach the core by name; each refusal is its own exception class."""

import pytest

import roomcast


@pytest.mark.parametrize(
    "options, match",
    [
        ({"no_such_option": 1}, "no_such_option"),
        ({"max_buffered_frames": 0}, "max_buffered_frames"),
        ({"max_attachments": "ten"}, "max_attachments"),
        ({"allow_polling": False, "allow_websocket": False}, "allow_polling and allow_websocket"),
        ({"path": "/a?b"}, "path"),
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
