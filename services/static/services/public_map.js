// The public request map: one circle per grid centre, sized by its public requests. Never a finer
// position than the grid. Drawn only when the page has points, which it has only with a tile server.
(function () {
  "use strict";
  var element = document.getElementById("public-map");
  var source = document.getElementById("public-map-points");
  if (!element || !source || typeof window.L === "undefined") { return; }
  var points = JSON.parse(source.textContent);
  if (!points.length) { return; }
  var map = window.L.map(element, { scrollWheelZoom: false });
  // Leaflet inserts attributions and tooltips as HTML: names and configuration go in as text.
  function asText(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }
  var attribution = asText(element.dataset.attribution || "").innerHTML;
  window.L.tileLayer(element.dataset.tileUrl, { attribution: attribution, maxZoom: 18 }).addTo(map);
  var largest = Math.max.apply(null, points.map(function (p) { return p.count; }).concat([1]));
  var bounds = [];
  points.forEach(function (p) {
    window.L.circleMarker([p.lat, p.lng], { radius: 6 + 18 * Math.sqrt(p.count / largest), color: "#0b4f9c", fillOpacity: 0.5 })
      .addTo(map)
      .bindTooltip(asText(p.name + ": " + p.count));
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length === 1) { map.setView(bounds[0], 15); } else { map.fitBounds(bounds, { padding: [20, 20] }); }
})();
