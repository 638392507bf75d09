/* Organiser: draw the area of interest on a map; the drawn polygons fill the "area" field as
   GeoJSON, which the server then splits into grid cells exactly like an uploaded file.
   Layers: the campaign's imagery (after, before), the organisation's reference map (REFERENCE_TILES) and
   offline country outlines with capitals (vendored Natural Earth), so the map is never a blank world.
   "Go to": "lat, lon", a country or capital, or a place of the campaign's own tasks. */
(function () {
  "use strict";
  var el = document.getElementById("draw-map"), field = document.getElementById("area");
  if (!el || !field || !window.L) return;
  var details = el.closest("details"), map = null, d = el.dataset;
  var named = {};  // lower-case name -> {bounds} or {lat, lon}
  var places = [];
  try { places = JSON.parse(d.places || "[]"); } catch (e) { places = []; }
  places.forEach(function (p) { named[p.name.toLowerCase()] = { lat: p.lat, lon: p.lon, zoom: 13 }; });

  // A country across the 180th meridian (Fiji, Russia) is stored in two halves; its view is one piece.
  function continuous(layer) {
    var b = layer.getBounds();
    if (b.getEast() - b.getWest() <= 180) return b;
    var out = L.latLngBounds([]);
    (function walk(ll) {
      if (ll.lat !== undefined) { out.extend([ll.lat, ll.lng < 0 ? ll.lng + 360 : ll.lng]); return; }
      ll.forEach(walk);
    })(layer.getLatLngs());
    return out;
  }

  function layers() {
    var base = {}, overlays = {}, opts = { maxZoom: 19, attribution: d.attribution || "" }, first = null;
    if (d.tiles) first = base[d.labelAfter] = L.citizenTiles(d.tiles, opts);
    if (d.tilesBefore) base[d.labelBefore] = L.citizenTiles(d.tilesBefore, opts);
    if (d.reference) {
      base[d.labelReference] = L.citizenTiles(d.reference, { maxZoom: 19, attribution: d.referenceAttribution || "" });
      first = first || base[d.labelReference];
    }
    if (first) first.addTo(map);
    var outlines = L.geoJSON(null, { interactive: false, style: { color: "#fff", weight: 1.5, opacity: 0.8, fill: false } }).addTo(map);
    overlays[d.labelOutlines] = outlines;
    fetch(d.outlines).then(function (r) { return r.json(); }).then(function (fc) {
      outlines.addData(fc);
      outlines.eachLayer(function (l) {
        var name = l.feature.properties.name, list = document.getElementById("draw-places");
        named[name.toLowerCase()] = named[name.toLowerCase()] || { bounds: continuous(l) };
        if (list) { var o = document.createElement("option"); o.value = name; list.appendChild(o); }
      });
    }).catch(function () { /* the outlines are a help, not a need */ });
    fetch(d.capitals).then(function (r) { return r.json(); }).then(function (fc) {
      fc.features.forEach(function (f) {
        var name = f.properties.name, c = f.geometry.coordinates;
        named[name.toLowerCase()] = named[name.toLowerCase()] || { lat: c[1], lon: c[0], zoom: 11 };
        var list = document.getElementById("draw-places");
        if (list) { var o = document.createElement("option"); o.value = name; list.appendChild(o); }
      });
    }).catch(function () {});
    if (Object.keys(base).length > 1 || first) L.control.layers(base, overlays, { collapsed: true }).addTo(map);
  }

  function goTo() {
    var input = document.getElementById("draw-goto"), status = document.getElementById("draw-goto-status");
    var text = (input.value || "").trim(), m = text.match(/^(-?\d+(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d+(?:[.,]\d+)?)$/);
    var target = null;
    if (m) {
      var lat = parseFloat(m[1].replace(",", ".")), lon = parseFloat(m[2].replace(",", "."));
      if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180) target = { lat: lat, lon: lon, zoom: 12 };
    } else if (text) {
      target = named[text.toLowerCase()] || null;
    }
    if (!target) { status.textContent = d.notFound; return; }
    if (target.bounds) map.fitBounds(target.bounds);
    else map.setView([target.lat, target.lon], target.zoom);
    status.textContent = (d.found || "%s").replace("%s", text);
  }

  function start() {
    if (map) { map.invalidateSize(); return; }
    map = L.map(el).setView([10, 0], 2);
    layers();
    var drawn = new L.FeatureGroup().addTo(map);
    var seen = places.filter(function (p) { return isFinite(p.lat) && isFinite(p.lon); });
    if (seen.length) map.fitBounds(L.latLngBounds(seen.map(function (p) { return [p.lat, p.lon]; })).pad(0.2), { maxZoom: 14 });
    try {
      var existing = field.value.trim() && L.geoJSON(JSON.parse(field.value));
      if (existing) { existing.eachLayer(function (l) { drawn.addLayer(l); }); map.fitBounds(drawn.getBounds()); }
    } catch (e) { /* the server will say what is wrong with the text */ }
    map.addControl(new L.Control.Draw({
      draw: { polyline: false, marker: false, circle: false, circlemarker: false,
              polygon: { allowIntersection: false }, rectangle: {} },
      edit: { featureGroup: drawn }
    }));
    function save() { field.value = drawn.getLayers().length ? JSON.stringify(drawn.toGeoJSON()) : ""; }
    map.on(L.Draw.Event.CREATED, function (e) { drawn.addLayer(e.layer); save(); });
    map.on(L.Draw.Event.EDITED, save);
    map.on(L.Draw.Event.DELETED, save);
    document.getElementById("draw-goto-button").addEventListener("click", goTo);
    document.getElementById("draw-goto").addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); goTo(); }
    });
  }
  // "Download the area in parts": the import form (its file, or the area drawn) sent to the parts route instead.
  var parts = document.getElementById("area-parts");
  if (parts) parts.addEventListener("click", function () {
    var form = parts.closest("form"), action = form.getAttribute("action");
    form.setAttribute("action", parts.dataset.url);
    form.submit();
    if (action === null) form.removeAttribute("action"); else form.setAttribute("action", action);
  });
  if (details) details.addEventListener("toggle", function () { if (details.open) start(); });
  if (!details || details.open) start();
})();
