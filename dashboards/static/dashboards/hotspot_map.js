// The grid centres on a map, with the vendored Leaflet. Tiles only when the district names a tile
// server (MAP_TILE_URL); without one the circles are drawn on a plain background.
(function () {
  "use strict";
  var element = document.getElementById("hotspot-map");
  var source = document.getElementById("hotspot-points");
  if (!element || !source || typeof window.L === "undefined") { return; }
  var points = JSON.parse(source.textContent);
  var map = window.L.map(element, { scrollWheelZoom: false });
  // Leaflet inserts attributions and tooltips as HTML: names and configuration go in as text.
  function asText(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }
  if (element.dataset.tileUrl) {
    var attribution = asText(element.dataset.attribution || "").innerHTML;
    window.L.tileLayer(element.dataset.tileUrl, { attribution: attribution, maxZoom: 18 }).addTo(map);
  }
  var largest = Math.max.apply(null, points.map(function (p) { return p.new; }).concat([1]));
  var bounds = [];
  points.forEach(function (p) {
    var circle = window.L.circleMarker([p.lat, p.lng], {
      radius: 6 + 18 * Math.sqrt(p.new / largest),
      color: p.overdue ? "#b71c1c" : "#0b4f9c",
      fillOpacity: 0.5
    }).addTo(map);
    circle.bindTooltip(asText(p.name + ": " + p.new + " / " + p.overdue));
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length === 1) { map.setView(bounds[0], 15); } else { map.fitBounds(bounds, { padding: [20, 20] }); }
})();
