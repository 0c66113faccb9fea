"""Class-based namespaces, as python-socketio's ``Namespace`` and ``AsyncNamespace``.

A subclass handles one namespace with ``on_<event>`` methods and is registered with
``sio.register_namespace(MyNamespace('/chat'))``. Events reach the methods through
``trigger_event``, which a subclass may override (to wrap every handler, say). A handler
registered with ``sio.on``/``sio.event`` for the same event and namespace wins, as in
python-socketio. The helpers (``emit``, ``enter_room``, ``session``, ...) are the server's,
with ``namespace`` defaulting to the namespace of the class.

Like the function handlers, ``on_connect`` may take ``(sid, environ)`` or ``(sid, environ,
auth)`` and ``on_disconnect`` ``(sid)`` or ``(sid, reason)``: the optional argument is only
passed when the method declares it.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable, Dict, List, Optional

from ._base import Rooms, _accepts

# The optional trailing argument of these events, passed only to methods that take it.
_OPTIONAL_LAST = {"connect": 3, "disconnect": 2}


def _method(ns: Any, event: str, args: tuple) -> Optional[tuple]:
    """The bound ``on_<event>`` method of ``ns`` and the arguments it takes, or None."""
    handler = getattr(ns, "on_" + (event or ""), None)
    if handler is None or not callable(handler):
        return None
    full = _OPTIONAL_LAST.get(event)
    if full is not None and len(args) == full and not _accepts(handler, full):
        args = args[:-1]
    return handler, args


class _NamespaceBase:
    """What both namespace flavours share: the namespace name and the server it serves."""

    def __init__(self, namespace: Optional[str] = None) -> None:
        #: The namespace this class handles (``'/'`` when none is given).
        self.namespace = namespace or "/"
        #: The server, set by ``register_namespace``.
        self.server: Any = None

    def is_asyncio_based(self) -> bool:
        return False

    def _set_server(self, server: Any) -> None:
        self.server = server

    def _has_handler(self, event: str) -> bool:
        """Whether an event would reach a method (for the server's dispatch)."""
        return callable(getattr(self, "on_" + event, None))

    def rooms(self, sid: str, namespace: Optional[str] = None) -> List[str]:
        """The rooms ``sid`` is in."""
        return self.server.rooms(sid, namespace=namespace or self.namespace)


class Namespace(_NamespaceBase):
    """A class-based namespace for ``roomcast.Server``: define ``on_connect(self, sid,
    environ[, auth])``, ``on_disconnect(self, sid[, reason])`` and ``on_<event>(self, sid,
    *args)``; a return value of ``on_<event>`` is the acknowledgement."""

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Calls ``on_<event>(*args)`` when the class has it (returns its result), else None."""
        found = _method(self, event, args)
        if found is None:
            return None
        handler, args = found
        return handler(*args)

    def emit(self, event: str, data: Any = None, to: Rooms = None, room: Rooms = None, skip_sid: Rooms = None,
             namespace: Optional[str] = None, callback: Optional[Callable[..., Any]] = None, **kwargs: Any) -> None:
        """``server.emit`` in this namespace."""
        self.server.emit(event, data=data, to=to, room=room, skip_sid=skip_sid, namespace=namespace or self.namespace,
                         callback=callback, **kwargs)

    def send(self, data: Any, to: Rooms = None, room: Rooms = None, skip_sid: Rooms = None,
             namespace: Optional[str] = None, callback: Optional[Callable[..., Any]] = None, **kwargs: Any) -> None:
        """``server.send`` in this namespace."""
        self.server.send(data, to=to, room=room, skip_sid=skip_sid, namespace=namespace or self.namespace,
                         callback=callback, **kwargs)

    def call(self, event: str, data: Any = None, to: Optional[str] = None, sid: Optional[str] = None,
             namespace: Optional[str] = None, timeout: Optional[float] = None, **kwargs: Any) -> Any:
        """``server.call`` in this namespace (``timeout`` None: the server's default, 60 s)."""
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.server.call(event, data=data, to=to, sid=sid, namespace=namespace or self.namespace, **kwargs)

    def enter_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """``server.enter_room`` in this namespace."""
        self.server.enter_room(sid, room, namespace=namespace or self.namespace)

    def leave_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """``server.leave_room`` in this namespace."""
        self.server.leave_room(sid, room, namespace=namespace or self.namespace)

    def close_room(self, room: str, namespace: Optional[str] = None) -> None:
        """``server.close_room`` in this namespace."""
        self.server.close_room(room, namespace=namespace or self.namespace)

    def get_session(self, sid: str, namespace: Optional[str] = None) -> Dict[str, Any]:
        """``server.get_session`` in this namespace."""
        return self.server.get_session(sid, namespace=namespace or self.namespace)

    def save_session(self, sid: str, session: Dict[str, Any], namespace: Optional[str] = None) -> None:
        """``server.save_session`` in this namespace."""
        self.server.save_session(sid, session, namespace=namespace or self.namespace)

    def session(self, sid: str, namespace: Optional[str] = None) -> "contextlib.AbstractContextManager[Dict[str, Any]]":
        """``with self.session(sid) as s:`` as ``server.session`` in this namespace."""
        return self.server.session(sid, namespace=namespace or self.namespace)

    def disconnect(self, sid: str, namespace: Optional[str] = None) -> None:
        """``server.disconnect`` in this namespace."""
        self.server.disconnect(sid, namespace=namespace or self.namespace)


class AsyncNamespace(_NamespaceBase):
    """A class-based namespace for ``roomcast.AsyncServer``: as ``Namespace``, with
    ``async def`` (or plain) ``on_<event>`` methods and awaitable helpers."""

    def is_asyncio_based(self) -> bool:
        return True

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Calls ``on_<event>(*args)`` (awaited when it is a coroutine function), else None."""
        found = _method(self, event, args)
        if found is None:
            return None
        handler, args = found
        result = handler(*args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def emit(self, event: str, data: Any = None, to: Rooms = None, room: Rooms = None, skip_sid: Rooms = None,
                   namespace: Optional[str] = None, callback: Optional[Callable[..., Any]] = None, **kwargs: Any) -> None:
        """``server.emit`` in this namespace."""
        await self.server.emit(event, data=data, to=to, room=room, skip_sid=skip_sid,
                               namespace=namespace or self.namespace, callback=callback, **kwargs)

    async def send(self, data: Any, to: Rooms = None, room: Rooms = None, skip_sid: Rooms = None,
                   namespace: Optional[str] = None, callback: Optional[Callable[..., Any]] = None, **kwargs: Any) -> None:
        """``server.send`` in this namespace."""
        await self.server.send(data, to=to, room=room, skip_sid=skip_sid, namespace=namespace or self.namespace,
                               callback=callback, **kwargs)

    async def call(self, event: str, data: Any = None, to: Optional[str] = None, sid: Optional[str] = None,
                   namespace: Optional[str] = None, timeout: Optional[float] = None, **kwargs: Any) -> Any:
        """``server.call`` in this namespace (``timeout`` None: the server's default, 60 s)."""
        if timeout is not None:
            kwargs["timeout"] = timeout
        return await self.server.call(event, data=data, to=to, sid=sid, namespace=namespace or self.namespace, **kwargs)

    async def enter_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """``server.enter_room`` in this namespace."""
        await self.server.enter_room(sid, room, namespace=namespace or self.namespace)

    async def leave_room(self, sid: str, room: str, namespace: Optional[str] = None) -> None:
        """``server.leave_room`` in this namespace."""
        await self.server.leave_room(sid, room, namespace=namespace or self.namespace)

    async def close_room(self, room: str, namespace: Optional[str] = None) -> None:
        """``server.close_room`` in this namespace."""
        await self.server.close_room(room, namespace=namespace or self.namespace)

    async def get_session(self, sid: str, namespace: Optional[str] = None) -> Dict[str, Any]:
        """``server.get_session`` in this namespace."""
        return await self.server.get_session(sid, namespace=namespace or self.namespace)

    async def save_session(self, sid: str, session: Dict[str, Any], namespace: Optional[str] = None) -> None:
        """``server.save_session`` in this namespace."""
        await self.server.save_session(sid, session, namespace=namespace or self.namespace)

    def session(self, sid: str, namespace: Optional[str] = None) -> "contextlib.AbstractAsyncContextManager[Dict[str, Any]]":
        """``async with self.session(sid) as s:`` as ``server.session`` in this namespace."""
        return self.server.session(sid, namespace=namespace or self.namespace)

    async def disconnect(self, sid: str, namespace: Optional[str] = None) -> None:
        """``server.disconnect`` in this namespace."""
        await self.server.disconnect(sid, namespace=namespace or self.namespace)


__all__ = ["AsyncNamespace", "Namespace"]
