"""connection_state_recovery with the real socket.io-client (node): a socket whose transport
drops comes back with its id, rooms and session, gets the events it missed, and
``sio.recovered(sid)`` says so."""

import asyncio
import json
import subprocess
import threading
from pathlib import Path

import pytest

import roomcast

from conftest import wait_for

CLIENT = Path(__file__).resolve().parent / "recovery_client.mjs"


def test_options_are_validated():
    with pytest.raises(ValueError, match="unknown option 'maxDisconnectDuration'"):
        roomcast.Server(connection_state_recovery={"maxDisconnectDuration": 1000})
    with pytest.raises(TypeError, match="skipMiddlewares"):
        roomcast.Server(connection_state_recovery={"skipMiddlewares": "no"})
    with pytest.raises(ValueError, match="maxDisconnectionDuration"):
        roomcast.Server(connection_state_recovery={"maxDisconnectionDuration": -5})


def test_dropped_transport_recovers_id_rooms_session_and_missed_events(make_server):
    sio = make_server(connection_state_recovery={"maxDisconnectionDuration": 60_000})
    connects = []
    disconnected = threading.Event()

    @sio.event
    def connect(sid, environ, auth):
        recovered = sio.recovered(sid)
        connects.append((sid, recovered, dict(sio.get_session(sid)), sorted(sio.rooms(sid))))
        if recovered:
            sio.emit("news", "after", to=sid)
        else:
            sio.enter_room(sid, "kpl")
            sio.get_session(sid)["name"] = "ada"
            sio.emit("news", "before", room="kpl")

    @sio.event
    def disconnect(sid, reason):
        if reason == sio.reason.TRANSPORT_CLOSE:
            sio.emit("news", "missed 1", room="kpl")
            sio.emit("news", "not for it", room="elsewhere")
            sio.emit("news", ("missed 2", {"n": 2}), room="kpl")
            disconnected.set()

    sio.start("127.0.0.1", 0)
    proc = subprocess.Popen(
        ["node", str(CLIENT), f"http://127.0.0.1:{sio.port}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        steps = []
        assert json.loads(proc.stdout.readline())["step"] == "connect"
        assert json.loads(proc.stdout.readline())["step"] == "dropped"
        assert disconnected.wait(10), "the server saw no transport close"
        proc.stdin.write("reconnect\n")
        proc.stdin.flush()
        for _ in range(2):
            steps.append(json.loads(proc.stdout.readline()))
        assert proc.wait(15) == 0, steps
    finally:
        proc.kill()
    again, done = steps
    assert again["step"] == "connect" and again["recovered"] is True
    wait_for(lambda: len(connects) == 2, what="two connects")
    (sid1, rec1, _, _), (sid2, rec2, session2, rooms2) = connects
    assert (rec1, rec2) == (False, True)
    assert sid2 == sid1 == again["id"]
    assert session2 == {"name": "ada"}
    assert rooms2 == sorted([sid1, "kpl"])
    # In order, each with its offset last (a string), what the rooms let through only.
    assert [n[0] for n in done["news"]] == ["before", "missed 1", "missed 2", "after"]
    assert done["news"][2][:2] == ["missed 2", {"n": 2}]
    assert all(isinstance(n[-1], str) and n[-1] != n[0] for n in done["news"])


def test_async_server_recovers_too():
    """The same with roomcast.AsyncServer: recovered(sid) and the session in async handlers."""

    async def main():
        sio = roomcast.AsyncServer(connection_state_recovery={"maxDisconnectionDuration": 60_000})
        connects = []
        disconnected = asyncio.Event()

        @sio.event
        async def connect(sid, environ, auth):
            recovered = sio.recovered(sid)
            session = await sio.get_session(sid)
            connects.append((sid, recovered, dict(session)))
            if recovered:
                await sio.emit("news", "after", to=sid)
            else:
                await sio.enter_room(sid, "kpl")
                session["name"] = "ada"
                await sio.emit("news", "before", room="kpl")

        @sio.event
        async def disconnect(sid, reason):
            if reason == sio.reason.TRANSPORT_CLOSE:
                await sio.emit("news", "missed", room="kpl")
                disconnected.set()

        await sio.start()
        proc = await asyncio.create_subprocess_exec(
            "node", str(CLIENT), f"http://127.0.0.1:{sio.port}",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        try:
            line = lambda: proc.stdout.readline()  # noqa: E731
            assert json.loads(await line())["step"] == "connect"
            assert json.loads(await line())["step"] == "dropped"
            await asyncio.wait_for(disconnected.wait(), 10)
            proc.stdin.write(b"reconnect\n")
            await proc.stdin.drain()
            again = json.loads(await line())
            done = json.loads(await line())
            assert await asyncio.wait_for(proc.wait(), 15) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
            await sio.stop()
        assert again["recovered"] is True
        (sid1, rec1, _), (sid2, rec2, session2) = connects
        assert (rec1, rec2, sid2) == (False, True, sid1)
        assert session2 == {"name": "ada"}
        assert [n[0] for n in done["news"]] == ["before", "missed", "after"]

    asyncio.run(asyncio.wait_for(main(), 60))
