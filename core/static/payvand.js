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
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
