/* Charts of the public recall history page (intelligence/search.html): the statistics come
   from the json_script block, the titles and words from data- attributes (translated). */
(function () {
  "use strict";
  var element = document.getElementById("intelligence-stats-data");
  if (!element || typeof echarts === "undefined") { return; }
  var stats = JSON.parse(element.textContent);
  var charts = [];

  function bar(id, labels, values, horizontal) {
    var box = document.getElementById(id);
    if (!box) { return; }
    var chart = echarts.init(box);
    var category = {type: "category", data: labels, axisLabel: {rotate: horizontal ? 0 : 30, width: 160, overflow: "truncate"}};
    var value = {type: "value", minInterval: 1};  // counts: whole ticks only
    chart.setOption({
      title: {text: box.dataset.title, textStyle: {fontSize: 13}}, tooltip: {},
      grid: {left: horizontal ? 170 : 50, right: 20, bottom: 60},
      xAxis: horizontal ? value : category, yAxis: horizontal ? category : value,
      series: [{type: "bar", data: values}]
    });
    charts.push(chart);
  }

  function buckets(id, rows) {
    var more = (document.getElementById(id) || {dataset: {}}).dataset.more || "+";
    bar(id, rows.map(function (b) {
      return b.to === null ? "≥ " + b.from.toLocaleString() + " (" + more + ")" : b.from.toLocaleString() + "–" + b.to.toLocaleString();
    }), rows.map(function (b) { return b.count; }), false);
  }

  var causes = stats.by_root_cause.slice().reverse();
  bar("chart-root-cause", causes.map(function (r) { return r.value; }), causes.map(function (r) { return r.count; }), true);
  bar("chart-year", stats.by_year.map(function (r) { return String(r.value); }), stats.by_year.map(function (r) { return r.count; }), false);
  // Recall class (FDA's I, II, III) and device class (1, 2, 3) are different scales: one chart each.
  bar("chart-recall-class", stats.by_recall_class.map(function (r) { return ["", "I", "II", "III"][r.value] || String(r.value); }), stats.by_recall_class.map(function (r) { return r.count; }), false);
  bar("chart-device-class", stats.by_device_class.map(function (r) { return String(r.value); }), stats.by_device_class.map(function (r) { return r.count; }), false);
  buckets("chart-duration", stats.duration.buckets);
  buckets("chart-quantity", stats.quantity.buckets);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
