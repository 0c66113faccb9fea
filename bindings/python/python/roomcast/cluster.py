"""Redis clusters, named like python-socketio's client managers.

``Server(client_manager=roomcast.RedisManager("redis://127.0.0.1:6379"))`` joins the cluster
of Node socket.io servers that use ``@socket.io/redis-adapter`` (``createAdapter``) on the
same Redis and key: rooms, broadcasts, acks and disconnects then span every node. The wire
format is the Node adapter's, not python-socketio's own (which no Node server speaks).

``RedisManager(url, write_only=True).emit("event", data, room="r")`` publishes without a
server, like ``@socket.io/redis-emitter``.
"""

from typing import Any, Optional, Sequence, Union

from . import _native


class RedisManager:
    """A Redis cluster to join (or, with ``write_only``, to publish into).

    ``channel`` is the key prefix of ``@socket.io/redis-adapter`` (its ``key`` option,
    ``"socket.io"`` by default: python-socketio's own default ``"socketio"`` would not reach
    Node servers). ``request_timeout`` bounds cluster requests in seconds. Starting a server
    fails with ``RoomcastError`` when Redis is unreachable; once running, a Redis outage never
    stops it (local delivery continues, it reconnects by itself).
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        channel: str = "socket.io",
        write_only: bool = False,
        logger: Any = None,
        request_timeout: float = 5,
        **unsupported: Any,
    ) -> None:
        if unsupported:
            raise TypeError(f"RedisManager: unsupported option(s) {sorted(unsupported)}")
        if not url.startswith(("redis://", "unix://")):
            raise ValueError("RedisManager: url must start with redis:// (rediss:// is not supported)")
        self.url = url
        self.channel = channel
        self.write_only = write_only
        self.request_timeout = float(request_timeout)
        self._emitter: Optional[Any] = None

    def _native_options(self) -> tuple:
        return (self.url, self.channel, self.request_timeout)

    def emit(
        self,
        event: str,
        data: Any = None,
        to: Union[str, Sequence[str], None] = None,
        room: Union[str, Sequence[str], None] = None,
        skip_sid: Union[str, Sequence[str], None] = None,
        namespace: str = "/",
    ) -> None:
        """Publishes ``event`` to every node (write_only managers); returns once Redis took it."""
        if not self.write_only:
            raise RuntimeError("emit() on a RedisManager needs write_only=True; use the Server's emit()")
        if self._emitter is None:
            self._emitter = _native.NativeEmitter(self.url, self.channel)
        args = [] if data is None else list(data) if isinstance(data, tuple) else [data]
        target = to if to is not None else room
        rooms = [] if target is None else [target] if isinstance(target, str) else list(target)
        skip = [] if skip_sid is None else [skip_sid] if isinstance(skip_sid, str) else list(skip_sid)
        self._emitter.emit(namespace, event, args, rooms, skip)
