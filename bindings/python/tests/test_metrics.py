"""Metrics from Python: ``sio.metrics()`` (a dict, the host's snapshot call) and the
Prometheus scrape at ``metrics_path`` follow the real python-socketio client: connects,
events, broadcasts and disconnect reasons; without metrics, ``metrics()`` raises."""

import pytest
import requests

import roomcast

from conftest import wait_for


def scrape(port):
    r = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    out = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_metrics_follow_clients(make_server, make_client):
    sio = make_server(metrics_path="/metrics")

    @sio.event
    def connect(sid, environ):
        sio.enter_room(sid, "chat")

    @sio.event
    def talk(sid, msg):
        sio.emit("talk", msg, room="chat", skip_sid=sid)

    reasons = []

    @sio.event
    def disconnect(sid, reason):
        reasons.append(reason)

    sio.start()
    assert sio.metrics()["connects"] == 0
    heard = []
    a = make_client(sio)
    b = make_client(sio, transports=["polling"], on={"talk": heard.append})
    m = sio.metrics()
    assert m["connects"] == 2
    assert m["sockets"] == {"/": 2}
    assert m["rooms"] == {"/": 1}
    assert m["sessions"] == {"polling": 1, "websocket": 1}
    assert m["handshake_seconds"]["count"] == 2
    a.emit("talk", "hi")
    wait_for(lambda: heard == ["hi"], what="talk relayed")
    m = sio.metrics()
    assert m["events_received"] == 1
    assert m["broadcasts"] == 1
    assert m["deliveries"] == 1
    prom = scrape(sio.port)
    assert prom["roomcast_connects_total"] == 2
    assert prom["roomcast_events_received_total"] == 1
    assert prom['roomcast_sockets_connected{namespace="/"}'] == 2
    # python-socketio's disconnect() may close the transport before the server reads its
    # DISCONNECT packet: the count must match the reason the server reported, once.
    a.disconnect()
    wait_for(lambda: len(reasons) == 1, what="a gone")
    reason = reasons[0]
    assert reason in ("client namespace disconnect", "transport close")
    m = sio.metrics()
    assert m["sockets"] == {"/": 1}
    assert m["disconnects"][reason] == 1
    assert sum(m["disconnects"].values()) == 1
    assert scrape(sio.port)[f'roomcast_disconnects_total{{reason="{reason}"}}'] == 1


def test_metrics_need_the_option(make_server):
    plain = make_server()
    plain.start()
    with pytest.raises(roomcast.ConfigError, match="metrics"):
        plain.metrics()
    with pytest.raises(roomcast.ConfigError, match="metrics_path"):
        make_server(metrics_path="metrics").start()
