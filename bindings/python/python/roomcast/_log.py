"""Routes roomcast's log records to the :mod:`logging` module.

Records go to the logger ``roomcast`` and its children by origin (``roomcast.engine``,
``roomcast.socket``, ``roomcast.server``, ``roomcast.adapter.redis...``). The stable fields
(``sid``, ``nsp``, ``transport``, ``reason`` and others) are attributes of the
``LogRecord`` (``extra``), all of them also as the dict ``roomcast_fields``, and appear in
the message as ``key=value``.

Logs are off by default: the filter (``RUST_LOG`` syntax) comes from :func:`set_log_filter`,
else the ``ROOMCAST_LOG`` environment variable, else ``RUST_LOG``. Records are delivered on
a thread of their own (never on the server's threads), so they can arrive slightly after
the event that caused them.
"""

import logging
from typing import Dict, Optional

from . import _native

# LogRecord attributes a field must not overwrite (``extra`` refuses them).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _text(message: str, fields: Dict[str, str]) -> str:
    parts = [message]
    for k, v in fields.items():
        parts.append(f"{k}={v!r}" if (not v or any(c in v for c in ' "=')) else f"{k}={v}")
    return " ".join(parts)


def _emit(level: int, target: str, message: str, fields: Dict[str, str]) -> None:
    logger = logging.getLogger(target.replace("::", "."))
    if not logger.isEnabledFor(level):
        return
    extra = {k: v for k, v in fields.items() if k not in _RESERVED}
    extra["roomcast_fields"] = fields
    logger.log(level, "%s", _text(message, fields), extra=extra)


def set_log_filter(filter: Optional[str]) -> None:
    """Sets which records roomcast produces, in ``RUST_LOG`` syntax: ``"debug"``,
    ``"info"``, ``"roomcast::socket=debug,warn"``, ``"off"``; ``None`` goes back to the
    environment (``ROOMCAST_LOG``, else ``RUST_LOG``, else off). Process-wide. A malformed
    filter raises :class:`roomcast.InvalidArgument`. The ``logging`` levels of the
    ``roomcast`` loggers filter further."""
    _native.set_log_filter(filter)


_native.set_log_handler(_emit)
