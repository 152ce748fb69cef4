/* The service worker: the pages open without signal (patrols in parks lose the network).
   The app shell (scripts, styles, Leaflet, icons, the vocabulary) is kept at install; pages and
   the API's answers are asked of the network first and kept, so that the patrol page and every
   case page already opened open again offline from what was kept. Only this origin's GET
   requests are handled; cases, track points and inspections made offline wait in the
   field-work queue (queue.js).
   Log-out empties what was kept: a phone handed on keeps no one's cases. */
"use strict";
const VERSION = "__VERSION__"; // the server puts a digest of the static files here
const SHELL = `gc-shell-${VERSION}`;
const DATA = "gc-data"; // pages and API answers: personal, emptied at log-out
const SHELL_FILES = [
  "/static/web/app.js", "/static/web/app.css", "/static/vocabulary.css",
  "/static/web/inbox-badge.js", "/static/web/photos.js", "/static/web/outbox.js",
  "/static/web/patrol.js", "/static/web/patrol-track.js", "/static/web/case.js", "/static/web/cases.js",
  "/static/web/queue.js", "/static/web/maintenance.js", "/static/web/case-patrol.js",
  "/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/images/marker-icon.png", "/static/vendor/leaflet/images/marker-icon-2x.png",
  "/static/vendor/leaflet/images/marker-shadow.png",
  "/static/web/icons/icon-192.png", "/static/web/icons/icon-512.png", "/manifest.webmanifest",
];
// kept at install when logged in (a page the user may not open is not kept)
const PAGES = [
  "/patrol", "/cases", "/api/v1/vocabulary",
  "/maintenance", "/api/v1/maintenance/sites", "/api/v1/maintenance/checklists",
];
const OFFLINE_START = "/patrol"; // an unkept page asked for offline opens the patrol page
const MAP_TILE = /^\/api\/v1\/runs\/\d+\/tiles\/.+\.pbf$/;

async function keepPage(cache, url) {
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    // a log-in page answered for a page (not logged in) is not the page: not kept
    if (response.ok && !response.redirected) await cache.put(url, response);
  } catch (err) { /* offline at install: kept when first opened */ }
}

// a page of a logged-in user says so (app.js): the pages for field work are kept then, so the
// patrol page opens offline even if it was never opened
async function keepMissingPages() {
  const data = await caches.open(DATA);
  for (const url of PAGES) if (!(await data.match(url))) await keepPage(data, url);
}
self.addEventListener("message", (event) => {
  if (event.data === "logged-in") event.waitUntil(keepMissingPages());
});

// the map's vector tiles go straight to the network, without starting this worker or
// dispatching a fetch event to it (the Service Worker Static Routing API, where the browser
// has it): a map view asks for dozens of tiles at once, each waiting on the worker's thread
// otherwise; without the API the fetch handler below leaves them alone
const MAP_TILE_ROUTE = { condition: { urlPattern: { pathname: "/api/v1/runs/*/tiles/*/*/*/*.pbf" } }, source: "network" };

self.addEventListener("install", (event) => {
  const routed = typeof event.addRoutes === "function"
    ? event.addRoutes(MAP_TILE_ROUTE).catch(() => null) : null;
  event.waitUntil((async () => {
    await routed;
    const shell = await caches.open(SHELL);
    await shell.addAll(SHELL_FILES);
    const data = await caches.open(DATA);
    await Promise.all(PAGES.map((url) => keepPage(data, url)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("gc-shell-") && n !== SHELL).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

const SLOW_PAGE_MS = 6000; // a page the weak signal brings slower than this opens as kept

async function networkFirst(request, navigation) {
  const data = await caches.open(DATA);
  const fresh = fetch(request).then(async (response) => {
    if (response.ok && !response.redirected && response.type === "basic") {
      await data.put(request, response.clone());
    }
    return response;
  });
  fresh.catch(() => null); // a late failure after the kept page was shown is no error
  try {
    if (!navigation) return await fresh;
    let timer;
    const slow = new Promise((resolve) => { timer = setTimeout(resolve, SLOW_PAGE_MS); })
      .then(() => data.match(request, { ignoreVary: true }))
      .then((kept) => kept || fresh);
    const first = await Promise.race([fresh, slow]);
    clearTimeout(timer);
    return first;
  } catch (err) {
    const kept = await data.match(request, { ignoreVary: true });
    if (kept) return kept;
    if (navigation && (await data.match(OFFLINE_START))) return Response.redirect(OFFLINE_START, 302);
    throw err;
  }
}

async function shellFirst(request) {
  const kept = await caches.match(request, { ignoreSearch: false });
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await (await caches.open(SHELL)).put(request, response.clone());
    return response;
  });
  if (kept) { fresh.catch(() => null); return kept; }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // base-map tiles: the browser's own way
  if (request.method === "POST" && url.pathname === "/logout") {
    event.waitUntil(caches.delete(DATA));
    return;
  }
  if (request.method !== "GET") return;
  // the map's vector tiles: thousands, unchanging (kept by the browser's own cache under
  // their versioned URL), never needed offline; kept here they would fill the phone
  if (MAP_TILE.test(url.pathname)) return;
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(shellFirst(request));
    return;
  }
  if (request.mode === "navigate" || url.pathname.startsWith("/api/v1/")) {
    event.respondWith(networkFirst(request, request.mode === "navigate"));
  }
});
