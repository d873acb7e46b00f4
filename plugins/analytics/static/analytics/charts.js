// Draws every chart of an analytics page from the JSON block beside its canvas (no inline
// script: the page's Content-Security-Policy runs only files served by the app). Each chart
// also has a table view (a <table> in the same figure), which is what screen readers read.
(function () {
  "use strict";
  var colours = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#d63384", "#20c997"];
  function draw(figure) {
    var data = figure.querySelector("script[type='application/json']");
    var canvas = figure.querySelector("canvas");
    if (!data || !canvas || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(data.textContent);
    var rtl = document.documentElement.dir === "rtl";
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          return {label: s.label, data: s.data, backgroundColor: colours[i % colours.length],
                  borderColor: colours[i % colours.length], fill: false, pointRadius: spec.labels.length > 30 ? 0 : 3};
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, locale: document.documentElement.lang,
        plugins: {legend: {rtl: rtl}, tooltip: {rtl: rtl}},
        scales: {x: {reverse: rtl, title: {display: !!spec.x, text: spec.x}}, y: {beginAtZero: true}}
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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("figure[data-chart]").forEach(draw);
    document.addEventListener("click", toggle);
  });
})();
