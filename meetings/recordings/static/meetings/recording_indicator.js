// Live recording indicator: listens on the meeting's recording websocket and shows or hides
// the indicator. No inline script (strict CSP).
(function () {
  "use strict";
  var box = document.getElementById("recording-status");
  if (!box) { return; }
  var on = document.getElementById("recording-on");
  var off = document.getElementById("recording-off");
  var warning = document.getElementById("recording-connection");
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + window.location.host + box.dataset.wsPath);
  function show(running) {
    on.hidden = !running;
    off.hidden = running;
    box.dataset.running = running ? "true" : "false";
  }
  socket.addEventListener("open", function () { box.dataset.connected = "true"; });
  socket.addEventListener("message", function (message) {
    var data = JSON.parse(message.data);
    if (typeof data.running === "boolean") { show(data.running); }
  });
  socket.addEventListener("close", function () {
    box.dataset.connected = "false";
    warning.hidden = false;
  });
})();
