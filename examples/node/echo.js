// The seed's echo server (the `ws` module's hello-ws) on roomcast: every text sent to
// ws://localhost:3000/test comes back as `ECHO: <text>`. The handler code is the seed's,
// unchanged: `io.ws(path)` gives the `ws` module's WebSocketServer shape.
//
//   npm install ./bindings/node
//   PORT=3000 node examples/node/echo.js      # PORT=0 picks a free port
//
// In a browser console: var ws = new WebSocket('ws://localhost:3000/test');
// ws.onmessage = (msg) => console.log(msg.data); ws.send('Hello!');  // → ECHO: Hello!
'use strict';

const { Server } = require('roomcast');

const io = new Server();
const wss = io.ws('/test');

wss.on('connection', function (ws) {
  console.log(`[SERVER] connection()`);
  ws.on('message', function (message) {
    console.log(`[SERVER] Received: ${message}`);
    ws.send(`ECHO: ${message}`, (err) => {
      if (err) {
        console.log(`[SERVER] error: ${err}`);
      }
    });
  });
});

io.listen(Number(process.env.PORT || 3000));
console.log(`listening on http://localhost:${io.port}`);
process.on('SIGTERM', () => io.close());
process.on('SIGINT', () => io.close());
