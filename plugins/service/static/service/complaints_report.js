// The complaints chart: volume per period from the canvas's data-chart (no inline script).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("complaints-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(canvas.dataset.chart);
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: canvas.dataset.label, data: data.values }] },
    options: { scales: { y: { min: 0, ticks: { precision: 0 } } }, locale: document.documentElement.lang || "fa" },
  });
});
