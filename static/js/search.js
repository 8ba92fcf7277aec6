// Search and home pages: the autocomplete listbox, refused searches shown in place, the search bar kept in
// step with the results, "near me" with a city fallback, and the results map. Every control works without it:
// facets, sorting and pages are links or a plain GET form. No inline scripts or styles (strict CSP).
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  var DEFAULT_RADIUS_KM = "10";
  var MAX_RADIUS_KM = 500;

  // --- a refused search (400) is swapped into the results, where its message belongs ---------
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var target = event.detail.target;
    if (status === 400 && target && target.closest && target.closest("[data-search-results]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.closest) return;
    if (target.getAttribute("role") === "listbox") {
      suggestionsArrived(target);
      return;
    }
    if (target.closest("[data-search-results]")) {
      syncSearchBar(target);
      target.querySelectorAll("[data-search-map]").forEach(initSearchMap);
      initSearchArea(target);
      var error = target.querySelector("[data-search-error]");
      if (error) error.focus();
    }
  });

  // --- the search bar sits outside the swapped block: set it to what the server decided ------
  function syncSearchBar(results) {
    var holder = results.querySelector("[data-outer-state]");
    var form = document.querySelector("form[data-search-form]");
    if (!holder || !form) return;
    var values;
    try { values = JSON.parse(holder.getAttribute("data-outer-state") || "{}"); } catch (e) { return; }
    Object.keys(values).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field !== document.activeElement && typeof field.value === "string") field.value = values[name] || "";
    });
    var query = holder.getAttribute("data-state-query");
    if (query !== null) {
      document.querySelectorAll("[data-near-me]").forEach(function (b) { b.setAttribute("data-state-query", query); });
    }
  }

  // --- autocomplete: a combobox input and its listbox of options ------------------------------
  function listboxFor(input) {
    return document.getElementById(input.getAttribute("aria-controls"));
  }

  function options(listbox) {
    return Array.prototype.slice.call(listbox.querySelectorAll("[role=option]"));
  }

  function closeSuggestions(input) {
    var listbox = listboxFor(input);
    if (listbox) listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function suggestionsArrived(listbox) {
    var input = document.querySelector("[aria-controls='" + listbox.id + "']");
    if (!input) return;
    var found = options(listbox);
    announcePlaces(input, found.length);
    if (found.length && document.activeElement === input && !input.dataset.cwSubmitted) {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      input.removeAttribute("aria-activedescendant");
    } else {
      closeSuggestions(input);
    }
  }

  function setActive(input, option) {
    var listbox = listboxFor(input);
    options(listbox).forEach(function (o) {
      var on = o === option;
      o.setAttribute("aria-selected", on ? "true" : "false");
      o.classList.toggle("active", on);
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  // Screen readers hear how many places matched (the listbox itself is not announced as it opens).
  function announcePlaces(input, count) {
    if (!input.hasAttribute("data-place-input")) return;
    var status = document.querySelector("[data-place-status]");
    if (!status) return;
    var typed = input.value.trim();
    status.textContent = !typed ? "" : count === 0 ? words("No town or city starts with {typed}.").replace("{typed}", function () { return typed; })
      : count === 1 ? words("1 place found. Use the up and down arrows to choose.")
      : words("{count} places found. Use the up and down arrows to choose.").replace("{count}", count);
  }

  function placeIdFor(input) {
    var field = input.closest("[data-place-field]");
    return field ? field.querySelector("[data-place-id]") : null;
  }

  function choose(input, option) {
    input.value = option.getAttribute("data-value") || option.textContent.trim();
    var placeId = placeIdFor(input);
    if (placeId) placeId.value = option.getAttribute("data-place-id") || "";
    closeSuggestions(input);
    input.dataset.cwSubmitted = "1";
    var form = input.form;
    if (!form) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  function initAutocomplete(input) {
    if (input.dataset.cwReady) return;
    input.dataset.cwReady = "1";
    var listbox = listboxFor(input);
    if (!listbox) return;

    input.addEventListener("keydown", function (event) {
      var found = options(listbox);
      var current = document.getElementById(input.getAttribute("aria-activedescendant") || "");
      var index = found.indexOf(current);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!found.length) return;
        event.preventDefault();
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = index === -1 ? (step === 1 ? 0 : found.length - 1) : (index + step + found.length) % found.length;
        setActive(input, found[next]);
      } else if (event.key === "Enter" && !listbox.hidden && current) {
        event.preventDefault();
        choose(input, current);
      } else if (event.key === "Escape" && !listbox.hidden) {
        event.preventDefault();
        closeSuggestions(input);
      }
    });
    input.addEventListener("input", function () {
      delete input.dataset.cwSubmitted;
      var placeId = placeIdFor(input);
      if (placeId) placeId.value = ""; // typed over a chosen place: the name decides again
    });
    if (input.hasAttribute("data-place-input")) {
      // A half-typed place is not a search: only a chosen place, Enter or the Search button search.
      input.addEventListener("change", function (event) { event.stopPropagation(); });
    }
    input.addEventListener("blur", function () {
      window.setTimeout(function () { closeSuggestions(input); }, 150);
    });
    if (input.form) {
      input.form.addEventListener("submit", function () {
        input.dataset.cwSubmitted = "1";
        closeSuggestions(input);
      });
    }
    // mousedown keeps the focus in the input, so blur doesn't close the list before the click lands.
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) choose(input, option);
    });
  }

  // --- the results block's controls belong to the search form (form="search-form") without being
  // inside it, so their changes don't bubble to it: pass them on. The cards' hearts are forms of
  // their own beside them. The free time window is applied with its button, not on every change.
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field && field.form;
    if (!form || !form.matches("[data-search-form]") || form.contains(field)) return;
    if (field.closest("[data-free-window]") || !window.htmx) return;
    htmx.trigger(form, "change");
  });

  // --- near me: the browser's location, or a city when it is refused --------------------------
  function rounded(value, digits) {
    return String(Number(value.toFixed(digits))); // "-0.141", as the server writes it, not "-0.1410"
  }

  function searchUrl(base, stateQuery, changes, drop) {
    var params = new URLSearchParams(stateQuery || "");
    (drop || []).forEach(function (name) { params.delete(name); });
    Object.keys(changes).forEach(function (name) { params.set(name, changes[name]); });
    var query = params.toString();
    return base + (query ? "?" + query : "");
  }

  function showCityFallback(button, message) {
    var scope = button.closest("section, form") || document;
    var fallback = scope.querySelector("[data-city-fallback]");
    var status = scope.querySelector("[data-near-status]");
    if (fallback) {
      fallback.hidden = false;
      var select = fallback.querySelector("select");
      if (select) select.focus();
    }
    var where = scope.querySelector("[data-place-input]");
    if (where) where.focus();
    if (status) status.textContent = message;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }

  function initNearMe(button) {
    if (button.dataset.cwReady) return;
    button.dataset.cwReady = "1";
    var scope = button.closest("section, form") || document;
    var fallback = scope.querySelector("[data-city-fallback]");
    if (!("geolocation" in navigator)) return; // the city list stays the way to choose a place
    button.hidden = false;
    if (fallback && !fallback.dataset.show) fallback.hidden = true;
    button.addEventListener("click", function () {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var params = new URLSearchParams(button.getAttribute("data-state-query") || "");
          var url = searchUrl(
            button.getAttribute("data-search-url"),
            button.getAttribute("data-state-query"),
            {
              lat: rounded(position.coords.latitude, 4),
              lng: rounded(position.coords.longitude, 4),
              radius: params.get("radius") || DEFAULT_RADIUS_KM,
              sort: "distance",
            },
            ["near", "place", "page"]
          );
          window.location.assign(url);
        },
        function () {
          showCityFallback(button, words("We couldn't use your location. Choose a city instead."));
        },
        { timeout: 10000, maximumAge: 600000 }
      );
    });
  }

  // --- the results map: a pin per venue on this page, and "search this area" -------------------
  var maps = {};

  function initSearchMap(el) {
    if (!window.L || el.dataset.cwReady) return;
    el.dataset.cwReady = "1";
    var tileUrl = el.getAttribute("data-tile-url") || "";
    var map = L.map(el, { scrollWheelZoom: false });
    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 19, attribution: el.getAttribute("data-tile-attribution") || "" }).addTo(map);
    }
    var list = document.getElementById(el.getAttribute("data-markers"));
    var points = [];
    if (list) {
      list.querySelectorAll("[data-marker]").forEach(function (item) {
        var lat = parseFloat(item.getAttribute("data-lat"));
        var lng = parseFloat(item.getAttribute("data-lng"));
        if (!isFinite(lat) || !isFinite(lng)) return;
        var name = item.getAttribute("data-name") || "";
        // Text nodes only: names come from venue owners.
        var popup = document.createElement("div");
        var link = document.createElement("a");
        link.href = item.getAttribute("data-url");
        link.textContent = name;
        popup.appendChild(link);
        var label = item.getAttribute("data-label");
        if (label) {
          popup.appendChild(document.createElement("br"));
          popup.appendChild(document.createTextNode(label));
        }
        L.marker([lat, lng], { title: name, alt: name }).addTo(map).bindPopup(popup);
        points.push([lat, lng]);
      });
    }
    var centerLat = parseFloat(el.getAttribute("data-lat"));
    var centerLng = parseFloat(el.getAttribute("data-lng"));
    if (points.length) {
      map.fitBounds(points, { padding: [32, 32], maxZoom: 15 });
    } else if (isFinite(centerLat) && isFinite(centerLng)) {
      map.setView([centerLat, centerLng], 11);
    } else {
      map.setView([54.5, -2.5], 5); // Great Britain
    }
    el.setAttribute("data-marker-count", String(points.length));
    maps[el.id] = map;
  }

  function initSearchArea(root) {
    root.querySelectorAll("[data-search-area]").forEach(function (button) {
      if (button.dataset.cwReady) return;
      var mapView = button.closest("[data-map-view]");
      var el = mapView ? mapView.querySelector("[data-search-map]") : null;
      var map = el ? maps[el.id] : null;
      if (!map) return;
      button.dataset.cwReady = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var center = map.getCenter();
        // The circle through the corners covers all the map shows.
        var radius = center.distanceTo(map.getBounds().getNorthEast()) / 1000;
        radius = Math.min(MAX_RADIUS_KM, Math.max(0.5, Math.ceil(radius * 10) / 10));
        window.location.assign(
          searchUrl(
            button.getAttribute("data-search-url"),
            button.getAttribute("data-state-query"),
            { lat: rounded(center.lat, 5), lng: rounded(center.lng, 5), radius: String(radius), view: "map" },
            ["near", "place", "page", "per_page"]
          )
        );
      });
    });
  }

  // --- phones: the filters sheet, a modal dialog (focus stays inside, Escape closes it, focus goes
  // back to the "Filters" button); a filter changed inside it keeps it open across the swap -----
  var sheetWasOpen = false;

  function openFilters(button) {
    var sheet = document.getElementById(button.getAttribute("aria-controls"));
    if (!sheet || sheet.open || typeof sheet.showModal !== "function") return;
    sheet.showModal();
    var first = sheet.querySelector("input, select, a[href], button:not([data-filters-close])");
    if (first) first.focus();
  }

  function closeFilters(sheet) {
    if (sheet && sheet.open) sheet.close();
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-filters-open]");
    if (opener) {
      openFilters(opener);
      return;
    }
    var closer = event.target.closest("[data-filters-close]");
    if (closer) closeFilters(closer.closest("dialog"));
  });

  document.addEventListener("close", function (event) {
    var sheet = event.target;
    if (!sheet.matches || !sheet.matches("[data-filters-sheet]")) return;
    var opener = document.querySelector("[data-filters-open][aria-controls='" + sheet.id + "']");
    if (opener) opener.focus();
  }, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.closest && target.closest("[data-search-results]")) {
      var sheet = target.querySelector("[data-filters-sheet]");
      sheetWasOpen = !!(sheet && sheet.open);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!sheetWasOpen || !target || !target.closest || !target.closest("[data-search-results]")) return;
    sheetWasOpen = false;
    var opener = target.querySelector("[data-filters-open]");
    if (opener) openFilters(opener);
  });

  // --- the remembered place: signed out, the results name the place to keep in a cookie --------
  // (app/discovery/last_place.py: the server never sets a cookie on a search page, so a
  // visitor's first page can come from the page cache.)
  function rememberPlace(root) {
    var marker = root && root.querySelector && root.querySelector("[data-remember-place]");
    var id = marker && marker.getAttribute("data-remember-place");
    if (!id || !/^\d{1,9}$/.test(id)) return;
    if (document.cookie.split("; ").indexOf("last_place=" + id) !== -1) return;
    document.cookie = "last_place=" + id + "; Path=/; Max-Age=" + 365 * 24 * 3600 + "; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  document.addEventListener("htmx:afterSwap", function (event) { rememberPlace(event.detail.target); });
  document.addEventListener("DOMContentLoaded", function () { rememberPlace(document); });

  // --- the "where" field's Clear: forget the remembered place, empty the field -----------------
  function emptyPlaceFields() {
    document.querySelectorAll("[data-place-field]").forEach(function (field) {
      var input = field.querySelector("[data-place-input]");
      var placeId = field.querySelector("[data-place-id]");
      var clear = field.querySelector("[data-place-clear]");
      if (input) { input.value = ""; input.focus(); }
      if (placeId) placeId.value = "";
      if (clear) clear.remove();
    });
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("[data-forget-place]") || !event.detail.successful) return;
    emptyPlaceFields();
  });
  // On a page anyone could be sent (no CSRF form), the only place to forget is this browser's
  // cookie: the button deletes it here.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-place-clear-local]");
    if (!button) return;
    document.cookie = "last_place=; Path=/; Max-Age=0; SameSite=Lax";
    emptyPlaceFields();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-autocomplete]").forEach(initAutocomplete);
    document.querySelectorAll("[data-near-me]").forEach(initNearMe);
    document.querySelectorAll("[data-search-map]").forEach(initSearchMap);
    initSearchArea(document);
  });
})();
