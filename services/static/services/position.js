// "Use my current position": fills the hidden latitude/longitude fields from the phone's GPS.
(function () {
  var button = document.getElementById("use-position");
  if (!button || !navigator.geolocation) { if (button) { button.hidden = true; } return; }
  var status = document.getElementById("position-status");
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("id_lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("id_lng").value = position.coords.longitude.toFixed(6);
      status.textContent = button.dataset.found;
      // The map picker (map_picker.js), when the page has one, moves its marker here.
      document.dispatchEvent(new CustomEvent("portal:position", {
        detail: { lat: position.coords.latitude, lng: position.coords.longitude }
      }));
    }, function () {
      status.textContent = button.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
