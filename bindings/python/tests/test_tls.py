"""TLS from Python: ``ssl_certfile``/``ssl_keyfile`` with a throwaway CA made by the openssl
CLI at test time; the real python-socketio client, trusting that CA, connects over polling
and WebSocket; ``reload_ssl`` swaps the certificate; bad options raise errors naming them."""

import subprocess
from pathlib import Path

import pytest
import requests
import socketio

import roomcast

from conftest import wait_for


def make_certs(d: Path, name: str):
    """CA + server certificate for localhost/127.0.0.1; returns (ca, fullchain, key) paths."""
    f = lambda s: str(d / f"{name}-{s}")  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", *ec, "-keyout", f("ca-key.pem"), "-out", f("ca.pem"), "-days", "2",
        "-subj", f"/CN=roomcast py test CA {name}", "-addext", "basicConstraints=critical,CA:TRUE")
    run("req", *ec, "-keyout", f("key.pem"), "-out", f("csr.pem"), "-subj", "/CN=localhost")
    Path(f("ext.cnf")).write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", f("csr.pem"), "-CA", f("ca.pem"), "-CAkey", f("ca-key.pem"),
        "-CAcreateserial", "-out", f("leaf.pem"), "-days", "2", "-extfile", f("ext.cnf"))
    Path(f("chain.pem")).write_text(Path(f("leaf.pem")).read_text() + Path(f("ca.pem")).read_text())
    return f("ca.pem"), f("chain.pem"), f("key.pem")


def tls_client(port: int, ca: str, transport: str) -> socketio.Client:
    session = requests.Session()
    session.verify = ca  # python-socketio passes the session's CA bundle to both transports
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides it
    c = socketio.Client(reconnection=False, http_session=session)
    c.connect(f"https://localhost:{port}", transports=[transport], wait_timeout=10)
    return c


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_tls_chat_and_reload(tmp_path, make_server, transport):
    ca1, cert1, key1 = make_certs(tmp_path, "one")
    ca2, cert2, key2 = make_certs(tmp_path, "two")
    sio = make_server(ssl_certfile=cert1, ssl_keyfile=key1)
    got = []

    @sio.event
    def echo(sid, data):
        return data

    sio.start()
    c = tls_client(sio.port, ca1, transport)
    c.on("news", lambda data: got.append(data))
    assert c.call("echo", {"over": "tls"}, timeout=10) == {"over": "tls"}
    assert c.transport() == transport
    sio.emit("news", "hello")
    wait_for(lambda: got == ["hello"], what="broadcast over tls")
    # A client that does not trust the CA is refused.
    with pytest.raises(socketio.exceptions.ConnectionError):
        tls_client(sio.port, ca2, transport)
    # A bad certificate is refused and the old one keeps serving.
    bad = tmp_path / "bad.pem"
    bad.write_text("nope\n")
    with pytest.raises(roomcast.ConfigError, match="tls cert"):
        sio.reload_ssl(bad, key1)
    tls_client(sio.port, ca1, transport).disconnect()
    # After a reload, new connections present the new certificate; the old one stays up.
    sio.reload_ssl(cert2, key2)
    c2 = tls_client(sio.port, ca2, transport)
    assert c2.call("echo", 2, timeout=10) == 2
    assert c.call("echo", 1, timeout=10) == 1
    c2.disconnect()
    c.disconnect()


def test_tls_options_are_checked(tmp_path, make_server):
    with pytest.raises(roomcast.ConfigError, match="tls_cert and tls_key"):
        make_server(ssl_certfile="cert.pem").start()
    sio = make_server(ssl_certfile=tmp_path / "missing.pem", ssl_keyfile=tmp_path / "missing-key.pem")
    with pytest.raises(roomcast.ConfigError, match="tls cert.*missing.pem"):
        sio.start()
    plain = make_server()
    plain.start()
    with pytest.raises(roomcast.ConfigError, match="without tls"):
        plain.reload_ssl(tmp_path / "a.pem", tmp_path / "b.pem")


def test_tls_core_option_names_take_pem_text(tmp_path, make_server):
    # tls_cert / tls_key are the core's names; PEM text works as well as a path.
    ca, cert, key = make_certs(tmp_path, "text")
    sio = make_server(tls_cert=Path(cert).read_text(), tls_key=Path(key).read_text())

    @sio.event
    def echo(sid, data):
        return data

    sio.start()
    c = tls_client(sio.port, ca, "websocket")
    assert c.call("echo", "pem", timeout=10) == "pem"
    c.disconnect()


def test_chat_example_serves_https_and_reloads_on_sighup(tmp_path):
    import os
    import signal
    import sys

    chat = Path(__file__).resolve().parents[3] / "examples" / "python" / "chat.py"
    ca1, cert1, key1 = make_certs(tmp_path, "one")
    ca2, cert2, key2 = make_certs(tmp_path, "two")
    live_cert, live_key = tmp_path / "live-cert.pem", tmp_path / "live-key.pem"
    live_cert.write_bytes(Path(cert1).read_bytes())
    live_key.write_bytes(Path(key1).read_bytes())
    env = {**os.environ, "PORT": "0", "TLS_CERT": str(live_cert), "TLS_KEY": str(live_key)}
    proc = subprocess.Popen([sys.executable, str(chat)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on https://localhost:" in line, line
        port = int(line.rsplit(":", 1)[1])
        heard = []
        a = tls_client(port, ca1, "websocket")
        b = tls_client(port, ca1, "polling")
        b.on("talk", lambda *args: heard.append(args[0]))
        a.emit("talk", "over https")
        wait_for(lambda: heard == ["over https"], what="talk over https")
        live_cert.write_bytes(Path(cert2).read_bytes())
        live_key.write_bytes(Path(key2).read_bytes())
        proc.send_signal(signal.SIGHUP)
        assert proc.stdout.readline().strip() == "tls: certificate reloaded"
        tls_client(port, ca2, "websocket").disconnect()
        with pytest.raises(socketio.exceptions.ConnectionError):
            tls_client(port, ca1, "websocket")
        a.disconnect()
        b.disconnect()
    finally:
        proc.terminate()
        proc.wait(15)
