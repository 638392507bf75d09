/* The `boxes` kind: draw a box around each object by dragging (mouse, pen or touch), move it by dragging it,
   resize it by its corner; pick its class by button or key and set its attributes; delete, undo, zoom and pan.
   Keyboard: N adds a box, arrows move it (Shift: resize), [ ] select, Esc deselects, Delete removes, U undoes,
   Enter sends.
   The moderators' queue mounts the same editor on a disputed image, starting from the agreed boxes (task.start).
   Boxes are kept as fractions of the image (x, y from the top-left corner, w, h), as the answer sends them. */
window.citizenKinds = window.citizenKinds || {};
(function () {
  "use strict";
  var MIN = 0.004, STEP = 0.01, ZOOMS = [1, 1.5, 2, 3, 4, 6];
  var s = null;  // the task on screen: {task, el, submit, boxes, selected, cls, attrs, history, zoom, pan, locked}

  function $(id) { return s.el.querySelector("#" + id); }
  function fill(template, values) {
    return template.replace(/%(\w)/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }
  function clamp(v, lo, hi) { return Math.min(Math.max(v, lo), hi); }
  function round(v) { return Math.round(v * 100000) / 100000; }
  function classOf(value) {
    for (var i = 0; i < s.task.classes.length; i++) if (s.task.classes[i].value === value) return s.task.classes[i];
    return s.task.classes[0];
  }
  function snapshot() { s.history.push(JSON.stringify(s.boxes)); if (s.history.length > 100) s.history.shift(); }
  function fit(b) {  // inside the image, at least MIN wide and high
    b.w = clamp(b.w, MIN, 1); b.h = clamp(b.h, MIN, 1);
    b.x = clamp(b.x, 0, 1 - b.w); b.y = clamp(b.y, 0, 1 - b.h);
    return b;
  }

  function draw() {
    var layer = $("bx-boxes"), data = $("bx-task").dataset;
    layer.textContent = "";
    s.boxes.forEach(function (b, i) {
      var c = classOf(b["class"]), el = document.createElement("div"), tag = document.createElement("span");
      el.className = "bx-box" + (i === s.selected ? " selected" : "");
      el.dataset.index = i;
      el.style.cssText = "left:" + b.x * 100 + "%;top:" + b.y * 100 + "%;width:" + b.w * 100 + "%;height:" +
        b.h * 100 + "%;--bx-colour:" + c.colour;
      tag.textContent = (i + 1) + " " + c.name;
      el.appendChild(tag);
      if (i === s.selected) { var h = document.createElement("div"); h.className = "bx-handle"; el.appendChild(h); }
      layer.appendChild(el);
    });
    var n = s.boxes.length, done = $("bx-done");
    done.textContent = n === 1 ? data.doneOne : fill(data.doneLabel, { n: n });
    done.disabled = s.locked || n === 0;
    $("bx-none").disabled = s.locked || n > 0;
    $("bx-delete").disabled = s.locked || s.selected < 0;
    $("bx-undo").disabled = s.locked || !s.history.length;
    s.el.querySelectorAll("#bx-classes button").forEach(function (btn) {
      btn.setAttribute("aria-pressed", String(btn.dataset.value === s.cls));
    });
    var sel = s.boxes[s.selected];
    s.el.querySelectorAll("#bx-attributes select").forEach(function (select) {
      select.value = (sel && sel.attributes[select.name]) || s.attrs[select.name];
    });
    $("bx-status").textContent = sel ? fill(data.selectedLabel, { n: s.selected + 1, t: n, c: classOf(sel["class"]).name })
      : fill(data.countLabel, { n: n });
  }

  function select(i) {
    s.selected = i;
    if (i >= 0) {
      var b = s.boxes[i];
      s.cls = b["class"];
      Object.keys(b.attributes).forEach(function (k) { s.attrs[k] = b.attributes[k]; });
    }
    draw();
  }
  function add(box) {
    snapshot();
    var attrs = {};
    (s.task.attributes || []).forEach(function (a) { attrs[a.name] = s.attrs[a.name]; });
    box["class"] = s.cls; box.attributes = attrs;
    s.boxes.push(fit(box));
    select(s.boxes.length - 1);
  }
  function remove() {
    if (s.selected < 0) return;
    snapshot();
    s.boxes.splice(s.selected, 1);
    select(s.boxes.length ? Math.min(s.selected, s.boxes.length - 1) : -1);
  }
  function undo() {
    if (!s.history.length) return;
    s.boxes = JSON.parse(s.history.pop());
    s.selected = Math.min(s.selected, s.boxes.length - 1);
    draw();
  }
  function setClass(value) {
    s.cls = value;
    if (s.selected >= 0 && s.boxes[s.selected]["class"] !== value) { snapshot(); s.boxes[s.selected]["class"] = value; }
    draw();
  }
  // At zoom 1 the whole image fits the viewport (its width, and its height up to the viewport's max-height).
  function layout() {
    if (!s) return;
    var vp = $("bx-viewport"), maxH = parseFloat(getComputedStyle(vp).maxHeight) || Infinity;
    var ratio = s.task.width && s.task.height ? s.task.width / s.task.height : 4 / 3;
    var base = Math.min(vp.clientWidth, maxH * ratio);
    $("bx-stage").style.width = Math.floor(base * s.zoom) + "px";
  }
  window.addEventListener("resize", function () { layout(); });
  function zoom(step) {
    var i = clamp(ZOOMS.indexOf(s.zoom) + step, 0, ZOOMS.length - 1), vp = $("bx-viewport");
    var cx = (vp.scrollLeft + vp.clientWidth / 2) / vp.scrollWidth, cy = (vp.scrollTop + vp.clientHeight / 2) / vp.scrollHeight;
    s.zoom = ZOOMS[i];
    layout();
    vp.scrollLeft = cx * vp.scrollWidth - vp.clientWidth / 2;
    vp.scrollTop = cy * vp.scrollHeight - vp.clientHeight / 2;
  }
  function send(boxes) {
    if (s.locked) return;
    s.submit({ boxes: boxes.map(function (b) {
      return { x: round(b.x), y: round(b.y), w: round(Math.min(b.w, 1 - round(b.x))), h: round(Math.min(b.h, 1 - round(b.y))),
               "class": b["class"], attributes: b.attributes };
    }) });
  }

  // --- pointer: draw, move, resize, pan --------------------------------------------------------------------
  var drag = null;
  function at(e) {
    var r = $("bx-stage").getBoundingClientRect();
    return { x: clamp((e.clientX - r.left) / r.width, 0, 1), y: clamp((e.clientY - r.top) / r.height, 0, 1), r: r };
  }
  function down(e) {
    if (!s || s.locked || (e.pointerType === "mouse" && e.button !== 0)) return;
    var stage = $("bx-stage"), p = at(e);
    stage.focus({ preventScroll: true });
    if (s.pan) {
      drag = { mode: "pan", cx: e.clientX, cy: e.clientY, sl: $("bx-viewport").scrollLeft, st: $("bx-viewport").scrollTop };
    } else if (e.target.classList.contains("bx-handle")) {
      drag = { mode: "resize", p: p, start: JSON.stringify(s.boxes), b: s.boxes[s.selected] };
    } else if (e.target.closest(".bx-box")) {
      select(Number(e.target.closest(".bx-box").dataset.index));
      drag = { mode: "move", p: p, start: JSON.stringify(s.boxes), b: s.boxes[s.selected], x: s.boxes[s.selected].x,
               y: s.boxes[s.selected].y };
    } else {
      drag = { mode: "draw", p: p, box: null };
    }
    stage.setPointerCapture(e.pointerId);
    e.preventDefault();
  }
  function move(e) {
    if (!drag || !s) return;
    var p = at(e);
    if (drag.mode === "pan") {
      $("bx-viewport").scrollLeft = drag.sl - (e.clientX - drag.cx);
      $("bx-viewport").scrollTop = drag.st - (e.clientY - drag.cy);
      return;
    }
    if (drag.mode === "draw") {
      var w = Math.abs(p.x - drag.p.x), h = Math.abs(p.y - drag.p.y);
      if (!drag.box && (w * p.r.width < 4 && h * p.r.height < 4)) return;  // a click, not a drag yet
      if (!drag.box) { add({ x: drag.p.x, y: drag.p.y, w: MIN, h: MIN }); drag.box = s.boxes[s.selected]; }
      drag.box.x = Math.min(p.x, drag.p.x); drag.box.y = Math.min(p.y, drag.p.y);
      drag.box.w = Math.max(w, MIN); drag.box.h = Math.max(h, MIN);
      fit(drag.box);
    } else if (drag.mode === "move") {
      drag.b.x = drag.x + p.x - drag.p.x; drag.b.y = drag.y + p.y - drag.p.y;
      fit(drag.b);
    } else if (drag.mode === "resize") {
      drag.b.w = p.x - drag.b.x; drag.b.h = p.y - drag.b.y;
      fit(drag.b);
    }
    draw();
  }
  function up() {
    if (!drag || !s) return;
    if (drag.mode === "draw" && !drag.box && !s.pan) select(-1);  // a click on the image: nothing selected
    if ((drag.mode === "move" || drag.mode === "resize") && drag.start !== JSON.stringify(s.boxes)) {
      s.history.push(drag.start);
      draw();
    }
    drag = null;
  }

  // --- keyboard --------------------------------------------------------------------------------------------
  function key(e) {
    if (!s || s.locked || e.ctrlKey || e.metaKey || e.altKey || s.el.hidden) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    if (tag === "button" && (e.key === "Enter" || e.key === " ")) return;  // the button's own action
    var k = e.key.length === 1 ? e.key.toLowerCase() : e.key, b = s.boxes[s.selected], handled = true;
    var arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (k === "n") {
      var vp = $("bx-viewport"), r = $("bx-stage").getBoundingClientRect(), v = vp.getBoundingClientRect();
      var cx = (v.left + v.width / 2 - r.left) / r.width, cy = (v.top + v.height / 2 - r.top) / r.height;
      add({ x: cx - 0.1 / s.zoom, y: cy - 0.1 / s.zoom, w: 0.2 / s.zoom, h: 0.2 / s.zoom });
    } else if (arrows[k] && b) {
      snapshot();
      var d = arrows[k];
      if (e.shiftKey) { b.w += d[0] * STEP; b.h += d[1] * STEP; } else { b.x += d[0] * STEP; b.y += d[1] * STEP; }
      fit(b);
      draw();
    } else if (k === "[" || k === "]") {
      if (s.boxes.length) select(((s.selected < 0 ? 0 : s.selected + (k === "]" ? 1 : -1)) + s.boxes.length) % s.boxes.length);
    } else if (k === "Delete" || k === "Backspace") {
      remove();
    } else if (k === "u") {
      undo();
    } else if (k === "+" || k === "=") {
      zoom(1);
    } else if (k === "-") {
      zoom(-1);
    } else if (k === "Escape" && s.selected >= 0) {  // deselects; with nothing selected, Esc is the page's
      select(-1);
    } else if (k === "Enter") {
      if (s.boxes.length) send(s.boxes);
    } else {
      handled = false;
      s.task.classes.forEach(function (c) { if (c.key && c.key === k) { setClass(c.value); handled = true; } });
    }
    if (handled) e.preventDefault();
  }
  document.addEventListener("keydown", key);

  function controls() {
    var box = $("bx-classes"), attrs = $("bx-attributes");
    box.textContent = ""; attrs.textContent = "";
    s.task.classes.forEach(function (c) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "button small"; btn.dataset.value = c.value;
      btn.style.setProperty("--bx-colour", c.colour);
      btn.textContent = c.name + " ";
      if (c.help) btn.title = c.help;
      if (c.key) { var kbd = document.createElement("kbd"); kbd.textContent = c.key.toUpperCase(); btn.appendChild(kbd); }
      btn.addEventListener("click", function () { setClass(c.value); });
      box.appendChild(btn);
    });
    (s.task.attributes || []).forEach(function (a) {
      var label = document.createElement("label"), select = document.createElement("select");
      select.name = a.name;
      a.values.forEach(function (v) {
        var o = document.createElement("option"); o.value = v.value; o.textContent = v.label; select.appendChild(o);
      });
      select.addEventListener("change", function () {
        s.attrs[a.name] = select.value;
        var b = s.boxes[s.selected];
        if (b && b.attributes[a.name] !== select.value) { snapshot(); b.attributes[a.name] = select.value; }
        draw();
      });
      label.appendChild(document.createTextNode(a.label + " "));
      label.appendChild(select);
      attrs.appendChild(label);
    });
  }

  var wired = null;
  function wire(el) {  // once per page: the task's elements stay, only their content changes
    if (wired === el) return;
    wired = el;
    var stage = el.querySelector("#bx-stage");
    stage.addEventListener("pointerdown", down);
    stage.addEventListener("pointermove", move);
    stage.addEventListener("pointerup", up);
    stage.addEventListener("pointercancel", up);
    el.querySelector("#bx-undo").addEventListener("click", function () { undo(); });
    el.querySelector("#bx-delete").addEventListener("click", function () { remove(); });
    el.querySelector("#bx-zoom-in").addEventListener("click", function () { zoom(1); });
    el.querySelector("#bx-zoom-out").addEventListener("click", function () { zoom(-1); });
    el.querySelector("#bx-pan").addEventListener("click", function () {
      s.pan = !s.pan;
      this.setAttribute("aria-pressed", String(s.pan));
      $("bx-stage").classList.toggle("panning", s.pan);
    });
    el.querySelector("#bx-done").addEventListener("click", function () { if (s.boxes.length) send(s.boxes); });
    el.querySelector("#bx-none").addEventListener("click", function () { if (!s.boxes.length) send([]); });
  }

  window.citizenKinds.boxes = {
    preload: function (task) { if (task.image_url) { var img = new Image(); img.src = task.image_url; } },
    render: function (task, el, submit) {
      var attrs = {};
      (task.attributes || []).forEach(function (a) { attrs[a.name] = a.values[0].value; });
      var start = (task.start && Array.isArray(task.start.boxes)) ? task.start.boxes : [];  // a moderator's review
      s = { task: task, el: el, submit: submit, selected: -1, cls: (task.classes[0] || {}).value,
            boxes: start.map(function (b) {
              return fit({ x: +b.x, y: +b.y, w: +b.w, h: +b.h, "class": b["class"], attributes: Object.assign({}, b.attributes) });
            }),
            attrs: attrs, history: [], zoom: 1, pan: false, locked: false };
      s.initial = JSON.stringify(s.boxes);
      wire(el);
      el.querySelector("#bx-question").textContent = task.question || "";
      var img = el.querySelector("#bx-image");
      img.src = task.image_url; img.alt = task.alt || (el.closest("[data-photo-alt]") || el).dataset.photoAlt || "";
      if (task.width && task.height) img.style.aspectRatio = task.width + " / " + task.height;
      layout();
      el.querySelector("#bx-stage").classList.remove("panning");
      el.querySelector("#bx-pan").setAttribute("aria-pressed", "false");
      controls();
      draw();
    },
    reveal: function (task, el) {  // the blurred image shown as it is: the boxes drawn stay
      el.querySelector("#bx-image").src = task.image_url;
    },
    send: function () { if (s && s.boxes.length) send(s.boxes); },  // as Enter on the image does
    changed: function () { return !!s && JSON.stringify(s.boxes) !== s.initial; },  // boxes not yet sent
    lock: function () { if (s) { s.locked = true; draw(); } },
    unlock: function () { if (s) { s.locked = false; draw(); } }
  };
})();
