"""What the sync and asyncio servers share: configuration, handler registry, socket ids,
sessions, and the lifecycle guards (interpreter exit, fork).

Socket ids: a namespace with a ``connect`` handler is started with connect middleware, so
the handler runs *before* the core creates the socket and can still refuse it. The core
only assigns the socket id on accept, so the handler is given an id made here, and that id
stays the socket's id for the whole binding API (events, emit, rooms, sessions). Calls made
on it before the accept (``enter_room``, ``emit(to=sid)``) are queued and replayed right
after. The client itself sees the core's id (``client.get_sid()``) for such namespaces.
"""

from __future__ import annotations

import atexit
import contextvars
import inspect
import logging
import os
import secrets
import threading
import weakref
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _native
from .exceptions import ConnectionRefusedError

logger = logging.getLogger("roomcast")

Handler = Callable[..., Any]
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
    SERVER_SHUTTING_DOWN = "server shutting down"
    SLOW_CONSUMER = "slow consumer"


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


class _ServerBase:
    """Configuration, handlers, ids and sessions shared by ``Server`` and ``AsyncServer``."""

    reason = Reason

    def __init__(
        self,
        cors_allowed_origins: Union[str, Sequence[str], None] = None,
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
        stop_timeout: float = 2,
        worker_threads: Optional[int] = None,
        logger: Any = None,
        **_ignored: Any,
    ) -> None:
        if isinstance(ping_interval, (tuple, list)):
            ping_interval = ping_interval[0]
        if cors_allowed_origins is not None and not isinstance(cors_allowed_origins, str):
            cors_allowed_origins = list(cors_allowed_origins)
        self._options: Dict[str, Any] = dict(
            path=path if path.startswith("/") else "/" + path,
            ping_interval=float(ping_interval),
            ping_timeout=float(ping_timeout),
            max_payload=int(max_http_buffer_size),
            connect_timeout=float(connect_timeout),
            cors=cors_allowed_origins,
            cors_credentials=cors_credentials,
            static_dir=_static_dir(static_files),
            client_dist_dir=os.fspath(client_dist) if client_dist is not None else None,
            worker_threads=worker_threads,
        )
        self._namespaces = namespaces
        #: Seconds a ``callback`` passed to ``emit`` waits for the client before it is dropped.
        self.ack_timeout = float(ack_timeout)
        self.stop_timeout = float(stop_timeout)
        self.handlers: Dict[str, Dict[str, Handler]] = {}
        self._native: Any = None
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._middleware: set = set()
        self._to_core: Dict[str, str] = {}
        self._to_py: Dict[str, str] = {}
        self._pending: Dict[str, list] = {}
        self._sessions: Dict[Tuple[str, str], dict] = {}
        self._environ: Dict[Tuple[str, str], dict] = {}
        self._callbacks: Dict[int, Any] = {}
        self._dispatcher: Optional[threading.Thread] = None
        self._stopped = threading.Event()

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

    def _handler(self, nsp: str, event: str) -> Optional[Handler]:
        return self.handlers.get(nsp, {}).get(event)

    def _namespace_rules(self) -> List[Tuple[str, bool]]:
        """Namespaces for the core: ones with a ``connect`` handler get middleware, first."""
        with_connect = [n for n, h in self.handlers.items() if "connect" in h and "*" not in n]
        self._middleware = set(with_connect)
        rules = [(n, True) for n in with_connect]
        if self._namespaces == "*":
            names: List[str] = ["*"]
        else:
            names = list(_as_list(self._namespaces) or ["/"]) + list(self.handlers)
        for n in names:
            if n not in self._middleware and all(n != r[0] for r in rules):
                rules.append((n, False))
        return rules

    # ---------------------------------------------------------------- lifecycle

    def _start_native(self, host: str, port: int) -> None:
        if self._native is not None and self._pid == os.getpid() and not self._native.stopped:
            raise RuntimeError("server already started")
        self._pid = os.getpid()
        self._stopped.clear()
        self._native = _native.NativeServer(host, port, namespaces=self._namespace_rules(), **self._options)
        _live.add(self)

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

    # --------------------------------------------------------------- socket ids

    def _core(self, sid: str) -> str:
        return self._to_core.get(sid, sid)

    def _py(self, sid: str) -> str:
        return self._to_py.get(sid, sid)

    def _core_rooms(self, rooms: Iterable[str]) -> List[str]:
        return [self._to_core.get(r, r) for r in rooms]

    def _defer(self, sid: Optional[str], op: Callable[[], Any]) -> bool:
        """Queues ``op`` when ``sid`` is a socket whose connect handler has not finished."""
        with self._lock:
            queue = self._pending.get(sid) if sid is not None else None
            if queue is None:
                return False
            queue.append(op)
            return True

    def _new_pending(self) -> str:
        sid = secrets.token_urlsafe(15)
        with self._lock:
            self._pending[sid] = []
        return sid

    def _accept(self, request: int, nsp: str, sid: str) -> bool:
        """Accepts a connection whose connect handler said yes, then replays queued calls."""
        native = self._core_server()
        try:
            core_sid = native.accept(request)
        except _native.NoSuchSocket:
            with self._lock:
                self._pending.pop(sid, None)
            return False
        with self._lock:
            self._to_core[sid] = core_sid
            self._to_py[core_sid] = sid
            queued = self._pending.pop(sid, [])
        for op in queued:
            try:
                op()
            except Exception:
                logger.exception("roomcast: call queued during connect of %s failed", sid)
        return True

    def _reject(self, request: int, nsp: str, sid: str, refusal: Dict[str, Any]) -> None:
        with self._lock:
            self._pending.pop(sid, None)
        self._sessions.pop((nsp, sid), None)
        try:
            self._core_server().reject(request, refusal["message"], refusal.get("data"))
        except _native.NoSuchSocket:
            pass

    def _forget(self, nsp: str, sid: str) -> None:
        """A socket left: drop its id mapping, session and environ."""
        with self._lock:
            core = self._to_core.pop(sid, None)
            if core is not None:
                self._to_py.pop(core, None)
        self._sessions.pop((nsp, sid), None)
        self._environ.pop((nsp, sid), None)

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
    ) -> None:
        nsp = namespace or "/"
        targets = _as_list(to) + _as_list(room)
        if len(targets) == 1 and self._defer(targets[0], lambda: self._emit(event, data, to, room, skip_sid, namespace, callback)):
            return
        native = self._core_server()
        if native.stopped:
            logger.debug("roomcast: emit %r after stop ignored", event)
            return
        args = _args(data)
        rooms = self._core_rooms(targets)
        exclude = self._core_rooms(_as_list(skip_sid))
        connecting = _connecting.get()
        if connecting is not None and connecting[0] == nsp and connecting[1] not in _as_list(skip_sid):
            # A broadcast from a connect handler: as in python-socketio the new socket
            # counts as connected, so it gets the packet too once it is accepted.
            self._defer(connecting[1], lambda: self._emit_to_new(connecting[1], nsp, event, args, targets, callback))
        try:
            if callback is None:
                native.emit(nsp, event, args, rooms, exclude)
            else:
                with self._lock:
                    ack_id = native.emit_with_ack(nsp, event, args, rooms, exclude, self.ack_timeout)
                    self._callbacks[ack_id] = callback
        except _native.ServerStopped:
            logger.debug("roomcast: emit %r after stop ignored", event)
        except _native.NoSuchSocket:
            pass  # a namespace nobody ever joined: nobody to send to

    def _emit_to_new(self, sid: str, nsp: str, event: str, args: list, targets: List[str], callback: Any) -> None:
        """Replays a connect-handler broadcast for the socket just accepted, if it is targeted."""
        if targets and not set(targets) & set(self.rooms(sid, nsp)):
            return
        self._emit(event, tuple(args), to=sid, namespace=nsp, callback=callback)

    def _take_callback(self, ack_id: int) -> Any:
        with self._lock:
            return self._callbacks.pop(ack_id, None)

    def _enter_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        if self._defer(sid, lambda: self._enter_room(sid, room, namespace)):
            return
        try:
            self._core_server().join(nsp, self._core(sid), [room])
        except _native.NoSuchSocket:
            pass

    def _leave_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        if self._defer(sid, lambda: self._leave_room(sid, room, namespace)):
            return
        try:
            self._core_server().leave(nsp, self._core(sid), [room])
        except _native.NoSuchSocket:
            pass

    def _close_room(self, room: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        native = self._core_server()
        try:
            members = native.sockets(nsp, [self._core(room)])
        except _native.NoSuchSocket:
            return
        for sid in members:
            try:
                native.leave(nsp, sid, [self._core(room)])
            except _native.NoSuchSocket:
                pass

    def rooms(self, sid: str, namespace: Optional[str] = None) -> List[str]:
        """The rooms socket ``sid`` is in, its own id room included (empty when unknown)."""
        nsp = namespace or "/"
        with self._lock:
            if sid in self._pending:
                return [sid]
        try:
            return sorted(self._py(r) for r in self._core_server().rooms_of(nsp, self._core(sid)))
        except _native.NoSuchSocket:
            return []

    def _disconnect(self, sid: str, namespace: Optional[str] = None) -> None:
        nsp = namespace or "/"
        if self._defer(sid, lambda: self._disconnect(sid, namespace)):
            return
        try:
            self._core_server().disconnect(nsp, self._core(sid))
        except (_native.NoSuchSocket, _native.ServerStopped):
            pass

    def _call_target(self, to: Optional[str], sid: Optional[str]) -> str:
        target = to or sid
        if target is None:
            raise ValueError("call() needs the socket to call: to=sid")
        with self._lock:
            if target in self._pending:
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
        h = self._handler(nsp, event)
        if h is not None:
            return h, False
        h = self._handler(nsp, "*")
        return h, h is not None

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
