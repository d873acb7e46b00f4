// The SLA achievement chart: reads its figures from the canvas's data-chart (no inline script).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("sla-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(canvas.dataset.chart);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: canvas.dataset.first, data: data.first },
        { label: canvas.dataset.resolution, data: data.resolution },
      ],
    },
    options: { scales: { y: { min: 0, max: 100 } }, locale: document.documentElement.lang || "fa" },
  });
});
