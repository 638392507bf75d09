/* The service worker (served as /sw.js, so its scope is the whole site): keeps what the work pages need to open
   and be useful offline. It never caches or replays a write: answers made offline wait in the page's own queue
   (js/queue.js), which sends them itself. Only the GET routes listed below are handled; every other request
   (the loop's POSTs, /organise, /moderation, /account, answers, media) goes to the network untouched.

   - work pages, /campaigns/<slug>/work: network first, the last copy when offline (a reload shows the page);
   - /static/: stale while revalidate (served at once, refreshed behind);
   - the field kind's site lists, /api/v1/campaigns/<slug>/nearby and /sites: network first, the last copy offline;
   - map tiles under /tiles/: cache first, at most MAX_TILES kept (the field kind fetches an area's tiles ahead).

   Workbox is vendored (static/vendor/workbox/): modulePathPrefix keeps it from loading anything from a CDN.
   A page may ask for URLs to be cached through their route ({type: "CACHE_URLS", payload: {urlsToCache: [...]}},
   see js/offline.js's citizenOffline.cache). */
/* global importScripts, workbox */
importScripts("/static/vendor/workbox/workbox-sw.js");
workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox/", debug: false });

var VERSION = "v1";  // a new version of a cache's contents or layout: bump it, and activate drops the old caches
var CACHES = { pages: "citizen-pages-" + VERSION, static: "citizen-static-" + VERSION,
               sites: "citizen-sites-" + VERSION, tiles: "citizen-tiles-" + VERSION };
var MAX_TILES = 5000;

// Every module is touched here, while the worker is first evaluated: importScripts is refused after install.
var routing = workbox.routing, strategies = workbox.strategies;
var Expiration = workbox.expiration.ExpirationPlugin;
var Cacheable = workbox.cacheableResponse.CacheableResponsePlugin;

function onlyOk() { return new Cacheable({ statuses: [200] }); }  // never keep an error page, a redirect or a 204
function ours(pattern) {
  return function (ctx) { return ctx.url.origin === self.location.origin && pattern.test(ctx.url.pathname); };
}

var router = new routing.Router();
router.registerRoute(new routing.Route(ours(/^\/campaigns\/[^/]+\/work$/), new strategies.NetworkFirst({
  cacheName: CACHES.pages, networkTimeoutSeconds: 10,
  plugins: [onlyOk(), new Expiration({ maxEntries: 50 })] })));
router.registerRoute(new routing.Route(ours(/^\/static\//), new strategies.StaleWhileRevalidate({
  cacheName: CACHES.static, plugins: [onlyOk(), new Expiration({ maxEntries: 300 })] })));
router.registerRoute(new routing.Route(ours(/^\/api\/v1\/campaigns\/[^/]+\/(nearby|sites)$/),
  new strategies.NetworkFirst({ cacheName: CACHES.sites, networkTimeoutSeconds: 10,
                                plugins: [onlyOk(), new Expiration({ maxEntries: 200 })] })));
router.registerRoute(new routing.Route(ours(/^\/tiles\//), new strategies.CacheFirst({
  cacheName: CACHES.tiles, plugins: [onlyOk(), new Expiration({ maxEntries: MAX_TILES, purgeOnQuotaError: true })]
})));
router.addFetchListener();
router.addCacheListener();

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  var keep = Object.keys(CACHES).map(function (k) { return CACHES[k]; });
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("citizen-") === 0 && keep.indexOf(name) < 0;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});
