// The invitation link carries the passcode in the URL fragment (#passcode=...), which the
// browser never sends to the server; fill it into the join form and drop it from the address.
(function () {
  "use strict";
  var match = /(?:^#|&)passcode=([^&]*)/.exec(window.location.hash);
  if (!match) { return; }
  var field = document.getElementById("id_passcode");
  if (field && !field.value) { field.value = decodeURIComponent(match[1]); }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
})();
