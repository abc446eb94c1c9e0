/* The dashboard's trend charts (Chart.js, vendored) and its print button. */
(function () {
  "use strict";
  var printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  var yearSelect = document.getElementById("year-select");
  if (yearSelect) {  // the year selector switches at once; its button is for no-script
    yearSelect.addEventListener("change", function () { yearSelect.form.submit(); });
  }
  var source = document.getElementById("trend-data");
  if (!source || typeof Chart === "undefined") { return; }
  var trend = JSON.parse(source.textContent);
  var lastSource = document.getElementById("last-year-data");
  var lastYear = lastSource ? JSON.parse(lastSource.textContent) : null;
  var labels = trend.map(function (p) { return Number(p.month.slice(5, 7)) + "月"; });
  function draw(id, label, key, color, max) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: key === "red" ? "bar" : "line",
      data: { labels: labels, datasets: datasets(label, key, color) },
      options: { animation: false, responsive: true, plugins: { legend: { display: true } },
        scales: { y: { beginAtZero: true, suggestedMax: max } } }
    });
  }
  function datasets(label, key, color) {
    var sets = [{ label: label, data: trend.map(function (p) { return p[key]; }),
      borderColor: color, backgroundColor: color, tension: 0.2 }];
    if (lastYear) {  // the same months of last year, greyed
      sets.push({ label: "上年同期", data: trend.map(function (p, i) {
        return lastYear[i] ? lastYear[i][key] : null; }),
        borderColor: "#6c757d", backgroundColor: "#adb5bd", borderDash: [4, 4], tension: 0.2 });
    }
    return sets;
  }
  draw("chart-percent", "平均完成进度（%）", "avg_percent", "#0d6efd", 100);
  draw("chart-red", "红灯数", "red", "#dc3545", undefined);
  draw("chart-ontime", "按时报送率（%）", "on_time_share", "#198754", 100);
})();
