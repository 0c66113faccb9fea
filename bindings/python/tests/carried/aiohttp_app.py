"""An aiohttp application with its own route and ``sio.attach(app)``:
``python aiohttp_app.py PORT``."""

import sys

from aiohttp import web

from common import make_server

sio = make_server()
app = web.Application()


async def hello(_request):
    return web.json_response({"hello": "aiohttp"})


app.router.add_get("/hello", hello)
sio.attach(app)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
