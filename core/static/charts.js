// The app's charts (macros/chart.html), loaded after the vendored Chart.js. Draws every
// figure[data-chart] from the JSON block beside its canvas (no inline script: the page's
// Content-Security-Policy runs only files served by the app). Each chart also has a table view
// (a <table> in the same figure or beside it), which is what screen readers read. A
// [data-chart-toggle] button swaps a figure's chart and table; a [data-chart-png] button saves
// its figure's chart as a PNG file (canvas.toDataURL). Every chart on the page, its own script's
// too, writes numbers in the page's language, zero included (Chart.js writes the tick 0 as "0"
// whatever the locale, beside "۲۰" and "۴۰"), and amounts from a million up in short form.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var lang = document.documentElement.lang || "en";
  var numeric = Chart.Ticks.formatters.numeric;
  var zero = new Intl.NumberFormat(lang).format(0);
  // Amounts in rials run to billions: from a million up, ticks read "۹ میلیارد" / "9B".
  var compact = new Intl.NumberFormat(lang, {notation: "compact", maximumFractionDigits: 1});
  Chart.defaults.locale = lang;
  Chart.defaults.scales.linear.ticks.callback = function (value, index, ticks) {
    if (value === 0) { return zero; }
    if (Math.abs(value) >= 1e6) { return compact.format(value); }
    return numeric.call(this, value, index, ticks);
  };
  var colours = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#d63384", "#20c997"];
  // A white background under every chart, so a saved PNG reads on any viewer.
  var background = {id: "payvandBackground", beforeDraw: function (chart) {
    var ctx = chart.ctx;
    ctx.save();
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  }};
  function draw(figure) {
    var data = figure.querySelector("script[type='application/json']");
    var canvas = figure.querySelector("canvas");
    if (!data || !canvas) { return; }
    var spec = JSON.parse(data.textContent);
    var rtl = document.documentElement.dir === "rtl";
    var category = {reverse: rtl && !spec.horizontal, title: {display: !!spec.x, text: spec.x},
                    position: spec.horizontal ? (rtl ? "right" : "left") : "bottom"};
    var value = {beginAtZero: true, reverse: rtl && !!spec.horizontal};
    new Chart(canvas, {
      type: spec.type,
      plugins: [background],
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          return {label: s.label, data: s.data, backgroundColor: colours[i % colours.length],
                  borderColor: colours[i % colours.length], fill: false, pointRadius: spec.labels.length > 30 ? 0 : 3};
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: spec.horizontal ? "y" : "x",
        plugins: {legend: {rtl: rtl}, tooltip: {rtl: rtl}},
        scales: spec.horizontal ? {x: value, y: category} : {x: category, y: value}
      }
    });
  }
  function toggle(event) {
    var button = event.target.closest("[data-chart-toggle]");
    if (!button) { return; }
    var figure = button.closest("figure");
    var table = figure.querySelector(".chart-table");
    var chart = figure.querySelector(".chart-box");
    var showTable = table.hidden;
    table.hidden = !showTable;
    chart.hidden = showTable;
    button.setAttribute("aria-pressed", showTable ? "true" : "false");
  }
  function savePng(event) {
    var button = event.target.closest("[data-chart-png]");
    if (!button) { return; }
    var canvas = button.closest("figure").querySelector("canvas");
    if (!canvas) { return; }
    var link = document.createElement("a");
    link.href = canvas.toDataURL("image/png");
    link.download = button.getAttribute("data-filename") || "chart.png";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("figure[data-chart]").forEach(draw);
    document.addEventListener("click", toggle);
    document.addEventListener("click", savePng);
  });
})();
