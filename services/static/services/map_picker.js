// The request form's map (services/_map_picker.html): tapping it marks the spot and fills the hidden
// latitude/longitude fields. A grid chosen in the list still wins when the request is placed.
(function () {
  var box = document.getElementById("map-picker");
  if (!box || !window.L) { return; }
  var data = box.dataset;
  var latField = document.getElementById("id_lat");
  var lngField = document.getElementById("id_lng");
  var status = document.getElementById("map-picker-status");

  var map = L.map(box, {
    center: [parseFloat(data.lat), parseFloat(data.lng)],
    zoom: parseInt(data.zoom, 10),
    // On a phone one finger must scroll the page past a full-width map, not trap it;
    // two fingers still move and zoom the map.
    dragging: !L.Browser.mobile,
    scrollWheelZoom: false,
    zoomControl: false
  });
  L.control.zoom({ zoomInTitle: data.zoomIn, zoomOutTitle: data.zoomOut }).addTo(map);
  // Plain text: Leaflet's default prefix is a link off the portal, easy to tap by mistake.
  map.attributionControl.setPrefix("Leaflet");
  // The attribution is configuration, not markup: Leaflet would insert it as HTML.
  var attribution = document.createElement("span");
  attribution.textContent = data.attribution || "";
  L.tileLayer(data.tileUrl, { attribution: attribution.innerHTML, maxZoom: 18 }).addTo(map);

  // Explicit icon URLs: Leaflet guesses its image folder from leaflet.css, which fails once
  // collectstatic has renamed the files with their hashes.
  var icon = L.icon({
    iconUrl: data.icon,
    iconRetinaUrl: data.icon2x,
    shadowUrl: data.shadow,
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    shadowSize: [41, 41]
  });
  var marker = null;

  function mark(lat, lng) {
    var spot = L.latLng(lat, lng);
    if (marker) { marker.setLatLng(spot); } else { marker = L.marker(spot, { icon: icon, keyboard: false }).addTo(map); }
    return spot;
  }

  map.on("click", function (event) {
    var spot = event.latlng.wrap();
    mark(spot.lat, spot.lng);
    latField.value = spot.lat.toFixed(6);
    lngField.value = spot.lng.toFixed(6);
    status.textContent = status.dataset.chosen;
  });

  // "Use my current position" (position.js) filled the fields: show that spot instead.
  document.addEventListener("portal:position", function (event) {
    map.setView(mark(event.detail.lat, event.detail.lng), Math.max(map.getZoom(), 16));
    status.textContent = "";
  });

  // A form sent back with an error keeps its position: show it again.
  var lat = parseFloat(latField.value);
  var lng = parseFloat(lngField.value);
  if (isFinite(lat) && isFinite(lng)) {
    map.setView(mark(lat, lng), 16);
    status.textContent = status.dataset.chosen;
  }
})();
