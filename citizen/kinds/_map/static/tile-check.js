/* The campaign form's "Show a test tile": the server checks the address (/organise/tile-check) and names one
   tile; the organiser's browser loads it, as volunteers' browsers will. */
(function () {
  "use strict";
  document.querySelectorAll(".tile-check").forEach(function (box) {
    var input = document.getElementById(box.dataset.for);
    var button = box.querySelector("button"), status = box.querySelector(".message"), img = box.querySelector("img");
    if (!input) return;
    img.addEventListener("load", function () { status.textContent = box.dataset.loaded; });
    img.addEventListener("error", function () { img.hidden = true; status.textContent = box.dataset.failed; });
    button.addEventListener("click", function () {
      img.hidden = true;
      status.textContent = "…";
      fetch(box.dataset.url + "?url=" + encodeURIComponent(input.value.trim()), { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) { status.textContent = res.body.error || box.dataset.failed; return; }
          status.textContent = "…";
          img.hidden = false;
          img.src = res.body.tile;
        })
        .catch(function () { status.textContent = box.dataset.failed; });
    });
  });
})();
