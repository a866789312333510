// Draws each <canvas data-chart="ID"> from the JSON in <script id="ID">, with the vendored
// Chart.js. The table next to every chart holds the same figures; without JavaScript it is the chart.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var colours = ["#0b4f9c", "#b71c1c", "#2e7d32", "#6a1b9a"];
  var dark = document.body.classList.contains("screen");
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    spec.datasets.forEach(function (dataset, i) {
      var colour = dark ? ["#8fc3ff", "#ff8a80"][i % 2] : colours[i % colours.length];
      dataset.borderColor = colour;
      dataset.backgroundColor = colour;
    });
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        color: dark ? "#f2f5f8" : "#1a1a1a",
        scales: {
          x: { ticks: { color: dark ? "#f2f5f8" : "#1a1a1a" } },
          y: { beginAtZero: true, ticks: { color: dark ? "#f2f5f8" : "#1a1a1a" } }
        }
      }
    });
  });
})();
