/* Page behaviour that used to be written inline; kept here so that the Content-Security-Policy
   allows no inline script (docs/security.md). Loaded with `defer` on every page. */
(function () {
  "use strict";

  // The language switch submits itself on change (the <noscript> button does it without script).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // htmx forms that start empty again after each answer (scan boxes), focus back on their input.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-reset-after-request")) { return; }
    form.reset();
    var focus = form.getAttribute("data-focus-after");
    var input = focus ? form.querySelector(focus) : null;
    if (input) { input.focus(); }
  });

  // Imports: "keep the good rows" is offered only for the kinds that allow it.
  var kind = document.getElementById("import-kind");
  if (kind) {
    kind.addEventListener("change", function () {
      var offered = kind.selectedOptions[0].dataset.keepGood === "1", box = document.getElementById("keep-good");
      box.hidden = !offered; box.querySelector("input").disabled = !offered;
      if (!offered) { box.querySelector("input").checked = false; }
      document.getElementById("keep-good-absent").hidden = offered;
    });
  }
})();
