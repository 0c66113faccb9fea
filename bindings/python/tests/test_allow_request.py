"""``allow_request``: a callable that sees each handshake request's environ before any
session exists (socket.io's ``allowRequest``; python-socketio has none). A false result
refuses the request with HTTP 403 ``{"code":4,"message":"Forbidden"}``."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
import socketio

import roomcast


def handshake(sio, headers=None):
    """A raw polling handshake: (status, body)."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{sio.port}/socket.io/?EIO=4&transport=polling", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_a_request_without_the_header_is_refused_and_one_with_it_connects(make_server, make_client):
    seen = []

    def allow(environ):
        seen.append(environ)
        return environ.get("HTTP_X_TOKEN") == "let-me-in"

    sio = make_server(allow_request=allow)
    sio.on("echo", lambda sid, x: x)
    sio.start()
    status, body = handshake(sio)
    assert status == 403
    assert json.loads(body) == {"code": 4, "message": "Forbidden"}

    for transports in (["polling"], ["websocket"]):
        refused = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            refused.connect(f"http://127.0.0.1:{sio.port}", transports=transports, wait_timeout=5)
    for transports in (["polling", "websocket"], ["websocket"]):
        c = make_client(sio, transports=transports, headers={"X-Token": "let-me-in"})
        assert c.call("echo", "in", timeout=10) == "in"
        c.disconnect()
    env = seen[-1]
    assert env["REQUEST_METHOD"] == "GET"
    assert "EIO=4" in env["QUERY_STRING"] and env["PATH_INFO"] == "/socket.io/"
    assert env["REMOTE_ADDR"] == "127.0.0.1"


def test_an_exception_refuses_and_an_unanswered_request_times_out(make_server):
    import threading

    release, returned = threading.Event(), threading.Event()

    def allow(environ):
        if environ.get("HTTP_X_TOKEN") == "boom":
            raise RuntimeError("boom")
        if environ.get("HTTP_X_TOKEN") == "slow":
            release.wait(10)  # answers after allow_request_timeout: refused meanwhile
            returned.set()
        return True

    sio = make_server(allow_request=allow, allow_request_timeout=0.5)
    sio.start()
    assert handshake(sio, {"X-Token": "boom"})[0] == 403
    status, body = handshake(sio, {"X-Token": "slow"})
    assert (status, json.loads(body)) == (403, {"code": 4, "message": "Forbidden"})
    release.set()
    assert returned.wait(10)
    status, body = handshake(sio, {"X-Token": "fine"})
    assert status == 200 and body.startswith("0{")


def test_allow_request_must_be_callable():
    with pytest.raises(TypeError, match="allow_request"):
        roomcast.Server(allow_request=True)


def test_async_server_awaits_an_async_allow_request():
    async def main():
        async def allow(environ):
            await asyncio.sleep(0.01)
            return environ.get("HTTP_X_TOKEN") == "let-me-in"

        sio = roomcast.AsyncServer(allow_request=allow)
        await sio.start()
        loop = asyncio.get_running_loop()
        try:
            refused = await loop.run_in_executor(None, handshake, sio)
            allowed = await loop.run_in_executor(None, handshake, sio, {"X-Token": "let-me-in"})
            c = socketio.AsyncClient(reconnection=False)
            await c.connect(
                f"http://127.0.0.1:{sio.port}",
                transports=["websocket"],
                headers={"X-Token": "let-me-in"},
                wait_timeout=10,
            )
            await c.disconnect()
        finally:
            await sio.stop()
        assert refused[0] == 403
        assert allowed[0] == 200

    asyncio.run(asyncio.wait_for(main(), 60))
