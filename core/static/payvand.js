// Payvand's small JavaScript layer: CSRF on htmx requests and confirmation of dangerous actions.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
  // Forms marked data-swap-errors answer 422 with their fields' errors: show them in place.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    // htmx 2 fires beforeSwap on the target (detail.elt); the form that asked is requestConfig.elt.
    var elt = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
    if (event.detail.xhr.status === 422 && elt && elt.closest && elt.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // Forms marked data-reset-on-success are emptied after htmx sent them successfully (chat replies).
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.successful && elt && elt.matches && elt.matches("form[data-reset-on-success]")) { elt.reset(); }
  });
  // A list marked data-unique-children="attr" keeps the first child of each attr value (two
  // htmx responses appending the same chat message show it once).
  document.body.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-unique-children]").forEach(function (list) {
      var attr = list.getAttribute("data-unique-children");
      var seen = {};
      Array.prototype.slice.call(list.children).forEach(function (child) {
        var key = child.getAttribute(attr);
        if (key === null) { return; }
        if (seen[key]) { child.remove(); } else { seen[key] = true; }
      });
    });
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Behaviours named by data attributes (the Content-Security-Policy allows no inline handlers):
  // data-print prints the page; data-pick-value="V" fills the input of the closest form chosen
  // by the selector data-pick-input with V, and shows data-pick-label in the element chosen by
  // data-pick-shown;
  // data-search-on-enter makes Enter trigger the htmx "search" event instead of submitting.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) { return; }
    var printer = target.closest("[data-print]");
    if (printer) { window.print(); return; }
    var pick = target.closest("[data-pick-value]");
    if (!pick) { return; }
    var form = pick.closest("form");
    var box = form && form.querySelector(pick.getAttribute("data-pick-input") || "[name=customer_id]");
    if (!box) { return; }
    box.value = pick.getAttribute("data-pick-value");
    var shownSelector = pick.getAttribute("data-pick-shown");
    var shown = shownSelector && form.querySelector(shownSelector);
    if (shown && pick.hasAttribute("data-pick-label")) { shown.textContent = pick.getAttribute("data-pick-label"); }
    box.focus();
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key === "Enter" && box.hasAttribute && box.hasAttribute("data-search-on-enter") && window.htmx) {
      event.preventDefault();
      window.htmx.trigger(box, "search");
    }
  });
})();
