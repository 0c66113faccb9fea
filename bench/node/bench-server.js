// The benchmark app (issue 6) on Node socket.io, the peer roomcast is compared with.
//   join (room) + ack      -> socket.join(room), ack "ok"
//   echo (data) + ack      -> ack(data)
//   broadcast (room, data) -> socket.to(room).emit("msg", data)  (the room except the sender)
// Port from PORT (default 3000), 127.0.0.1, path /socket.io/, library defaults otherwise.
// `bufferutil` is installed beside `ws` because socket.io's performance guide recommends it
// for production (ws picks it up on its own); nothing else is tuned.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const httpServer = http.createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack("ok");
  });
  socket.on("echo", (data, ack) => {
    if (typeof ack === "function") ack(data);
  });
  socket.on("broadcast", (room, data) => {
    socket.to(room).emit("msg", data);
  });
});

httpServer.listen(Number(process.env.PORT || 3000), "127.0.0.1", () => {
  console.log(`listening on http://localhost:${httpServer.address().port}`);
});
