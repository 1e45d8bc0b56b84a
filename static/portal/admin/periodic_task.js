// django-celery-beat's periodic-task form: the human-readable crontab under the crontab field.
// The package ships this as an inline script, which the strict CSP blocks; the same behaviour
// from a static file (templates/admin/djcelery/change_periodictask_form.html).
(function () {
  "use strict";
  function setUp() {
    var data = document.getElementById("readable-crontabs");
    var select = document.getElementById("id_crontab");
    var translation = document.querySelector(".field-crontab_translation");
    if (translation) { translation.hidden = true; }
    if (!data || !select) { return; }
    var readable = JSON.parse(data.textContent);
    var help = document.querySelector(".field-crontab .help");
    var original = help ? help.textContent : "";
    var label = document.getElementById("readable-crontabs-prefix");
    var prefix = label ? label.textContent : "";
    function update() {
      if (!help) { return; }
      var text = readable[select.value];
      help.textContent = text ? original + " " + prefix + " " + text : original;
    }
    select.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
