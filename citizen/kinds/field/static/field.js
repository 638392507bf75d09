/* The `field` kind: volunteers walk to places, photograph them and answer a few questions, often offline.
   The page is a list of the open sites near the volunteer (with a map), a site's report form, and the reports that
   wait on this phone. There is no next-task loop: work.js calls start({root, csrf, queue, say}) and the page runs
   itself. A report goes to the page's queue (window.citizenQueue, js/queue.js) at once, photos as taken (their
   EXIF position is checked by the server), and is sent when there is a connection. Sites seen (the nearby list,
   "Save this area") are kept in localStorage, so the list and distances work offline too.
   Every text comes from task.html's data-* (the page's language). */
(function () {
  "use strict";
  var EARTH_M = 6371008.8;
  var REQUERY_MS = 15000, REQUERY_M = 30, REFRESH_MS = 120000, LIST_SIZE = 20, KEEP_SITES = 3000;
  var FIRST_FIX_MS = 4000, startedAt = Date.now();
  var TILE_CAP = 400, TILE_LEVELS = 3, TILE_PARALLEL = 6;
  var box, d, config, slug, ctx = null, started = false;
  var el = {};
  var pos = null, geoProblem = null, watchId = null;
  var sites = {}, mineHere = {}, lastQuery = null, listNote = "";
  var map = null, tiles = null, siteLayer = null, markers = {}, you = null, youCircle = null, centred = false;
  var current = null, photos = [], sentNotes = [];
  var listTimer = null, lastList = 0;

  // --- small helpers ----------------------------------------------------------------------------------------
  function text(key, values) {
    var s = d[key] || "";
    Object.keys(values || {}).forEach(function (k) { s = s.split("%" + k).join(values[k]); });
    return s;
  }
  function make(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function number(n, digits) {
    try {
      return n.toLocaleString(document.documentElement.lang || undefined,
                              { minimumFractionDigits: digits, maximumFractionDigits: digits });
    } catch (e) { return n.toFixed(digits); }
  }
  function say(message, tone) { if (ctx && ctx.say) ctx.say(message || "", tone || ""); }
  // What just happened, at the top of the list where the volunteer is looking (the page's message line is far
  // below the list on a phone).
  function notice(message) {
    el.notice.textContent = message || "";
    el.notice.hidden = !message;
  }

  // --- distances and directions -------------------------------------------------------------------------------
  function rad(x) { return x * Math.PI / 180; }
  function distance(a, b) {
    var dLat = rad(b.lat - a.lat), dLon = rad(b.lon - a.lon);
    var h = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
  }
  function bearing(a, b) {
    var y = Math.sin(rad(b.lon - a.lon)) * Math.cos(rad(b.lat));
    var x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lon - a.lon));
    return (Math.atan2(y, x) * 180 / Math.PI + 360) % 360;
  }
  function metres(m) {
    if (m < 1000) return text("metres", { n: number(m < 100 ? Math.round(m) : Math.round(m / 10) * 10, 0) });
    return text("kilometres", { n: number(m < 10000 ? Math.round(m / 100) / 10 : Math.round(m / 1000), m < 10000 ? 1 : 0) });
  }
  var DIRS = ["dirN", "dirNe", "dirE", "dirSe", "dirS", "dirSw", "dirW", "dirNw"];
  function away(site) {
    return text("away", { d: metres(site.distance), w: d[DIRS[Math.round(site.bearing / 45) % 8]] });
  }
  function origin() {
    if (pos) return pos;
    if (config.center) return { lat: config.center[0], lon: config.center[1] };
    if (config.bounds) return { lat: (config.bounds[1] + config.bounds[3]) / 2, lon: (config.bounds[0] + config.bounds[2]) / 2 };
    return null;
  }
  function measure() {
    var from = origin();
    Object.keys(sites).forEach(function (id) {
      var s = sites[id];
      s.distance = from ? distance(from, s) : 0;
      s.bearing = from ? bearing(from, s) : 0;
    });
  }

  // --- sites kept on this phone -------------------------------------------------------------------------------
  function storeKey(what) { return "citizen-field:" + slug + ":" + what; }
  function load() {
    try {
      var kept = JSON.parse(localStorage.getItem(storeKey("sites")) || "{}");
      Object.keys(kept).forEach(function (id) { sites[id] = kept[id]; });
      (JSON.parse(localStorage.getItem(storeKey("mine")) || "[]")).forEach(function (id) { mineHere[id] = true; });
    } catch (e) { /* a damaged or private store: start empty */ }
  }
  function persist() {
    var from = origin(), ids = Object.keys(sites);
    if (ids.length > KEEP_SITES && from) {  // keep the nearest ones
      ids.sort(function (a, b) { return distance(from, sites[a]) - distance(from, sites[b]); });
      ids.slice(KEEP_SITES).forEach(function (id) { delete sites[id]; });
      ids = ids.slice(0, KEEP_SITES);
    }
    var kept = {};
    ids.forEach(function (id) {
      var s = sites[id];
      kept[id] = { id: s.id, name: s.name, lat: s.lat, lon: s.lon, visits: s.visits, wanted: s.wanted,
                   mine: !!s.mine, proposed: !!s.proposed };
    });
    try {
      localStorage.setItem(storeKey("sites"), JSON.stringify(kept));
      localStorage.setItem(storeKey("mine"), JSON.stringify(Object.keys(mineHere)));
    } catch (e) { /* full: the list still works for this visit */ }
  }
  function merge(list) {
    (list || []).forEach(function (s) {
      sites[s.id] = { id: s.id, name: s.name, lat: s.lat, lon: s.lon, visits: s.visits, wanted: s.wanted,
                      mine: !!s.mine, proposed: !!s.proposed };
    });
  }
  function isMine(s) { return s.mine || mineHere[s.id]; }

  // --- where the volunteer is ----------------------------------------------------------------------------------
  function showPosition() {
    var line = el.position;
    line.classList.remove("fd-problem-line");
    if (pos) line.textContent = text("accuracy", { a: metres(pos.accuracy) });
    else if (geoProblem) { line.textContent = d[geoProblem]; line.classList.add("fd-problem-line"); }
    else line.textContent = d.finding;
  }
  function located(p) {
    var first = !pos;
    pos = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: Date.now() };
    geoProblem = null;
    showPosition();
    drawYou();
    if (first && map && !centred) { centred = true; map.setView([pos.lat, pos.lon], Math.max(map.getZoom(), 16)); }
    maybeQuery();
    soon();
    showCard();
  }
  function lost(err) {
    if (pos && err && err.code !== 1) return;  // a timeout between fixes: the last position stands
    if (err && err.code === 1) pos = null;
    geoProblem = err && err.code === 1 ? "geoDenied" : "geoUnavailable";
    showPosition();
    drawYou();
    maybeQuery();
    soon();
    showCard();
  }
  function watch() {
    if (!navigator.geolocation) { lost({ code: 2 }); return; }
    watchId = navigator.geolocation.watchPosition(located, lost,
                                                  { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  // --- the nearby list, from the server when it answers, from this phone when it does not --------------------
  function maybeQuery() {
    var from = origin();
    if (!from) { render(); return; }
    if (!lastQuery) {
      // A first fix usually comes within seconds: on a weak connection, ask once, for where the volunteer is.
      if (!pos && !geoProblem && Date.now() - startedAt < FIRST_FIX_MS) return;
      query(from);
      return;
    }
    var age = Date.now() - lastQuery.at, moved = distance(lastQuery, from);
    if ((lastQuery.failed && age >= REQUERY_MS) || (pos && lastQuery.fromCentre) ||
        (moved >= REQUERY_M && age >= REQUERY_MS) || age >= REFRESH_MS) query(from);
  }
  function query(from) {
    var q = { lat: from.lat, lon: from.lon, at: Date.now(), fromCentre: !pos };
    lastQuery = q;
    var url = box.dataset.nearbyUrl + "?lat=" + from.lat.toFixed(6) + "&lon=" + from.lon.toFixed(6) + "&limit=" + LIST_SIZE;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.statusText);
      return r.json();
    }).then(function (body) {
      var got = body.sites || [], ids = {}, far = 0;
      got.forEach(function (s) { ids[s.id] = true; far = Math.max(far, s.distance_m || distance(from, s)); });
      // Sites closer than the farthest one returned that did not come back are done (or gone): drop them.
      if (got.length) {
        Object.keys(sites).forEach(function (id) {
          if (!ids[id] && !isMine(sites[id]) && distance(from, sites[id]) < far) delete sites[id];
        });
      }
      merge(got);
      persist();
      listNote = "";
      render();
    }).catch(function () {
      q.failed = true;
      listNote = Object.keys(sites).length ? d.offlineList : d.listFailed;
      render();
    });
  }
  function soon() {  // a moving volunteer: the list follows, at most every 2 s (the focus stays where it was)
    if (listTimer) return;
    var wait = Math.max(0, 2000 - (Date.now() - lastList));
    listTimer = setTimeout(function () { listTimer = null; render(); }, wait);
  }
  function ordered() {
    measure();
    return Object.keys(sites).map(function (id) { return sites[id]; })
      .sort(function (a, b) { return a.distance - b.distance; });
  }
  function render() {
    lastList = Date.now();
    var all = ordered(), shown = all.slice(0, LIST_SIZE);
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#fd-sites button");
    var focusId = focused && focused.dataset.id;
    el.sites.textContent = "";
    shown.forEach(function (s) {
      var li = make("li", { "class": "fd-site" + (isMine(s) ? " fd-done" : "") + (s.proposed ? " fd-proposed" : "") });
      var b = make("button", { type: "button", "class": "fd-site-button", "data-id": s.id });
      var arrow = make("span", { "class": "fd-arrow", "aria-hidden": "true" }, "↑");
      if (pos) arrow.style.transform = "rotate(" + Math.round(s.bearing) + "deg)";
      else arrow.style.visibility = "hidden";
      b.appendChild(arrow);
      var words = make("span", { "class": "fd-site-text" });
      words.appendChild(make("span", { "class": "fd-site-name" }, s.name));
      var meta = [];
      if (pos) meta.push(away(s));
      if (s.wanted) meta.push(text("visits", { v: s.visits || 0, w: s.wanted }));
      words.appendChild(make("span", { "class": "fd-site-meta" }, meta.join(" · ")));
      if (isMine(s)) words.appendChild(make("span", { "class": "fd-badge fd-badge-done" }, "✓ " + d.mine));
      else if (s.proposed) words.appendChild(make("span", { "class": "fd-badge" }, d.proposed));
      b.appendChild(words);
      li.appendChild(b);
      el.sites.appendChild(li);
    });
    var note = listNote;
    if (!shown.length && !note) note = d.noSites;
    else if (shown.length && !note && shown.every(isMine)) note = d.allDone;
    el.note.textContent = note;
    el.nearest.disabled = !all.some(function (s) { return !isMine(s); });
    if (focusId) {
      var again = el.sites.querySelector('button[data-id="' + focusId + '"]');
      if (again) again.focus({ preventScroll: true });
    }
    drawSites(all.slice(0, 1000));
  }

  // --- the map ---------------------------------------------------------------------------------------------------
  function setupMap() {
    map = L.map(el.map, { zoomControl: true, tap: true });
    if (config.tiles) {
      var layer = L.citizenTiles || L.tileLayer;
      tiles = layer(config.tiles, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
    } else {
      el.map.classList.add("fd-map-plain");
    }
    siteLayer = L.layerGroup().addTo(map);
    var from = origin();
    if (config.bounds && !pos) {
      var b = config.bounds;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { animate: false });
    } else if (from) map.setView([from.lat, from.lon], 15, { animate: false });
    else map.setView([20, 0], 2, { animate: false });
    setTimeout(function () { map.invalidateSize(); }, 0);
  }
  function drawYou() {
    if (!map) return;
    if (!pos) {
      if (you) { map.removeLayer(you); map.removeLayer(youCircle); you = youCircle = null; }
      return;
    }
    var at = [pos.lat, pos.lon];
    if (!you) {
      youCircle = L.circle(at, { radius: pos.accuracy, color: "#1668c7", weight: 1, fillOpacity: 0.12, interactive: false }).addTo(map);
      you = L.circleMarker(at, { radius: 8, color: "#fff", weight: 3, fillColor: "#1668c7", fillOpacity: 1,
                                  className: "fd-you" }).addTo(map);
      you.bindTooltip(d.youAreHere);
    } else {
      you.bringToFront();
      you.setLatLng(at);
      youCircle.setLatLng(at).setRadius(pos.accuracy);
    }
  }
  function drawSites(list) {
    if (!siteLayer) return;
    var keep = {};
    list.forEach(function (s) {
      keep[s.id] = true;
      var colour = isMine(s) ? "#6b7682" : s.proposed ? "#b35c00" : "#0b5d3b";
      var m = markers[s.id];
      if (!m) {
        m = markers[s.id] = L.circleMarker([s.lat, s.lon], { radius: 9, color: "#fff", weight: 2, fillOpacity: 1,
                                                               className: "fd-site-marker" });
        m.on("click", function () { if (sites[s.id]) openSite(sites[s.id]); });
        m.bindTooltip(s.name);
        siteLayer.addLayer(m);
      }
      m.setStyle({ fillColor: colour });
    });
    Object.keys(markers).forEach(function (id) {
      if (!keep[id]) { siteLayer.removeLayer(markers[id]); delete markers[id]; }
    });
    if (you) you.bringToFront();  // the blue dot stays above a site's marker when standing at it
  }

  // --- a site's report ------------------------------------------------------------------------------------------
  function openSite(site) {
    current = site;
    photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
    photos = [];
    el.form.reset();
    el.nameField.hidden = !site.proposal;
    el.photos.hidden = !!site.proposal;
    el.siteName.textContent = site.proposal ? d.newSite : site.name;
    el.photoProblem.textContent = el.formProblem.textContent = "";
    notice("");
    buildFields();
    thumbs();
    el.list.hidden = true;
    el.form.hidden = false;
    el.send.disabled = false;
    showCard();
    window.scrollTo(0, 0);
    el.siteName.focus({ preventScroll: true });
  }
  function closeCard() {
    current = null;
    photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
    photos = [];
    el.form.hidden = true;
    el.list.hidden = false;
    render();
    setTimeout(function () { if (map) map.invalidateSize(); }, 0);
  }
  function showCard() {
    if (!current) return;
    var where = el.where.querySelector(".fd-away"), arrow = el.where.querySelector(".fd-arrow"), warn = [];
    if (current.proposal) {
      arrow.hidden = true;
      where.textContent = pos ? text("accuracy", { a: metres(pos.accuracy) }) : (geoProblem ? d[geoProblem] : d.finding);
      if (!pos) warn.push(d.proposalNoPosition);
    } else if (pos) {
      var m = distance(pos, current), b = bearing(pos, current);
      arrow.hidden = false;
      arrow.style.transform = "rotate(" + Math.round(b) + "deg)";
      where.textContent = away({ distance: m, bearing: b });
      if (m > config.radius_m + pos.accuracy) warn.push(text("far", { d: metres(m), r: metres(config.radius_m) }));
    } else {
      arrow.hidden = true;
      where.textContent = geoProblem ? d[geoProblem] : d.finding;
      if (geoProblem) warn.push(d.noPosition);
    }
    if (pos && config.accuracy_limit_m && pos.accuracy > config.accuracy_limit_m) {
      warn.push(text("imprecise", { a: metres(pos.accuracy), l: metres(config.accuracy_limit_m) }));
    }
    el.warning.textContent = warn.join(" ");
    el.warning.hidden = !warn.length;
  }

  function buildFields() {
    el.fields.textContent = "";
    (config.fields || []).forEach(function (f) {
      var id = "fd-f-" + f.name, help = f.help ? make("p", { "class": "hint", id: id + "-help" }, f.help) : null;
      var label = f.label + (f.optional ? " " + d.optional : "");
      if (f.type === "choice") {
        var set = make("fieldset", { "class": "fd-field fd-choice choice-group", "data-name": f.name });
        set.appendChild(make("legend", {}, label));
        if (help) { set.appendChild(help); set.setAttribute("aria-describedby", id + "-help"); }
        var choices = (f.choices || []).slice();
        choices.forEach(function (c, i) { set.appendChild(radio(f, id + "-" + i, c, c)); });
        if (f.optional) set.appendChild(radio(f, id + "-none", "", d.noAnswer));
        el.fields.appendChild(set);
        return;
      }
      var wrap = make("div", { "class": "field fd-field", "data-name": f.name });
      wrap.appendChild(make("label", { "for": id }, label));
      if (help) wrap.appendChild(help);
      var input = make("input", { id: id, name: f.name, type: f.type === "date" ? "date" : "text", autocomplete: "off" });
      if (f.type === "number" || f.type === "money") input.setAttribute("inputmode", "decimal");
      if (help) input.setAttribute("aria-describedby", id + "-help");
      if (!f.optional) input.setAttribute("aria-required", "true");
      wrap.appendChild(input);
      el.fields.appendChild(wrap);
    });
  }
  function radio(f, id, value, label) {
    var l = make("label", { "class": "check fd-radio", "for": id });
    l.appendChild(make("input", { type: "radio", id: id, name: "fd-f-" + f.name, value: value }));
    l.appendChild(document.createTextNode(" " + label));
    return l;
  }
  function collect() {
    var values = {}, problem = null;
    (config.fields || []).forEach(function (f) {
      var v;
      if (f.type === "choice") {
        var picked = el.fields.querySelector('input[name="fd-f-' + CSS.escape(f.name) + '"]:checked');
        v = picked ? picked.value : "";
      } else {
        v = (document.getElementById("fd-f-" + f.name).value || "").trim();
      }
      if (!v && !f.optional && !problem) {
        problem = { message: text("fill", { l: f.label }),
                    input: el.fields.querySelector('[data-name="' + CSS.escape(f.name) + '"] input') };
      }
      values[f.name] = v || null;
    });
    return { values: values, problem: problem };
  }

  // Photos as taken: no re-encoding (it would drop the position the server checks), so the size is checked here.
  function addPhotos() {
    var files = Array.prototype.slice.call(el.photoInput.files || []), max = config.photos.max, problem = "";
    el.photoInput.value = "";
    files.forEach(function (file) {
      if (problem && problem === d.photoTooMany) return;
      if (photos.length >= max) { problem = text("photoTooMany", { n: max }); return; }
      if (file.type && !/^image\//.test(file.type)) { problem = d.photoNotImage; return; }
      if (config.max_photo_bytes && file.size > config.max_photo_bytes) {
        problem = text("photoTooBig", { s: megabytes(file.size), m: megabytes(config.max_photo_bytes) });
        return;
      }
      photos.push({ file: file, url: URL.createObjectURL(file) });
    });
    el.photoProblem.textContent = problem;
    thumbs();
  }
  function megabytes(n) { return number(n / 1000000, 1) + " MB"; }
  function thumbs() {
    var min = config.photos.min, max = config.photos.max;
    el.thumbs.textContent = "";
    photos.forEach(function (p, i) {
      var li = make("li", { "class": "fd-thumb" });
      li.appendChild(make("img", { src: p.url, alt: text("photoAlt", { n: i + 1 }) }));
      var b = make("button", { type: "button", "class": "fd-remove", "aria-label": text("photoRemove", { n: i + 1 }) }, "×");
      b.addEventListener("click", function () {
        URL.revokeObjectURL(p.url);
        photos.splice(photos.indexOf(p), 1);
        el.photoProblem.textContent = "";
        thumbs();
        el.photoInput.focus();
      });
      li.appendChild(b);
      el.thumbs.appendChild(li);
    });
    var hint = min === 0 ? text("photosUpTo", { b: max }) : min === max ? (min === 1 ? d.photosOne : text("photosExactly", { a: min }))
      : text("photosRange", { a: min, b: max });
    if (photos.length) hint += " " + text("photoCount", { n: photos.length, b: max });
    el.photosHint.textContent = hint;
    var full = photos.length >= max;
    el.photoInput.disabled = full;
    el.take.classList.toggle("fd-disabled", full);
    el.take.setAttribute("aria-disabled", String(full));
  }

  function photoUrl(template, taskId) {
    return template.replace(/\/0\//, "/" + taskId + "/").replace("UPLOAD", uuid());
  }
  function send(e) {
    e.preventDefault();
    if (!current || el.send.disabled) return;
    el.formProblem.textContent = "";
    var proposal = !!current.proposal, name = el.name.value.trim();
    function problem(message, focus) {
      el.formProblem.textContent = message;
      if (focus) focus.focus();
    }
    if (proposal && !name) return problem(d.nameMissing, el.name);
    if (proposal && !pos) return problem(d.proposalNoPosition);
    if (!proposal && photos.length < config.photos.min) return problem(text("photoTooFew", { n: config.photos.min }), el.photoInput);
    var got = collect();
    if (got.problem) return problem(got.problem.message, got.problem.input);
    var value = { position: pos ? { lat: pos.lat, lon: pos.lon, accuracy: Math.round(pos.accuracy * 10) / 10 } : null,
                  photos: [], fields: got.values, at: new Date().toISOString() };
    var site = current, item = {
      campaign: slug, key: uuid(), label: proposal ? name : site.name,
      url: proposal ? box.dataset.proposeUrl : box.dataset.answerUrl.replace(/\/0\//, "/" + site.id + "/"),
      body: proposal ? { value: value, name: name } : { value: value },
      // A proposal has no task to upload photos to (yet): it is sent without them (the photos part is hidden).
      photos: proposal ? [] : photos.map(function (p) { return { blob: p.file, url: photoUrl(box.dataset.photoUrl, site.id) }; })
    };
    el.send.disabled = true;
    Promise.resolve().then(function () { return queue().add(item); }).then(function () {
      if (!proposal) { mineHere[site.id] = true; persist(); }
      closeCard();
      notice(proposal ? d.proposalSaved : d.saved);
      showQueue();
    }).catch(function () {
      el.send.disabled = false;
      problem(d.saveFailed);
    });
  }

  // --- the reports waiting on this phone ----------------------------------------------------------------------
  function queue() { return (ctx && ctx.queue) || window.citizenQueue || fallbackQueue; }
  function ours(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (it) { return !it.campaign || it.campaign === slug; });
  }
  function message(it) {
    var r = it.response || it.result || it.body_response || {};
    return it.message || it.error || (r && r.message) || "";
  }
  function showQueue() {
    var q = queue();
    Promise.all([q.pending(slug), q.refused(slug)]).then(function (got) {
      var pending = ours(got[0]), refused = ours(got[1]);
      el.queueList.textContent = "";
      var offline = navigator.onLine === false;
      el.queueLine.textContent = pending.length ? text(offline ? "waitingOffline" : "waiting", { n: pending.length }) : "";
      el.queueLine.hidden = !pending.length;
      pending.forEach(function (it) { el.queueList.appendChild(make("li", { "class": "fd-pending" }, it.label || "")); });
      refused.forEach(function (it) {
        var id = taskOf(it);
        if (id && mineHere[id]) { delete mineHere[id]; persist(); soon(); }  // not counted: the site is open again
        var li = make("li", { "class": "fd-refused" });
        li.appendChild(make("span", {}, text("refused", { l: it.label || "", m: message(it) })));
        var b = make("button", { type: "button", "class": "button small",
                                 "aria-label": text("forgetLabel", { l: it.label || "" }) }, d.forget);
        b.addEventListener("click", function () {
          Promise.resolve(q.forget(it.id)).then(showQueue);
        });
        li.appendChild(b);
        el.queueList.appendChild(li);
      });
      sentNotes.forEach(function (n) { el.queueList.appendChild(make("li", { "class": "fd-sent" }, n)); });
      el.queue.hidden = !(pending.length || refused.length || sentNotes.length);
    }).catch(function () { /* no queue store (private mode): nothing to show */ });
  }
  function taskOf(it) { return ((it.url || "").match(/\/tasks\/(\d+)\//) || [])[1]; }
  var HELD = { too_far: "heldTooFar", imprecise: "heldImprecise", photo_elsewhere: "heldPhotoElsewhere",
               old_photo: "heldOldPhoto", too_soon: "heldTooSoon" };
  function sent(items) {
    ours(Array.isArray(items) ? items : items ? [items] : []).forEach(function (it) {
      var r = it.response || it.result || {}, held = (r.held || []).map(function (h) { return d[HELD[h]] || h; });
      var note = held.length ? text("held", { l: it.label || "", r: held.join("; ") }) : text("sent", { l: it.label || "" });
      sentNotes.unshift(note);
      if (typeof r.done === "number") {
        var count = document.getElementById("done-count");
        if (count && r.done > (parseInt(count.textContent, 10) || 0)) count.textContent = r.done;
      }
      var s = sites[taskOf(it)];
      if (s && !s.mine) { s.mine = true; s.visits = (s.visits || 0) + 1; persist(); }
    });
    sentNotes = sentNotes.slice(0, 3);
  }

  // A stand-in until js/queue.js is on the page: sends at once (no offline storage), same interface and events.
  var fallbackQueue = (function () {
    var items = [];
    function emit(done) {
      window.dispatchEvent(new CustomEvent("citizen-queue", { detail: {
        pending: items.filter(function (i) { return i.state === "pending"; }),
        refused: items.filter(function (i) { return i.state === "refused"; }), sent: done ? [done] : [] } }));
    }
    function headers(extra) {
      var csrf = (ctx && ctx.csrf) || (document.querySelector('meta[name="csrf-token"]') || {}).content;
      return Object.assign({ "Accept": "application/json", "X-CSRFToken": csrf }, extra || {});
    }
    // The whole photo in one multipart request (POST .../photos): a chunk may be at most 1 MiB, a photo 15 MB.
    function upload(p) {
      var form = new FormData();
      form.append("photo", p.blob, "photo.jpg");
      return fetch(p.url.replace(/\/[^\/]+$/, ""), { method: "POST", credentials: "same-origin", body: form,
                                                      headers: headers() })
        .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw b; return b.photo; }); });
    }
    function run(it) {
      Promise.all(it.photos.map(upload)).then(function (tokens) {
        it.body.value.photos = tokens;
        return fetch(it.url, { method: "POST", credentials: "same-origin", body: JSON.stringify(it.body),
                               headers: headers({ "Content-Type": "application/json", "Idempotency-Key": it.key }) });
      }).then(function (r) {
        return r.json().then(function (b) {
          if (r.ok) { it.state = "sent"; it.response = b; emit(it); }
          else { it.state = "refused"; it.message = b.message; emit(); }
        });
      }).catch(function (b) {
        if (b && b.message) { it.state = "refused"; it.message = b.message; emit(); return; }
        setTimeout(function () { run(it); }, 10000);
      });
    }
    return {
      add: function (it) {
        it.id = uuid(); it.state = "pending"; items.push(it); emit(); run(it);
        return Promise.resolve(it.id);
      },
      pending: function () { return Promise.resolve(items.filter(function (i) { return i.state === "pending"; })); },
      refused: function () { return Promise.resolve(items.filter(function (i) { return i.state === "refused"; })); },
      forget: function (id) { items = items.filter(function (i) { return i.id !== id; }); emit(); return Promise.resolve(); },
      flush: function () { return Promise.resolve(); }
    };
  })();

  // --- saving an area for offline use: its sites, and the map tiles of this zoom and two closer ---------------
  function tileUrls(bounds) {
    var size = tiles.getTileSize().x, z0 = Math.round(map.getZoom()), maxZoom = tiles.options.maxZoom, urls = [];
    for (var z = z0; z < z0 + TILE_LEVELS && z <= maxZoom; z++) {
      var nw = map.project(bounds.getNorthWest(), z).divideBy(size).floor();
      var se = map.project(bounds.getSouthEast(), z).divideBy(size).floor();
      var n = Math.pow(2, z);
      var y0 = Math.max(0, nw.y), y1 = Math.min(n - 1, se.y);
      var count = (se.x - nw.x + 1) * (y1 - y0 + 1);
      if (urls.length + count > TILE_CAP) { if (z === z0) return null; break; }
      var saved = [tiles._tileZoom, tiles._globalTileRange];
      tiles._tileZoom = z;  // getTileUrl reads the layer's zoom: the level being saved, for a moment
      tiles._globalTileRange = tiles._pxBoundsToTileRange(map.getPixelWorldBounds(z));
      try {
        for (var x = nw.x; x <= se.x; x++) {
          for (var y = y0; y <= y1; y++) {
            var c = L.point(((x % n) + n) % n, y);
            c.z = z;
            urls.push(tiles.getTileUrl(c));
          }
        }
      } finally { tiles._tileZoom = saved[0]; tiles._globalTileRange = saved[1]; }
    }
    return urls;
  }
  // Images, not fetch(): the page may show images from the tile server but not read them (its CSP); the service
  // worker keeps what passes through it.
  function fetchTiles(urls) {
    return new Promise(function (done) {
      var next = 0, finished = 0, ok = 0;
      if (!urls.length) { done(0); return; }
      function one() {
        if (next >= urls.length) return;
        var img = new Image();
        img.onload = img.onerror = function (ev) {
          finished++;
          if (ev.type === "load") ok++;
          el.area.textContent = text("savingTiles", { d: finished, n: urls.length });
          if (finished === urls.length) done(ok); else one();
        };
        img.src = urls[next++];
      }
      for (var i = 0; i < TILE_PARALLEL; i++) one();
    });
  }
  function saveArea() {
    if (!map || el.saveArea.disabled) return;
    var bounds = map.getBounds();
    var bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(6); }).join(",");
    if (bounds.getEast() - bounds.getWest() > 1 || bounds.getNorth() - bounds.getSouth() > 1) {
      el.area.textContent = d.areaTooLarge;  // the server sends the sites of at most one degree at a time
      return;
    }
    el.saveArea.disabled = true;
    el.area.textContent = d.savingSites;
    fetch(box.dataset.sitesUrl + "?bbox=" + bbox, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.statusText); return r.json(); })
      .then(function (body) {
        var got = body.sites || [];
        merge(got);
        persist();
        render();
        var capped = body.more || got.length >= 500 ? " " + d.areaCapped : "";
        if (!tiles) { el.area.textContent = text("areaSavedNoTiles", { s: got.length }) + capped; return; }
        var urls = tileUrls(bounds);
        if (!urls) { el.area.textContent = text("areaSavedNoTiles", { s: got.length }) + " " + d.areaTooLarge + capped; return; }
        return fetchTiles(urls).then(function (n) {
          el.area.textContent = text("areaSaved", { s: got.length, t: n }) + capped;
        });
      })
      .catch(function () { el.area.textContent = d.areaFailed; })
      .then(function () { el.saveArea.disabled = false; });
  }

  // --- start ----------------------------------------------------------------------------------------------------
  function nearest() {
    var open = ordered().filter(function (s) { return !isMine(s); });
    if (open.length) openSite(open[0]);
  }
  function start(options) {
    ctx = options || {};
    if (started) { showQueue(); return; }
    started = true;
    box = document.getElementById("fd");
    if (!box) return;
    d = box.dataset;
    slug = d.slug;
    config = JSON.parse(document.getElementById("field-config").textContent);
    config.photos = config.photos || { min: 0, max: 5 };
    ["position", "queue", "queueLine", "queueList", "nearest", "map", "sites", "saveArea", "propose", "report", "back",
     "siteName", "siteWhere", "siteWarning", "nameField", "name", "photosHint", "photoInput", "thumbs", "photoProblem",
     "fields", "formProblem", "send", "photos", "notice", "listNote", "areaStatus", "listView"].forEach(function (k) {
      el[k] = document.getElementById("fd-" + k.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); }));
    });
    el.form = el.report; el.list = el.listView; el.where = el.siteWhere; el.warning = el.siteWarning;
    el.note = el.listNote; el.area = el.areaStatus; el.take = box.querySelector(".fd-take");
    // No task loop on this page: Skip and Back belong to the other kinds.
    ["skip", "back", "back-cancel"].forEach(function (id) { var b = document.getElementById(id); if (b) b.hidden = true; });
    var task = document.getElementById("task");
    if (task) task.setAttribute("aria-busy", "false");

    load();
    setupMap();
    el.propose.hidden = !config.proposals;
    el.sites.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-id]");
      if (b && sites[b.dataset.id]) openSite(sites[b.dataset.id]);
    });
    el.nearest.addEventListener("click", nearest);
    el.back.addEventListener("click", closeCard);
    el.saveArea.addEventListener("click", saveArea);
    el.propose.addEventListener("click", function () { openSite({ proposal: true }); });
    el.photoInput.addEventListener("change", addPhotos);
    el.form.addEventListener("submit", send);
    window.addEventListener("citizen-queue", function (e) {
      var detail = e.detail || {};
      if (detail.sent) sent(detail.sent);
      showQueue();
      soon();
    });
    window.addEventListener("online", showQueue);
    window.addEventListener("offline", showQueue);
    showPosition();
    render();
    showQueue();
    watch();
    startedAt = Date.now();
    maybeQuery();
    setInterval(maybeQuery, 2000);
  }

  window.citizenKinds = window.citizenKinds || {};
  window.citizenKinds.field = {
    start: start,
    render: function () {},  // no tasks handed out here: sites are chosen from the list
    valueForKey: function () { return null; }
  };

  // Until work.js calls start(): start once the page's scripts have run, and keep the page on screen.
  document.addEventListener("DOMContentLoaded", function () {
    setTimeout(function () {
      if (started) return;
      var root = document.getElementById("work"), message = document.getElementById("message");
      start({ root: root, csrf: (document.querySelector('meta[name="csrf-token"]') || {}).content,
              queue: window.citizenQueue,
              say: function (t, tone) { if (message) { message.textContent = t || ""; message.className = "message " + (tone || ""); } } });
      var task = document.getElementById("task"), empty = document.getElementById("empty");
      if (task && window.MutationObserver) {
        new MutationObserver(function () {
          if (task.hidden) task.hidden = false;
          if (empty && !empty.hidden) empty.hidden = true;
        }).observe(task, { attributes: true, attributeFilter: ["hidden"] });
      }
    }, 0);
  });
})();
