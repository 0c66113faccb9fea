"""permessage-deflate from Python: ``per_message_deflate=True`` or a dict, and
``emit(..., compress=False)``, checked with the real socket.io-client (whose ``ws`` offers
the extension) and a raw client that sees each frame's RSV1 bit
(tests/node/deflate_probe.mjs)."""

import json
import subprocess
from pathlib import Path

import pytest

import roomcast

PROBE = Path(__file__).resolve().parents[3] / "tests" / "node" / "deflate_probe.mjs"
AGREED = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"


def _probe(port: int) -> dict:
    out = subprocess.run(
        ["node", str(PROBE), f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def _serve(sio: roomcast.Server) -> None:
    @sio.event
    def echo(sid, data):
        return data

    @sio.on("deflate-go")
    def go(sid, big):
        sio.enter_room(sid, "deflate-room")
        sio.emit("zipped", big, to=sid)
        sio.emit("plain", big, to=sid, compress=False)
        sio.emit("room-plain", big, room="deflate-room", compress=False)
        sio.emit("room-zipped", big, room="deflate-room")

    sio.start("127.0.0.1", 0)


@pytest.mark.parametrize("option", [True, {"threshold": 1024}])
def test_deflate_is_negotiated_and_compress_false_is_honoured(make_server, option):
    sio = make_server(per_message_deflate=option)
    _serve(sio)
    r = _probe(sio.port)
    assert r["header"] == AGREED
    assert r["clientExtensions"] == "permessage-deflate"
    assert r["echo"] == {"big": True, "small": True, "binary": True}
    assert r["frames"] == {
        "zipped": {"rsv1": True, "intact": True},
        "plain": {"rsv1": False, "intact": True},
        "roomPlain": {"rsv1": False, "intact": True},
        "roomZipped": {"rsv1": True, "intact": True},
    }


def test_deflate_is_off_by_default(make_server):
    sio = make_server()
    _serve(sio)
    r = _probe(sio.port)
    assert r["header"] is None
    assert r["clientExtensions"] == ""
    assert all(not f["rsv1"] and f["intact"] for f in r["frames"].values())


def test_a_high_threshold_leaves_messages_uncompressed(make_server):
    sio = make_server(per_message_deflate={"threshold": 1_000_000})
    _serve(sio)
    r = _probe(sio.port)
    assert r["header"] == AGREED
    assert all(not f["rsv1"] and f["intact"] for f in r["frames"].values())


def test_unknown_deflate_keys_are_refused_by_name():
    with pytest.raises(ValueError, match="per_message_deflate.*'level'"):
        roomcast.Server(per_message_deflate={"level": 9})
    with pytest.raises(ValueError, match="server_no_context_takeover"):
        roomcast.Server(per_message_deflate={"server_no_context_takeover": False})
    roomcast.Server(per_message_deflate={"threshold": 0, "client_no_context_takeover": True})
