"""examples/python/chat.py keeps the chat contract (see the repository README)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import socketio

from conftest import wait_for

CHAT = Path(__file__).resolve().parents[3] / "examples" / "python" / "chat.py"


@pytest.fixture
def chat_port():
    proc = subprocess.Popen(
        [sys.executable, str(CHAT)], env={**os.environ, "PORT": "0"}, stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://localhost:" in line, line
        yield int(line.rsplit(":", 1)[1])
    finally:
        proc.terminate()
        proc.wait(15)


def without_offset(args):
    """The chat turns connection state recovery on: every event ends with its offset."""
    assert args and isinstance(args[-1], str), f"no offset in {args!r}"
    return args[:-1]


def joined(port, log):
    c = socketio.Client(reconnection=False)
    c.on("*", lambda event, *args: log.append((event,) + without_offset(args)))
    c.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=10)
    return c


def test_chat_contract(chat_port):
    a_log, b_log = [], []
    a = joined(chat_port, a_log)
    wait_for(lambda: ("online", 1) in a_log, what="a online 1")
    b = joined(chat_port, b_log)
    wait_for(lambda: ("online", 2) in a_log and ("online", 2) in b_log, what="online 2")
    assert a_log[0] == ("allMessage", []) and b_log[0] == ("allMessage", [])
    a.emit("user-name", "alice")
    wait_for(lambda: ("globalMsg", "alice joined") in b_log, what="alice joined")
    a.emit("talk", "psst")
    wait_for(lambda: ("talk", "psst") in b_log, what="talk relayed")
    a.emit("sendMessage", {"name": "alice", "message": "hello"})
    msg = {"name": "alice", "message": "hello"}
    wait_for(lambda: ("newMessage", msg) in a_log and ("newMessage", msg) in b_log, what="newMessage")
    a.disconnect()
    wait_for(lambda: ("globalMsg", "alice left") in b_log and b_log[-1] == ("online", 1), what="alice left")
    c_log = []
    c = joined(chat_port, c_log)
    wait_for(lambda: c_log and c_log[0] == ("allMessage", [msg]), what="history for newcomer")
    time.sleep(0.2)
    assert ("talk", "psst") not in a_log  # not echoed to the sender
    assert ("globalMsg", "alice joined") not in a_log
    b.disconnect()
    c.disconnect()
