"""The roomcast chat room on the Python binding (same contract and browser page as the
Rust example): serves examples/public and the socket.io-client bundle.

    pip install ./bindings/python && npm ci --prefix examples
    PORT=3000 python examples/python/chat.py     # PORT=0 picks a free port

Connection state recovery is on: a tab that loses its connection for up to RECOVERY_MS
(default 2 minutes) comes back in KPL with its name (kept in its session) and gets what it
missed.

Plain WebSocket clients (``new WebSocket("ws://localhost:3000/ws/chat")``, no Socket.IO)
are in KPL too: their text reaches the room as ``talk``, and a ``talk`` to KPL reaches them
as text (the route's ``first_arg`` delivery rule).

With TLS_CERT and TLS_KEY (PEM files) it serves https / wss (``ssl_certfile`` /
``ssl_keyfile``); ``kill -HUP`` reloads them from the same paths without a restart.

With ADMIN_UI_PASSWORD (a bcrypt hash or a plain password; user ADMIN_UI_USERNAME, default
"admin") or ADMIN_UI_AUTH=false it serves the Socket.IO admin UI (``sio.instrument``,
namespace /admin), with ADMIN_UI_MODE, ADMIN_UI_READONLY=1 and ADMIN_UI_SERVER_ID.
"""

import os
import signal
import sys
from pathlib import Path

import roomcast

EXAMPLES = Path(__file__).resolve().parent.parent
ROOM = "KPL"

# With REDIS_URL, join the Redis cluster (REDIS_KEY, default "socket.io"): rooms and
# broadcasts then span every node, roomcast or Node socket.io.
manager = (
    roomcast.RedisManager(os.environ["REDIS_URL"], channel=os.environ.get("REDIS_KEY", "socket.io"))
    if os.environ.get("REDIS_URL")
    else None
)
sio = roomcast.Server(
    client_manager=manager,
    cors_allowed_origins="*",
    static_files=EXAMPLES / "public",
    client_dist=EXAMPLES / "node_modules" / "socket.io-client" / "dist",
    connection_state_recovery={"maxDisconnectionDuration": int(os.environ.get("RECOVERY_MS", "120000"))},
    # REDIS_STREAMS=1: the Redis Streams adapter (recovery across nodes) instead of classic.
    **({"redis_streams": True} if os.environ.get("REDIS_STREAMS") == "1" else {}),
    ssl_certfile=os.environ.get("TLS_CERT"),
    ssl_keyfile=os.environ.get("TLS_KEY"),
    # With METRICS_PATH (e.g. /metrics), Prometheus metrics are served there.
    metrics_path=os.environ.get("METRICS_PATH") or None,
)
TLS = bool(os.environ.get("TLS_CERT"))
if os.environ.get("ADMIN_UI_PASSWORD") or os.environ.get("ADMIN_UI_AUTH") == "false":
    password = os.environ.get("ADMIN_UI_PASSWORD")
    sio.instrument(
        auth={"username": os.environ.get("ADMIN_UI_USERNAME", "admin"), "password": password} if password else False,
        mode=os.environ.get("ADMIN_UI_MODE", "development"),
        read_only=os.environ.get("ADMIN_UI_READONLY") == "1",
        server_id=os.environ.get("ADMIN_UI_SERVER_ID") or None,
    )
names = {}     # sid -> name, for sockets that told us theirs
history = []   # every {name, message} so far
online = 0


def broadcast_online():
    sio.emit("online", online)


@sio.event
def connect(sid, environ, auth):
    global online
    if sio.recovered(sid):
        # Back in KPL with its session, and the missed events were replayed: no history (it
        # would wipe the missed shouts on the page).
        name = sio.get_session(sid).get("name")
        if name is not None:
            names[sid] = name
            sio.emit("globalMsg", f"{name} is back", skip_sid=sid)
    else:
        sio.enter_room(sid, ROOM)
        sio.emit("allMessage", list(history), to=sid)
    online += 1
    broadcast_online()


@sio.event
def talk(sid, message):
    sio.emit("talk", message, room=ROOM, skip_sid=sid)


@sio.on("user-name")
def user_name(sid, name):
    name = name if isinstance(name, str) else str(name)
    sio.emit("globalMsg", f"{name} joined", skip_sid=sid)
    names[sid] = name
    sio.get_session(sid)["name"] = name  # kept across a recovery


@sio.event
def sendMessage(sid, data):  # noqa: N802 - the event is called sendMessage
    data = data if isinstance(data, dict) else {}
    message = {"name": data.get("name"), "message": data.get("message")}
    history.append(message)
    sio.emit("newMessage", message)


plain = sio.plain_route("/ws/chat", delivery="first_arg")


@plain.on("connect")
def plain_connect(ws, environ):
    ws.join(ROOM)


@plain.on("message")
def plain_message(ws, data):
    if isinstance(data, str):
        sio.emit("talk", data, room=ROOM, skip_sid=ws.id)


@sio.event
def disconnect(sid, reason):
    global online
    name = names.pop(sid, None)
    if name is not None:
        sio.emit("globalMsg", f"{name} left")
    online = max(0, online - 1)
    broadcast_online()


if __name__ == "__main__":
    sio.start("127.0.0.1", int(os.environ.get("PORT", "3000")))
    print(f"listening on {'https' if TLS else 'http'}://localhost:{sio.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sio.stop())  # clean shutdown on kill
    if TLS:

        def reload_tls(*_):
            try:
                sio.reload_ssl(os.environ["TLS_CERT"], os.environ["TLS_KEY"])
                print("tls: certificate reloaded", flush=True)
            except ValueError as e:
                print(f"tls: reload failed, keeping the old one: {e}", file=sys.stderr, flush=True)

        signal.signal(signal.SIGHUP, reload_tls)
    try:
        sio.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sio.stop()
    sys.exit(0)
