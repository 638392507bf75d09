/* The map kinds (deforestation, damage): a grid cell over before/after imagery tiles, or a photo
   in pixel coordinates; the volunteer may draw polygons and points (pointer or keyboard), then presses an answer.
   The answer sent is {answer, marks}: marks are GeoJSON in lon/lat on maps and in [x, y] pixels
   from the photo's top-left corner on photos. */
(function () {
  "use strict";
  var map = null, drawn = null, task = null, layers = {}, swipe = null, control = null, photo = null;
  var els = {};

  function $(el, sel) { return el.querySelector(sel); }

  function countMarks() {
    var n = drawn ? drawn.getLayers().length : 0;
    els.marks.textContent = n ? els.root.dataset[n === 1 ? "oneMark" : "manyMarks"].replace("%n", n) : "";
  }

  // An answer pressed while a polygon is still being drawn keeps that polygon (3 points or more):
  // volunteers should not lose a shape because they did not press "Finish".
  function finishDrawing() {
    var modes = control && control._toolbars && control._toolbars.draw && control._toolbars.draw._modes;
    var polygon = modes && modes.polygon && modes.polygon.handler;
    if (polygon && polygon.enabled() && polygon._markers && polygon._markers.length >= 3) polygon.completeShape();
    if (polygon && polygon.enabled()) polygon.disable();
  }

  // The page's language for Leaflet.draw's toolbar and tips, and the zoom buttons (kinds/map/task.html).
  function merge(into, from) {
    Object.keys(from).forEach(function (k) {
      if (from[k] && typeof from[k] === "object" && into[k]) merge(into[k], from[k]); else into[k] = from[k];
    });
  }
  function localise() {
    var el = document.getElementById("m-draw-local");
    if (!el) return;
    var texts = JSON.parse(el.textContent);
    if (!localise.done) { merge(L.drawLocal, { draw: texts.draw, edit: texts.edit }); localise.done = true; }
    var zoom = map.zoomControl;
    if (zoom && texts.zoom) {
      [[zoom._zoomInButton, texts.zoom["in"]], [zoom._zoomOutButton, texts.zoom.out]].forEach(function (b) {
        if (b[0]) { b[0].title = b[1]; b[0].setAttribute("aria-label", b[1]); }
      });
    }
  }

  function setupDraw() {
    localise();
    drawn = new L.FeatureGroup().addTo(map);
    control = new L.Control.Draw({
      position: "topright",
      draw: { polyline: false, rectangle: false, circle: false, circlemarker: false, marker: {},
              polygon: { allowIntersection: false, showArea: false,
                         shapeOptions: { color: "#d7191c", weight: 3 } } },
      edit: { featureGroup: drawn }
    });
    map.addControl(control);
    map.on(L.Draw.Event.CREATED, function (e) { drawn.addLayer(e.layer); countMarks(); });
    map.on(L.Draw.Event.DELETED, countMarks);
  }

  // --- marks by keyboard: the map has the focus (Tab), arrows move it under the cross in its centre --------
  // P puts a pin there, M moves the pin nearest to it there, V adds an outline's corner there (F finishes the
  // outline from three corners, Esc drops it), Delete removes the corner or the mark drawn last.
  function polygonHandler() {
    var modes = control && control._toolbars && control._toolbars.draw && control._toolbars.draw._modes;
    return modes && modes.polygon && modes.polygon.handler;
  }
  function nearestPin(at) {
    var best = null, dist = Infinity;
    drawn.eachLayer(function (l) {
      if (!l.getLatLng) return;
      var d = map.latLngToContainerPoint(l.getLatLng()).distanceTo(map.latLngToContainerPoint(at));
      if (d < dist) { best = l; dist = d; }
    });
    return best;
  }
  function say(text) { if (els.keys) els.keys.textContent = text || ""; }
  var MAP_KEYS = { p: 1, m: 1, v: 1, f: 1, Delete: 1, Backspace: 1 };
  function mapKey(e) {
    if (!map || !drawn || e.ctrlKey || e.metaKey || e.altKey) return;
    var k = e.key.length === 1 ? e.key.toLowerCase() : e.key, poly = polygonHandler();
    if (!MAP_KEYS[k] && !(k === "Escape" && poly && poly.enabled())) return;
    e.preventDefault();
    e.stopPropagation();
    // Arrow keys pan with an animation: a key pressed meanwhile acts where the map comes to rest.
    if (map._panAnim && map._panAnim._inProgress) map.once("moveend", function () { act(k); }); else act(k);
  }
  function act(k) {
    if (!map || !drawn) return;
    var at = map.getCenter(), poly = polygonHandler(), texts = els.keys ? els.keys.dataset : {};
    if (k === "p") {
      drawn.addLayer(L.marker(at)); countMarks(); say(texts.keyPin);
    } else if (k === "m") {
      var pin = nearestPin(at);
      if (pin) { pin.setLatLng(at); say(texts.keyMoved); }
    } else if (k === "v" && poly) {
      if (!poly.enabled()) poly.enable();
      poly.addVertex(at);
      say((texts.keyCorner || "").replace("%n", poly._markers.length));
    } else if (k === "f" && poly && poly.enabled()) {
      if (poly._markers.length >= 3) { poly.completeShape(); poly.disable(); say(texts.keyOutline); }
      else say(texts.keyTooFew);
    } else if (k === "Escape" && poly && poly.enabled()) {
      poly.disable(); say("");
    } else if (k === "Delete" || k === "Backspace") {
      if (poly && poly.enabled() && poly._markers.length) { poly.deleteLastVertex(); return; }
      var last = drawn.getLayers().pop();
      if (last) { drawn.removeLayer(last); countMarks(); say(texts.keyRemoved); }
    }
  }

  function setMode(mode) {
    if (!layers.after) return;
    if (swipe) { map.removeControl(swipe); swipe = null; }
    [layers.before, layers.after].forEach(function (l) { if (l && map.hasLayer(l)) map.removeLayer(l); });
    if (mode === "swipe" && layers.before) {
      layers.before.addTo(map); layers.after.addTo(map);
      swipe = L.control.sideBySide(layers.before, layers.after).addTo(map);
      var range = els.map.querySelector(".leaflet-sbs-range");  // the plug-in's slider has no name of its own
      if (range) range.setAttribute("aria-label", els.modes.dataset.swipeLabel || "Before and after: slide to compare");
    } else {
      (mode === "before" ? layers.before : layers.after).addTo(map);
    }
    els.modes.querySelectorAll("button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    });
  }

  function showCell(t) {
    map = L.map(els.map, { zoomControl: true, zoomSnap: 0.25 });
    var opts = { maxZoom: 19, attribution: t.attribution || "" };
    layers = { after: L.citizenTiles(t.tiles.after, opts), before: t.tiles.before ? L.citizenTiles(t.tiles.before, opts) : null };
    var outline = L.geoJSON(t.geometry, { interactive: false,
      style: { color: "#ffd23f", weight: 3, dashArray: "6 4", fill: false } }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [12, 12] });
    els.modes.hidden = !layers.before;
    setMode(layers.before ? "swipe" : "after");
  }

  function showPhoto(t) {
    map = L.map(els.map, { crs: L.CRS.Simple, minZoom: -6, maxZoom: 3, zoomSnap: 0.25 });
    var bounds = [[-t.height, 0], [0, t.width]];
    photo = L.imageOverlay(t.image_url, bounds, { alt: els.root.dataset.photoAlt || "" }).addTo(map);
    map.fitBounds(bounds);
    map.setMaxBounds(L.latLngBounds(bounds).pad(0.5));
    els.modes.hidden = true;
    layers = {};
  }

  // Leaflet's CRS.Simple has y up: the photo spans lat -height..0, so pixel y = -lat.
  function toPixels(coords) {
    if (typeof coords[0] === "number") return [Math.round(coords[0] * 10) / 10, Math.round(-coords[1] * 10) / 10];
    return coords.map(toPixels);
  }

  function marks() {
    var fc = drawn ? drawn.toGeoJSON() : { type: "FeatureCollection", features: [] };
    fc.features.forEach(function (f) {
      f.properties = {};
      if (task && task.mode === "photo") f.geometry.coordinates = toPixels(f.geometry.coordinates);
    });
    return fc;
  }

  var kind = {
    render: function (t, el, answer) {
      task = t;
      els = { root: document.getElementById("work"), map: $(el, "#m-map"), modes: $(el, "#m-modes"),
              marks: $(el, "#m-marks"), keys: $(el, "#m-keys-status") };
      if (map) { map.remove(); map = null; swipe = null; }
      if (t.mode === "photo") showPhoto(t); else showCell(t);
      setupDraw();
      if (!els.map.dataset.keys) { els.map.dataset.keys = "1"; els.map.addEventListener("keydown", mapKey); }
      say("");
      countMarks();
      $(el, "#m-question").textContent = t.question;
      citizenOptions.render($(el, "#m-options"), t, function (v) { finishDrawing(); answer({ answer: v, marks: marks() }); });
      setTimeout(function () { if (map) map.invalidateSize(); }, 0);
    },
    valueForKey: function (t, key) {
      var v = citizenOptions.forKey(t, key);
      if (v !== null) { finishDrawing(); return { answer: v, marks: marks() }; }
      if (layers.before && (key === "b" || key === "a" || key === "w")) {
        setMode({ b: "before", a: "after", w: "swipe" }[key]);
      }
      return null;
    },
    // A blurred photo was revealed: swap the image, keep the marks already drawn.
    reveal: function (t) { if (photo && t.mode === "photo") photo.setUrl(t.image_url); },
    lock: function (el, value) { citizenOptions.lock(el, value && value.answer); },
    unlock: citizenOptions.unlock,
    setMode: function (mode) { setMode(mode); }
  };

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("#m-modes button");
    if (b && map) setMode(b.dataset.mode);
  });

  window.citizenKinds = window.citizenKinds || {};
  window.citizenKinds.deforestation = kind;
  window.citizenKinds.damage = kind;
  window.citizenKinds.search = kind;
})();
