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
    a.disconnect()  # client namespace disconnect
    wait_for(lambda: sio.metrics()["sockets"]["/"] == 1, what="a gone")
    m = sio.metrics()
    assert m["disconnects"]["client namespace disconnect"] == 1
    assert m["disconnects"]["transport close"] == 0
    assert scrape(sio.port)['roomcast_disconnects_total{reason="client namespace disconnect"}'] == 1


def test_metrics_need_the_option(make_server):
    plain = make_server()
    plain.start()
    with pytest.raises(roomcast.ConfigError, match="metrics"):
        plain.metrics()
    with pytest.raises(roomcast.ConfigError, match="metrics_path"):
        make_server(metrics_path="metrics").start()
