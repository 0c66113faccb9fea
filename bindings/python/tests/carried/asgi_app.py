"""A FastAPI application with its own route and roomcast.ASGIApp, for uvicorn:
``CARRY_MODE=wrap`` wraps the app (engine path /socket.io/), ``mount`` mounts it at /rt
(engine path /rt/socket.io/)."""

import os

from fastapi import FastAPI

import roomcast
from common import make_server

sio = make_server()
api = FastAPI()


@api.get("/hello")
async def hello():
    return {"hello": "fastapi", "clients": sio._native.connection_count() if sio._native else 0}


if os.environ.get("CARRY_MODE", "wrap") == "mount":
    api.mount("/rt", roomcast.ASGIApp(sio))
    app = api
else:
    app = roomcast.ASGIApp(sio, other_asgi_app=api)
