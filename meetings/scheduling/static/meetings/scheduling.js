// Move keyboard and screen-reader focus to the error summary after a refused submission.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});

// Lists of checkboxes (co-hosts) get a filter box: typing part of a name hides the others.
// Without this script the whole list shows; a checked box stays visible whatever the filter.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-filtered-choices]").forEach((box) => {
    const options = Array.from(box.querySelectorAll("[data-filter-text]"));
    const filter = box.querySelector(".filtered-choices__filter");
    const input = box.querySelector("[data-filter-input]");
    const count = box.querySelector("[data-filter-count]");
    if (!input || options.length < 2) {
      return;
    }
    filter.hidden = false;
    const apply = () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      options.forEach((option) => {
        const checked = option.querySelector("input:checked") !== null;
        const match = words.every((word) => option.dataset.filterText.includes(word));
        option.hidden = !(match || checked);
        if (!option.hidden) {
          shown += 1;
        }
      });
      count.textContent = words.length ? `${shown} / ${options.length}` : "";
    };
    input.addEventListener("input", apply);
    // Enter in the filter must not submit the whole form
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  });
});

// Copy buttons: data-copy names the element whose text goes to the clipboard; the result is
// announced in #copy-status (and shown on the button for a moment).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById("copy-status");
  if (!source) {
    return;
  }
  const text = source.tagName === "A" ? source.href : source.textContent;
  const report = (ok) => {
    if (status) {
      status.textContent = ok ? status.dataset.copied : status.dataset.copyFailed;
    }
    button.dataset.copied = ok ? "true" : "false";
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(() => report(true), () => report(false));
  } else {
    report(false);
  }
});
