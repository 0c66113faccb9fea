"""roomcast.Server driven by the real python-socketio client (and raw WebSocket frames
where the client library cannot express the case)."""

import json
import logging
import threading
import time
import urllib.request

import pytest
import socketio
import websocket

import roomcast
from conftest import wait_for


def raw_socket(server, nsp_connect="40"):
    """A bare Engine.IO WebSocket that joins a namespace; returns (ws, socket id)."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0{")
    ws.send(nsp_connect)
    reply = ws.recv()
    assert reply.startswith("40"), reply
    return ws, json.loads(reply[reply.index("{"):])["sid"]


def test_handler_return_value_is_the_ack_and_a_tuple_gives_several_args(make_server, make_client):
    sio = make_server()

    @sio.event
    def add(sid, a, b):
        return a + b

    @sio.on("pair")
    def pair(sid, x):
        return x, {"twice": [x, x]}

    @sio.event
    def nothing(sid):
        return None

    sio.start()
    c = make_client(sio)
    assert c.call("add", (2, 3), timeout=10) == 5
    got = []
    c.emit("pair", "v", callback=lambda *args: got.append(args))
    wait_for(lambda: got, what="ack of pair")
    assert got == [("v", {"twice": ["v", "v"]})]
    assert c.call("nothing", timeout=10) is None


def test_json_values_keep_their_types(make_server, make_client):
    sio = make_server()
    seen = []

    @sio.event
    def values(sid, *args):
        seen.append(args)
        return args

    sio.start()
    c = make_client(sio)
    sent = (None, True, False, 0, -7, 2**53, 1.5, "é ☃", [1, [2]], {"k": {"n": None}})
    assert c.call("values", sent, timeout=10) == sent
    assert seen[0] == sent


def test_binary_travels_as_attachments_both_ways(make_server, make_client):
    sio = make_server()
    received = []

    @sio.event
    def upload(sid, blob, meta):
        received.append((blob, meta))
        return b"ok:" + blob, {"nested": [bytearray(b"\x00\xff"), memoryview(b"mv")]}

    sio.start()
    c = make_client(sio)
    pushed = []
    c.on("push", lambda *args: pushed.append(args))
    reply = c.call("upload", (b"\x01\x02\x03", {"inner": b"\x04"}), timeout=10)
    assert reply == (b"ok:\x01\x02\x03", {"nested": [b"\x00\xff", b"mv"]})
    assert received == [(b"\x01\x02\x03", {"inner": b"\x04"})]
    sio.emit("push", (b"\xde\xad", "text", {"b": b"\xbe\xef"}))
    wait_for(lambda: pushed, what="binary push")
    assert pushed == [(b"\xde\xad", "text", {"b": b"\xbe\xef"})]


def test_unsendable_values_raise_type_error(make_server, make_client):
    sio = make_server().start()
    with pytest.raises(TypeError):
        sio.emit("bad", object())


def test_emit_to_room_and_skip_sid(make_server, make_client):
    sio = make_server()
    sids = {}

    @sio.event
    def hello(sid, name):
        sids[name] = sid
        if name != "c":
            sio.enter_room(sid, "red")

    @sio.event
    def shout(sid, text):
        sio.emit("heard", text, room="red", skip_sid=sid)

    sio.start()
    clients = {}
    inbox = {}
    for name in "abc":
        clients[name] = make_client(sio)
        inbox[name] = []
        clients[name].on("heard", lambda text, n=name: inbox[n].append(text))
        clients[name].emit("hello", name)
    wait_for(lambda: len(sids) == 3, what="three hellos")
    clients["a"].emit("shout", "hi red")
    wait_for(lambda: inbox["b"], what="b hears a")
    time.sleep(0.3)  # let any wrong delivery arrive before checking it did not
    assert inbox == {"a": [], "b": ["hi red"], "c": []}
    # to= a socket id reaches exactly that socket; to= a list reaches each
    sio.emit("heard", "just c", to=sids["c"])
    sio.emit("heard", "a and c", to=[sids["a"], sids["c"]])
    wait_for(lambda: len(inbox["c"]) == 2 and inbox["a"], what="direct emits")
    assert inbox["c"] == ["just c", "a and c"] and inbox["a"] == ["a and c"] and inbox["b"] == ["hi red"]


def test_rooms_leave_room_and_close_room(make_server, make_client):
    sio = make_server()
    sids = []

    @sio.event
    def connect(sid, environ, auth):
        sids.append(sid)
        sio.enter_room(sid, "lobby")
        sio.enter_room(sid, "extra")

    sio.start()
    inbox = []
    c1, c2 = make_client(sio), make_client(sio)
    c1.on("note", lambda x: inbox.append(("c1", x)))
    c2.on("note", lambda x: inbox.append(("c2", x)))
    wait_for(lambda: len(sids) == 2 and all(len(sio.rooms(s)) == 3 for s in sids), what="rooms joined")
    assert sio.rooms(sids[0]) == sorted([sids[0], "lobby", "extra"])
    sio.leave_room(sids[0], "extra")
    assert sio.rooms(sids[0]) == sorted([sids[0], "lobby"])
    sio.close_room("lobby")
    assert sio.rooms(sids[1]) == sorted([sids[1], "extra"])
    sio.emit("note", "lobby", room="lobby")
    sio.emit("note", "extra", room="extra")
    wait_for(lambda: inbox, what="note to extra")
    time.sleep(0.2)
    assert inbox == [("c2", "extra")]
    assert sio.rooms("no-such-sid") == []


def test_emit_in_connect_reaches_the_new_socket_and_sids_are_stable(make_server, make_client):
    sio = make_server()
    seen = {}

    @sio.event
    def connect(sid, environ, auth):
        seen["connect"] = sid
        sio.enter_room(sid, "joined-in-connect")
        seen["rooms in connect"] = sio.rooms(sid)
        sio.emit("welcome", sid, to=sid)
        sio.emit("everyone", "hello all")  # the new socket counts as connected, as in python-socketio

    @sio.event
    def whoami(sid):
        seen["event"] = sid
        return sid, sio.rooms(sid)

    sio.start()
    got = []
    c = make_client(
        sio, on={"welcome": lambda s: got.append(("welcome", s)), "everyone": lambda s: got.append(("everyone", s))}
    )
    sid, rooms = c.call("whoami", timeout=10)
    wait_for(lambda: len(got) == 2, what="welcome and everyone")
    assert seen["connect"] == seen["event"] == sid == c.get_sid()
    assert sorted(got) == [("everyone", "hello all"), ("welcome", sid)]
    assert rooms == seen["rooms in connect"] == sorted([sid, "joined-in-connect"])


def test_client_sid_is_the_sid_the_server_handlers_see(make_server, make_client):
    # "/" has a connect handler from the start (it runs before the accept, as middleware),
    # "/late" gets one after start (it runs after the accept), "/plain" has none.
    sio = make_server(namespaces=["/", "/late", "/plain"])
    connected = {}
    sio.on("connect", lambda sid, environ, auth: connected.setdefault("/", []).append(sid))
    for nsp in ("/", "/late", "/plain"):
        sio.on("whoami", lambda sid: sid, namespace=nsp)
    sio.start()
    sio.on("connect", lambda sid, environ, auth: connected.setdefault("/late", []).append(sid), namespace="/late")
    clients = [make_client(sio, namespaces=["/", "/late", "/plain"]) for _ in range(3)]
    wait_for(lambda: len(connected.get("/", [])) == 3 and len(connected.get("/late", [])) == 3, what="connect handlers")
    for nsp in ("/", "/late"):
        assert sorted(connected[nsp]) == sorted(c.get_sid(nsp) for c in clients)
    for c in clients:
        for nsp in ("/", "/late", "/plain"):
            assert c.call("whoami", namespace=nsp, timeout=10) == c.get_sid(nsp)
        assert len({c.get_sid("/"), c.get_sid("/late"), c.get_sid("/plain")}) == 3
    # the server addresses the client by that sid
    got = []
    clients[0].on("direct", lambda x: got.append(x), namespace="/plain")
    sio.emit("direct", "hi", to=clients[0].get_sid("/plain"), namespace="/plain")
    wait_for(lambda: got, what="emit to the client's sid")
    assert got == ["hi"]


def test_connect_gets_environ_and_auth(make_server, make_client):
    sio = make_server()
    got = []

    @sio.event
    def connect(sid, environ, auth):
        got.append((environ["REQUEST_METHOD"], environ["QUERY_STRING"], environ.get("HTTP_X_TOKEN"), auth))
        assert sio.get_environ(sid) is environ

    sio.start()
    make_client(sio, auth={"token": "abc"}, headers={"X-Token": "t1"})
    wait_for(lambda: got, what="connect")
    method, query, header, auth = got[0]
    assert method == "GET" and "EIO=4" in query and header == "t1" and auth == {"token": "abc"}


def test_connect_handler_with_two_arguments(make_server, make_client):
    sio = make_server()
    calls = []
    sio.on("connect", lambda sid, environ: calls.append(sid))
    sio.start()
    make_client(sio, auth={"ignored": True})
    wait_for(lambda: calls, what="connect(sid, environ)")


def test_connect_returning_false_is_refused(make_server, make_client):
    sio = make_server()
    connected = []
    sio.on("connect", lambda sid, environ, auth: False)
    sio.on("hello", lambda sid: connected.append(sid))
    sio.start()
    c = make_client(sio, connect=False)
    errors = []
    c.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
    wait_for(lambda: errors, what="connect_error")
    assert errors[0] == {"message": "Connection rejected by server"}


def test_connection_refused_error_carries_message_and_data(make_server, make_client):
    sio = make_server()

    @sio.event
    def connect(sid, environ, auth):
        if (auth or {}).get("token") != "good":
            raise roomcast.ConnectionRefusedError("bad token", {"code": 401, "retry": False})

    sio.start()
    c = make_client(sio, connect=False)
    errors = []
    c.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        c.connect(f"http://127.0.0.1:{sio.port}", auth={"token": "bad"}, transports=["websocket"], wait_timeout=10)
    wait_for(lambda: errors, what="connect_error")
    assert errors[0] == {"message": "bad token", "data": {"code": 401, "retry": False}}
    # the same server accepts a good token
    make_client(sio, auth={"token": "good"})


def test_exception_in_connect_handler_refuses_and_is_logged(make_server, make_client, caplog):
    sio = make_server()

    @sio.event
    def connect(sid, environ, auth):
        raise KeyError("boom in connect")

    sio.start()
    c = make_client(sio, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
    wait_for(lambda: "boom in connect" in caplog.text, what="logged traceback")
    assert "Traceback" in caplog.text


def test_exception_in_handler_is_logged_and_the_connection_survives(make_server, make_client, caplog):
    sio = make_server()

    @sio.event
    def explode(sid):
        raise ValueError("kaboom-123")

    @sio.event
    def ping(sid):
        return "pong"

    sio.start()
    c = make_client(sio)
    c.emit("explode")
    with pytest.raises(socketio.exceptions.TimeoutError):
        c.call("explode", timeout=1)  # no ack: the handler failed
    assert c.call("ping", timeout=10) == "pong"
    assert c.connected
    records = [r for r in caplog.records if r.name == "roomcast" and r.exc_info]
    assert any("kaboom-123" in str(r.exc_info[1]) for r in records)
    assert "Traceback" in caplog.text


def test_catch_all_and_send(make_server, make_client):
    sio = make_server()
    caught, messages = [], []

    @sio.on("*")
    def anything(event, sid, *args):
        caught.append((event, args))
        return "caught " + event

    @sio.event
    def message(sid, data):
        messages.append(data)
        sio.send({"echo": data}, to=sid)

    sio.start()
    c = make_client(sio)
    back = []
    c.on("message", lambda d: back.append(d))
    assert c.call("whatever", (1, 2), timeout=10) == "caught whatever"
    c.send("hi")
    wait_for(lambda: back, what="send echo")
    assert caught == [("whatever", (1, 2))] and messages == ["hi"] and back == [{"echo": "hi"}]


def test_server_to_client_acks_callback_and_call(make_server, make_client):
    sio = make_server()
    sids = []
    sio.on("connect", lambda sid, environ, auth: sids.append(sid))
    sio.start()
    c = make_client(sio)
    c.on("question", lambda a, b: ("answer", a + b))
    c.on("single", lambda x: x * 2)
    c.on("slow", lambda: time.sleep(2) or "late")
    wait_for(lambda: sids, what="connect")
    sid = sids[0]
    assert sio.call("question", (1, 2), to=sid, timeout=10) == ("answer", 3)
    assert sio.call("single", 21, to=sid, timeout=10) == 42
    got = []
    sio.emit("question", (5, 6), to=sid, callback=lambda *args: got.append(args))
    wait_for(lambda: got, what="emit callback")
    assert got == [("answer", 11)]
    with pytest.raises(roomcast.TimeoutError):
        sio.call("slow", to=sid, timeout=0.5)
    with pytest.raises(roomcast.TimeoutError):
        sio.call("question", (1, 1), to="AAAAAAAAAAAAAAAAAAAA", timeout=1)


def test_call_from_inside_a_handler_does_not_deadlock(make_server, make_client):
    sio = make_server()

    @sio.event
    def ask_me(sid, n):
        return sio.call("double", n, to=sid, timeout=10)

    sio.start()
    c = make_client(sio)
    c.on("double", lambda n: n * 2)
    assert c.call("ask_me", 8, timeout=15) == 16


def test_sessions(make_server, make_client):
    sio = make_server()

    @sio.event
    def login(sid, user):
        sio.save_session(sid, {"user": user})

    @sio.event
    def visit(sid):
        with sio.session(sid) as s:
            s["visits"] = s.get("visits", 0) + 1
        return sio.get_session(sid)

    sio.start()
    a, b = make_client(sio), make_client(sio)
    a.call("login", "alice", timeout=10)
    assert a.call("visit", timeout=10) == {"user": "alice", "visits": 1}
    assert a.call("visit", timeout=10) == {"user": "alice", "visits": 2}
    assert b.call("visit", timeout=10) == {"visits": 1}


def test_namespaces(make_server, make_client):
    sio = make_server()
    log = []
    sio.on("connect", lambda sid, environ, auth: log.append(("connect", auth)), namespace="/admin")
    sio.on("whoami", lambda sid: "admin", namespace="/admin")
    sio.on("whoami", lambda sid: "main")
    sio.start()
    c = make_client(sio, namespaces=["/", "/admin"], auth={"k": 1})
    assert c.call("whoami", timeout=10) == "main"
    assert c.call("whoami", namespace="/admin", timeout=10) == "admin"
    assert log == [("connect", {"k": 1})]
    got = []
    c.on("ping", lambda x: got.append(x), namespace="/admin")
    sio.emit("ping", "to admins", namespace="/admin")
    wait_for(lambda: got, what="namespace emit")
    bad = make_client(sio, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        bad.connect(f"http://127.0.0.1:{sio.port}", namespaces=["/nope"], transports=["websocket"], wait_timeout=5)


def test_disconnect_sockets_close_takes_every_namespace_of_the_connection(make_server, make_client):
    # socket.io's disconnect(true): every socket of the connection leaves with "server
    # namespace disconnect" (the core's Client#_disconnect), not only the selected one.
    sio = make_server()
    reasons = []
    sids = {}
    for nsp in ("/", "/admin"):
        sio.on("connect", lambda sid, environ, auth, nsp=nsp: sids.__setitem__(nsp, sid), namespace=nsp)
        sio.on("disconnect", lambda sid, reason, nsp=nsp: reasons.append((nsp, reason)), namespace=nsp)
    sio.start()
    c = make_client(sio, namespaces=["/", "/admin"])
    client_reasons = []
    for nsp in ("/", "/admin"):
        c.on("disconnect", lambda reason, nsp=nsp: client_reasons.append((nsp, reason)), namespace=nsp)
    wait_for(lambda: len(sids) == 2, what="both namespaces")
    sio.disconnect_sockets(to=sids["/"], close=True)
    wait_for(lambda: len(reasons) == 2, what="both disconnects")
    assert sorted(reasons) == [("/", sio.reason.SERVER_DISCONNECT), ("/admin", sio.reason.SERVER_DISCONNECT)]
    wait_for(lambda: len(client_reasons) == 2, what="the client's disconnects")
    gone = socketio.Client.reason.SERVER_DISCONNECT
    assert sorted(client_reasons) == [("/", gone), ("/admin", gone)]


def test_disconnect_reasons(make_server, make_client):
    sio = make_server(ping_interval=0.3, ping_timeout=0.3)
    reasons = {}
    connected = []
    sio.on("connect", lambda sid, environ, auth: connected.append(sid))
    sio.on("disconnect", lambda sid, reason: reasons.__setitem__(sid, reason))
    sio.start()

    # the server disconnects a socket
    c = make_client(sio)
    disconnected = []
    c.on("disconnect", lambda *a: disconnected.append(a))
    wait_for(lambda: connected, what="connect")
    sio.disconnect(connected[0])
    wait_for(lambda: connected[0] in reasons and disconnected, what="server disconnect")
    assert reasons[connected[0]] == sio.reason.SERVER_DISCONNECT == "server namespace disconnect"

    # the client leaves the namespace (DISCONNECT packet)
    ws, _ = raw_socket(sio)
    wait_for(lambda: len(connected) == 2, what="raw connect")
    ws.send("41")
    wait_for(lambda: connected[1] in reasons, what="client namespace disconnect")
    assert reasons[connected[1]] == sio.reason.CLIENT_DISCONNECT
    ws.close()

    # the connection drops
    ws, _ = raw_socket(sio)
    wait_for(lambda: len(connected) == 3, what="raw connect")
    ws.close()
    wait_for(lambda: connected[2] in reasons, what="transport close")
    assert reasons[connected[2]] == sio.reason.TRANSPORT_CLOSE

    # the client never answers pings
    ws, _ = raw_socket(sio)
    wait_for(lambda: len(connected) == 4, what="raw connect")
    wait_for(lambda: connected[3] in reasons, what="ping timeout")
    assert reasons[connected[3]] == sio.reason.PING_TIMEOUT
    ws.close()


def test_disconnect_handler_with_one_argument(make_server, make_client):
    sio = make_server()
    gone = []
    sio.on("disconnect", lambda sid: gone.append(sid))
    sio.start()
    ws, _ = raw_socket(sio)
    ws.close()
    wait_for(lambda: gone, what="disconnect(sid)")


def test_many_clients_at_once(make_server, make_client):
    sio = make_server()
    connected = set()
    lock = threading.Lock()

    @sio.event
    def connect(sid, environ, auth):
        with lock:
            connected.add(sid)
        sio.enter_room(sid, "all")

    @sio.event
    def disconnect(sid, reason):
        with lock:
            connected.discard(sid)

    @sio.event
    def echo(sid, n):
        return n

    sio.start()
    n = 50
    clients, inboxes = [], []
    for i in range(n):
        c = make_client(sio)
        box = []
        c.on("broadcast", lambda x, box=box: box.append(x))
        clients.append(c)
        inboxes.append(box)
    wait_for(lambda: len(connected) == n, what="50 connections")
    sio.emit("broadcast", {"to": "everyone"}, room="all")
    wait_for(lambda: all(inboxes), what="broadcast to 50")
    assert all(box == [{"to": "everyone"}] for box in inboxes)
    results = [None] * n

    def ask(i):
        results[i] = clients[i].call("echo", i, timeout=20)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == list(range(n))
    for c in clients:
        c.disconnect()
    wait_for(lambda: not connected, what="all disconnected")


def test_stop_with_clients_connected(make_server, make_client):
    sio = make_server()
    reasons = []
    sio.on("disconnect", lambda sid, reason: reasons.append(reason))
    sio.start()
    clients = [make_client(sio) for _ in range(5)]
    wait_for(lambda: sio._native.connection_count() == 5, what="five connections")
    sio.stop()
    # stop() waits for the disconnect handlers
    assert reasons == [sio.reason.SERVER_SHUTTING_DOWN] * 5
    wait_for(lambda: not any(c.connected for c in clients), what="clients see the disconnect")
    sio.stop()  # idempotent
    sio.emit("ignored", 1)  # emitting after stop is a no-op


def test_stop_from_a_handler_and_run_blocks_until_then(make_server, make_client):
    sio = make_server()
    sio.on("shutdown", lambda sid: sio.stop())
    sio.start()  # to learn a free port, then run on it in another thread
    port = sio.port
    sio.stop()
    ran = threading.Thread(target=sio.run, args=("127.0.0.1", port))
    ran.start()
    c = socketio.Client(reconnection=False)
    for _ in range(100):
        try:
            c.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=5)
            break
        except socketio.exceptions.ConnectionError:
            time.sleep(0.05)
    c.emit("shutdown")
    ran.join(15)
    assert not ran.is_alive()
    c.disconnect()


def test_context_manager(make_client):
    with roomcast.Server() as sio:
        sio.on("ping", lambda sid: "pong")
        c = make_client(sio)
        assert c.call("ping", timeout=10) == "pong"
    assert sio._native.stopped


def test_polling_transport(make_server, make_client):
    sio = make_server()
    sio.on("echo", lambda sid, x: x)
    sio.start()
    c = make_client(sio, transports=["polling"])
    assert c.call("echo", b"\x00binary over polling", timeout=10) == b"\x00binary over polling"


def test_static_files_client_bundle_and_cors(make_server, tmp_path):
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("<h1>hi</h1>")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "socket.io.min.js").write_text("/* bundle */")
    sio = make_server(static_files=tmp_path / "public", client_dist=tmp_path / "dist", cors_allowed_origins="*")
    sio.start()
    base = f"http://127.0.0.1:{sio.port}"
    assert urllib.request.urlopen(base + "/index.html", timeout=10).read() == b"<h1>hi</h1>"
    assert urllib.request.urlopen(base + "/socket.io/socket.io.min.js", timeout=10).read() == b"/* bundle */"
    req = urllib.request.Request(base + "/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://example.com"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.headers["Access-Control-Allow-Origin"] in ("*", "http://example.com")
        assert resp.read().startswith(b"0{")


def _acao(port, origin, preflight=False):
    """The Access-Control-Allow-Origin a polling handshake (or its preflight) from ``origin`` gets."""
    headers = {} if origin is None else {"Origin": origin}
    if preflight:
        headers["Access-Control-Request-Method"] = "POST"
    req = urllib.request.Request(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling",
                                 headers=headers, method="OPTIONS" if preflight else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.headers["Access-Control-Allow-Origin"]


def test_cors_allowed_origins_callable_decides_every_request(make_server, make_client):
    asked = []

    def allowed(origin):
        asked.append(origin)
        return origin in (None, "http://app.example")

    sio = make_server(cors_allowed_origins=allowed)
    sio.on("echo", lambda sid, v: v)
    sio.start()
    assert _acao(sio.port, "http://app.example") == "http://app.example"
    assert _acao(sio.port, "http://app.example", preflight=True) == "http://app.example"
    assert _acao(sio.port, "http://evil.example") is None
    assert _acao(sio.port, "http://evil.example", preflight=True) is None
    assert asked == ["http://app.example", "http://app.example", "http://evil.example", "http://evil.example"]
    # A python-socketio client (no Origin header) is asked about too, with None.
    c = make_client(sio, transports=["polling"])
    assert c.call("echo", "hi", timeout=10) == "hi"
    assert None in asked


def test_cors_allowed_origins_callable_with_environ_and_errors(make_server):
    seen = []

    def allowed(origin, environ):
        seen.append((origin, environ["PATH_INFO"]))
        if origin == "http://boom.example":
            raise RuntimeError("boom")
        return origin.endswith(".trusted.example")

    sio = make_server(cors_allowed_origins=allowed)
    sio.start()
    assert _acao(sio.port, "http://a.trusted.example") == "http://a.trusted.example"
    assert _acao(sio.port, "http://boom.example") is None  # an exception: not allowed
    assert seen == [("http://a.trusted.example", "/socket.io/"), ("http://boom.example", "/socket.io/")]


def test_handshake_options_reach_the_client(make_server):
    sio = make_server(ping_interval=7, ping_timeout=3, max_http_buffer_size=12345)
    sio.start()
    body = urllib.request.urlopen(f"http://127.0.0.1:{sio.port}/socket.io/?EIO=4&transport=polling", timeout=10).read()
    hs = json.loads(body[1:])
    assert (hs["pingInterval"], hs["pingTimeout"], hs["maxPayload"]) == (7000, 3000, 12345)


def test_unhandled_exceptions_log_to_roomcast_logger(make_server, make_client, caplog):
    caplog.set_level(logging.ERROR, logger="roomcast")
    sio = make_server()

    def bad_callback(*args):
        raise RuntimeError("callback failed")

    sids = []
    sio.on("connect", lambda sid, environ, auth: sids.append(sid))
    sio.start()
    c = make_client(sio)
    c.on("q", lambda: "a")
    wait_for(lambda: sids, what="connect")
    sio.emit("q", to=sids[0], callback=bad_callback)
    wait_for(lambda: "callback failed" in caplog.text, what="callback error logged")
    assert c.connected


def test_call_and_callbacks_end_when_the_socket_disconnects(make_server, make_client):
    sio = make_server()
    sids = []
    sio.on("connect", lambda sid, environ, auth: sids.append(sid))
    sio.start()
    c = make_client(sio)
    c.on("hang", lambda: time.sleep(3))  # answers only after the client has gone
    wait_for(lambda: sids, what="connect")
    sid = sids[0]
    callbacks = []
    sio.emit("hang", to=sid, callback=lambda *a: callbacks.append(a))
    threading.Timer(0.3, c.disconnect).start()
    with pytest.raises(roomcast.TimeoutError, match="disconnected before answering"):
        sio.call("hang", to=sid, timeout=60)
    wait_for(lambda: not sio._callbacks, what="the emit callback to be dropped")
    assert callbacks == [] and sio._callbacks == {}
