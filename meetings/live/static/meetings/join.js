// The invitation link carries the passcode in the URL fragment (#passcode=...), which the
// browser never sends to the server; fill it into the join form and drop it from the address.
//
// The passcode is also kept in this tab's sessionStorage under the meeting's join path, so
// that it survives the single sign-on and terms pages when a member logs in from the join
// page (or from the "Please log in first" page): back on the join page the form is filled
// in, and sent at once when the login was started from here. It never enters a URL the
// server sees, so it reaches no access log.
(function () {
  "use strict";
  var PREFIX = "portal.join.passcode:";
  var AUTO = "portal.join.after-login:";
  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function joinPathOf(href) {
    try {
      var next = new URL(href, window.location.href).searchParams.get("next");
      return next && next.indexOf("/meetings/join/") === 0 ? next : null;
    } catch (e) { return null; }
  }
  var storage = store();
  // login links (join page and refusal page): remember to come back and join
  document.querySelectorAll("a[data-join-login]").forEach(function (link) {
    link.addEventListener("click", function () {
      var path = joinPathOf(link.href);
      if (storage && path) { storage.setItem(AUTO + path, "1"); }
    });
  });
  var form = document.getElementById("join-form");
  if (!form) { return; }
  var path = window.location.pathname;
  var field = document.getElementById("id_passcode");
  var match = /(?:^#|&)passcode=([^&]*)/.exec(window.location.hash);
  if (match) {
    var given = decodeURIComponent(match[1]);
    if (field && !field.value) { field.value = given; }
    if (storage) { storage.setItem(PREFIX + path, given); }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  }
  var kept = storage ? storage.getItem(PREFIX + path) : null;
  if (field && !field.value && kept) { field.value = kept; }
  form.addEventListener("submit", function () {
    if (storage && field && field.value) { storage.setItem(PREFIX + path, field.value); }
  });
  var afterLogin = storage && storage.getItem(AUTO + path) === "1";
  if (afterLogin && form.dataset.member === "true") {
    storage.removeItem(AUTO + path);
    var errors = document.getElementById("error-summary");
    if (field && field.value && !errors) {
      storage.removeItem(PREFIX + path);
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  }
})();

// "Not started yet": the page asks every few seconds (htmx); once the host has started the
// meeting the server answers with the event "meeting-started" and the filled form is sent.
document.body.addEventListener("meeting-started", function () {
  "use strict";
  var form = document.getElementById("join-form");
  var notice = document.getElementById("not-started");
  if (notice) { notice.removeAttribute("hx-trigger"); }
  if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
});
