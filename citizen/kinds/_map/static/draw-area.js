/* Organiser: draw the area of interest on a map; the drawn polygons fill the "area" field as
   GeoJSON, which the server then splits into grid cells exactly like an uploaded file. */
(function () {
  "use strict";
  var el = document.getElementById("draw-map"), field = document.getElementById("area");
  if (!el || !field || !window.L) return;
  var details = el.closest("details"), map = null;

  function start() {
    if (map) { map.invalidateSize(); return; }
    map = L.map(el).setView([0, 0], 2);
    if (el.dataset.tiles) L.citizenTiles(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    var drawn = new L.FeatureGroup().addTo(map);
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
  }
  if (details) details.addEventListener("toggle", function () { if (details.open) start(); });
  if (!details || details.open) start();
})();
