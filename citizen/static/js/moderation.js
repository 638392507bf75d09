/* The moderation queue: keyboard-first review (j/k to move, one key per action, shown on the buttons), each
   item's photo or map drawn with every answer's marks (Leaflet; photos in pixel coordinates, y downwards),
   one request per action, and new escalations polled for and put at the top without a reload. */
(function () {
  "use strict";
  var list = document.getElementById("mod-queue");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var statusEl = document.getElementById("mod-status");
  var emptyEl = document.getElementById("mod-empty");
  var current = null, pending = null, busy = false;
  var KEYS = { c: "confirm", d: "dismiss", a: "accept", o: "override", e: "edit", h: "hide", r: "rerate", s: "suspend" };
  var NEEDS_FORM = { override: "override", rerate: "rerate", hide: null, suspend: "suspend" };
  var REASON_REQUIRED = { override: 1, hide: 1, suspend: 1 };
  var PALETTE = ["#1f78b4", "#33a02c", "#6a3d9a", "#ff7f00", "#b15928", "#a6cee3", "#fb9a99", "#cab2d6"];
  var CRITICAL = "#d7191c", CONSENSUS = "#ffd23f";

  // The experts' view of one escalation: the photo with the marks, and where it is.
  var esc = document.getElementById("esc-view");
  if (esc) {
    esc = esc.closest("section");
    draw(esc);
    paintSwatches(esc);
    var where = document.getElementById("esc-location-map");
    if (where && window.L) {
      var place = json(where, "place"), tiles = where.dataset.tiles;
      var locMap = L.map(where, { zoomSnap: 0.25 }).setView([place.lat, place.lon], tiles ? 16 : 12);
      if (tiles) L.citizenTiles(tiles, { maxZoom: 19, attribution: where.dataset.attribution || "" }).addTo(locMap);
      L.circleMarker([place.lat, place.lon], { radius: 10, color: "#fff", weight: 3, fillColor: CRITICAL, fillOpacity: 1 })
        .addTo(locMap);
    }
    var reached = document.getElementById("esc-reached");
    if (reached) {  // deliveries under way (a webhook's retries, live pages yet to check in): follow them
      var polls = 0;
      var follow = function () {
        fetch(reached.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (body) {
            if (body && body.summary) reached.textContent = body.summary;
            polls += 1;
            if (polls < 40) window.setTimeout(follow, 3000);
          }, function () { /* the page still says what it knew */ });
      };
      window.setTimeout(follow, 2000);
    }
    esc.addEventListener("click", function (e) {
      var reveal = e.target.closest(".mod-reveal");
      if (reveal) showOriginal(esc, reveal);
    });
  }
  if (!list) return;

  function say(text, tone) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.className = "message " + (tone || "");
  }
  function items() { return Array.prototype.slice.call(list.querySelectorAll(".mod-item")); }
  function json(el, name) { try { return JSON.parse(el.dataset[name] || "null"); } catch (e) { return null; } }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
                        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
                        body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (b) { return { ok: r.ok, body: b }; }); });
  }

  // --- drawing ------------------------------------------------------------------------------------------
  function colour(a, i) { return a.critical ? CRITICAL : PALETTE[i % PALETTE.length]; }

  function marksLayer(fc, style, pixel) {
    return L.geoJSON(fc, {
      coordsToLatLng: pixel ? function (c) { return L.latLng(-c[1], c[0]); } : L.GeoJSON.coordsToLatLng,
      pointToLayer: function (_f, ll) { return L.circleMarker(ll, { radius: style.radius || 7, color: "#fff", weight: 2,
                                                                    fillColor: style.color, fillOpacity: 0.95 }); },
      style: function () { return { color: style.color, weight: style.weight || 3, dashArray: style.dash || null,
                                    fillOpacity: 0.1 }; },
      interactive: false
    });
  }

  function draw(item) {
    var fig = item.querySelector(".mod-view");
    var box = fig && fig.querySelector(".mod-map");
    if (!box || fig.map || !window.L) return;
    var v = json(fig, "viewer"), answers = json(fig, "answers") || [], features = json(fig, "features");
    var pixel = v.mode === "photo", map, bounds;
    if (pixel) {
      map = L.map(box, { crs: L.CRS.Simple, minZoom: -6, maxZoom: 3, zoomSnap: 0.25, attributionControl: false });
      bounds = L.latLngBounds([[-v.height, 0], [0, v.width]]);
      fig.overlay = v.image_url ? L.imageOverlay(v.image_url, bounds, { alt: v.alt || "" }).addTo(map) : null;
    } else {
      map = L.map(box, { zoomSnap: 0.25 });
      if (v.tiles && v.tiles.after) L.citizenTiles(v.tiles.after, { maxZoom: 19, attribution: v.attribution || "" }).addTo(map);
      var outline = L.geoJSON(v.geometry, { interactive: false, style: { color: CONSENSUS, weight: 2, dashArray: "6 4", fill: false } }).addTo(map);
      bounds = outline.getBounds();
    }
    answers.forEach(function (a, i) {
      if (a.marks && a.marks.features && a.marks.features.length) {
        marksLayer(a.marks, { color: colour(a, i), radius: a.critical ? 9 : 6, weight: a.critical ? 4 : 2 }, pixel).addTo(map);
      }
    });
    if (features && features.features && features.features.length) {
      marksLayer(features, { color: CONSENSUS, radius: 12, weight: 3, dash: "4 4" }, pixel).addTo(map);
    }
    map.fitBounds(bounds, { padding: [8, 8] });
    fig.map = map;
    setTimeout(function () { map.invalidateSize(); }, 0);
  }

  function paintSwatches(item) {
    var fig = item.querySelector(".mod-view");
    var answers = (fig && json(fig, "answers")) || [];
    item.querySelectorAll(".mod-answers .swatch").forEach(function (s) {
      var a = answers[+s.dataset.index];
      if (a) s.style.background = colour(a, +s.dataset.index);
    });
  }

  var seen = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { draw(e.target); seen.unobserve(e.target); } });
  }, { rootMargin: "200px" }) : null;

  function prepare(item) {
    paintSwatches(item);
    if (seen) seen.observe(item); else draw(item);
  }

  // --- moving -------------------------------------------------------------------------------------------
  function select(item, focus) {
    if (!item) return;
    if (current) current.classList.remove("current");
    current = item;
    item.classList.add("current");
    if (focus) { item.focus({ preventScroll: true }); item.scrollIntoView({ block: "nearest" }); }
    draw(item);
  }

  function move(step) {
    var all = items();
    var i = all.indexOf(current);
    select(all[Math.max(0, Math.min(all.length - 1, i + step))], true);
  }

  function counted(reason, by) {
    [reason, "all"].forEach(function (name) {
      var el = document.getElementById("count-" + name);
      if (el) el.textContent = Math.max(0, (+el.textContent || 0) + by);
    });
  }

  function removeItem(item) {
    var all = items(), i = all.indexOf(item);
    var next = all[i + 1] || all[i - 1] || null;
    if (item.querySelector(".mod-view") && item.querySelector(".mod-view").map) item.querySelector(".mod-view").map.remove();
    item.remove();
    counted(item.dataset.reason, -1);
    if (next) { select(next, true); return; }
    current = null;
    if (document.querySelector(".mod-pager")) { window.location.reload(); return; }  // the next items move up
    emptyEl.hidden = false;
  }

  // --- acting -------------------------------------------------------------------------------------------
  function panel(item) { return item.querySelector(".mod-more"); }

  function closePanel(item) {
    var p = panel(item);
    if (p) p.hidden = true;
    pending = null;
  }

  function send(item, action) {
    if (busy) return;
    var form = item.querySelector(".mod-actions");
    var body = { item: item.dataset.key, action: action, reason: form.elements.reason ? form.elements.reason.value.trim() : "" };
    if (REASON_REQUIRED[action] && !body.reason) { say(list.dataset.reasonNeeded, "error"); form.elements.reason.focus(); return; }
    if (action === "override" && form.elements.answer) body.answer = form.elements.answer.value;
    if (action === "rerate" && form.elements.level) body.level = form.elements.level.value;
    if (action === "suspend" && form.elements.scope && form.elements.scope.checked) body.scope = "organisation";
    if (item.dataset.members) body.members = JSON.parse(item.dataset.members);
    deliver(item, body);
  }

  function deliver(item, body) {
    var action = body.action;
    busy = true;
    item.setAttribute("aria-busy", "true");
    post(list.dataset.actUrl, body).then(function (r) {
      busy = false;
      item.removeAttribute("aria-busy");
      if (!r.ok) { say(r.body.message || "Error", "error"); unlockEditor(item); return; }
      say(list.dataset.done.replace("%s", action) + (r.body.sent_to ? " " + r.body.sent_to : ""),
          r.body.reached_nobody ? "error" : "");
      if (r.body.escalation_url && statusEl) {  // where the alert went, as each delivery arrives
        var open = document.createElement("a");
        open.href = r.body.escalation_url;
        open.textContent = list.dataset.openEscalation;
        statusEl.appendChild(document.createTextNode(" "));
        statusEl.appendChild(open);
      }
      pending = null;
      if (editing === item) closeEditor(false);
      removeItem(item);
    }, function () {
      busy = false; item.removeAttribute("aria-busy"); say("Network error: try again.", "error");
      unlockEditor(item);
    });
  }

  // --- adjusting an answer in its kind's own widget (the boxes editor), from the agreed answer ------------
  var editor = document.getElementById("mod-editor"), editing = null;
  function openEditor(item) {
    var spec = json(item, "editor"), widget = spec && window.citizenKinds && window.citizenKinds[spec.kind];
    if (!editor || !widget) return;
    select(item, false);
    editing = item;
    editor.querySelectorAll("[data-editor-kind]").forEach(function (el) { el.hidden = el.dataset.editorKind !== spec.kind; });
    var el = editor.querySelector('[data-editor-kind="' + spec.kind + '"]');
    editor.hidden = false;
    document.getElementById("mod-editor-task").textContent = item.querySelector(".mod-item-head > p.muted").textContent;
    widget.render(spec.task, el, function (answer) {
      var reason = document.getElementById("mod-editor-reason").value.trim();
      if (!reason) { say(list.dataset.reasonNeeded, "error"); document.getElementById("mod-editor-reason").focus(); return; }
      if (widget.lock) widget.lock();
      deliver(item, { item: item.dataset.key, action: "override", answer: answer, reason: reason });
    });
    var stage = el.querySelector("[tabindex='0']");
    if (stage) stage.focus({ preventScroll: true });
    editor.scrollIntoView({ block: "start" });
  }
  function unlockEditor(item) {  // a refused or failed save: the moderator's boxes stay, to try again
    var widget = editing === item && window.citizenKinds[json(item, "editor").kind];
    if (widget && widget.unlock) widget.unlock();
  }
  var discarding = false;  // Esc was pressed once over unsent changes
  function leaveEditor() {
    var widget = window.citizenKinds[json(editing, "editor").kind];
    if (!discarding && widget.changed && widget.changed()) {
      discarding = true;
      say(list.dataset.discard, "error");
      return;
    }
    say("");
    closeEditor(true);
  }
  function closeEditor(refocus) {
    if (!editor || !editing) return;
    var item = editing;
    editing = null;
    discarding = false;
    editor.hidden = true;
    editor.querySelectorAll("[data-editor-kind]").forEach(function (el) { el.hidden = true; });
    if (refocus && item.isConnected) { item.focus({ preventScroll: true }); item.scrollIntoView({ block: "nearest" }); }
  }
  if (editor) {
    editor.addEventListener("pointerdown", function () { discarding = false; });  // changed since the warning
    document.getElementById("mod-editor-close").addEventListener("click", function () { closeEditor(true); });
    document.getElementById("mod-editor-reason").addEventListener("keydown", function (e) {
      var widget = editing && window.citizenKinds[json(editing, "editor").kind];
      if (e.key === "Enter" && widget && widget.send) { e.preventDefault(); widget.send(); }
    });
  }

  function start(item, action) {
    if (!item.querySelector('[data-action="' + action + '"]')) return;
    if (action === "edit") { openEditor(item); return; }
    select(item, false);
    if (!(action in NEEDS_FORM)) { send(item, action); return; }
    var p = panel(item);
    pending = action;
    p.hidden = false;
    p.querySelectorAll("label[class^='mod-more-']").forEach(function (l) {
      l.hidden = l.className.indexOf("mod-more-" + NEEDS_FORM[action]) < 0;
    });
    var first = p.querySelector("label:not([hidden]) select, label:not([hidden]) input[type=checkbox]") || p.querySelector("input[name=reason]");
    first.focus();
  }

  list.addEventListener("click", function (e) {
    var item = e.target.closest(".mod-item");
    if (!item) return;
    var button = e.target.closest("[data-action]");
    if (button) { start(item, button.dataset.action); return; }
    if (e.target.closest(".mod-cancel")) { closePanel(item); item.focus(); return; }
    var reveal = e.target.closest(".mod-reveal");
    if (reveal) { showOriginal(item, reveal); return; }
    if (item !== current) select(item, false);
  });

  list.addEventListener("submit", function (e) {
    e.preventDefault();
    var item = e.target.closest(".mod-item");
    if (item && pending) send(item, pending);
  });

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
    if (editing) {  // the kind's widget has the keys; Esc leaves it (twice when its changes would be lost)
      if (e.key === "Escape" && !e.defaultPrevented) { e.preventDefault(); leaveEditor(); }
      else if (e.key !== "Escape") discarding = false;
      return;
    }
    if (e.key === "Escape" && current) { closePanel(current); current.focus(); return; }
    if (typing) return;
    var key = e.key.toLowerCase();
    if (key === "j") { e.preventDefault(); move(current ? 1 : 0); return; }
    if (key === "k") { e.preventDefault(); move(-1); return; }
    if (KEYS[key] && current) { e.preventDefault(); start(current, KEYS[key]); }
  });

  function showOriginal(item, button) {
    post(button.dataset.url).then(function (r) {
      if (!r.ok) { say(r.body.message || "Error", "error"); return; }
      var fig = item.querySelector(".mod-view");
      if (fig.overlay) fig.overlay.setUrl(r.body.image_url);
      var img = fig.querySelector("img:not(.leaflet-image-layer)");
      if (img) img.src = r.body.image_url;
      button.closest(".content-notice").hidden = true;
    });
  }

  // --- new escalations ----------------------------------------------------------------------------------
  function poll() {
    var url = list.dataset.pollUrl + (list.dataset.pollUrl.indexOf("?") < 0 ? "?" : "&") + "after=" + list.dataset.last;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        list.dataset.last = body.last;
        body.items.forEach(function (it) {
          if (document.querySelector('.mod-item[data-key="' + it.key + '"]')) return;
          var holder = document.createElement("div");
          holder.innerHTML = it.html.trim();
          var item = holder.firstElementChild;
          var escalations = list.querySelectorAll('.mod-item[data-reason="escalation"]');
          var after = escalations[escalations.length - 1];
          if (after) after.after(item); else list.prepend(item);
          emptyEl.hidden = true;
          counted("escalation", 1);
          prepare(item);
          say(list.dataset["new"]);
          if (!editing && (!current || current.dataset.reason !== "escalation")) select(item, true);  // never away from an open editor
        });
      })
      .catch(function () { /* offline for a moment: the next poll catches up */ });
  }
  setInterval(poll, Math.max(1, +list.dataset.pollSeconds || 3) * 1000);

  var campaignSelect = document.getElementById("mod-campaign");
  if (campaignSelect) campaignSelect.addEventListener("change", function () { campaignSelect.form.submit(); });

  items().forEach(prepare);
  select(items()[0], false);
})();
