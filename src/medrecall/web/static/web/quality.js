/* The quality dashboard's chart: root causes recorded in CAPAs, most frequent first. The data
   comes from a json_script block, the title from a data-title attribute. */
(function () {
  "use strict";
  var source = document.getElementById("root-cause-data");
  var element = document.getElementById("chart-root-causes");
  if (!source || !element || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(element);
  chart.setOption({
    title: {text: element.dataset.title, textStyle: {fontSize: 13}}, tooltip: {},
    grid: {left: 220},
    xAxis: {type: "value", minInterval: 1},
    yAxis: {type: "category", inverse: true, data: data.labels},
    series: [{type: "bar", data: data.counts}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
