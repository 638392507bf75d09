/* The response team's live page: polls the feed, shows confirmed finds newest first, beeps (WebAudio, nothing
   downloaded) and shows a browser notification for each new one once "enable alerts" was pressed, and tells
   citizen what it showed (so the moderator who confirmed sees it reached someone). */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var list = document.getElementById("live-finds");
  var statusEl = document.getElementById("live-status");
  var testEl = document.getElementById("live-test");
  var enable = document.getElementById("live-enable");
  var known = {}, first = true, audio = null, notify = false, timer = null, poll = 5;

  function viewer() {
    var v = null;
    try { v = window.localStorage.getItem("citizen-live-viewer"); } catch (e) { v = null; }
    if (!v || !/^[0-9a-f]{32}$/.test(v)) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      v = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      try { window.localStorage.setItem("citizen-live-viewer", v); } catch (e) { /* private mode: one per visit */ }
    }
    return v;
  }
  var me = viewer();

  function say(text, tone) { statusEl.textContent = text; statusEl.className = "message " + (tone || ""); }

  function beep() {
    if (!audio) return;
    [0, 0.25, 0.5].forEach(function (at) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.2);
    });
  }

  function where(place) {
    if (!place) return root.dataset.unknown;
    return place.lat.toFixed(6) + ", " + place.lon.toFixed(6);
  }

  function alertOf(item) {
    var text = root.dataset.new.replace("%s", item.label + " · " + item.campaign + " · " + where(item.place));
    beep();
    if (notify) {
      try { new Notification(text, { tag: "citizen-find-" + item.id, requireInteraction: true }); } catch (e) { /* not shown */ }
    }
  }

  function render(item) {
    var li = document.createElement("li");
    li.className = "live-find";
    li.id = "find-" + item.id;
    var h = document.createElement("h2");
    h.textContent = item.label + " · " + item.campaign;
    var p = document.createElement("p");
    p.className = "live-place";
    p.textContent = root.dataset.where + ": " + where(item.place) + " ";
    if (item.place) {
      var a = document.createElement("a");
      a.href = "https://www.openstreetmap.org/?mlat=" + item.place.lat + "&mlon=" + item.place.lon + "#map=17/" + item.place.lat + "/" + item.place.lon;
      a.rel = "noopener noreferrer";
      a.textContent = "(" + root.dataset.map + ")";
      p.appendChild(a);
    }
    var t = document.createElement("p");
    t.className = "muted";
    t.textContent = (item.confirmed_at || "").replace("T", " ").replace("Z", " UTC");
    li.appendChild(h); li.appendChild(p); li.appendChild(t);
    return li;
  }

  function seen(ids, test) {
    if (!ids.length && !test) return;
    fetch(root.dataset.seen, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ viewer: me, ids: ids.slice(0, 20), test: !!test }) }).catch(function () { /* told next time */ });
  }

  function showTest(at) {
    var done = null;
    try { done = window.localStorage.getItem("citizen-live-test"); } catch (e) { done = null; }
    if (!at || done === at) return false;
    testEl.textContent = root.dataset.test.replace("%s", at.replace("T", " ").replace("Z", ""));
    testEl.hidden = false;
    try { window.localStorage.setItem("citizen-live-test", at); } catch (e) { /* shown again next time */ }
    beep();
    if (notify) { try { new Notification(testEl.textContent, { tag: "citizen-test" }); } catch (e) { /* not shown */ } }
    return true;
  }

  function tick() {
    fetch(root.dataset.feed, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (body) {
        poll = Math.max(2, body.poll || 5);
        var fresh = [];
        body.items.slice().reverse().forEach(function (item) {
          if (known[item.id]) return;
          known[item.id] = true;
          list.insertBefore(render(item), list.firstChild);
          fresh.push(item.id);
          if (!first) alertOf(item);
        });
        var test = showTest(body.test_at);
        seen(fresh, test);
        first = false;
        say(list.children.length ? root.dataset.checked.replace("%s", new Date().toLocaleTimeString()) : root.dataset.none);
      })
      .catch(function () { say(root.dataset.offline, "error"); })
      .then(function () { timer = window.setTimeout(tick, poll * 1000); });
  }

  enable.addEventListener("click", function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx && !audio) audio = new Ctx();
    if (audio && audio.state === "suspended") audio.resume();
    beep();
    function done(permission) {
      notify = permission === "granted";
      enable.hidden = true;  // in its own line: the poll's "last checked" never writes over it
      var mode = document.getElementById("live-mode");
      mode.textContent = notify ? root.dataset.on : root.dataset.soundOnly;
      mode.className = "message " + (notify ? "success" : "");
      mode.hidden = false;
    }
    if ("Notification" in window) {
      var asked = Notification.requestPermission(done);
      if (asked && asked.then) asked.then(done);
    } else { done("denied"); }
  });

  tick();
}());
