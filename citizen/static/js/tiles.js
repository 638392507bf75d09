/* Imagery tile layers for every map of the site: L.citizenTiles(template, options) is L.tileLayer that also
   fills {q} (Bing's quadkey) and {bbox-epsg-3857} (a WMS tile's box), the placeholders that
   citizen/kinds/_map/tiles.py accepts besides Leaflet's own {z}, {x}, {y}, {-y} and {s}. */
(function () {
  "use strict";
  var HALF = 20037508.342789244;

  function quadkey(x, y, z) {
    var key = "";
    for (var i = z; i > 0; i--) {
      var mask = 1 << (i - 1), digit = 0;
      if (x & mask) digit += 1;
      if (y & mask) digit += 2;
      key += digit;
    }
    return key;
  }

  function bbox(x, y, z) {
    var size = 2 * HALF / Math.pow(2, z), minx = -HALF + x * size, maxy = HALF - y * size;
    return [minx, maxy - size, minx + size, maxy].map(function (v) { return v.toFixed(6); }).join(",");
  }

  L.CitizenTiles = L.TileLayer.extend({
    getTileUrl: function (coords) {
      var template = this._url, z = this._getZoomForUrl();
      this._url = template.split("{q}").join(quadkey(coords.x, coords.y, z))
        .split("{bbox-epsg-3857}").join(bbox(coords.x, coords.y, z));
      try {
        return L.TileLayer.prototype.getTileUrl.call(this, coords);
      } finally {
        this._url = template;
      }
    }
  });
  L.citizenTiles = function (url, options) { return new L.CitizenTiles(url, options); };
})();
