// Venue page map: one Leaflet marker, configured by data attributes (no inline script under the CSP).
// Tiles load only when the server passes a tile URL (MAP_TILE_URL); otherwise the pin sits on a plain canvas
// and the "Open in OpenStreetMap" link next to the map gives the street view.
(function () {
  "use strict";

  function initVenueMap(el) {
    if (!window.L || el.dataset.cwReady) return;
    var lat = parseFloat(el.dataset.lat);
    var lng = parseFloat(el.dataset.lng);
    if (!isFinite(lat) || !isFinite(lng)) return;
    el.dataset.cwReady = "1";

    var tileUrl = el.dataset.tileUrl || "";
    var map = L.map(el, {
      scrollWheelZoom: false, // scrolling the page should not zoom the map
      zoomControl: Boolean(tileUrl),
      dragging: Boolean(tileUrl),
      doubleClickZoom: Boolean(tileUrl),
      touchZoom: Boolean(tileUrl),
      keyboard: Boolean(tileUrl),
    }).setView([lat, lng], 16);

    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    }

    var name = el.dataset.name || "";
    var label = document.createElement("strong");
    label.textContent = name; // text, never HTML: the name comes from the venue owner
    L.marker([lat, lng], { title: name, alt: name }).addTo(map).bindPopup(label);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-venue-map]").forEach(initVenueMap);
  });
})();
