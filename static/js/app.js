// Small behaviours every page may use, wired by data attributes so pages carry
// no inline script or on* handler (the CSP allows scripts from 'self' only).
(function () {
  "use strict";

  // <select data-autosubmit>: choosing submits its form (the team switcher).
  document.addEventListener("change", (event) => {
    const select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });

  // <button data-copy="text"> or <button data-copy-from="#id">: copies, then says so.
  function copyText(button) {
    if (button.dataset.copy !== undefined) return button.dataset.copy;
    const source = document.querySelector(button.dataset.copyFrom);
    return source ? (source.value !== undefined ? source.value : source.textContent).trim() : "";
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-copy], button[data-copy-from]");
    if (!button) return;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    const done = (text) => {
      button.textContent = text;
      setTimeout(() => { button.textContent = label; }, 1600);
    };
    const text = copyText(button);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Copy failed"));
    } else {
      // Plain-http servers have no clipboard API: select the text for Ctrl+C instead.
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      const ok = document.execCommand && document.execCommand("copy");
      area.remove();
      done(ok ? "Copied" : "Press Ctrl+C");
    }
  });

  // Copy buttons are useless without this script, so they start hidden.
  document.querySelectorAll("[data-copy], [data-copy-from]").forEach((button) => { button.hidden = false; });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    event.target.querySelectorAll("[data-copy], [data-copy-from]").forEach((button) => { button.hidden = false; });
  });
})();
