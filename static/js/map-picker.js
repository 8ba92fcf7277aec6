// Location picker: a Leaflet map with a draggable pin, kept in step with the latitude and
// longitude inputs. Loaded only on pages with [data-map-picker]; without JavaScript (or
// Leaflet) the inputs work on their own and the map stays hidden.
//
// <div data-map-picker data-lat-input="latitude" data-lng-input="longitude"
//      data-default-lat="51.5" data-default-lng="-0.12" data-tile-url="" data-tile-attribution="">
// An empty data-tile-url draws no tile layer: only the pin on a plain background.
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  var DECIMALS = 6;

  function readPoint(latInput, lngInput) {
    var lat = parseFloat(String(latInput.value).replace(",", "."));
    var lng = parseFloat(String(lngInput.value).replace(",", "."));
    if (!isFinite(lat) || !isFinite(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180) return null;
    return L.latLng(lat, lng);
  }

  function initPicker(el) {
    if (el.dataset.cwReady || !window.L) return;
    var latInput = document.getElementById(el.dataset.latInput);
    var lngInput = document.getElementById(el.dataset.lngInput);
    if (!latInput || !lngInput) return;
    el.dataset.cwReady = "1";

    var wrap = el.closest("[data-map-picker-wrap]");
    if (wrap) wrap.hidden = false;

    var known = readPoint(latInput, lngInput);
    var start = known || L.latLng(parseFloat(el.dataset.defaultLat) || 0, parseFloat(el.dataset.defaultLng) || 0);
    var map = L.map(el, { scrollWheelZoom: false }).setView(start, known ? 16 : 12);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    }
    var marker = L.marker(start, {
      draggable: true,
      autoPan: true,
      title: words("Venue location: drag to move"),
      alt: words("Venue location pin"),
    }).addTo(map);

    function writeInputs(point) {
      latInput.value = point.lat.toFixed(DECIMALS);
      lngInput.value = L.Util.wrapNum(point.lng, [-180, 180], true).toFixed(DECIMALS);
      // Let other scripts (a geocoder, a preview) know the fields changed.
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
      lngInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    marker.on("dragend", function () {
      writeInputs(marker.getLatLng());
    });
    map.on("click", function (event) {
      marker.setLatLng(event.latlng);
      writeInputs(event.latlng);
    });

    function followInputs() {
      var point = readPoint(latInput, lngInput);
      if (!point) return;
      marker.setLatLng(point);
      map.panTo(point);
    }
    latInput.addEventListener("input", followInputs);
    lngInput.addEventListener("input", followInputs);

    // A map drawn while its box was hidden has the wrong size until told otherwise.
    window.setTimeout(function () {
      map.invalidateSize();
    }, 0);

    // For a geocoder: dispatch "cw:map-picker:locate" with {detail: {lat, lng}} on the map element.
    el.addEventListener("cw:map-picker:locate", function (event) {
      if (!event.detail) return;
      var point = L.latLng(event.detail.lat, event.detail.lng);
      marker.setLatLng(point);
      map.setView(point, 16);
      writeInputs(point);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map-picker]").forEach(initPicker);
  });
})();
