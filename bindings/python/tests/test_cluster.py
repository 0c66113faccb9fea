"""Cluster operations from Python in a mixed cluster: a roomcast node (``client_manager=
RedisManager``) beside a real Node socket.io node with ``@socket.io/redis-adapter`` 8.3
(tests/cluster/nodes/socketio-node.mjs, tests/cluster's pinned packages) on a redis-server
started here, real python-socketio clients on both. Each operation runs in both
directions where socket.io has one: fetch_sockets, all_rooms, server_count,
server_side_emit / server_side_call (serverSideEmitWithAck), sockets_join,
disconnect_sockets.

Needs redis-server, node and tests/cluster/node_modules; scripts/test-python.sh installs
them and sets ROOMCAST_CLUSTER_TESTS=1, which turns a missing one into a failure."""

import asyncio
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import socketio

import roomcast

from conftest import wait_for

ROOT = Path(__file__).resolve().parents[3]
NODE_NODE = ROOT / "tests/cluster/nodes/socketio-node.mjs"
REQUIRED = os.environ.get("ROOMCAST_CLUSTER_TESTS") == "1"


def _missing() -> str:
    if not shutil.which("redis-server"):
        return "redis-server not installed"
    if not shutil.which("node"):
        return "node not installed"
    if not (ROOT / "tests/cluster/node_modules/@socket.io/redis-adapter").is_dir():
        return "tests/cluster/node_modules missing (npm ci --prefix tests/cluster)"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_until(proc: subprocess.Popen, marker: str, what: str) -> str:
    """Reads proc's stdout lines until one contains ``marker`` (bounded by a timer)."""
    timer = threading.Timer(20, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:
            if marker in line:
                return line
    finally:
        timer.cancel()
    raise AssertionError(f"{what} did not start")


@pytest.fixture(scope="module")
def cluster():
    """A redis-server and a Node socket.io node on it; yields (redis_url, node_url)."""
    why = _missing()
    if why:
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)
    port = _free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE, text=True)
    node = None
    try:
        _read_until(redis, "Ready to accept connections", "redis-server")
        url = f"redis://127.0.0.1:{port}"
        node, node_url = _start_node(url)
        yield url, node_url
    finally:
        for p in (node, redis):
            if p is not None:
                p.kill()
                p.wait()


def _start_node(url: str, sharded: bool = False):
    node = subprocess.Popen(["node", str(NODE_NODE)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "REDIS_URL": url, "SHARDED": "1" if sharded else "0"})
    line = _read_until(node, "listening on", "the Node socket.io node")
    return node, line.split("listening on ", 1)[1].strip()


def _node_client(node_url: str) -> socketio.Client:
    c = socketio.Client(reconnection=False)
    c.connect(node_url, transports=["websocket"], wait_timeout=10)
    return c


def _ctl(c: socketio.Client, op: str, arg=None):
    return c.call("ctl", (op, arg), timeout=15)


def test_sync_server_cluster_operations_both_ways(cluster, make_server, make_client):
    redis_url, node_url = cluster
    sio = make_server(client_manager=roomcast.RedisManager(redis_url, request_timeout=5))
    notes = []

    @sio.event
    def connect(sid, environ):
        sio.enter_room(sid, "room1")

    @sio.on_server_side("ping-servers")
    def ping(n):
        return f"pong-py-{n}"

    sio.on_server_side("note", lambda *args: notes.append(list(args)))
    sio.start()
    ctl = _node_client(node_url)
    victim = _node_client(node_url)
    gone = threading.Event()
    victim.on("disconnect", lambda *a: gone.set())
    try:
        wait_for(lambda: sio.server_count() == 2, 15, "two nodes")
        assert _ctl(ctl, "count") == 2
        py = make_client(sio)
        wait_for(lambda: "room1" in sio.rooms(py.get_sid()), 10, "room1 joined")

        # fetch_sockets from Python: both nodes' sockets, with data and rooms.
        found = sio.fetch_sockets()
        assert isinstance(found, roomcast.ClusterResult) and found.complete and found.expected == 1
        by_id = {s["id"]: s for s in found}
        assert by_id[ctl.get_sid()]["data"]["user"].startswith("u")
        assert "room1" in by_id[ctl.get_sid()]["rooms"]
        assert "room1" in by_id[py.get_sid()]["rooms"]
        assert {s["id"] for s in sio.fetch_sockets(room="room1", skip_sid=victim.get_sid())} == {ctl.get_sid(), py.get_sid()}
        # ... and the Node node's fetchSockets sees the Python node's socket.
        remote = {s["id"]: s for s in _ctl(ctl, "fetch")}
        assert "room1" in remote[py.get_sid()]["rooms"]

        rooms = sio.all_rooms()
        assert rooms.complete and {"room1", ctl.get_sid(), py.get_sid()} <= set(rooms)

        # serverSideEmit both ways, with acks.
        replies = sio.server_side_call("ping-servers", 5)
        assert list(replies) == ["pong-node"] and replies.complete
        assert _ctl(ctl, "sse-ack", 3) == ["pong-py-3"]
        sio.server_side_emit("note", "from-py", {"n": 1})
        wait_for(lambda: any(e.get("event") == "note" and e["args"] == ["from-py", {"n": 1}] for e in _ctl(ctl, "notes")),
                 10, "note on the Node node")

        # socketsJoin and disconnectSockets reach the Node node's sockets.
        sio.sockets_join("via-py", to=ctl.get_sid())
        wait_for(lambda: "via-py" in _ctl(ctl, "rooms-of", ctl.get_sid()), 10, "via-py joined")
        sio.disconnect_sockets(to=victim.get_sid())
        assert gone.wait(10), "the Node node's socket was not disconnected"
    finally:
        ctl.disconnect()
        victim.disconnect()


def test_room_events_are_local_and_include_joins_asked_by_other_nodes(cluster, make_server, make_client):
    """As socket.io with its Redis adapter: a node reports its own sockets' room changes,
    also when another node's socketsJoin makes them, and never the other node's sockets."""
    redis_url, node_url = cluster
    sio = make_server(client_manager=roomcast.RedisManager(redis_url, request_timeout=5))
    seen = []
    for event in roomcast.ROOM_EVENTS:
        sio.on_room_event(event, lambda *args, e=event: seen.append((e, *args)))
    sio.start()
    ctl = _node_client(node_url)
    try:
        wait_for(lambda: sio.server_count() == 2, 15, "two nodes")
        py = make_client(sio)
        me = py.get_sid()
        wait_for(lambda: len(seen) >= 2, 10, "the own room's events")
        assert seen == [("create-room", me), ("join-room", me, me)]
        del seen[:]
        assert _ctl(ctl, "join-all", "everyone") is True
        wait_for(lambda: len(seen) >= 2, 10, "the join asked by the Node node")
        wait_for(lambda: "everyone" in _ctl(ctl, "rooms-of", ctl.get_sid()), 10, "the Node node's socket joined")
        assert seen == [("create-room", "everyone"), ("join-room", "everyone", me)]
    finally:
        ctl.disconnect()


def test_async_server_cluster_operations(cluster):
    redis_url, node_url = cluster

    async def main():
        sio = roomcast.AsyncServer(client_manager=roomcast.RedisManager(redis_url))

        @sio.on_server_side("ping-servers")
        async def ping(n):
            await asyncio.sleep(0)
            return f"pong-async-{n}"

        await sio.start()
        ctl = await asyncio.to_thread(_node_client, node_url)
        try:
            for _ in range(300):
                if await sio.server_count() == 2:
                    break
                await asyncio.sleep(0.05)
            assert await sio.server_count() == 2
            found = await sio.fetch_sockets()
            assert found.complete and ctl.get_sid() in {s["id"] for s in found}
            assert list(await sio.server_side_call("ping-servers", 1)) == ["pong-node"]
            assert "room1" in await sio.all_rooms()
            assert await asyncio.to_thread(_ctl, ctl, "sse-ack", 9) == ["pong-async-9"]
        finally:
            await asyncio.to_thread(ctl.disconnect)
            await sio.stop()

    asyncio.run(main())


def test_without_cluster_the_node_answers_alone(make_server, make_client):
    sio = make_server()
    sio.start()
    c = make_client(sio)
    assert sio.server_count() == 1
    assert [s["id"] for s in sio.fetch_sockets()] == [c.get_sid()]
    assert list(sio.server_side_call("anything")) == []
    sio.server_side_emit("nobody-listens")
    with pytest.raises(roomcast.NoSuchNamespace):
        sio.fetch_sockets(namespace="/not-served")


def test_sharded_adapter_from_python(cluster, make_server):
    """RedisManager(sharded=True): the sharded adapter beside a createShardedAdapter Node node."""
    redis_url, _ = cluster
    node, node_url = _start_node(redis_url, sharded=True)
    try:
        sio = make_server(client_manager=roomcast.RedisManager(redis_url, sharded=True, subscription_mode="dynamic"))
        sio.on_server_side("ping-servers", lambda n: f"pong-sharded-{n}")
        sio.start()
        ctl = _node_client(node_url)
        try:
            # Only the sharded nodes count (PUBSUB SHARDNUMSUB), not the classic ones.
            wait_for(lambda: sio.server_count() == 2, 15, "two sharded nodes")
            assert ctl.get_sid() in {s["id"] for s in sio.fetch_sockets()}
            assert list(sio.server_side_call("ping-servers", 1)) == ["pong-node"]
            assert _ctl(ctl, "sse-ack", 6) == ["pong-sharded-6"]
        finally:
            ctl.disconnect()
        with pytest.raises(roomcast.ConfigError, match="redis_subscription_mode"):
            roomcast.Server(client_manager=roomcast.RedisManager(redis_url, sharded=True, subscription_mode="bogus")).start()
    finally:
        node.kill()
        node.wait()
