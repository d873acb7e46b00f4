// The Evaluation report's charts: each canvas reads its figures from data-chart (no inline script).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas.evaluation-chart").forEach((canvas) => {
    const data = JSON.parse(canvas.dataset.chart);
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: canvas.dataset.score, data: data.scores }] },
      options: { locale: document.documentElement.lang || "fa" },
    });
  });
});
