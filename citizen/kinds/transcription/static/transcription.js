/* The `transcription` kind: the page image in a zoomable viewer (Leaflet with pixel coordinates,
   pages of a document stacked top to bottom), the field where each value usually is outlined, and
   the organiser's form beside it (below it on a phone). Enter submits; every field of the form has
   a label, its help and, when the organiser allows it, a "not on this page" box.
   The answer sent is {fields: {name: what was typed, or null when not on this page}}. */
(function () {
  "use strict";
  var GAP = 24;  // pixels between stacked pages
  var map = null, regions = {}, task = null, send = null;
  var form, list, where, submitBtn;

  function text(key, values) {
    var s = form.dataset[key] || "";
    Object.keys(values || {}).forEach(function (k) { s = s.replace("%" + k, values[k]); });
    return s;
  }

  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (content) node.textContent = content;
    return node;
  }

  function showPages(t) {
    if (map) { map.remove(); map = null; }
    regions = {};
    var box = document.getElementById("tx-map");
    map = L.map(box, { crs: L.CRS.Simple, minZoom: -6, maxZoom: 3, zoomSnap: 0.25, zoomDelta: 0.5,
                       attributionControl: false, keyboard: true, tap: true });
    var top = 0, width = 0, first = null;
    t.pages.forEach(function (p, i) {
      var bounds = [[-(top + p.height), 0], [-top, p.width]];
      L.imageOverlay(p.image_url, bounds, { alt: i === 0 ? (t.alt || "") : "" }).addTo(map);
      if (i === 0) first = { bounds: bounds, width: p.width, height: p.height, top: top };
      top += p.height + GAP; width = Math.max(width, p.width);
    });
    var all = L.latLngBounds([[-(top - GAP), 0], [0, width]]);
    map.setMaxBounds(all.pad(0.25));
    map.fitBounds(first.bounds, { animate: false });
    // The organiser's regions are fractions of the (first) page, from its top-left corner.
    t.fields.forEach(function (f) {
      if (!f.region) return;
      var r = f.region;
      var rect = L.rectangle([[-(first.top + r[3] * first.height), r[0] * first.width],
                              [-(first.top + r[1] * first.height), r[2] * first.width]],
                             { color: "#e0a100", weight: 2, dashArray: "6 4", fillOpacity: 0.06, interactive: false });
      rect.addTo(map);
      regions[f.name] = rect;
    });
    setTimeout(function () {
      if (!map) return;
      map.invalidateSize();
      map.fitBounds(first.bounds, { animate: false });
      var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".tx-field");
      if (focused) focusRegion(focused.dataset.name);
    }, 0);
  }

  function focusRegion(name) {
    Object.keys(regions).forEach(function (k) {
      regions[k].setStyle(k === name ? { color: "#d7191c", weight: 3, dashArray: null, fillOpacity: 0.12 }
                                     : { color: "#e0a100", weight: 2, dashArray: "6 4", fillOpacity: 0.06 });
    });
    // Bring the field's region into view, large enough to read: the whole page shown on a phone
    // (or beside a form) makes small print too small.
    var rect = regions[name];
    if (map) map.invalidateSize({ pan: false });  // on a phone the page is a shorter strip while a field has focus
    if (!map || !rect) return;
    var b = rect.getBounds(), size = map.getSize();
    var shown = map.latLngToContainerPoint(b.getNorthEast()).x - map.latLngToContainerPoint(b.getSouthWest()).x;
    if (!map.getBounds().contains(b) || shown < size.x * 0.6) {
      map.fitBounds(b.pad(0.15), { animate: false, maxZoom: 1 });
    }
  }

  function fieldInput(f, id, describedBy) {
    var input;
    if (f.type === "choice") {
      input = el("select", { id: id, name: f.name });
      input.appendChild(el("option", { value: "" }, text("choose")));
      f.choices.forEach(function (c) { input.appendChild(el("option", { value: c }, c)); });
    } else {
      input = el("input", { id: id, name: f.name, type: "text", autocomplete: "off", spellcheck: "false" });
      if (f.type === "number" || f.type === "money") {
        input.setAttribute("inputmode", "decimal"); input.placeholder = text("numberHint");
      }
      if (f.type === "date") input.placeholder = text("dateHint");
    }
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    input.addEventListener("focus", function () { focusRegion(f.name); });
    return input;
  }

  function renderFields(t) {
    list.textContent = "";
    t.fields.forEach(function (f, i) {
      var id = "tx-f-" + f.name, box = el("div", { "class": "field tx-field", "data-name": f.name });
      box.appendChild(el("label", { "for": id }, f.label));
      var described = "";
      if (f.help) { box.appendChild(el("p", { "class": "hint", id: id + "-help" }, f.help)); described = id + "-help"; }
      var input = fieldInput(f, id, described);
      box.appendChild(input);
      if (f.optional) {
        var missing = el("label", { "class": "tx-missing" });
        var check = el("input", { type: "checkbox", name: f.name + "__missing", id: id + "-missing" });
        check.addEventListener("change", function () {
          input.disabled = check.checked;
          if (check.checked) input.value = "";
        });
        check.addEventListener("focus", function () { focusRegion(f.name); });
        missing.appendChild(check);
        missing.appendChild(document.createTextNode(" " + text("missing")));
        box.appendChild(missing);
      }
      list.appendChild(box);
    });
  }

  function collect() {
    var values = {}, problem = null;
    task.fields.forEach(function (f) {
      var input = document.getElementById("tx-f-" + f.name);
      var check = document.getElementById("tx-f-" + f.name + "-missing");
      if (check && check.checked) { values[f.name] = null; return; }
      var v = (input.value || "").trim();
      if (!v && !problem) problem = { input: input, message: text(f.optional ? "fill" : "fillRequired", { label: f.label }) };
      values[f.name] = v;
    });
    return { values: values, problem: problem };
  }

  function onSubmit(e) {
    e.preventDefault();
    if (!task || !send) return;
    if (!task.pages.length) { say(text("preparing"), "error"); return; }
    var got = collect();
    if (got.problem) { say(got.problem.message, "error"); got.problem.input.focus(); return; }
    send({ fields: got.values });
  }

  function say(message, tone) {
    var m = document.getElementById("message");
    if (m) { m.textContent = message; m.className = "message " + (tone || ""); }
  }

  function setDisabled(disabled) {
    form.querySelectorAll("input, select, button").forEach(function (c) {
      if (!disabled && c.tagName === "INPUT" && c.type === "text") {
        var check = document.getElementById(c.id + "-missing");
        c.disabled = !!(check && check.checked);
      } else {
        c.disabled = disabled;
      }
    });
  }

  window.citizenKinds = window.citizenKinds || {};
  window.citizenKinds.transcription = {
    preload: function (t) { (t.pages || []).forEach(function (p) { var img = new Image(); img.src = p.image_url; }); },
    render: function (t, root, answer) {
      task = t; send = answer;
      form = root.querySelector("#tx-form"); list = root.querySelector("#tx-fields");
      where = root.querySelector("#tx-where"); submitBtn = root.querySelector("#tx-submit");
      if (!form.dataset.bound) {
        form.addEventListener("submit", onSubmit);
        form.addEventListener("focusout", function () {  // the page's full height back once typing is over
          setTimeout(function () { if (map) map.invalidateSize({ pan: false }); }, 0);
        });
        form.dataset.bound = "1";
      }
      root.querySelector("#tx-question").textContent = t.question;
      var place = t.document + (t.page ? " · " + text("page", { n: t.page }) : "")
        + (t.pages_in_document && !t.page ? " · " + text("pages", { n: t.pages_in_document }) : "");
      where.textContent = place;
      renderFields(t);
      setDisabled(false);
      if (t.pages && t.pages.length) showPages(t);
      else say(text("preparing"), "error");
      // Keyboard and mouse users start typing at once; on a phone the keyboard would hide the page.
      if (window.matchMedia && window.matchMedia("(pointer: fine) and (min-width: 48rem)").matches) {
        var first = list.querySelector("input, select");
        if (first) first.focus({ preventScroll: true });
      }
    },
    valueForKey: function () { return null; },
    lock: function () { setDisabled(true); submitBtn.classList.add("chosen"); },
    unlock: function () { setDisabled(false); submitBtn.classList.remove("chosen"); }
  };
})();
