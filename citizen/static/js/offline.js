/* Registers the service worker (/sw.js, js/sw.js), which keeps the work pages, their static files and map tiles
   for offline use. The page that registers it for the first time was loaded before the worker existed, so it asks
   the worker to keep a copy of itself and of the files it loaded (a reload offline then works at once).

   window.citizenOffline.cache(urls): have the worker fetch and keep these URLs through their route (tiles of an
   area, a site list) so they are there offline; resolves once the worker has them (or at once without a worker).
   window.citizenOffline.keepPage(): on a first visit, have the worker keep this page and its files (once; later
   visits go through the worker anyway). work.js calls it once the first task is on screen: fetching the page
   again sends the session cookie of that moment, and a reply racing the request that made the visitor a guest
   would put back the cookie from before, and the guest's answers would be refused (403). */
(function () {
  "use strict";
  var script = document.currentScript;
  function nothing() { return Promise.resolve(); }
  var noop = { cache: nothing, keepPage: nothing };
  if (!("serviceWorker" in navigator) || !script) { window.citizenOffline = noop; return; }

  function cache(urls) {
    return navigator.serviceWorker.ready.then(function (registration) {
      var worker = registration.active;
      if (!worker || !urls.length) return;
      return new Promise(function (done) {
        var reply = new MessageChannel();
        reply.port1.onmessage = function () { done(); };
        setTimeout(done, 30000);  // the worker answers only when every URL was kept: one failure, no answer
        worker.postMessage({ type: "CACHE_URLS", payload: { urlsToCache: urls } }, [reply.port2]);
      });
    });
  }
  // A later visit went through the worker, which kept what its routes keep: nothing to ask for.
  var kept = !!navigator.serviceWorker.controller;
  function keepPage() {
    if (kept) return Promise.resolve();
    kept = true;
    var loaded = [location.href];
    document.querySelectorAll("script[src], link[rel=stylesheet][href]").forEach(function (el) {
      loaded.push(el.src || el.href);
    });
    return cache(loaded).catch(function () {});
  }
  window.citizenOffline = { cache: cache, keepPage: keepPage };

  navigator.serviceWorker.register(script.dataset.worker, { scope: "/" })
    .catch(function () {});  // no worker (a private window, an old browser): the page works online as before
})();
