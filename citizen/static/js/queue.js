/* The answer queue: answers made offline (or whose sending failed) wait in IndexedDB and are sent when the network
   is back, each exactly once (its Idempotency-Key makes a repeated send harmless). Loaded by the work page of every
   kind, before work.js and the kind's script; needs vendor/idb/idb.umd.js (window.idb).

   window.citizenQueue:
     add(item) -> Promise of the stored item (with its `id`). The item is written to IndexedDB first, then a send
       is tried. item = {campaign: "<slug>", url: "/api/v1/tasks/<id>/answers",
                         body: {value: ..., duration_ms: ...}, key: "<Idempotency-Key>", label: "short text",
                         photos: [{blob: Blob, url: "/api/v1/tasks/<id>/photos/<upload id>"}]  (optional)}
     pending(campaign) -> Promise of the items waiting to be sent (oldest first; photos without their blobs);
       campaign omitted: every campaign's.
     refused(campaign) -> Promise of the items the server refused for good, each with the server's `message`.
     forget(id) -> Promise: drop an item (refused or waiting) and its photos.
     flush() -> Promise: send what is waiting now (one flush at a time per tab; a Web Lock across tabs).
   window event "citizen-queue", detail {pending: n, refused: n, sent: item or null} (counts over every campaign),
   fired on every change, in every open tab of the site; `sent` is the item just sent, with `response`, the
   server's JSON answer (its `done` count, for instance).

   Sending one item: each photo without a token is uploaded first, resumably (GET <photo.url> -> {received, photo};
   then PUT chunks of 256 KiB with Content-Range: bytes <start>-<end>/<total>; 200 {received}, 201 {photo} on the
   last one, 409 {received}: resume from there), and its token is saved at once; the tokens, in order, replace
   body.value.photos; then POST item.url with the Idempotency-Key and the page's CSRF token.
   Outcomes: 2xx: removed. 4xx other than 408, 425, 429: refused for good (kept in the refused list with the
   server's message, never sent again). A network error, 5xx, 408, 425 or 429: kept, and tried again after a
   delay that doubles from 2 s to 5 min, and at once when the browser comes back online, on page load and when
   the page becomes visible again. */
(function () {
  "use strict";
  var DB_NAME = "citizen-queue", STORE = "items", LOCK = "citizen-queue";
  var CHUNK = 256 * 1024;
  var FIRST_DELAY = 2000, MAX_DELAY = 5 * 60 * 1000;
  var RETRY_STATUSES = [408, 425, 429];
  var idb = window.idb;
  if (!idb || !window.indexedDB) return;  // no storage: the page keeps sending directly, as before

  var dbPromise = null;
  function db() {
    dbPromise = dbPromise || idb.openDB(DB_NAME, 1, {
      upgrade: function (database) {
        var store = database.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        store.createIndex("campaign", "campaign");
      }
    });
    return dbPromise;
  }

  // --- the stored list -------------------------------------------------------------------------------------
  async function all(state, campaign) {
    var rows = campaign ? await (await db()).getAllFromIndex(STORE, "campaign", campaign)
                        : await (await db()).getAll(STORE);
    return rows.filter(function (row) { return row.state === state; });
  }
  function withoutBlobs(item) {
    var copy = Object.assign({}, item);
    copy.photos = (item.photos || []).map(function (p) { return { url: p.url, token: p.token || null }; });
    return copy;
  }
  async function counts() {
    var rows = await (await db()).getAll(STORE);
    var waiting = rows.filter(function (r) { return r.state === "pending"; }).length;
    return { pending: waiting, refused: rows.length - waiting };
  }

  // Every open tab of the site hears of a change (the other tabs' lines "waiting to send" stay right).
  var channel = window.BroadcastChannel ? new BroadcastChannel("citizen-queue") : null;
  async function changed(sent, fromOtherTab) {
    var detail = await counts();
    detail.sent = sent || null;
    window.dispatchEvent(new CustomEvent("citizen-queue", { detail: detail }));
    if (channel && !fromOtherTab) channel.postMessage({ sent: sent ? withoutBlobs(sent) : null });
  }
  if (channel) channel.onmessage = function (e) { changed(e.data && e.data.sent, true); };

  // --- sending -----------------------------------------------------------------------------------------------
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');  // read at send time: the page's current one
    return meta ? meta.content : "";
  }
  function HttpError(status, message) {
    var err = new Error(message || "HTTP " + status);
    err.status = status;
    return err;
  }
  async function json(response) {
    try { return await response.json(); } catch (e) { return {}; }
  }
  async function call(method, url, headers, body) {
    headers = Object.assign({ "Accept": "application/json", "X-CSRFToken": csrf() }, headers || {});
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" });
  }

  // One photo, from where the server's copy stops; returns its token.
  async function upload(photo) {
    var r = await call("GET", photo.url);
    var out = await json(r);
    if (!r.ok) throw new HttpError(r.status, out.message);
    if (out.photo) return out.photo;
    var total = photo.blob.size, start = out.received || 0;
    for (var rounds = 0; rounds < Math.ceil(total / CHUNK) + 10; rounds++) {
      var end = Math.min(start + CHUNK, total) - 1;
      r = await call("PUT", photo.url, { "Content-Type": "application/octet-stream",
                                         "Content-Range": "bytes " + start + "-" + end + "/" + total },
                     photo.blob.slice(start, end + 1));
      out = await json(r);
      if (r.status === 201) return out.photo;
      if (r.ok || r.status === 409) start = out.received;  // 409: the server has another length; go on from it
      else throw new HttpError(r.status, out.message);
    }
    throw new HttpError(500, "the upload does not move forward");  // kept, tried again later
  }

  async function save(item) { await (await db()).put(STORE, item); }

  // Send one item; resolves to the server's JSON answer, or rejects with an HttpError or a network error.
  async function send(item) {
    var photos = item.photos || [];
    for (var i = 0; i < photos.length; i++) {
      if (photos[i].token) continue;
      photos[i].token = await upload(photos[i]);
      photos[i].blob = null;  // saved at once: a reload does not upload it again
      await save(item);
    }
    var body = Object.assign({}, item.body);
    if (photos.length) {
      body.value = Object.assign({}, body.value, { photos: photos.map(function (p) { return p.token; }) });
    }
    var r = await call("POST", item.url, { "Content-Type": "application/json", "Idempotency-Key": item.key },
                       JSON.stringify(body));
    var out = await json(r);
    if (!r.ok) throw new HttpError(r.status, out.message);
    return out;
  }

  function refusedForGood(err) {
    return err.status >= 400 && err.status < 500 && RETRY_STATUSES.indexOf(err.status) < 0;
  }

  // Send the waiting items, oldest first; stops at the first one that must wait (the next ones would too).
  async function sendWaiting() {
    var items = await all("pending");
    items.sort(function (a, b) { return a.id - b.id; });
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (!(await (await db()).get(STORE, item.id))) continue;  // sent or forgotten meanwhile
      try {
        item.response = await send(item);
      } catch (err) {
        if (!refusedForGood(err)) return false;
        item.state = "refused";
        item.message = err.message;
        item.photos = (item.photos || []).map(function (p) { return { url: p.url, token: p.token || null }; });
        await save(item);
        await changed(null);
        continue;
      }
      await (await db()).delete(STORE, item.id);
      await changed(withoutBlobs(item));
    }
    return true;
  }

  var running = null, again = false, delay = FIRST_DELAY, timer = null;
  function locked(task) {
    // Two tabs never send the same item at once: they take turns under one lock (where the browser has them).
    if (navigator.locks && navigator.locks.request) return navigator.locks.request(LOCK, task);
    return task();
  }
  function flush() {
    if (running) { again = true; return running; }
    clearTimeout(timer);
    if (navigator.onLine === false) return Promise.resolve();  // the `online` event starts it again
    running = locked(sendWaiting).catch(function () { return false; }).then(function (ok) {
      running = null;
      if (again) { again = false; return flush(); }
      if (ok) { delay = FIRST_DELAY; return; }
      timer = setTimeout(flush, delay);
      delay = Math.min(delay * 2, MAX_DELAY);
    });
    return running;
  }
  function soon() { delay = FIRST_DELAY; flush(); }

  // --- the public calls -----------------------------------------------------------------------------------------
  async function add(item) {
    var key = item.key || (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random());
    var stored = { campaign: item.campaign, url: item.url, body: item.body || {}, key: key,
                   label: item.label || "", state: "pending", added: Date.now(),
                   photos: (item.photos || []).map(function (p) { return { blob: p.blob, url: p.url, token: null }; }) };
    stored.id = await (await db()).add(STORE, stored);
    await changed(null);
    flush();
    return stored;
  }
  async function pending(campaign) { return (await all("pending", campaign)).map(withoutBlobs); }
  async function refused(campaign) { return (await all("refused", campaign)).map(withoutBlobs); }
  async function forget(id) {
    await (await db()).delete(STORE, id);
    await changed(null);
  }

  window.citizenQueue = { add: add, pending: pending, refused: refused, forget: forget, flush: flush };

  window.addEventListener("online", soon);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") soon();
  });
  flush();  // on page load: what an earlier visit left waiting
})();
