/* The `question` kind: an image and/or a text, and one large button per answer (keys 1-9, 0).
   The image zooms and pans inside its frame (Panzoom: wheel, drag, pinch; + and - keys, the buttons in its corner);
   each new task starts with the whole image. At the whole image, one finger and the wheel turned down scroll the
   page as elsewhere: the image takes them only once zoomed in. */
window.citizenKinds = window.citizenKinds || {};
(function () {
  "use strict";
  var zoom = null, box = null;
  var STEP = 0.5, MAX = 6;

  function zoomed() {
    var on = zoom && zoom.getScale() > 1.01;
    box.classList.toggle("zoomed", !!on);
    // At the whole image a finger scrolls the page (two pinch the image); zoomed in, it pans the image.
    box.style.touchAction = box.querySelector("#q-image").style.touchAction = on ? "none" : "pan-y";
    box.querySelector("#q-zoom-reset").hidden = !on;
    box.querySelector("#q-zoom-out").disabled = !on;
    box.querySelector("#q-zoom-in").disabled = !!zoom && zoom.getScale() >= MAX - 0.01;
  }
  function setUp(el) {
    if (box === el.querySelector("#q-zoom") || !window.Panzoom) return;
    box = el.querySelector("#q-zoom");
    var img = box.querySelector("#q-image");
    zoom = window.Panzoom(img, { maxScale: MAX, minScale: 1, step: STEP, contain: "outside", panOnlyWhenZoomed: true,
                                 cursor: null });
    box.addEventListener("wheel", function (e) {  // at the whole image, scrolling down scrolls the page
      if (zoom.getScale() <= 1.01 && e.deltaY > 0 && !e.ctrlKey) return;
      zoom.zoomWithWheel(e);
    }, { passive: false });
    img.addEventListener("panzoomchange", zoomed);
    box.querySelector("#q-zoom-in").addEventListener("click", function () { zoom.zoomIn(); });
    box.querySelector("#q-zoom-out").addEventListener("click", function () { zoom.zoomOut(); });
    box.querySelector("#q-zoom-reset").addEventListener("click", function () { zoom.reset(); });
    img.addEventListener("dblclick", function (e) {
      if (zoom.getScale() > 1.01) zoom.reset(); else zoom.zoomToPoint(2.5, e);
    });
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || box.hidden || !document.getElementById("q-options")) return;
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
      if (e.key === "+" || e.key === "=") { zoom.zoomIn(); e.preventDefault(); }
      else if (e.key === "-") { zoom.zoomOut(); e.preventDefault(); }
    });
  }

  window.citizenKinds.question = {
    preload: function (task) { if (task.image_url) { var img = new Image(); img.src = task.image_url; } },
    render: function (task, el, answer) {
      setUp(el);
      var img = el.querySelector("#q-image"), text = el.querySelector("#q-text"), frame = el.querySelector("#q-zoom");
      // The whole image, exactly: without "contain", which would measure the image still loading (a bigger scale).
      if (zoom) zoom.reset({ animate: false, contain: false });
      if (task.image_url) { img.src = task.image_url; img.alt = task.alt || ""; img.hidden = frame.hidden = false; }
      else { img.hidden = frame.hidden = true; img.removeAttribute("src"); }
      if (zoom) zoomed();
      if (task.text) { text.textContent = task.text; text.hidden = false; } else { text.hidden = true; }
      el.querySelector("#q-question").textContent = task.question;
      citizenOptions.render(el.querySelector("#q-options"), task, answer);
    },
    valueForKey: citizenOptions.forKey,
    lock: citizenOptions.lock,
    unlock: citizenOptions.unlock
  };
})();
