/* The recall cockpit's charts: maps of China's provinces and of countries (GeoJSON vendored
   under vendor/maps, loaded from this server) and the burn-down. The figures come from the
   json_script block of the figures partial; after htmx swaps the partial in again (live
   refresh) the charts are drawn anew. A click on a region opens the holders behind it. */
(function () {
  "use strict";
  var maps = {};

  function data() {
    var element = document.getElementById("cockpit-data");
    return element ? JSON.parse(element.textContent) : null;
  }

  function loadMap(name, url) {
    if (!maps[name]) {
      maps[name] = fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (geo) { echarts.registerMap(name, geo); return name; });
    }
    return maps[name];
  }

  // A map of regions shaded by their units; ``points``: regions drawn as a dot at their
  // position (the world map's countries too small to see as a shape, or not drawn on it).
  function count(n) { return Number(n).toLocaleString(document.documentElement.lang || undefined); }

  // ``units``: the word for what the shade counts, in the page's language (the legend's ends
  // read "0" and "12,345 units").
  function drawMap(elementId, name, nameProperty, rows, names, points, units) {
    var element = document.getElementById(elementId);
    if (!element || typeof echarts === "undefined") { return; }
    loadMap(name, element.dataset.geo).then(function () {
      var chart = echarts.init(element);
      var max = rows.reduce(function (m, r) { return Math.max(m, r.value); }, 0);
      points = points || [];
      chart.setOption({
        tooltip: {trigger: "item", formatter: function (p) {
          var label = p.data && (p.data.country || p.data.label) ?
            (p.data.country || p.data.label) : (names && names[p.name]) || p.name;
          return label + (p.value ? ": " + p.value : "");
        }},
        visualMap: {min: 0, max: max || 1, calculable: false, left: "left", bottom: 0, itemHeight: 80,
          seriesIndex: 0, text: [count(max) + " " + units, "0"], textGap: 6,
          textStyle: {fontSize: 12, color: "#444"}},
        series: [{type: "map", map: name, nameProperty: nameProperty, roam: true,
          emphasis: {label: {show: false}},
          data: rows.map(function (r) { return {name: r.code, value: r.value, label: r.name}; }),
          // Regions too small to see as a shape (or not drawn): a point at their position,
          // which moves and zooms with the map.
          markPoint: {symbol: "circle", symbolSize: 10, label: {show: false},
            itemStyle: {color: "#c0392b", borderColor: "#fff", borderWidth: 1},
            data: points.map(function (r) {
              return {name: r.code, coord: r.coord, value: r.value, country: r.name};
            })}}]
      });
      chart.on("click", function (p) {
        if (p.data && p.data.value) { window.location.href = element.dataset.drill + encodeURIComponent(p.name); }
      });
      element.dataset.points = points.map(function (r) { return r.code; }).join(" ");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function drawBurnDown(figures) {
    var element = document.getElementById("chart-burn-down");
    if (!element || typeof echarts === "undefined") { return; }
    var chart = echarts.init(element);
    chart.setOption({
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: figures.burn_down.map(function (p) { return p[0]; })},
      yAxis: {type: "value", min: 0},
      series: [{type: "line", name: figures.labels.still_at_holders, step: "end", areaStyle: {},
        data: figures.burn_down.map(function (p) { return p[1]; })}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw() {
    var figures = data();
    if (!figures) { return; }
    var units = figures.labels.units;
    drawMap("map-china", "medrecall-china", "iso", figures.provinces, figures.province_names, [], units);
    drawMap("map-world", "medrecall-world", "iso_a2", figures.countries, null, figures.country_points,
      units);
    drawBurnDown(figures);
  }

  document.addEventListener("DOMContentLoaded", draw);
  // The figures partial swapped in again (live refresh): draw its charts anew.
  document.addEventListener("htmx:afterSettle", function () {
    if (document.getElementById("cockpit-data")) { draw(); }
  });
})();
