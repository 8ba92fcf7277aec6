// CozyWish's service worker (docs/installable-app.md). Served as /sw.js by app/web/views.py, with
// one line before this file: self.COZYWISH_SW = {version, precache, offline, ...}
// (app/web/installable.py). Plain JavaScript, no library.
//
// - Install: keep the offline page and the files a booking page needs (CORE, one per version).
// - My bookings and a booking's page: network first; a good answer is copied (PAGES); offline,
//   the copy is shown with the time it was made (static/js/pwa.js shows the banner).
// - Static files: hashed names (immutable) cache first; plain names network first.
// - Any other page, offline: the offline page. Nothing else is cached: no POST, no other
//   signed-in page, no fragment.
// - Signing out (or a sign-in page, meaning no one is signed in) deletes the copies.
"use strict";

const SETTINGS = self.COZYWISH_SW;
const VERSION = SETTINGS.version;
const CORE = "cozywish-core-" + VERSION;
const PAGES = "cozywish-bookings-" + VERSION;
const ASSETS = "cozywish-static";
const MAX_ASSETS = 80;
const STORED_AT = "X-CozyWish-Stored-At";
const HASHED = /\.[0-9a-f]{12}\.[a-z0-9]+$/; // js/app.3f2a9c1b0d4e.js (scripts/build_static.py)
const REFERENCE = /^[A-Za-z0-9-]{1,40}$/;

function isBookingPage(url) {
  const base = SETTINGS.myBookings; // "/bookings"
  if (url.origin !== self.location.origin) return false;
  if (url.pathname === base) return true;
  if (!url.pathname.startsWith(base + "/")) return false;
  return REFERENCE.test(url.pathname.slice(base.length + 1)); // "/bookings/CW-7K4P-Q2MX", not ".../cancel"
}

function isSignOut(url) {
  return SETTINGS.signOut.indexOf(url.pathname) !== -1;
}

function isHtml(response) {
  return (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

// -- the copies of the booking pages --------------------------------------------------------

async function keepCopy(url, response) {
  if (response.status !== 200 || response.type !== "basic" || !isHtml(response)) return;
  const finalUrl = new URL(response.url || url.href);
  if (!isBookingPage(finalUrl)) return; // redirected elsewhere (signed out): nothing to keep
  const headers = new Headers();
  headers.set("Content-Type", response.headers.get("Content-Type"));
  headers.set(STORED_AT, new Date().toISOString());
  const copy = new Response(await response.blob(), { status: 200, headers: headers });
  const cache = await caches.open(PAGES);
  await cache.put(url.href, copy);
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - SETTINGS.maxCopies; i += 1) await cache.delete(keys[i]); // oldest first
}

async function copyOf(url) {
  const cache = await caches.open(PAGES);
  const copy = await cache.match(url.href);
  if (!copy) return null;
  // The time goes into the page as a <meta>: pwa.js shows "You're offline; this copy is from ...".
  const storedAt = copy.headers.get(STORED_AT) || "";
  const html = (await copy.text()).replace(
    "</head>",
    '<meta name="cozywish-offline-copy" content="' + storedAt.replace(/[^0-9A-Za-z:.-]/g, "") + '">\n</head>'
  );
  return new Response(html, { status: 200, headers: { "Content-Type": copy.headers.get("Content-Type") } });
}

async function forgetBookings() {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.indexOf("cozywish-bookings-") === 0).map((name) => caches.delete(name)));
}

// -- install and activate -------------------------------------------------------------------

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CORE)
      .then((cache) => cache.addAll(SETTINGS.precache.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

async function carryCopiesOver(names) {
  // A new version keeps the booking pages the old one held: they are the customer's, not ours.
  const target = await caches.open(PAGES);
  for (const name of names) {
    const old = await caches.open(name);
    for (const request of await old.keys()) {
      if (!(await target.match(request))) await target.put(request, await old.match(request));
    }
  }
}

async function trimAssets() {
  const cache = await caches.open(ASSETS);
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - MAX_ASSETS; i += 1) await cache.delete(keys[i]);
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      const oldPages = names.filter((name) => name.indexOf("cozywish-bookings-") === 0 && name !== PAGES);
      await carryCopiesOver(oldPages);
      const stale = names.filter((name) => name.indexOf("cozywish-") === 0 && name !== CORE && name !== PAGES && name !== ASSETS);
      await Promise.all(stale.map((name) => caches.delete(name)));
      await trimAssets();
      await self.clients.claim();
    })()
  );
});

// -- fetches ----------------------------------------------------------------------------------

async function navigation(event, url) {
  try {
    const response = await fetch(event.request);
    if (url.pathname === SETTINGS.signIn && response.status === 200) {
      event.waitUntil(forgetBookings()); // the sign-in form: no one is signed in here any more
    } else if (isBookingPage(url)) {
      event.waitUntil(keepCopy(url, response.clone()));
    }
    return response;
  } catch (error) {
    const copy = isBookingPage(url) ? await copyOf(url) : null;
    if (copy) return copy;
    const offline = await caches.match(SETTINGS.offline, { cacheName: CORE });
    if (offline) return offline;
    throw error;
  }
}

async function staticFile(request, url) {
  if (HASHED.test(url.pathname)) {
    // A hashed name never changes its content: any copy will do (a font's ?v= query aside).
    const hit = await caches.match(request, { ignoreSearch: true });
    if (hit) return hit;
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      caches.open(ASSETS).then((cache) => cache.put(request, copy));
    }
    return response;
  }
  try {
    return await fetch(request);
  } catch (error) {
    const hit = await caches.match(request, { ignoreSearch: true });
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (request.method === "POST" && isSignOut(url)) event.waitUntil(forgetBookings());
    return; // never cached, never answered by the worker
  }
  if (request.mode === "navigate") {
    event.respondWith(navigation(event, url));
  } else if (url.pathname.indexOf(SETTINGS.staticPrefix) === 0) {
    event.respondWith(staticFile(request, url));
  } else if (SETTINGS.quiet.indexOf(url.pathname) !== -1) {
    event.respondWith(fetch(request).catch(() => new Response(null, { status: 204 })));
  }
});

// -- messages from pages (static/js/pwa.js) --------------------------------------------------

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep-copy" && typeof data.url === "string") {
    // A booking page seen before this worker controlled it: fetch it again to keep a copy.
    const url = new URL(data.url, self.location.origin);
    if (isBookingPage(url)) {
      event.waitUntil(
        fetch(url.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
          .then((response) => keepCopy(url, response))
          .catch(() => undefined)
      );
    }
  } else if (data.type === "forget-bookings") {
    event.waitUntil(forgetBookings());
  }
});
