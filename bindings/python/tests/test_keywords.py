"""python-socketio's ``Server``/``AsyncServer`` keywords: each is honoured, accepted for a
documented reason, or refused with an error naming it; unknown keywords raise TypeError.
(``ping_interval``, ``ping_timeout``, ``max_http_buffer_size`` and ``cors_allowed_origins``
are shown in test_server.py, ``client_manager`` in test_cluster.py, ``namespaces`` in
test_async.py.)"""

import asyncio
import json
import logging
import threading
import types

import pytest
import socketio

import roomcast
from conftest import wait_for


@pytest.mark.parametrize("cls", [roomcast.Server, roomcast.AsyncServer])
def test_unknown_keywords_raise_type_error_naming_them(cls):
    with pytest.raises(TypeError, match="'no_such_option'"):
        cls(no_such_option=1)
    with pytest.raises(TypeError, match="'engineio_options'"):
        cls(engineio_options={})
    cls(max_attachments=3)  # a core option by its own name is still a keyword


def test_async_mode_names_the_flavour(make_server, make_client):
    sio = make_server(async_mode="threading")
    sio.on("ping", lambda sid: "pong")
    sio.start()
    assert make_client(sio).call("ping", timeout=10) == "pong"
    for bad in ("eventlet", "gevent", "gevent_uwsgi", "asgi", "bogus"):
        with pytest.raises(ValueError, match=f"async_mode='{bad}'"):
            roomcast.Server(async_mode=bad)
    for mode in ("asgi", "aiohttp", "tornado", "sanic"):
        roomcast.AsyncServer(async_mode=mode)
    with pytest.raises(ValueError, match="async_mode='threading'.*roomcast.Server"):
        roomcast.AsyncServer(async_mode="threading")


def _handshake_upgrades(port):
    import urllib.request

    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", timeout=10).read()
    return json.loads(body.decode()[1:])["upgrades"]


def test_transports_are_honoured(make_server, make_client):
    polling_only = make_server(transports=["polling"])
    polling_only.start()
    assert make_client(polling_only, transports=["polling"]).connected
    assert _handshake_upgrades(polling_only.port) == []
    with pytest.raises(socketio.exceptions.ConnectionError):
        make_client(polling_only, transports=["websocket"])

    ws_only = make_server(transports="websocket")  # a string, as engineio takes it
    ws_only.start()
    assert make_client(ws_only, transports=["websocket"]).connected
    with pytest.raises(socketio.exceptions.ConnectionError):
        make_client(ws_only, transports=["polling"])


def test_allow_upgrades(make_server):
    with pytest.raises(ValueError, match="allow_upgrades=False"):
        roomcast.Server(allow_upgrades=False)
    both = make_server(allow_upgrades=True)
    both.start()
    assert _handshake_upgrades(both.port) == ["websocket"]
    # Without upgrades is what a single transport gives: accepted there.
    make_server(allow_upgrades=False, transports=["polling"]).start()


@pytest.mark.parametrize("always", [False, True])
def test_always_connect(make_server, make_client, always):
    sio = make_server(always_connect=always)
    ran = []
    proceed = threading.Event()
    if not always:
        proceed.set()

    def connect(sid, environ):
        ran.append(sid)
        proceed.wait(10)
        return False  # refuses

    sio.on("connect", connect)
    sio.on("disconnect", lambda sid, reason: ran.append(("disconnect", sid)))
    sio.start()
    if not always:
        with pytest.raises(socketio.exceptions.ConnectionError):
            make_client(sio)
        return
    # python-socketio's always_connect: the client is connected first, then disconnected.
    events = []
    gone = threading.Event()
    c = make_client(sio, connect=False, on={"connect": lambda: events.append("connect"),
                                             "disconnect": lambda *a: (events.append("disconnect"), gone.set())})
    # connect() returns while the connect handler still waits: CONNECT went out first.
    c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
    assert c.connected and not gone.is_set()
    proceed.set()
    assert gone.wait(10)
    assert events == ["connect", "disconnect"]
    assert len(ran) == 1 and not any(isinstance(r, tuple) for r in ran)  # no disconnect handler, as there


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def roomcast_logger(monkeypatch):
    monkeypatch.delenv("ROOMCAST_LOG", raising=False)
    monkeypatch.delenv("RUST_LOG", raising=False)
    logger = logging.getLogger("roomcast")
    old_level, old_handlers = logger.level, list(logger.handlers)
    capture = Capture()
    yield logger, capture
    roomcast.set_log_filter("off")
    logger.handlers[:] = old_handlers
    logger.setLevel(old_level)


def test_logger_true_turns_on_socket_io_records(make_server, roomcast_logger):
    logger, capture = roomcast_logger
    logger.handlers[:] = []
    logger.setLevel(logging.NOTSET)
    sio = make_server(logger=True)
    # As python-socketio: INFO level and a stderr handler on the library's logger.
    assert logger.level == logging.INFO
    assert any(type(h) is logging.StreamHandler for h in logger.handlers)
    logger.addHandler(capture)
    sio.start()
    wait_for(lambda: any(r.name == "roomcast.server" and "listening" in r.getMessage() for r in capture.records),
             what="the INFO record 'listening'")
    assert all(r.levelno >= logging.INFO for r in capture.records)


def test_engineio_logger_true_turns_on_engine_records(make_server, make_client, roomcast_logger):
    logger, capture = roomcast_logger
    engine = logging.getLogger("roomcast.engine")
    old = engine.level
    logger.handlers[:] = []
    logger.setLevel(logging.WARNING)  # the socket.io layers stay quiet
    engine.setLevel(logging.NOTSET)
    try:
        sio = make_server(engineio_logger=True)
        assert engine.level == logging.DEBUG
        logger.addHandler(capture)
        sio.start()
        make_client(sio).disconnect()
        wait_for(lambda: any(r.name == "roomcast.engine" and "connection opened" in r.getMessage()
                             for r in capture.records), what="the engine's 'connection opened'")
        assert not any(r.name == "roomcast.server" and r.levelno < logging.WARNING for r in capture.records)
    finally:
        engine.setLevel(old)


def test_logger_object_receives_handler_errors(make_server, make_client, roomcast_logger):
    mine = logging.getLogger("my.app.sio")
    capture = Capture()
    mine.addHandler(capture)
    try:
        sio = make_server(logger=mine)
        assert sio.logger is mine

        @sio.event
        def boom(sid):
            raise RuntimeError("kaput")

        sio.start()
        make_client(sio).emit("boom")
        wait_for(lambda: any("boom" in r.getMessage() for r in capture.records), what="the handler error")
        assert capture.records[0].exc_info[1].args == ("kaput",)
    finally:
        mine.removeHandler(capture)


def test_json_module(make_server, make_client):
    sio = make_server(json=json)  # the standard module: what roomcast does anyway
    sio.on("echo", lambda sid, data: data)
    sio.start()
    assert make_client(sio).call("echo", {"a": [1, 2.5, None]}, timeout=10) == {"a": [1, 2.5, None]}
    custom = types.SimpleNamespace(dumps=json.dumps, loads=json.loads)
    with pytest.raises(ValueError, match="json"):
        roomcast.Server(json=custom)


def test_async_handlers():
    roomcast.Server(async_handlers=False)  # what roomcast.Server does: one at a time, in order
    with pytest.raises(ValueError, match="async_handlers=True"):
        roomcast.Server(async_handlers=True)
    roomcast.AsyncServer(async_handlers=True)
    with pytest.raises(ValueError, match="async_handlers=False"):
        roomcast.AsyncServer(async_handlers=False)


def test_async_server_handlers_run_concurrently_with_async_handlers_true():
    async def main():
        sio = roomcast.AsyncServer(async_handlers=True)
        gate = asyncio.Event()

        @sio.event
        async def wait(sid):
            await asyncio.wait_for(gate.wait(), 10)
            return "released"

        @sio.event
        async def release(sid):
            gate.set()
            return "ok"

        await sio.start()
        a, b = socketio.AsyncClient(reconnection=False), socketio.AsyncClient(reconnection=False)
        try:
            for c in (a, b):
                await c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
            waiting = asyncio.ensure_future(a.call("wait", timeout=15))
            assert await b.call("release", timeout=10) == "ok"  # runs while a's handler waits
            assert await waiting == "released"
        finally:
            await a.disconnect()
            await b.disconnect()
            await sio.stop()

    asyncio.run(asyncio.wait_for(main(), 60))


def test_engineio_keywords_roomcast_cannot_honour_name_themselves(make_server):
    cases = [
        ({"http_compression": True}, "http_compression"),
        ({"cookie": "io"}, "cookie"),
        ({"cookie": {"name": "io"}}, "cookie"),
        ({"monitor_clients": False}, "monitor_clients"),
        ({"ping_interval": (25, 5)}, "ping_interval"),
    ]
    for kwargs, name in cases:
        for cls in (roomcast.Server, roomcast.AsyncServer):
            with pytest.raises(ValueError, match=name):
                cls(**kwargs)
    # Values that say what roomcast does anyway are accepted; compression_threshold only
    # tunes a compression roomcast does not do, so any value is accepted.
    sio = make_server(http_compression=False, compression_threshold=2048, cookie=None, monitor_clients=True,
                      ping_interval=(7, 0))
    sio.start()
    import urllib.request

    body = urllib.request.urlopen(f"http://127.0.0.1:{sio.port}/socket.io/?EIO=4&transport=polling", timeout=10).read()
    assert json.loads(body.decode()[1:])["pingInterval"] == 7000
