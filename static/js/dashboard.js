/* The dashboard's trend charts (Chart.js, vendored) and its print button. */
(function () {
  "use strict";
  var printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  var source = document.getElementById("trend-data");
  if (!source || typeof Chart === "undefined") { return; }
  var trend = JSON.parse(source.textContent);
  var labels = trend.map(function (p) { return Number(p.month.slice(5, 7)) + "月"; });
  function draw(id, label, key, color, max) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: key === "red" ? "bar" : "line",
      data: { labels: labels, datasets: [{ label: label, data: trend.map(function (p) { return p[key]; }),
        borderColor: color, backgroundColor: color, tension: 0.2 }] },
      options: { animation: false, responsive: true, plugins: { legend: { display: true } },
        scales: { y: { beginAtZero: true, suggestedMax: max } } }
    });
  }
  draw("chart-percent", "平均完成进度（%）", "avg_percent", "#0d6efd", 100);
  draw("chart-red", "红灯数", "red", "#dc3545", undefined);
  draw("chart-ontime", "按时报送率（%）", "on_time_share", "#198754", 100);
})();
