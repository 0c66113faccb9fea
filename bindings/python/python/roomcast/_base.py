"""What the sync and asyncio servers share: configuration, handler registry, sockets still
in their connect handler, pending acknowledgements, sessions, and the lifecycle guards
(interpreter exit, fork).

Connect handlers: the core runs in connect-hold mode: a socket exists (with the id the
client will get) before its ``connect`` handler runs, but its CONNECT reply is held until
the handler is done. So ``enter_room``, ``emit(to=sid)``, broadcasts and ``disconnect``
made in the handler take effect at once and reach the client right after CONNECT, in
order. A namespace with a ``connect`` handler is started with connect middleware, so the
handler can still refuse the connection (CONNECT_ERROR instead of CONNECT).

Acknowledgements: the core reports every emit-with-ack once, with the replies that came,
as soon as every recipient answered or left, or at the timeout; the callback or the
waiting ``call()`` is settled then.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import inspect
import logging
import json
import os
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from .exceptions import ConnectionRefusedError

logger = logging.getLogger("roomcast")
_default_logger = logger

Handler = Callable[..., Any]

#: socket.io's adapter room events (see ``on_room_event``).
ROOM_EVENTS = ("create-room", "delete-room", "join-room", "leave-room")
Rooms = Union[str, Sequence[str], None]

# (namespace, sid) of the socket whose connect handler is running in this context.
_connecting: "contextvars.ContextVar[Optional[Tuple[str, str]]]" = contextvars.ContextVar("roomcast_connecting", default=None)

_live: "weakref.WeakSet[_ServerBase]" = weakref.WeakSet()
# Native servers inherited by a forked child: kept alive forever, because dropping one
# would try to stop a runtime whose threads only exist in the parent.
_inherited: List[Any] = []


class Reason:
    """Disconnect reasons, as the ``reason`` argument of the ``disconnect`` handler.

    These are socket.io's strings (python-socketio's ``Server.reason`` names, roomcast's
    values), so ``reason == sio.reason.CLIENT_DISCONNECT`` works as it does there.
    """

    CLIENT_DISCONNECT = "client namespace disconnect"
    SERVER_DISCONNECT = "server namespace disconnect"
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"
    PARSE_ERROR = "parse error"
    FORCED_CLOSE = "forced close"
    FORCED_SERVER_CLOSE = "forced server close"
    SERVER_SHUTTING_DOWN = "server shutting down"
    SLOW_CONSUMER = "slow consumer"
    INBOUND_OVERFLOW = "inbound overflow"


def _as_list(rooms: Rooms) -> List[str]:
    if rooms is None:
        return []
    if isinstance(rooms, str):
        return [rooms]
    return list(rooms)


def _args(data: Any) -> list:
    """python-socketio's rule: ``None`` sends no argument, a tuple several, anything else one."""
    if data is None:
        return []
    if isinstance(data, tuple):
        return list(data)
    return [data]


def _ack_args(result: Any) -> list:
    if result is None:
        return []
    if isinstance(result, tuple):
        return list(result)
    return [result]


def _call_result(args: list) -> Any:
    """What ``call()`` returns: ``None``, the single value, or a tuple of several."""
    if not args:
        return None
    if len(args) == 1:
        return args[0]
    return tuple(args)


def _no_ack(target: str, timeout: float, timed_out: bool) -> str:
    """The message of the ``TimeoutError`` a ``call()`` without an answer raises."""
    if timed_out:
        return f"no acknowledgement from {target} within {timeout}s"
    return f"no acknowledgement from {target}: it is not connected, or disconnected before answering"


def _accepts(fn: Handler, count: int) -> bool:
    """Whether ``fn`` can take ``count`` positional arguments (for optional handler args)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    n = 0
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n >= count


def _environ(handshake: Dict[str, Any]) -> Dict[str, Any]:
    """A WSGI-style environ for the request that opened the connection."""
    url: str = handshake["url"]
    env: Dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": url.split("?", 1)[0],
        "QUERY_STRING": handshake["query"],
        "REMOTE_ADDR": handshake["address"],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "roomcast.handshake": handshake,
    }
    for name, value in handshake["headers"]:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        env[key] = value
    return env


def _positional_count(fn: Callable[..., Any]) -> int:
    """How many positional arguments ``fn`` takes (a large number for ``*args``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    count = 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return 1 << 16
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def _static_dir(static_files: Any) -> Optional[str]:
    if static_files is None:
        return None
    if isinstance(static_files, dict):
        if set(static_files) != {"/"}:
            raise ValueError("static_files: only {'/': directory} is supported (one directory served at /)")
        static_files = static_files["/"]
        if isinstance(static_files, dict):
            static_files = static_files.get("filename") or static_files.get("dir")
    return os.fspath(static_files)


_RECOVERY_DEFAULTS = {"maxDisconnectionDuration": 2 * 60 * 1000, "skipMiddlewares": True, "maxPackets": 10_000}


def _recovery(options: Optional[Dict[str, Any]]) -> Optional[Tuple[float, bool, int]]:
    """``connection_state_recovery`` with socket.io's names (``maxDisconnectionDuration`` in
    milliseconds, ``skipMiddlewares``; roomcast adds ``maxPackets``), for the core: ``None``
    keeps it off. Unknown keys and bad values raise ``ValueError``/``TypeError``."""
    if options is None or options is False:
        return None
    if options is True:
        options = {}
    if not isinstance(options, dict):
        raise TypeError("connection_state_recovery must be a dict")
    for key in options:
        if key not in _RECOVERY_DEFAULTS:
            raise ValueError(f"connection_state_recovery: unknown option {key!r}")
    o = {**_RECOVERY_DEFAULTS, **options}
    window = o["maxDisconnectionDuration"]
    if isinstance(window, bool) or not isinstance(window, (int, float)) or window < 0:
        raise ValueError("connection_state_recovery: maxDisconnectionDuration must be milliseconds >= 0")
    if not isinstance(o["skipMiddlewares"], bool):
        raise TypeError("connection_state_recovery: skipMiddlewares must be a bool")
    packets = o["maxPackets"]
    if isinstance(packets, bool) or not isinstance(packets, int) or packets < 1:
        raise ValueError("connection_state_recovery: maxPackets must be a positive int")
    return (window / 1000.0, o["skipMiddlewares"], packets)


def _deflate_options(options: Dict[str, Any]) -> None:
    """``per_message_deflate`` as True/False or a dict ``{"threshold": bytes}`` (ws's and
    socket.io's ``perMessageDeflate`` options, in Python's spelling): the dict becomes the
    core's ``per_message_deflate`` and ``per_message_deflate_threshold``. The context
    takeover keys may be True (roomcast always agrees on no context takeover, so memory per
    connection stays bounded); any other key raises ``ValueError`` naming it."""
    pmd = options.get("per_message_deflate")
    if not isinstance(pmd, dict):
        return
    options["per_message_deflate"] = True
    for key, value in pmd.items():
        if key == "threshold":
            options["per_message_deflate_threshold"] = value
        elif key in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not True:
                raise ValueError(f"per_message_deflate[{key!r}]: only True is supported (roomcast keeps no "
                                 "compression context between messages, so memory per connection stays bounded)")
        else:
            raise ValueError(f"per_message_deflate[{key!r}] is not supported (roomcast takes threshold, "
                             "server_no_context_takeover=True and client_no_context_takeover=True)")


def _parser(serializer: Any) -> str:
    """python-socketio's ``serializer`` as the core's ``parser`` ("json" or "msgpack")."""
    if serializer in ("default", "json"):
        return "json"
    if serializer == "msgpack":
        return "msgpack"
    # python-socketio's own msgpack packet class, recognised without importing socketio.
    if isinstance(serializer, type) and (serializer.__module__, serializer.__qualname__) == (
        "socketio.msgpack_packet",
        "MsgPackPacket",
    ):
        return "msgpack"
    raise ValueError(
        f"serializer: {serializer!r} is not supported; use 'default' (JSON) or 'msgpack' "
        "(the parsers of socket.io-parser and socket.io-msgpack-parser)"
    )


def _check_unknown(cls: str, options: Dict[str, Any]) -> None:
    """Keywords beyond python-socketio's and roomcast's own must be core options by name."""
    known = {name for name, _, _ in _native.options()}
    for name in options:
        if name not in known:
            raise TypeError(f"{cls}() got an unexpected keyword argument {name!r}")


def _check_compat(cls: type, json_module: Any, async_handlers: Optional[bool], allow_upgrades: bool,
                  http_compression: Optional[bool], cookie: Any, monitor_clients: Optional[bool],
                  transports: Any, cors_allowed_origins: Any, ping_interval: Any) -> None:
    """python-socketio/engineio keywords roomcast honours only with some values: any other
    value raises ``ValueError`` naming the keyword and why."""
    import json as std_json

    asyncio_based = cls._asyncio_based
    if json_module is not None and json_module is not std_json:
        raise ValueError("json: roomcast encodes and decodes JSON in Rust; only the standard json module "
                         "(or None) can be honoured")
    if async_handlers is not None:
        if asyncio_based and not async_handlers:
            raise ValueError("async_handlers=False: roomcast.AsyncServer runs the events of different sockets "
                             "concurrently (each socket's in order); it cannot serialize all of them")
        if not asyncio_based and async_handlers:
            raise ValueError("async_handlers=True: roomcast.Server runs handlers one at a time, in order, on its "
                             "dispatcher thread; use roomcast.AsyncServer for concurrent handlers, or pass False")
    single = transports is not None and len(set(transports)) == 1
    if not allow_upgrades and not single:
        raise ValueError("allow_upgrades=False: roomcast always offers the websocket upgrade when both transports "
                         "are on; pass transports=['polling'] or ['websocket'] instead")
    if http_compression:
        raise ValueError("http_compression=True: roomcast does not compress polling responses; pass False or "
                         "leave it out")
    if cookie not in (None, False):
        raise ValueError("cookie: roomcast does not set an Engine.IO session cookie; pass None or leave it out")
    if monitor_clients is False:
        raise ValueError("monitor_clients=False: roomcast's heartbeat always disconnects clients that stop "
                         "answering pings; it cannot be turned off")
    if isinstance(ping_interval, (tuple, list)) and (len(ping_interval) != 2 or ping_interval[1]):
        raise ValueError("ping_interval: a grace period is not supported; pass seconds, or (seconds, 0)")


def _enable_logs(socketio_logger: Any, engineio_logger: Any) -> None:
    """python-socketio's ``logger=True``/``engineio_logger=True``: turns on roomcast's
    records, printed to stderr as python-socketio does (a ``StreamHandler`` on the
    ``roomcast`` logger when it has none; a ``logging.Logger`` turns the records on and
    leaves their printing to the application's logging configuration). ``logger``: the
    socket.io layers' records at INFO (``roomcast.server``, ``roomcast.socket``, ...);
    ``engineio_logger``: the engine's connection records at DEBUG (``roomcast.engine``:
    opened, upgraded, closed). ``ROOMCAST_LOG``/``RUST_LOG``, when set, choose instead. The
    filter is process-wide, as python-socketio's loggers are."""
    on, eio_on = bool(socketio_logger), bool(engineio_logger)
    if not (on or eio_on):
        return
    if not (os.environ.get("ROOMCAST_LOG") or os.environ.get("RUST_LOG")):
        _native.set_log_filter(("info" if on else "warn") + ",roomcast::engine=" + ("debug" if eio_on else "warn"))
    # A Logger of the user's: records on, but the user's logging configuration decides.
    if socketio_logger is not True and engineio_logger is not True:
        return
    root = logging.getLogger("roomcast")
    if socketio_logger is True and root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    engine = logging.getLogger("roomcast.engine")
    if engineio_logger is True and engine.level == logging.NOTSET:
        engine.setLevel(logging.DEBUG)
    if not root.handlers:
        root.addHandler(logging.StreamHandler())


class _ServerBase:
    """Configuration, handlers, ids and sessions shared by ``Server`` and ``AsyncServer``."""

    reason = Reason
    #: python-socketio ``async_mode`` values naming this server's flavour: accepted (roomcast
    #: serves on its own port whatever the value); any other value raises ``ValueError``.
    _async_modes: Tuple[str, ...] = ("threading",)

    @classmethod
    def _check_async_mode(cls, async_mode: Optional[str]) -> None:
        if async_mode is None or async_mode in cls._async_modes:
            return
        other = "roomcast.Server" if cls._asyncio_based else "roomcast.AsyncServer"
        raise ValueError(f"async_mode={async_mode!r}: {cls.__name__} takes {', '.join(map(repr, cls._async_modes))} "
                         f"or None (eventlet and gevent are not supported; for the other flavour use {other})")

    def __init__(
        self,
        cors_allowed_origins: Union[str, Sequence[str], Callable[..., Any], None] = None,
        ping_interval: float = 25,
        ping_timeout: float = 20,
        max_http_buffer_size: int = 1_000_000,
        namespaces: Union[str, Sequence[str], None] = None,
        static_files: Any = None,
        client_dist: Union[str, "os.PathLike[str]", None] = None,
        path: str = "/socket.io/",
        connect_timeout: float = 45,
        cors_credentials: bool = False,
        ack_timeout: float = 60,
        stop_timeout: float = 5,
        worker_threads: Optional[int] = None,
        transports: Optional[Sequence[str]] = None,
        logger: Any = None,
        connection_state_recovery: Optional[Dict[str, Any]] = None,
        client_manager: Any = None,
        allow_request: Optional[Callable[[Dict[str, Any]], Any]] = None,
        ssl_certfile: Union[str, "os.PathLike[str]", None] = None,
        ssl_keyfile: Union[str, "os.PathLike[str]", None] = None,
        serializer: Any = "default",


        async_mode: Optional[str] = None,
        always_connect: bool = False,
        engineio_logger: Any = None,
        json: Any = None,
        async_handlers: Optional[bool] = None,
        allow_upgrades: bool = True,
        http_compression: Optional[bool] = None,
        compression_threshold: Optional[int] = None,
        cookie: Any = None,
        monitor_clients: Optional[bool] = None,
        **options: Any,
    ) -> None:
        """python-socketio's keywords are honoured (mapped to the core's options), accepted
        for a stated reason, or refused with ``ValueError`` naming them (see
        ``_check_compat`` and the README); any other keyword must be a core option under its
        own name (``max_attachments``, ``max_buffered_frames``, ``allow_polling``, ...; see
        the README's option table, durations in seconds), else ``TypeError`` names it. The
        core refuses a bad value with ``roomcast.ConfigError`` naming the option.
        ``ssl_certfile``/``ssl_keyfile`` (uvicorn's names) are the core's ``tls_cert``/
        ``tls_key``: PEM files (or PEM text), both or neither; then it serves https / wss.
        ``serializer`` is python-socketio's: ``"default"`` (JSON) or ``"msgpack"`` (or
        ``socketio.msgpack_packet.MsgPackPacket``), the core's ``parser``; handlers get the
        same Python values with either, ``bytes`` for binaries."""
        from .cluster import RedisManager

        if isinstance(transports, str):
            transports = [transports]
        if "listen" in options:
            # The core's `listen` (off: connections come from the host's own HTTP server)
            # has one meaning in Python: roomcast.ASGIApp / AsyncServer.attach turn it off.
            raise ValueError(
                "listen: a roomcast server listens on its own port (start/run), or is served by "
                "your web application through roomcast.ASGIApp(sio) (uvicorn, FastAPI, Starlette) "
                "or sio.attach(aiohttp_app), which start it without a port; pass neither True nor False"
            )
        _check_unknown(type(self).__name__, options)
        self._check_async_mode(async_mode)
        _check_compat(type(self), json, async_handlers, allow_upgrades, http_compression, cookie, monitor_clients,
                      transports, cors_allowed_origins, ping_interval)
        #: Where this server logs handler errors: ``logger`` when it is a ``logging.Logger``,
        #: else the ``roomcast`` logger.
        self.logger: logging.Logger = logger if isinstance(logger, logging.Logger) else _default_logger
        _enable_logs(logger, engineio_logger)
        #: python-socketio's ``always_connect``: the client gets CONNECT before the
        #: ``connect`` handler runs; a refusal then disconnects it.
        self._always_connect = bool(always_connect)
        #: (namespace, sid) refused by a connect handler after CONNECT (always_connect): their
        #: ``disconnect`` handler does not run, as in python-socketio.
        self._refused: set = set()
        self.namespace_handlers: Dict[str, Any] = {}
        if client_manager is not None and not isinstance(client_manager, RedisManager):
            raise TypeError("client_manager: only roomcast.RedisManager is supported")
        if client_manager is not None and client_manager.write_only:
            raise ValueError("client_manager: a write_only RedisManager cannot serve clients")
        if isinstance(ping_interval, (tuple, list)):
            ping_interval = ping_interval[0]  # _check_compat refused a grace period
        #: A callable ``cors_allowed_origins(origin[, environ])``: asked about every request's
        #: Origin (``None`` for a client that is not a browser), as python-engineio does.
        self._cors_callable: Optional[Callable[..., Any]] = None
        if callable(cors_allowed_origins):
            self._cors_callable = cors_allowed_origins
            cors_allowed_origins = None
        elif cors_allowed_origins is not None and not isinstance(cors_allowed_origins, str):
            cors_allowed_origins = list(cors_allowed_origins)
        self._options: Dict[str, Any] = dict(
            path=path,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_payload=max_http_buffer_size,
            connect_timeout=connect_timeout,
            cors_origins=cors_allowed_origins,
            cors_credentials=cors_credentials,
            static_dir=_static_dir(static_files),
            client_dist_dir=os.fspath(client_dist) if client_dist is not None else None,
            worker_threads=worker_threads,
        )
        self._options["parser"] = _parser(serializer)
        if ssl_certfile is not None:
            self._options["tls_cert"] = os.fspath(ssl_certfile)
        if ssl_keyfile is not None:
            self._options["tls_key"] = os.fspath(ssl_keyfile)
        if transports is not None:
            unknown = set(transports) - {"polling", "websocket"}
            if unknown:
                raise ValueError(f"transports: unknown {sorted(unknown)}; use 'polling' and/or 'websocket'")
            self._options["allow_polling"] = "polling" in transports
            self._options["allow_websocket"] = "websocket" in transports
        #: Seconds cluster requests (``fetch_sockets``, ``all_rooms``) wait for other nodes.
        self._request_timeout = 5.0
        if client_manager is not None:
            url, key, timeout = client_manager._native_options()
            self._request_timeout = float(timeout)
            if client_manager.sharded:
                self._options["redis_sharded"] = True
            if client_manager.subscription_mode is not None:
                self._options["redis_subscription_mode"] = client_manager.subscription_mode
            self._options.update(redis_url=url, redis_key=key, redis_request_timeout=timeout)
        if allow_request is not None and not callable(allow_request):
            raise TypeError("allow_request must be a callable taking the request's environ")
        #: Called with each handshake request's WSGI-style environ before any session exists
        #: (socket.io's ``allowRequest``); a false result (or an exception) refuses it with
        #: HTTP 403 ``{"code":4,"message":"Forbidden"}``.
        self._allow_request = allow_request
        if allow_request is not None:
            self._options["allow_request"] = True
        if self._cors_callable is not None:
            self._options["cors_origin_hook"] = True
        _deflate_options(options)
        self._options.update(options)
        # Connect handlers run before the client sees CONNECT (see the module docstring).
        self._options["hold_connect"] = True
        recovery = _recovery(connection_state_recovery)
        if recovery is not None:
            window, skip, max_packets = recovery
            # A window of 0 turns recovery off, as in the core.
            self._options.update(
                recovery_max_disconnection_duration=window,
                recovery_skip_middlewares=skip,
                recovery_max_packets=max_packets,
            )
        #: Whether connection state recovery is on (sessions are then kept across it).
        self._recovery = recovery is not None and recovery[0] > 0
        # (namespace, sid) of sockets that connection state recovery brought back.
        self._recovered: set = set()
        self._namespaces = namespaces
        #: Seconds a ``callback`` passed to ``emit`` waits for the client before it is dropped.
        self.ack_timeout = float(ack_timeout)
        #: Upper bound in seconds for ``stop()``: it returns as soon as every connection is
        #: closed, so this only matters with clients that do not go away.
        self.stop_timeout = float(stop_timeout)
        self.handlers: Dict[str, Dict[str, Handler]] = {}
        #: Handlers of other nodes' ``serverSideEmit``, per namespace and event.
        self.server_side_handlers: Dict[str, Dict[str, Handler]] = {}
        #: Room event handlers (``on_room_event``), per namespace and event.
        self.room_handlers: Dict[str, Dict[str, Handler]] = {}
        self._native: Any = None
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._middleware: set = set()
        self._sessions: Dict[Tuple[str, str], dict] = {}
        self._environ: Dict[Tuple[str, str], dict] = {}
        self._callbacks: Dict[int, Any] = {}
        self._dispatcher: Optional[threading.Thread] = None
        self._stopped = threading.Event()
        #: Plain WebSocket routes by path (see ``plain_route``).
        self._routes: Dict[str, Any] = {}

    # ----------------------------------------------------------------- handlers

    def on(self, event: str, handler: Optional[Handler] = None, namespace: Optional[str] = None) -> Any:
        """Registers ``handler`` for ``event`` (``'*'`` catches every event without a handler
        of its own and gets the event name first). Usable as ``@sio.on('name')``."""
        nsp = namespace or "/"

        def register(fn: Handler) -> Handler:
            self.handlers.setdefault(nsp, {})[event] = fn
            return fn

        if handler is not None:
            register(handler)
            return None
        return register

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """``@sio.event`` registers a function under its own name; ``@sio.event(namespace=..)`` too."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def register(fn: Handler) -> Handler:
            return self.on(fn.__name__, **kwargs)(fn)

        return register

    def on_server_side(self, event: str, handler: Optional[Handler] = None, namespace: Optional[str] = None) -> Any:
        """Registers ``handler(*args)`` for ``event`` sent by another node of the cluster with
        ``serverSideEmit`` (socket.io's ``io.on(event)`` for server-side events). When the
        sender waits (``serverSideEmitWithAck``, ``server_side_call``), the handler's return
        value is this node's answer. Usable as ``@sio.on_server_side('name')``."""
        nsp = namespace or "/"

        def register(fn: Handler) -> Handler:
            self.server_side_handlers.setdefault(nsp, {})[event] = fn
            return fn

        if handler is not None:
            register(handler)
            return None
        return register

    def on_room_event(self, event: str, handler: Optional[Handler] = None, namespace: Optional[str] = None) -> Any:
        """roomcast extension (python-socketio has no room events): registers ``handler``
        for one of socket.io's adapter events on ``namespace`` (default ``"/"``):
        ``"create-room"`` and ``"delete-room"`` call ``handler(room)``, ``"join-room"`` and
        ``"leave-room"`` ``handler(room, sid)``. They follow socket.io's in-memory adapter:
        each socket's own room (its sid) counts, a room's ``create-room`` comes before its
        first ``join-room`` and its ``delete-room`` after its last ``leave-room``, and a
        socket that disconnects leaves every room (in the order it joined them) before its
        ``disconnect`` handler runs. Only this server's sockets are reported, also in a
        Redis cluster. Registering turns the core's reports on for that namespace (before
        or after ``start``); ``AsyncServer`` awaits an ``async def``. Usable as
        ``@sio.on_room_event('join-room')``."""
        if event not in ROOM_EVENTS:
            raise ValueError(f"on_room_event: {event!r} is not one of {', '.join(ROOM_EVENTS)}")
        nsp = namespace or "/"
        if not nsp.startswith("/"):
            raise ValueError(f"on_room_event: namespace {nsp!r} does not start with '/'")

        def register(fn: Handler) -> Handler:
            with self._lock:
                self.room_handlers.setdefault(nsp, {})[event] = fn
                if self._native is not None and not self._native.stopped:
                    self._core_server().observe_rooms(nsp)
            return fn

        if handler is not None:
            register(handler)
            return None
        return register

    def _room_call(self, ev: tuple) -> Optional[Tuple[Handler, tuple]]:
        """The handler of a ``("room", nsp, event, room, sid)`` event and its arguments."""
        _, nsp, event, room, sid = ev
        handler = self.room_handlers.get(nsp, {}).get(event)
        if handler is None:
            return None
        return handler, ((room,) if sid is None else (room, sid))

    def _cluster(self) -> Any:
        return self._core_server().cluster()

    def _server_side_answer(self, token: Any, result: Any, event: str) -> None:
        try:
            self._cluster().ack(token, result)
        except (_native.ServerStopped, _native.NoSuchRequest):
            pass
        except (TypeError, ValueError):
            self.logger.exception("roomcast: the return value of the server-side handler for %r cannot be sent", event)

    def register_namespace(self, namespace_handler: Any) -> None:
        """Registers a class-based namespace (``roomcast.Namespace`` for ``Server``,
        ``roomcast.AsyncNamespace`` for ``AsyncServer``): events of its namespace without a
        function handler go to its ``trigger_event``. Register before ``start()``, as for a
        namespace's first ``on`` handler."""
        from .namespace import _NamespaceBase

        if not isinstance(namespace_handler, _NamespaceBase):
            raise ValueError("register_namespace: not a roomcast.Namespace or roomcast.AsyncNamespace instance")
        if namespace_handler.is_asyncio_based() != self._asyncio_based:
            want = "AsyncNamespace" if self._asyncio_based else "Namespace"
            raise ValueError(f"register_namespace: {type(self).__name__} takes a roomcast.{want} subclass")
        namespace_handler._set_server(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    #: Whether handlers run on an asyncio loop (which namespace class fits).
    _asyncio_based = False

    def _handler(self, nsp: str, event: str) -> Optional[Handler]:
        """The function handler of ``event``, else the class-based namespace's."""
        h = self.handlers.get(nsp, {}).get(event)
        if h is not None:
            return h
        ns = self.namespace_handlers.get(nsp)
        # Every python-socketio event goes to trigger_event (which may be overridden);
        # roomcast's own "disconnecting" only to a class that has the method.
        if ns is not None and (event != "disconnecting" or ns._has_handler(event)):
            return functools.partial(ns.trigger_event, event)
        return None

    def _namespace_rules(self) -> List[Tuple[str, bool]]:
        """Namespaces for the core: ones with a ``connect`` handler get middleware, first."""
        with_connect = [n for n, h in self.handlers.items() if "connect" in h and "*" not in n]
        with_connect += [n for n in self.namespace_handlers if n not in with_connect and "*" not in n]
        if self._always_connect:
            with_connect = []  # CONNECT goes out first; a refusal then disconnects
        self._middleware = set(with_connect)
        rules = [(n, True) for n in with_connect]
        if self._namespaces == "*":
            names: List[str] = ["*"]
        else:
            names = list(_as_list(self._namespaces) or ["/"]) + list(self.handlers) + list(self.namespace_handlers)
        for n in names:
            if n not in self._middleware and all(n != r[0] for r in rules):
                rules.append((n, False))
        return rules

    # ---------------------------------------------------------------- lifecycle

    def _start_native(self, host: str, port: int, listen: bool = True) -> None:
        """Starts the core; ``listen=False`` only for ASGIApp / attach (no port: the web
        framework carries the engine path's requests, see ``_carry``)."""
        if self._native is not None and self._pid == os.getpid() and not self._native.stopped:
            raise RuntimeError("server already started")
        self._pid = os.getpid()
        self._stopped.clear()
        routes = [r._native_options() for r in self._routes.values()]
        options = self._options if listen else dict(self._options, listen=False)
        self._native = _native.NativeServer(self._namespace_rules(), routes, host=host, port=port, **options)
        for nsp in self.room_handlers:
            self._native.observe_rooms(nsp)
        _live.add(self)

    def plain_route(self, path: str, verify: Optional[Callable[[Dict[str, Any]], Any]] = None, **options: Any) -> Any:
        """A plain WebSocket route at ``path`` (before ``start``): clients that speak bare
        WebSocket share the rooms of a namespace with its Socket.IO sockets. Returns a
        ``roomcast.PlainRoute``; register ``connect``/``message``/``close`` handlers with
        ``route.on``. ``options`` are the core's route options by name (durations in
        seconds): ``namespace``, ``rooms``, ``delivery`` (``"json_array"``, the default, or
        ``"first_arg"``), ``relay_event``, ``max_message_size``, ``ping_interval``,
        ``ping_timeout``; an invalid one raises ``roomcast.ConfigError`` naming it at
        ``start``. ``verify(environ)`` runs before the 101: a true result accepts, a false
        one refuses with 401, ``(False, status, message)`` with that answer; an exception
        refuses with 500."""
        from .plain import PlainRoute

        if self._native is not None and not self._native.stopped:
            raise RuntimeError("plain_route() must be called before start()")
        if path in self._routes:
            raise ValueError(f"a plain route is already at {path!r}")
        route = PlainRoute(self, path, verify, options)
        self._routes[path] = route
        return route

    def _plain_verify(self, route: Any, handshake: Dict[str, Any]) -> Any:
        """Runs a route's ``verify``; an exception refuses with 500."""
        try:
            return route.verify(_environ(handshake))
        except Exception:
            self.logger.exception("roomcast: error in verify of plain route %s; refused", route.path)
            return (False, 500, "Internal Server Error")

    def _answer_plain_verify(self, request: int, route: Any, result: Any) -> None:
        allow, status, message = route._verdict(result)
        try:
            self._core_server().allow_request(request, allow, status, message)
        except (_native.NoSuchRequest, _native.ServerStopped):
            pass  # answered after allow_request_timeout (then refused), or stopped
        except _native.InvalidArgument:
            self.logger.error("roomcast: verify of %s answered status %s (not 400-599); refused", route.path, status)
            self._core_server().allow_request(request, False, 401, "Unauthorized")

    def _plain_call(self, ev: tuple) -> Any:
        """The handler call for a plain connection's event, or ``None``."""
        route = self._routes.get(ev[1])
        return None if route is None else route._event(ev, _environ)

    def _ask_allow_request(self, handshake: Dict[str, Any]) -> Any:
        """Runs ``allow_request`` on a handshake; an exception counts as a refusal."""
        try:
            assert self._allow_request is not None
            return self._allow_request(_environ(handshake))
        except Exception:
            self.logger.exception("roomcast: error in allow_request; the request is refused")
            return False

    def _ask_origin(self, handshake: Dict[str, Any]) -> Any:
        """Runs the callable ``cors_allowed_origins`` on a request's origin (with its
        environ when it takes two arguments); an exception counts as not allowed."""
        assert self._cors_callable is not None
        origin = next((v for k, v in handshake["headers"] if k.lower() == "origin"), None)
        try:
            if _positional_count(self._cors_callable) >= 2:
                return self._cors_callable(origin, _environ(handshake))
            return self._cors_callable(origin)
        except Exception:
            self.logger.exception("roomcast: error in cors_allowed_origins; the origin is not allowed")
            return False

    def _answer_origin(self, request: int, allowed: Any) -> None:
        try:
            self._core_server().allow_origin(request, bool(allowed))
        except (_native.NoSuchRequest, _native.ServerStopped):
            pass  # answered after allow_request_timeout (then refused), or stopped

    def _answer_allow_request(self, request: int, allowed: Any) -> None:
        try:
            self._core_server().allow_request(request, bool(allowed))
        except (_native.NoSuchRequest, _native.ServerStopped):
            pass  # answered after allow_request_timeout (then refused), or stopped

    def metrics(self) -> Dict[str, Any]:
        """The server's metrics now, as a dict (the numbers ``metrics_path`` serves to
        Prometheus): ``sockets`` and ``rooms`` per namespace, ``sessions`` by transport,
        ``connects``, ``disconnects`` by reason, ``upgrades``, ``events_received``,
        ``packets_sent``, ``bytes_in``/``bytes_out``, ``broadcasts``, ``deliveries``,
        ``acks_pending``/``acks_timed_out``, ``slow_consumer_disconnects``,
        ``volatile_drops``, ``adapter_publish_errors``, ``adapter_dropped_messages`` and
        ``handshake_seconds``. Needs ``metrics=True`` or ``metrics_path``; else
        ``roomcast.ConfigError``."""
        return json.loads(self._core_server().metrics_json())

    def instrument(
        self,
        auth: Any = None,
        mode: str = "development",
        read_only: bool = False,
        server_id: Optional[str] = None,
        namespace: str = "/admin",
        server_stats_interval: float = 2,
    ) -> None:
        """Serves the Socket.IO admin UI (the ``@socket.io/admin-ui`` dashboard, hosted at
        https://admin.socket.io) on ``namespace``, as python-socketio's ``instrument``.
        The namespace is handled by the core: no Python runs for it and its sockets never
        reach this server's handlers. ``auth`` is required: ``{"username": ..., "password":
        ...}`` (the password plain, as python-socketio takes it, or already a bcrypt hash)
        or ``False`` (no login; never on a reachable server). ``mode`` "development" shows
        every socket, room change and event, "production" the server stats only;
        ``read_only`` refuses the dashboard's join, leave, disconnect and emit actions;
        ``server_id`` names this node (default: the host name); ``server_stats_interval``
        is in seconds. Before ``run()``/``start()`` it becomes part of the server's options;
        on a running server it starts at once (the byte and packet charts then need
        ``metrics=True``). Raises ``ValueError``/``TypeError`` or ``roomcast.ConfigError``
        naming a bad argument, and ``roomcast.InvalidArgument`` when called twice."""
        options: Dict[str, Any] = dict(
            admin_ui=True,
            admin_ui_mode=mode,
            admin_ui_readonly=read_only,
            admin_ui_server_id=server_id,
            admin_ui_namespace=namespace,
            admin_ui_stats_interval=server_stats_interval,
        )
        if auth is None:
            raise ValueError("auth must be specified: {'username': ..., 'password': ...} or False")
        if auth is False:
            options["admin_ui_auth"] = False
        elif isinstance(auth, dict):
            unknown = set(auth) - {"username", "password"}
            if unknown or not isinstance(auth.get("username"), str) or not isinstance(auth.get("password"), str):
                raise TypeError(
                    "auth: roomcast takes {'username': str, 'password': str}"
                    + (f"; unsupported keys {sorted(unknown)}" if unknown else "")
                )
            options["admin_ui_username"] = auth["username"]
            options["admin_ui_password"] = _native.password_hash(auth["password"])
        else:
            raise TypeError("auth: a list of credentials or a callable is not supported by roomcast; pass a dict or False")
        with self._lock:
            if self._options.get("admin_ui"):
                raise _native.InvalidArgument("invalid argument: the admin UI is already on")
            if self._native is not None and not self._native.stopped:
                self._core_server().instrument(**options)
            else:
                _native.check_options(**options)
            self._options.update(options)

    def reload_ssl(self, certfile: Union[str, "os.PathLike[str]"], keyfile: Union[str, "os.PathLike[str]"]) -> None:
        """Loads a new TLS certificate chain and key (PEM files, or PEM text) without a
        restart: new connections use them, open ones keep theirs. Raises
        ``roomcast.ConfigError`` naming the part when they do not load (the old ones keep
        serving) or the server was started without TLS."""
        self._core_server().reload_tls(os.fspath(certfile), os.fspath(keyfile))

    def _core_server(self) -> Any:
        """The native server, after checking it belongs to this process and has started."""
        if self._pid != os.getpid():
            raise RuntimeError(
                f"this roomcast server was started in process {self._pid} and cannot be used in "
                f"forked process {os.getpid()}; start a new server in the child instead"
            )
        if self._native is None:
            raise RuntimeError("server not started: call start() or run() first")
        return self._native

    @property
    def port(self) -> int:
        """The port the server listens on (useful after ``start(port=0)``)."""
        return self._core_server().port

    def _stop_native(self, timeout: Optional[float]) -> None:
        """Stops the core: it returns as soon as every connection is closed, or after
        ``timeout`` (default ``stop_timeout``) at most."""
        native = self._core_server()
        native.stop(self.stop_timeout if timeout is None else timeout)

    def _exit_stop(self) -> None:
        """Interpreter exit: stop and wait for the dispatcher so no thread outlives Python."""
        if self._native is None or self._pid != os.getpid():
            return
        try:
            self._native.stop(self.stop_timeout)
        except Exception:  # pragma: no cover - best effort at exit
            pass
        d = self._dispatcher
        if d is not None and d is not threading.current_thread():
            d.join(self.stop_timeout + 1)

    # ---------------------------------------------------------- connect handlers

    def _accept(self, request: int, nsp: str, sid: str) -> bool:
        """Accepts a connection whose connect handler said yes and sends its CONNECT."""
        native = self._core_server()
        try:
            core_sid = native.accept(request)
        except (_native.NoSuchRequest, _native.ServerStopped):
            return False
        if core_sid != sid:  # the core promises the id it announced; say so loudly if not
            self.logger.error("roomcast: socket accepted as %s, but its connect handler was told %s", core_sid, sid)
        self._release(nsp, sid)
        return True

    def _release(self, nsp: str, sid: str) -> None:
        """Sends the held CONNECT of ``sid`` (then what its connect handler sent)."""
        try:
            self._core_server().release(nsp, sid)
        except (_native.NoSuchSocket, _native.NoSuchNamespace, _native.ServerStopped):
            pass  # it left (or was disconnected by its handler) meanwhile

    def _reject(self, request: int, nsp: str, sid: str, refusal: Dict[str, Any]) -> None:
        self._sessions.pop((nsp, sid), None)
        self._recovered.discard((nsp, sid))
        try:
            self._core_server().reject(request, refusal["message"], refusal.get("data"))
        except (_native.NoSuchRequest, _native.ServerStopped):
            pass

    def _forget(self, nsp: str, sid: str) -> None:
        """A socket left: drop its session and environ. With recovery on, the session goes to
        the core first (as JSON): a socket that lost its transport gets it back when it is
        recovered; for any other the core has nothing saved and the call does nothing."""
        session = self._sessions.pop((nsp, sid), None)
        self._environ.pop((nsp, sid), None)
        self._recovered.discard((nsp, sid))
        if self._recovery and session:
            try:
                self._core_server().set_data(nsp, sid, json.dumps(session))
            except (TypeError, ValueError) as exc:
                self.logger.warning("roomcast: the session of %s is not JSON and is not kept for recovery (%s)", sid, exc)
            except (_native.NoSuchSocket, _native.NoSuchNamespace, _native.ServerStopped):
                pass

    def _connected(self, nsp: str, sid: str, handshake: Dict[str, Any], recovered: bool) -> bool:
        """A socket joined ``nsp``: records its environ (and, when recovered, gets back its
        session). Returns whether its ``connect`` handler still has to run: it has not when
        it ran as middleware; a recovered socket skipped the middleware, so it runs now
        (``recovered(sid)`` tells it why; a refusal then disconnects)."""
        key = (nsp, sid)
        self._environ[key] = _environ(handshake)
        if recovered:
            ran = key in self._recovered  # marked at its connect_request: middleware ran
            self._recovered.add(key)
            try:
                data = self._core_server().data(nsp, sid)
            except (_native.NoSuchSocket, _native.NoSuchNamespace, _native.ServerStopped):
                data = None
            if data is not None:
                saved = json.loads(data)
                if isinstance(saved, dict):
                    self._sessions[key] = {**saved, **self._sessions.get(key, {})}
            return not ran
        return nsp not in self._middleware

    def recovered(self, sid: str, namespace: Optional[str] = None) -> bool:
        """Whether connection state recovery brought socket ``sid`` back (socket.io's
        ``socket.recovered``): same id, its rooms and session restored, missed events
        replayed."""
        return ((namespace or "/"), sid) in self._recovered

    # ---------------------------------------------------------- acknowledgements

    def _add_callback(self, ack_id: int, entry: Any) -> None:
        """Remembers ``entry`` (callback or future) for ``ack_id``; call with ``_lock`` held."""
        self._callbacks[ack_id] = entry

    def _take_callback(self, ack_id: int) -> Any:
        with self._lock:
            return self._callbacks.pop(ack_id, None)

    def _clear_acks(self) -> List[Any]:
        """The server stopped: returns and forgets every pending callback and future."""
        with self._lock:
            entries = list(self._callbacks.values())
            self._callbacks.clear()
        return entries

    # ------------------------------------------------------------------ commands

    def _emit(
        self,
        event: str,
        data: Any = None,
        to: Rooms = None,
        room: Rooms = None,
        skip_sid: Rooms = None,
        namespace: Optional[str] = None,
        callback: Optional[Callable[..., Any]] = None,
        compress: bool = True,
    ) -> None:
        nsp = namespace or "/"
        targets = _as_list(to) + _as_list(room)
        native = self._core_server()
        if native.stopped:
            self.logger.debug("roomcast: emit %r after stop ignored", event)
            return
        args = _args(data)
        exclude = _as_list(skip_sid)
        try:
            if callback is None:
                native.emit(nsp, event, args, targets, exclude, compress=bool(compress))
            else:
                with self._lock:  # held so that the ack event finds the callback
                    ack_id = native.emit_with_ack(nsp, event, args, targets, exclude, self.ack_timeout,
                                                  compress=bool(compress))
                    self._add_callback(ack_id, callback)
        except _native.ServerStopped:
            self.logger.debug("roomcast: emit %r after stop ignored", event)
        except _native.NoSuchNamespace:
            pass  # a namespace nobody ever joined: nobody to send to

    def _enter_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        try:
            self._core_server().join(nsp, sid, [room])
        except (_native.NoSuchSocket, _native.NoSuchNamespace):
            pass

    def _leave_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        try:
            self._core_server().leave(nsp, sid, [room])
        except (_native.NoSuchSocket, _native.NoSuchNamespace):
            pass

    def _close_room(self, room: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        try:
            self._core_server().sockets_leave(nsp, [room], [room])
        except (_native.NoSuchNamespace, _native.ServerStopped):
            pass

    def rooms(self, sid: str, namespace: Optional[str] = None) -> List[str]:
        """The rooms socket ``sid`` is in, its own id room included (empty when unknown)."""
        nsp = namespace or "/"
        try:
            return self._core_server().rooms_of(nsp, sid)
        except (_native.NoSuchSocket, _native.NoSuchNamespace):
            return []

    def _disconnect(self, sid: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        try:
            self._core_server().disconnect(nsp, sid)
        except (_native.NoSuchSocket, _native.NoSuchNamespace, _native.ServerStopped):
            pass

    def _call_target(self, to: Optional[str], sid: Optional[str]) -> str:
        target = to or sid
        if target is None:
            raise ValueError("call() needs the socket to call: to=sid")
        connecting = _connecting.get()
        if connecting is not None and connecting[1] == target:
            # Its CONNECT is held until the handler returns: no answer can come before.
            raise RuntimeError("call() cannot wait for a socket whose connect handler is still running")
        return target

    def _get_session(self, sid: str, namespace: Optional[str] = None) -> dict:
        return self._sessions.setdefault((namespace or "/", sid), {})

    def _save_session(self, sid: str, session: dict, namespace: Optional[str] = None) -> None:
        self._sessions[(namespace or "/", sid)] = session

    def get_environ(self, sid: str, namespace: Optional[str] = None) -> Optional[dict]:
        """The WSGI-style environ of the request that opened ``sid``'s connection."""
        return self._environ.get((namespace or "/", sid))

    # ------------------------------------------------------------- event helpers

    def _catch_all(self, nsp: str, event: str) -> Tuple[Optional[Handler], bool]:
        """The handler for ``event`` and whether it is the ``'*'`` catch-all."""
        own = self.handlers.get(nsp, {})
        if event in own:
            return own[event], False
        if "*" in own:
            return own["*"], True
        h = self._handler(nsp, event)  # the class-based namespace, as in python-socketio
        return h, False

    def _refusal(self, result: Any, exc: Optional[BaseException]) -> Optional[Dict[str, Any]]:
        if isinstance(exc, ConnectionRefusedError):
            return exc.error_args
        if exc is not None:
            return {"message": "Connection rejected by server"}
        if result is False:
            return ConnectionRefusedError().error_args
        return None


def _at_exit() -> None:
    for server in list(_live):
        server._exit_stop()


def _after_fork_in_child() -> None:
    for server in list(_live):
        if server._native is not None:
            _inherited.append(server._native)


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
