"""Interpreter exit with clients connected, and fork."""

import os
import subprocess
import sys
import textwrap

import pytest
import socketio

import roomcast

CHILD = textwrap.dedent(
    """
    import sys, socketio, roomcast
    async_mode = sys.argv[1] == "async"
    if async_mode:
        import asyncio
        sio = roomcast.AsyncServer()
        sio.on("disconnect", lambda sid, reason: print("disconnect", reason, flush=True))
        async def main():
            await sio.start()
            c = socketio.AsyncClient(reconnection=False)
            await c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"])
            print("connected", flush=True)
        asyncio.run(main())          # the loop closes with the server still running
    else:
        sio = roomcast.Server()
        sio.on("disconnect", lambda sid, reason: print("disconnect", reason, flush=True))
        sio.start()
        c = socketio.Client(reconnection=False)
        c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"])
        print("connected", flush=True)
    # no stop(): interpreter exit must shut the server down cleanly
    """
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_interpreter_exit_with_clients_connected(mode):
    proc = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "connected" in proc.stdout
    if mode == "sync":
        # the dispatcher was still alive at exit, so the disconnect handler ran
        assert "disconnect server shutting down" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_a_clear_error_and_can_start_its_own_server():
    sio = roomcast.Server().start()
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: report through the exit code, never return into pytest
            code = 1
            try:
                try:
                    sio.emit("x", 1)
                except RuntimeError as e:
                    if "forked" in str(e):
                        code = 2
                if code == 2:
                    own = roomcast.Server()
                    own.on("ping", lambda sid: "pong from child")
                    own.start()
                    c = socketio.Client(reconnection=False)
                    c.connect(f"http://127.0.0.1:{own.port}", transports=["websocket"], wait_timeout=10)
                    if c.call("ping", timeout=10) == "pong from child":
                        code = 0
                    c.disconnect()
                    own.stop()
            finally:
                os._exit(code)
        os.close(w)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0, f"child exit code {os.WEXITSTATUS(status)}"
        # the parent's server is unaffected
        c = socketio.Client(reconnection=False)
        sio.on("ping", lambda sid: "pong from parent")
        c.connect(f"http://127.0.0.1:{sio.port}", transports=["websocket"], wait_timeout=10)
        assert c.call("ping", timeout=10) == "pong from parent"
        c.disconnect()
    finally:
        sio.stop()
