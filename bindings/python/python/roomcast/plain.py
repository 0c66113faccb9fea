"""Plain WebSocket routes: clients that speak bare WebSocket (a browser's ``WebSocket``, the
``ws`` module, devices) on a path such as ``/ws/chat``, in the same rooms as the Socket.IO
sockets of a namespace. The protocol, rooms and fan-out run in Rust; this module only
shapes the API.

>>> sio = roomcast.Server()
>>> chat = sio.plain_route("/ws/chat", delivery="first_arg")   # before start()
>>> @chat.on("connect")
... def connect(ws, environ):
...     ws.join("KPL")
>>> @chat.on("message")
... def message(ws, data):                    # str for text, bytes for binary
...     if isinstance(data, str):
...         sio.emit("talk", data, to="KPL", skip_sid=ws.id)

Handlers of an ``AsyncServer`` may be ``async def``; the events of one connection run in
order, as a socket's do.
"""

from typing import Any, Callable, Dict, List, Optional, Tuple, Union

Handler = Callable[..., Any]

#: The events a route's handlers take, and their arguments.
EVENTS = {
    "connect": "(ws, environ): the connection is open (and in the route's rooms)",
    "message": "(ws, data): a text (str) or binary (bytes) message",
    "close": "(ws, code, reason): it closed (the client's close frame, else the server's, else 1006)",
}


class PlainConnection:
    """One plain WebSocket connection: ``id`` (a room of its own, as a socket's sid),
    ``route``, ``environ`` (the upgrade request, WSGI-style), ``cookies`` and the commands
    ``send``, ``join``, ``leave``, ``rooms``, ``close``. Commands on a connection that
    has closed do nothing."""

    def __init__(self, route: "PlainRoute", id: str, environ: Dict[str, Any]) -> None:
        self.route = route
        self.id = id
        self.environ = environ
        #: The upgrade request's cookies (the first of a repeated name wins).
        self.cookies: Dict[str, str] = {}
        for name, value in environ["roomcast.handshake"].get("cookies", []):
            self.cookies.setdefault(name, value)
        #: False once closed.
        self.open = True

    def _native(self) -> Any:
        return self.route._server._core_server().plain()

    def _call(self, name: str, *args: Any) -> Any:
        from . import _native

        try:
            return getattr(self._native(), name)(self.id, *args)
        except (_native.NoSuchSocket, _native.ServerStopped):
            return None  # closed meanwhile: nothing to do

    def send(self, data: Union[str, bytes, bytearray, memoryview]) -> None:
        """Sends a text frame (``str``) or a binary frame (bytes-like)."""
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise TypeError("send takes str (a text frame) or bytes (a binary frame)")
        self._call("send", bytes(data) if isinstance(data, (bytearray, memoryview)) else data)

    def join(self, rooms: Union[str, List[str]]) -> None:
        """Puts the connection in a room or rooms, beside the Socket.IO sockets there."""
        self._call("join", [rooms] if isinstance(rooms, str) else list(rooms))

    def leave(self, rooms: Union[str, List[str]]) -> None:
        """Takes it out of a room or rooms."""
        self._call("leave", [rooms] if isinstance(rooms, str) else list(rooms))

    @property
    def rooms(self) -> List[str]:
        """Its rooms, its own id included, sorted ([] once closed)."""
        return self._call("rooms") or []

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Closes with a close frame after what is queued: ``code`` 1000-1003, 1007-1014 or
        3000-4999 and ``reason`` up to 123 bytes, else ``roomcast.InvalidArgument``."""
        self._call("close", int(code), str(reason))


class PlainRoute:
    """A plain WebSocket route (see ``Server.plain_route``): handlers by event
    (``connect``, ``message``, ``close``) and ``verify`` (before the 101), and the open
    connections by id in ``connections``."""

    def __init__(self, server: Any, path: str, verify: Optional[Handler], options: Dict[str, Any]) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"plain_route: the path must start with '/' (got {path!r})")
        if verify is not None and not callable(verify):
            raise TypeError("verify must be a callable taking the upgrade request's environ")
        self._server = server
        self.path = path
        self.options = dict(options)
        self.handlers: Dict[str, Handler] = {}
        self.verify = verify
        #: Open connections by id.
        self.connections: Dict[str, PlainConnection] = {}

    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        """Registers ``handler`` for ``event`` (``connect``, ``message`` or ``close``);
        without ``handler``, a decorator."""
        if event not in EVENTS:
            raise ValueError(f"plain routes have the events {sorted(EVENTS)}, not {event!r}")

        def register(fn: Handler) -> Handler:
            self.handlers[event] = fn
            return fn

        return register if handler is None else register(handler)

    def _native_options(self) -> Tuple[str, Dict[str, Any]]:
        opts = dict(self.options)
        if self.verify is not None:
            opts["verify"] = True
        return self.path, opts

    def _verdict(self, result: Any) -> Tuple[bool, int, str]:
        """``verify``'s result as (allow, status, message): true accepts; false refuses with
        401; ``(False, status, message)`` chooses the answer."""
        if isinstance(result, tuple):
            allow = bool(result[0])
            status = int(result[1]) if len(result) > 1 else 401
            message = str(result[2]) if len(result) > 2 else "Unauthorized"
            return allow, status, message
        return bool(result), 401, "Unauthorized"

    def _event(self, ev: tuple, environ_of: Callable[[Dict[str, Any]], Dict[str, Any]]) -> Optional[Tuple[Handler, tuple]]:
        """The handler call for a plain event (``None`` when there is none), keeping
        ``connections`` up to date."""
        kind = ev[0]
        if kind == "plain_connect":
            _, _route, cid, handshake = ev
            ws = PlainConnection(self, cid, environ_of(handshake))
            self.connections[cid] = ws
            return self._call("connect", ws, ws.environ)
        if kind == "plain_message":
            _, _route, cid, data = ev
            ws = self.connections.get(cid)
            return None if ws is None else self._call("message", ws, data)
        if kind == "plain_close":
            _, _route, cid, code, reason = ev
            ws = self.connections.pop(cid, None)
            if ws is None:
                return None
            ws.open = False
            return self._call("close", ws, code, reason)
        return None

    def _call(self, event: str, *args: Any) -> Optional[Tuple[Handler, tuple]]:
        handler = self.handlers.get(event)
        return None if handler is None else (handler, args)
