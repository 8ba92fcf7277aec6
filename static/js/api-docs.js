// The API's reference page (/api/v1/docs): Swagger UI over our own OpenAPI document. Loaded as a
// file (never inline) so the page keeps the site's Content-Security-Policy.
(function () {
  "use strict";
  var root = document.getElementById("api-reference");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    // Requests made from the page carry the site's CSRF header, as HTMX requests do.
    requestInterceptor: function (request) {
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (meta && !request.headers.Authorization) {
        request.headers["X-CSRFToken"] = meta.getAttribute("content");
      }
      return request;
    },
  });
})();
