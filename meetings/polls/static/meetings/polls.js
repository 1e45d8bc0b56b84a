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

  // Each box is its own request's source: without one, htmx issues every request from
  // <body> and keeps only the last one queued behind a request in flight, so a console reload
  // queued after the panel's dropped the panel's (the launched poll never appeared).
  function fetchInto(box, url) {
    window.htmx.ajax("GET", url, { source: box, target: box, swap: "innerHTML" });
  }

  function reload() {
    if (!window.htmx) { return; }  // htmx loads deferred; until then the page is fresh anyway
    fetchInto(panel, panel.dataset.panelUrl);
    if (consoleBox) { fetchInto(consoleBox, consoleBox.dataset.consoleUrl); }
  }

  document.addEventListener("meeting:event", function (e) {
    var name = (e.detail && e.detail.event) || "";
    if (name === "poll.launched" || name === "poll.closed") {
      reload();
    } else if (name === "poll.prepared" && consoleBox && window.htmx) {
      // a poll prepared in another tab or by a co-host: the console lists it at once
      fetchInto(consoleBox, consoleBox.dataset.consoleUrl);
    } else if (name === "state") {
      states += 1;
      if (states > 1) { reload(); }
    }
  });
})();
