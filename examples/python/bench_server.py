"""The benchmark app (issue 6) on the roomcast Python binding, the relay in a Python handler:

  join (room) + ack      -> enter_room, ack "ok"
  echo (data) + ack      -> ack data
  broadcast (room, data) -> emit "msg" (data) to the room, skipping the sender

The same handlers as the python-socketio peer (bench/python/bench_server.py), on the sync
``roomcast.Server``: handlers run in order on the binding's dispatcher thread, so per-socket
order of ``msg`` follows processing order. Port from PORT (default 3000), 127.0.0.1, defaults
otherwise.

    pip install ./bindings/python
    PORT=3000 python examples/python/bench_server.py
"""

import os
import signal

import roomcast

sio = roomcast.Server()


@sio.event
def join(sid, room):
    sio.enter_room(sid, room)
    return "ok"


@sio.event
def echo(sid, data):
    return data


@sio.event
def broadcast(sid, room, data):
    sio.emit("msg", data, room=room, skip_sid=sid)


if __name__ == "__main__":
    sio.start("127.0.0.1", int(os.environ.get("PORT", "3000")))
    print(f"listening on http://localhost:{sio.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sio.stop())
    try:
        sio.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sio.stop()
