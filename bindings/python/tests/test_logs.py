"""Logs: roomcast's records reach the ``logging`` module (logger ``roomcast``) with their
stable fields, only when the filter lets them through (off by default)."""

import logging
import subprocess
import sys
import textwrap
import time

import pytest

import roomcast
from conftest import wait_for


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def capture(monkeypatch):
    monkeypatch.delenv("ROOMCAST_LOG", raising=False)
    monkeypatch.delenv("RUST_LOG", raising=False)
    roomcast.set_log_filter(None)  # the environment's: off
    logger = logging.getLogger("roomcast")
    handler = Capture()
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    roomcast.set_log_filter("off")
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_records_with_fields_only_when_the_filter_is_on(capture, make_server, make_client):
    sio = make_server()
    sio.start()
    quiet = make_client(sio)
    quiet.disconnect()
    time.sleep(0.5)
    assert capture.records == []

    with pytest.raises(roomcast.InvalidArgument):
        roomcast.set_log_filter("roomcast=loud")
    roomcast.set_log_filter("debug")
    c = make_client(sio, transports=["websocket"])
    sid = c.get_sid("/")
    c.disconnect()

    def of(message):
        return [r for r in capture.records if r.roomcast_fields.get("sid") == sid and message in r.getMessage()]

    wait_for(lambda: of("socket disconnected"), what="the disconnect record")
    [connected] = of("socket connected")
    assert connected.name == "roomcast.socket"
    assert connected.levelno == logging.DEBUG
    assert (connected.sid, connected.nsp, connected.transport) == (sid, "/", "websocket")
    assert f"sid={sid}" in connected.getMessage()
    [gone] = of("socket disconnected")
    assert gone.nsp == "/"
    assert gone.reason in ("client namespace disconnect", "transport close")
    conn = connected.conn
    assert any(
        r.name == "roomcast.engine" and r.roomcast_fields.get("sid") == conn and r.transport == "websocket"
        for r in capture.records
    )
    # The engine's "connection closed" can come after the socket's record: wait for it, so
    # every record of that client is in before the count below.
    wait_for(
        lambda: [r for r in capture.records if r.roomcast_fields.get("sid") == conn and "connection closed" in r.getMessage()],
        what="the connection closed record",
    )

    roomcast.set_log_filter("off")
    n = len(capture.records)
    make_client(sio).disconnect()
    time.sleep(0.5)
    assert len(capture.records) == n


CHILD = textwrap.dedent(
    """
    import logging, time, roomcast
    logging.basicConfig(level=logging.DEBUG, format="%(name)s %(levelname)s %(message)s")
    sio = roomcast.Server()
    sio.start()
    sio.stop()
    time.sleep(0.5)   # records arrive on their own thread
    """
)


def test_filter_from_the_environment():
    env = {"ROOMCAST_LOG": "info", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert "roomcast.server INFO listening addr=127.0.0.1:" in out.stderr, out.stderr
    assert "roomcast.server INFO stopping" in out.stderr
    env["ROOMCAST_LOG"] = "warn"
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert "roomcast" not in out.stderr
