// Waiting page and live room: one websocket per page; the server sends events, the page
// sends actions. Every other script may listen to "meeting:event" on document for events it
// handles itself (polls, recording indicator).
(function () {
  "use strict";
  var root = document.getElementById("live-root");
  if (!root) { return; }
  var strings = JSON.parse(document.getElementById("live-strings").textContent);
  var kind = root.dataset.kind;
  var me = Number(root.dataset.participant);
  var isHost = root.dataset.host === "true";
  var url = (window.location.protocol === "https:" ? "wss://" : "ws://") +
    window.location.host + root.dataset.socket;
  var socket = null;
  var finished = false;
  var delay = 500;
  // Sent while the socket is down: kept here and sent once it is back (not the heartbeat).
  var outbox = [];
  var OUTBOX_MAX = 100;
  // Chat messages shown on this page, so that the missed ones are asked for after a drop and
  // none is shown twice.
  var shownChat = {};
  var lastChatId = 0;

  function byId(id) { return document.getElementById(id); }
  function status(text) { var el = byId("live-status"); if (el) { el.textContent = text; } }
  function outcome(text) {
    var el = byId("live-outcome");
    if (el) { el.textContent = text; el.hidden = false; }
  }
  function finish(text) {
    finished = true;
    outcome(text);
    if (socket) { socket.close(); }
    root.querySelectorAll("button, textarea, select").forEach(function (el) {
      if (!el.closest("form[method='post']")) { el.disabled = true; }
    });
  }
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); return; }
    if (finished || message.action === "ping") { return; }
    if (outbox.length >= OUTBOX_MAX) { outbox.shift(); }
    outbox.push(message);
    status(strings.queued);
  }
  function flush() {
    var pending = outbox;
    outbox = [];
    pending.forEach(function (message) { socket.send(JSON.stringify(message)); });
  }
  // The participant list and the waiting list are roster.js' (batched, paginated).
  function renderLock(locked) {
    var badge = byId("lock-state");
    if (badge) {
      badge.textContent = locked ? strings.locked : strings.unlocked;
      badge.classList.toggle("badge--locked", locked);
    }
    var toggle = byId("toggle-lock");
    if (toggle) {
      toggle.dataset.locked = locked ? "true" : "false";
      toggle.textContent = locked ? strings.unlock : strings.lock;
    }
  }
  function appendChat(message) {
    var log = byId("chat-log");
    if (!log || shownChat[message.id]) { return; }
    shownChat[message.id] = true;
    lastChatId = Math.max(lastChatId, Number(message.id) || 0);
    var li = document.createElement("li");
    li.dataset.id = message.id;
    if (message.private) { li.className = "private"; }
    if (message.at) {
      var at = new Date(message.at);
      var time = document.createElement("time");
      time.className = "chat-time";
      time.dateTime = message.at;
      time.textContent = at.toLocaleTimeString(document.documentElement.lang || undefined,
        { hour: "2-digit", minute: "2-digit" });
      li.appendChild(time);
      li.appendChild(document.createTextNode(" "));
    }
    var sender = document.createElement("span");
    sender.className = "sender";
    sender.textContent = message.sender;
    li.appendChild(sender);
    if (message.private) {
      var to = document.createElement("span");
      to.className = "to";
      to.textContent = " → " + message.recipient + " (" + strings.private + ")";
      li.appendChild(to);
    }
    li.appendChild(document.createTextNode(": "));
    var text = document.createElement("span");
    text.className = "text";
    text.textContent = message.text;
    li.appendChild(text);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function notice(text) {
    var el = byId("recording-notice");
    if (el) { el.textContent = text; el.hidden = false; }
  }
  function renderRecording(running) {
    var el = byId("room-recording");
    if (!el) { return; }
    el.dataset.running = running ? "true" : "false";
    el.classList.toggle("badge--recording", running);
    el.textContent = running ? strings.recording_on : strings.recording_off;
  }

  var handlers = {
    state: function (p) {
      if (kind === "waiting" && p.state === "admitted") { window.location.reload(); return; }
      if (kind === "room" && p.state !== "admitted") { window.location.reload(); return; }
      if (p.chat) { p.chat.forEach(appendChat); }
      if (kind === "room") { renderLock(p.locked); }
    },
    // after "admit all" of a lecture the pages come in spread over up to a few seconds
    admitted: function (p) {
      if (kind === "waiting") { window.setTimeout(function () { window.location.reload(); }, Math.random() * (p.spread_ms || 0)); }
    },
    declined: function () { finish(strings.declined); },
    // nothing of the meeting stays on screen: the page is left for one that shows none of it
    removed: function () {
      finish(strings.removed);
      window.location.replace(root.dataset.removedUrl);
    },
    ended: function () { finished = true; window.location.assign(root.dataset.endedUrl); },
    locked: function (p) { renderLock(p.locked); },
    chat: function (p) { appendChat(p.message); },
    time_warning: function (p) {
      var el = byId("time-warning");
      if (el) { el.textContent = strings.time_warning.replace("{minutes}", p.minutes_left); el.hidden = false; }
    },
    "recording.started": function () { renderRecording(true); },
    "recording.stopped": function (p) {
      renderRecording(false);
      if (isHost && p.reason === "consent_withdrawn") { notice(strings.recording_stopped_withdrawn); }
    },
    // hosts: the recorded files could not be converted (retried, then reported for good)
    "recording.conversion_failed": function (p) {
      notice(p.final ? strings.conversion_failed : strings.conversion_retry);
    },
    // the host asked again for consent (only the participants it targets receive it)
    "consent.requested": function () { var el = byId("consent-prompt"); if (el) { el.hidden = false; } },
    // this participant waits because a recording runs and they have not consented
    "recording.held": function (p) {
      var el = byId("recording-held");
      if (!el) { return; }
      if (p.consent_url) { byId("recording-held-link").href = p.consent_url; }
      el.hidden = false;
    },
    // host: who was kept in the waiting room by "admit" during a recording
    admission_held: function (p) {
      var el = byId("admission-held");
      if (!el) { return; }
      el.textContent = strings.held.replace("{names}", p.held.map(function (h) { return h.name; }).join(", "));
      el.hidden = false;
    },
    error: function (p) { status(strings["error_" + p.code] || strings.error_bad_request); }
  };

  function connect() {
    socket = new WebSocket(kind === "room" ? url + "?chat_after=" + lastChatId : url);
    socket.addEventListener("open", function () { delay = 500; status(strings.connected); flush(); });
    socket.addEventListener("message", function (e) {
      var data = JSON.parse(e.data);
      var handler = handlers[data.event];
      if (handler) { handler(data.payload || {}); }
      document.dispatchEvent(new CustomEvent("meeting:event", { detail: data }));
    });
    socket.addEventListener("close", function () {
      if (finished) { return; }
      // what is waiting in the outbox is still said after every failed attempt
      status(outbox.length ? strings.queued : strings.reconnecting);
      // jittered, so that a thousand pages of a restarted server do not come back at once
      window.setTimeout(connect, delay / 2 + Math.random() * delay);
      delay = Math.min(delay * 2, 8000);
    });
  }

  root.addEventListener("click", function (e) {
    var target = e.target.closest("button[data-action]");
    if (target && target.dataset.action === "remove" &&
        !window.confirm(strings.confirm_remove.replace("{name}", target.dataset.name || ""))) {
      return;
    }
    if (target) {
      send({ action: target.dataset.action, participant: Number(target.dataset.participant) });
    }
  });
  var admitAll = byId("admit-all");
  if (admitAll) { admitAll.addEventListener("click", function () { send({ action: "admit_all" }); }); }
  var toggle = byId("toggle-lock");
  if (toggle) {
    toggle.addEventListener("click", function () {
      send({ action: toggle.dataset.locked === "true" ? "unlock" : "lock" });
    });
  }
  var end = byId("end-meeting");
  if (end) {
    end.addEventListener("click", function () {
      if (window.confirm(strings.confirm_end)) { send({ action: "end" }); }
    });
  }
  var chatForm = byId("chat-form");
  if (chatForm) {
    // Enter sends, Shift+Enter starts a new line (as in other chats)
    byId("chat-text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        chatForm.requestSubmit();
      }
    });
    chatForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = byId("chat-text");
      var to = byId("chat-to").value;
      if (!text.value.trim()) { return; }
      send({ action: "chat", text: text.value, to: to ? Number(to) : null });
      text.value = "";
      text.focus();
    });
  }
  // other scripts of the room (media.js) send their actions through this page's socket
  document.addEventListener("meeting:send", function (e) { send(e.detail); });
  document.querySelectorAll("#chat-log li[data-id]").forEach(function (li) {
    shownChat[li.dataset.id] = true;
    lastChatId = Math.max(lastChatId, Number(li.dataset.id) || 0);
  });
  // the heartbeat also lets the server check the licence's time limit without a worker
  window.setInterval(function () { send({ action: "ping" }); }, 30000);
  connect();
})();
