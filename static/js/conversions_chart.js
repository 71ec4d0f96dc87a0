// The report's chart: Chart.js (vendored) draws the figures that the page gives in a JSON script
// element; the table beside it holds the same figures for whoever cannot see the chart.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("conversions-chart");
  const source = document.getElementById("conversions-chart-data");
  if (!canvas || !source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  // Bootstrap's palette, told apart by dashes as well as colour.
  const colours = ["#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d"];
  const dashes = [[], [6, 3], [2, 2], [8, 3, 2, 3]];
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.series.map((line, n) => ({
        label: line.goal,
        data: line.counts,
        borderColor: colours[n % colours.length],
        backgroundColor: colours[n % colours.length],
        borderDash: dashes[Math.floor(n / colours.length) % dashes.length],
        pointRadius: data.labels.length > 45 ? 0 : 2,
        tension: 0.2,
      })),
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
});
