// The data page: while the GeoPackage is being built, show its progress, and say when it is ready.
(function () {
  "use strict";
  var box = document.getElementById("gpkg-state");
  var link = document.getElementById("gpkg-link");
  if (!box || !link || box.getAttribute("data-state") !== "building") return;
  var url = link.getAttribute("data-status");
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        if (s.state === "ready") {
          box.setAttribute("data-state", "ready");
          link.setAttribute("download", link.getAttribute("data-save-as"));  // a file now, never a progress reply
          box.textContent = "Ready: download results.gpkg.";
          return;
        }
        if (s.state === "building") {
          var bar = document.getElementById("gpkg-progress");
          var pct = document.getElementById("gpkg-percent");
          if (bar) bar.value = s.percent;
          if (pct) pct.textContent = s.percent + " %";
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
