"""roomcast: a Socket.IO server (Engine.IO v4 / Socket.IO v5) with a python-socketio-shaped
API, whose protocol, rooms and fan-out run in Rust.

>>> import roomcast
>>> sio = roomcast.Server()
>>> @sio.event
... def ping(sid, data):
...     return "pong", data          # the return value is the acknowledgement
>>> sio.run("127.0.0.1", 3000)
"""

from ._base import ROOM_EVENTS, Reason
from ._log import set_log_filter
from ._native import (
    ConfigError,
    InvalidArgument,
    IoError,
    NoSuchNamespace,
    NoSuchRequest,
    NoSuchSocket,
    RoomcastError,
    ServerStopped,
)
from ._native import __version__ as __version__
from .asgi import ASGIApp
from .async_server import AsyncServer
from .cluster import ClusterResult, RedisManager
from .namespace import AsyncNamespace, Namespace
from .exceptions import ConnectionRefusedError, DisconnectedError, SocketIOError, TimeoutError
from .plain import PlainConnection, PlainRoute
from .server import Server

__all__ = [
    "ASGIApp",
    "AsyncNamespace",
    "AsyncServer",
    "ClusterResult",
    "ConfigError",
    "ConnectionRefusedError",
    "DisconnectedError",
    "InvalidArgument",
    "IoError",
    "Namespace",
    "NoSuchNamespace",
    "NoSuchRequest",
    "NoSuchSocket",
    "PlainConnection",
    "PlainRoute",
    "ROOM_EVENTS",
    "RedisManager",
    "Reason",
    "RoomcastError",
    "Server",
    "ServerStopped",
    "SocketIOError",
    "TimeoutError",
    "set_log_filter",
]
