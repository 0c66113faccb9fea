// The roomcast chat page: speaks the chat contract shared by every roomcast chat server.
// Client → server: `user-name` (name), `sendMessage` ({name, message}), `talk` (text).
// Server → client: `allMessage` (history), `newMessage`, `globalMsg`, `online`, `talk`.
(() => {
  const $ = (id) => document.getElementById(id);
  const socket = io();
  let myName = null;

  function add(kind, parts) {
    const li = document.createElement("li");
    li.className = kind;
    for (const [cls, text] of parts) {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text; // never innerHTML: messages are untrusted
      li.append(span);
    }
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(li);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }
  const showMessage = ({ name, message }) =>
    add(name === myName ? "message mine" : "message", [["who", String(name ?? "?")], ["text", String(message ?? "")]]);

  socket.on("connect", () => {
    $("status").textContent = "connected";
    $("status").className = "status";
    // Announce again after a reconnect, unless the server recovered the session (it kept
    // the name, the room and replayed what this tab missed).
    if (myName && !socket.recovered) socket.emit("user-name", myName);
  });
  socket.on("disconnect", (reason) => {
    $("status").textContent = `offline (${reason})`;
    $("status").className = "status offline";
  });
  socket.on("allMessage", (history) => {
    $("messages").replaceChildren();
    (history || []).forEach(showMessage);
  });
  socket.on("newMessage", showMessage);
  socket.on("globalMsg", (text) => add("notice", [["text", String(text)]]));
  socket.on("talk", (text) => add("shout", [["who", "shout"], ["text", String(text)]]));
  socket.on("online", (n) => { $("online").textContent = `${n} online`; });

  $("name-form").addEventListener("submit", (e) => {
    e.preventDefault();
    myName = $("name").value.trim();
    if (!myName) return;
    socket.emit("user-name", myName);
    $("login").hidden = true;
    $("chat").hidden = false;
    $("message").focus();
  });
  $("message-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const message = $("message").value.trim();
    if (message) socket.emit("sendMessage", { name: myName, message });
    $("message").value = "";
  });
  $("talk-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("talk").value.trim();
    if (text) {
      socket.emit("talk", `${myName}: ${text}`);
      add("shout mine", [["who", "shout"], ["text", `${myName}: ${text}`]]);
    }
    $("talk").value = "";
  });
})();
