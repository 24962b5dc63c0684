/* ECharts on the recall page (impact by category and region) and the trace page (distribution
   graph). The data comes from json_script blocks, the titles from data-title attributes. */
(function () {
  "use strict";

  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  var impact = data("impact-data");
  if (impact) {
    var category = document.getElementById("chart-category");
    echarts.init(category).setOption({
      title: {text: category.dataset.title, textStyle: {fontSize: 13}}, tooltip: {},
      series: [{type: "pie", radius: "60%", data: Object.keys(impact.by_category).map(function (k) {
        return {name: impact.category_labels[k] || k, value: impact.by_category[k]};
      })}]
    });
    var regions = {};
    impact.by_region.forEach(function (r) {
      var k = (r.location__country || "?") + " " + (r.location__province || "");
      regions[k] = (regions[k] || 0) + r.units;
    });
    var region = document.getElementById("chart-region");
    echarts.init(region).setOption({
      title: {text: region.dataset.title, textStyle: {fontSize: 13}}, tooltip: {},
      xAxis: {type: "category", data: Object.keys(regions), axisLabel: {rotate: 30}}, yAxis: {type: "value"},
      series: [{type: "bar", data: Object.values(regions)}]
    });
  }

  var g = data("trace-graph-data");
  if (g) {
    var chart = echarts.init(document.getElementById("trace-graph"));
    chart.setOption({
      tooltip: {formatter: function (p) {
        return p.dataType === "edge" ? p.data.source + " → " + p.data.target + ": " + p.data.value
          : p.name + (p.data.tooltip ? " · " + p.data.tooltip : "") + " (" + p.data.value + ")";
      }},
      legend: [{data: g.categories.map(function (c) { return c.name; })}],
      series: [{type: "graph", layout: "force", roam: true, draggable: true, label: {show: true},
        force: {repulsion: 260, edgeLength: 120}, edgeSymbol: ["none", "arrow"], categories: g.categories,
        data: g.nodes.map(function (n) { return Object.assign({symbolSize: 18 + Math.min(30, Math.sqrt(n.value || 0))}, n); }),
        links: g.links.map(function (l) { return Object.assign({label: {show: true, formatter: String(l.value)}}, l); })}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
})();
