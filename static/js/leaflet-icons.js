// Where Leaflet's marker images are. Leaflet guesses it from leaflet.css's file name, which is
// content-hashed once static files are built, so the page passes the URLs (data-* on this tag).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!window.L || !script) return;
  L.Icon.Default.imagePath = ""; // a string stops the guess; the URLs below are complete
  L.Icon.Default.mergeOptions({
    iconUrl: script.dataset.icon,
    iconRetinaUrl: script.dataset.icon2x,
    shadowUrl: script.dataset.shadow,
  });
})();
