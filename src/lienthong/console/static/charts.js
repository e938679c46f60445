// Draws each figure's chart from its own table (data-chart: bar or line; data-series: the
// column numbers drawn against the first column). Without JavaScript the table stays.
(function () {
  "use strict";
  function number(text) {
    var value = parseFloat(String(text).replace(",", "."));
    return isNaN(value) ? null : value;
  }
  function draw(holder) {
    var table = document.getElementById(holder.getAttribute("data-for"));
    if (!table || typeof echarts === "undefined") { return; }
    var kind = table.getAttribute("data-chart") === "line" ? "line" : "bar";
    var columns = table.getAttribute("data-series").split(",").map(Number);
    var names = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent; });
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var labels = rows.map(function (r) { return r.cells[0].textContent; });
    var series = columns.map(function (col) {
      return {
        name: names[col], type: kind,
        data: rows.map(function (r) { return number(r.cells[col].textContent); })
      };
    });
    var chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value" },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-for]"), draw);
  });
})();
