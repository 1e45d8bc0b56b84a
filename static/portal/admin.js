// The admin's accessibility fixes that need a script (docs/DESIGN-SYSTEM.md, administration); loaded
// from the theme (templates/admin/base_site.html), no inline script (strict CSP).
(function () {
  "use strict";
  // Django's two-list selector (SelectFilter2.js) adds search icons as <span aria-label>:
  // a label on an element without a role is not announced (axe: aria-prohibited-attr).
  function nameIcons(root) {
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }
  new MutationObserver(function () { nameIcons(document); })
    .observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { nameIcons(document); });
}());
