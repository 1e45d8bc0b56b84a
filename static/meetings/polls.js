// The room's poll panel: a poll appears at launch and disappears at close.
// Listens on the meeting's poll events (ws/polls/<meeting>/) and reloads the panel through
// htmx; reconnects with a growing pause. Small on purpose: the room consumer can take it over.
(function () {
  "use strict";
  var panel = document.getElementById("poll-panel");
  if (!panel || !window.WebSocket) { return; }
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + window.location.host + panel.dataset.socketPath;
  var pause = 1000;
  var connectedBefore = false;

  function reload() {
    window.htmx.ajax("GET", panel.dataset.panelUrl, { target: panel, swap: "innerHTML" });
  }

  function connect() {
    var socket = new WebSocket(url);
    socket.onopen = function () {
      pause = 1000;
      panel.dataset.live = "connected";
      if (connectedBefore) { reload(); }  // catch up on what happened while disconnected
      connectedBefore = true;
    };
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.event && data.event.indexOf("poll.") === 0) { reload(); }
    };
    socket.onclose = function () {
      panel.dataset.live = "disconnected";
      window.setTimeout(connect, pause);
      pause = Math.min(pause * 2, 30000);
    };
  }
  connect();
})();
