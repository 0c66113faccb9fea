"""Redis clusters, named like python-socketio's client managers.

``Server(client_manager=roomcast.RedisManager("redis://127.0.0.1:6379"))`` joins the cluster
of Node socket.io servers that use ``@socket.io/redis-adapter`` (``createAdapter``) on the
same Redis and key: rooms, broadcasts, acks and disconnects then span every node. The wire
format is the Node adapter's, not python-socketio's own (which no Node server speaks).

``RedisManager(url, write_only=True).emit("event", data, room="r")`` publishes without a
server, like ``@socket.io/redis-emitter``.
"""

from typing import Any, Dict, Iterable, Optional, Sequence, Union

from . import _native

_ERRORS: Dict[str, Any] = {
    "ERR_NO_SUCH_NAMESPACE": _native.NoSuchNamespace,
    "ERR_NO_SUCH_SOCKET": _native.NoSuchSocket,
    "ERR_NO_SUCH_REQUEST": _native.NoSuchRequest,
    "ERR_INVALID_ARGUMENT": _native.InvalidArgument,
    "ERR_INVALID_CONFIG": _native.ConfigError,
    "ERR_SERVER_STOPPED": _native.ServerStopped,
    "ERR_IO": _native.IoError,
}


class ClusterResult(list):
    """What a request to every node of a cluster gathered (``fetch_sockets``,
    ``all_rooms``, ``server_side_call``): a list, plus whether every node answered.

    ``complete`` is False when a node did not answer within the timeout or Redis was
    unreachable; the list then holds what did arrive. ``answered`` and ``expected`` count
    the other nodes (``expected`` is 0 when Redis could not be asked).
    """

    def __init__(self, items: Iterable[Any] = (), complete: bool = True, answered: int = 0, expected: int = 0) -> None:
        super().__init__(items)
        self.complete = complete
        self.answered = answered
        self.expected = expected

    def __repr__(self) -> str:
        return f"ClusterResult({list.__repr__(self)}, complete={self.complete}, answered={self.answered}, expected={self.expected})"


def _reply(reply: Dict[str, Any]) -> Any:
    """The answer of a core cluster request: raises its error, or returns its value (a
    ``ClusterResult`` for lists)."""
    if "error" in reply:
        raise _ERRORS.get(reply.get("code", ""), _native.RoomcastError)(reply["error"])
    value = reply.get("value")
    if isinstance(value, list):
        return ClusterResult(value, reply.get("complete", True), reply.get("answered", 0), reply.get("expected", 0))
    return value


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
        sharded: bool = False,
        subscription_mode: Optional[str] = None,
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
        #: The sharded variant (``createShardedAdapter``, Redis 7) and its ``subscriptionMode``.
        self.sharded = bool(sharded)
        self.subscription_mode = subscription_mode
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
