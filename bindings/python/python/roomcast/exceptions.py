"""Exceptions raised by (and to) roomcast, named as python-socketio names them."""

from typing import Any, Dict


class SocketIOError(Exception):
    """Base class of roomcast's Socket.IO errors."""


class ConnectionRefusedError(SocketIOError):  # noqa: A001 - python-socketio's name
    """Raise from a ``connect`` handler to refuse the connection with CONNECT_ERROR.

    ``ConnectionRefusedError("not allowed", {"code": 4})`` reaches the client as
    ``{"message": "not allowed", "data": {"code": 4}}``; with no argument the message is
    "Connection rejected by server"; with more than two, ``data`` is the list of the rest.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.error_args: Dict[str, Any]
        if not args:
            self.error_args = {"message": "Connection rejected by server"}
        else:
            self.error_args = {"message": str(args[0])}
            if len(args) == 2:
                self.error_args["data"] = args[1]
            elif len(args) > 2:
                self.error_args["data"] = list(args[1:])


class TimeoutError(SocketIOError):  # noqa: A001 - python-socketio's name
    """``call()`` got no acknowledgement in time."""


class DisconnectedError(SocketIOError):
    """The target socket is not connected."""
