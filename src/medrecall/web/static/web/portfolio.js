/* ECharts on the portfolio page: recalls opened and completed per month, recalls per device
   model (the page shown), mean days from decision to completion. The data comes from
   json_script blocks, the titles from data-title attributes (no inline script: CSP). */
(function () {
  "use strict";

  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function bars(id, categories, series, horizontal) {
    var element = document.getElementById(id);
    if (!element || !categories.length) { return; }
    var chart = echarts.init(element);
    var names = {type: "category", data: categories, axisLabel: {rotate: horizontal ? 0 : 30}};
    var values = {type: "value", minInterval: 1};
    chart.setOption({
      title: {text: element.dataset.title, textStyle: {fontSize: 13}}, tooltip: {trigger: "axis"},
      legend: {bottom: 0}, grid: {top: 40, bottom: 36, containLabel: true},
      xAxis: horizontal ? values : names, yAxis: horizontal ? names : values,
      series: series.map(function (s) { return {type: "bar", name: s.name, data: s.data}; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var p = data("portfolio-data");
  if (p) {
    bars("chart-months", p.months, [{name: p.labels.opened, data: p.opened}, {name: p.labels.completed, data: p.completed}]);
    bars("chart-days", p.days_months, [{name: p.labels.days, data: p.days}]);
  }
  var products = data("portfolio-products");
  if (products) {
    bars("chart-products", products.names, [{name: products.labels.recalls, data: products.recalls}, {name: products.labels.open, data: products.open}], true);
  }
})();
