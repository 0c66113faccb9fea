"""Fixtures: roomcast servers on free ports, real python-socketio clients, and a poller."""

import time
from typing import Callable, List

import pytest
import socketio

import roomcast


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Polls ``cond`` until true; fails the test after ``timeout`` seconds (a generous bound:
    this checks that something happens, not how fast)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def make_server():
    """``make_server(**options)`` gives an unstarted ``roomcast.Server``; all are stopped after."""
    servers: List[roomcast.Server] = []

    def make(**options) -> roomcast.Server:
        s = roomcast.Server(**options)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def make_client():
    """``make_client(server, **connect_kwargs)`` connects a real python-socketio client."""
    clients: List[socketio.Client] = []

    def make(server=None, connect=True, on=None, **kwargs) -> socketio.Client:
        c = socketio.Client(reconnection=False)
        clients.append(c)
        for event, fn in (on or {}).items():
            c.on(event, fn)
        if connect:
            kwargs.setdefault("transports", ["websocket"])
            c.connect(f"http://127.0.0.1:{server.port}", wait_timeout=10, **kwargs)
        return c

    yield make
    for c in clients:
        try:
            c.disconnect()
        except Exception:
            pass
