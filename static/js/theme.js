// Runs before the page paints, so a dark-mode user never sees a white flash.
(function () {
  var stored = null;
  try { stored = localStorage.getItem("cozywish-theme"); } catch (e) { /* private mode */ }
  var prefersDark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.setAttribute("data-bs-theme", stored || (prefersDark ? "dark" : "light"));
  document.documentElement.setAttribute("data-js", ""); // CSS may hide what scripts will show on demand
})();
