// Chart.js defaults for every chart of the app, loaded right after the vendored Chart.js (both
// `defer`, so in that order, before any page script draws): numbers in the page's language,
// zero included — Chart.js writes the tick 0 as "0" whatever the locale, beside "۲۰" and "۴۰".
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var lang = document.documentElement.lang || "en";
  var numeric = Chart.Ticks.formatters.numeric;
  var zero = new Intl.NumberFormat(lang).format(0);
  Chart.defaults.locale = lang;
  Chart.defaults.scales.linear.ticks.callback = function (value, index, ticks) {
    return value === 0 ? zero : numeric.call(this, value, index, ticks);
  };
})();
