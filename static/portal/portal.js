// The design system's behaviour (docs/DESIGN-SYSTEM.md), loaded by base.html with `defer`; no inline
// script or style is needed (strict CSP). Every page works without it: tables stay tables,
// copy buttons are hidden until this file shows them.
(function () {
  "use strict";

  // Tables reflow below 40rem (WCAG 1.4.10): each cell gets its column header as data-label,
  // which portal.css shows above the value when the rows are stacked.
  function labelTables(root) {
    root.querySelectorAll("main table:not([data-reflow]):not(.no-reflow)").forEach(function (table) {
      var headers = [];
      var head = table.tHead && table.tHead.rows[0];
      if (!head) { return; }
      Array.prototype.forEach.call(head.cells, function (cell) {
        var span = cell.colSpan || 1;
        for (var i = 0; i < span; i += 1) { headers.push(cell.textContent.trim()); }
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (!cell.hasAttribute("data-label") && cell.colSpan < headers.length) {
              cell.setAttribute("data-label", headers[column] || "");
            }
            column += cell.colSpan || 1;
          });
        });
      });
      table.setAttribute("data-reflow", "");
    });
  }

  // Toasts: short feedback in a polite live region (#toasts in base.html), gone after 4 s.
  function toast(message) {
    var region = document.getElementById("toasts");
    if (!region) { return; }
    var item = document.createElement("p");
    item.className = "toast";
    item.textContent = message;
    region.appendChild(item);
    window.setTimeout(function () { item.remove(); }, 4000);
  }

  // Copy buttons: <button type="button" class="copy-button" data-copy-target="#id"> copies the
  // target's value or text; data-copy-text copies a fixed text. They are hidden (the `hidden`
  // attribute) until this script can serve them.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var done = document.execCommand("copy");
      area.remove();
      if (done) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function setUpCopyButtons(root) {
    root.querySelectorAll(".copy-button[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".copy-button");
    if (!button) { return; }
    var text = button.getAttribute("data-copy-text");
    var selector = button.getAttribute("data-copy-target");
    if (text === null && selector) {
      var target = document.querySelector(selector);
      if (target) { text = "value" in target && target.value !== undefined ? target.value : target.textContent.trim(); }
    }
    if (!text) { return; }
    var region = document.getElementById("toasts");
    copyText(text).then(function () {
      button.setAttribute("data-copied", "");
      toast(button.getAttribute("data-copied-message") || (region && region.getAttribute("data-copied")) || "Copied");
      window.setTimeout(function () { button.removeAttribute("data-copied"); }, 2000);
    }, function () {
      toast((region && region.getAttribute("data-copy-failed")) || "Copy failed");
    });
  });

  // Confirmation: <form data-confirm="Remove Alice?"> asks before it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  function setUp(root) {
    labelTables(root);
    setUpCopyButtons(root);
  }

  window.portal = { toast: toast, setUp: setUp };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
  // htmx swaps in new rows and buttons: label and show them as well
  document.addEventListener("htmx:afterSettle", function (event) { setUp(event.target.ownerDocument || document); });
}());
