// The live room's poll panel and the host's poll controls: a poll appears at launch and
// disappears at close. No websocket of its own: live.js re-emits every event of the room's
// socket as a "meeting:event" DOM event; on a poll event the panel (and, for hosts, the
// console) is fetched again through htmx. A fresh "state" event (the room socket reconnected)
// catches up on what happened while disconnected.
(function () {
  "use strict";
  var panel = document.getElementById("poll-panel");
  if (!panel) { return; }
  var consoleBox = document.getElementById("poll-console");
  var states = 0;

  function reload() {
    if (!window.htmx) { return; }  // htmx loads deferred; until then the page is fresh anyway
    window.htmx.ajax("GET", panel.dataset.panelUrl, { target: panel, swap: "innerHTML" });
    if (consoleBox) {
      window.htmx.ajax("GET", consoleBox.dataset.consoleUrl, { target: consoleBox, swap: "innerHTML" });
    }
  }

  document.addEventListener("meeting:event", function (e) {
    var name = (e.detail && e.detail.event) || "";
    if (name === "poll.launched" || name === "poll.closed") {
      reload();
    } else if (name === "poll.prepared" && consoleBox && window.htmx) {
      // a poll prepared in another tab or by a co-host: the console lists it at once
      window.htmx.ajax("GET", consoleBox.dataset.consoleUrl, { target: consoleBox, swap: "innerHTML" });
    } else if (name === "state") {
      states += 1;
      if (states > 1) { reload(); }
    }
  });
})();
