/* The burn-up chart of a recall's budget page: actual cost cumulated by day, the forecast at
   completion, and the budget line. Data from the json_script block "burn-up-data". */
(function () {
  "use strict";
  var element = document.getElementById("burn-up-data");
  var target = document.getElementById("chart-burn-up");
  if (!element || !target) { return; }
  var d = JSON.parse(element.textContent);
  var series = [
    {name: d.labels.actual, type: "line", step: "end", data: d.actual, connectNulls: false},
    {name: d.labels.forecast, type: "line", lineStyle: {type: "dashed"}, data: d.forecast, connectNulls: true}
  ];
  if (d.budget !== null) {
    series.push({name: d.labels.budget, type: "line", symbol: "none", lineStyle: {type: "dotted", color: "#c0392b"},
      data: d.days.map(function () { return d.budget; })});
  }
  var chart = echarts.init(target);
  chart.setOption({
    title: {text: target.dataset.title, textStyle: {fontSize: 13}}, tooltip: {trigger: "axis"},
    legend: {bottom: 0}, xAxis: {type: "category", data: d.days}, yAxis: {type: "value"},
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
