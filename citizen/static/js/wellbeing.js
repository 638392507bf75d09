/* Wellbeing on the work page: the content warning over a task, the reveal of a blurred item (the server sent
   only the blurred copy; the original comes with the reveal), reporting an item as more upsetting than rated,
   and the break prompt the exposure budget asks for. work.js calls show(task, ...) after each render and
   empty() when nothing is left. */
window.citizenWellbeing = (function () {
  "use strict";
  var notice = document.getElementById("wb-notice");
  if (!notice) return null;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var warningEl = document.getElementById("wb-warning"), hintEl = document.getElementById("wb-hint");
  var revealBtn = document.getElementById("wb-reveal"), defaultLabel = revealBtn.textContent;
  var flagBox = document.getElementById("wb-flag"), flagForm = document.getElementById("wb-flag-form");
  var breakBox = document.getElementById("wb-break"), breakText = document.getElementById("wb-break-text");
  var breakHeading = document.getElementById("wb-break-h"), messageEl = document.getElementById("message");
  var LEVELS = ["none", "mild", "graphic", "extreme"];
  var current = null, taskEl = null, kind = null, rerender = null, lastFocus = null;
  var prompted = { "break": false, pause: false };

  function post(url, body) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrf };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", headers: headers, credentials: "same-origin",
                        body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); });
  }
  function say(text, tone) { messageEl.textContent = text || ""; messageEl.className = "message " + (tone || ""); }

  // A blurred item's notice sits in the middle of the picture (or map), whatever the kind's layout.
  function place() {
    var media = taskEl && taskEl.querySelector("#q-media, #m-map, #tx-map, [data-task-media]");
    if (!media || !notice.classList.contains("blurred")) { notice.style.top = notice.style.left = ""; return; }
    var t = taskEl.getBoundingClientRect(), m = media.getBoundingClientRect();
    notice.style.top = (m.top - t.top + m.height / 2) + "px";
    notice.style.left = (m.left - t.left + m.width / 2) + "px";
  }

  function showNotice(task) {
    if (!task || !task.warning) { notice.hidden = true; warningEl.textContent = ""; hintEl.textContent = ""; return; }
    notice.classList.toggle("blurred", !!task.blurred);
    revealBtn.hidden = !task.blurred;
    revealBtn.disabled = false;
    revealBtn.textContent = task.reveal_label || defaultLabel;
    warningEl.textContent = ""; hintEl.textContent = "";
    notice.hidden = false;
    place();
    // Filled in after the region is shown, so screen readers announce it.
    setTimeout(function () {
      if (current !== task) return;
      warningEl.textContent = task.warning;
      hintEl.textContent = task.blurred ? (task.hint || "") : "";
      place();
    }, 60);
  }

  function resetFlag(task) {
    flagBox.open = false;
    var rated = task && task.content ? LEVELS.indexOf(task.content.level) : 0, first = null;
    flagForm.querySelectorAll('input[name="level"]').forEach(function (input) {
      input.disabled = LEVELS.indexOf(input.value) <= rated;
      input.checked = false;
      if (!input.disabled && !first) first = input;
    });
    if (first) first.checked = true;
    flagForm.querySelector("button").disabled = !first;
    flagBox.hidden = !task;
  }

  function showBreak(budget) {
    breakText.textContent = budget.message || "";
    lastFocus = document.activeElement;
    breakBox.hidden = false;
    breakHeading.focus();
  }
  function closeBreak() {
    breakBox.hidden = true;
    if (lastFocus && lastFocus.focus) lastFocus.focus();
  }
  function budget(b) {
    if (!b) return;
    var which = b.paused ? "pause" : (b.suggest_break ? "break" : null);
    if (!which) { prompted["break"] = prompted.pause = false; return; }
    if (!prompted[which]) { prompted[which] = true; showBreak(b); }
  }

  function reveal() {
    var task = current;
    if (!task || !task.blurred) return;
    revealBtn.disabled = true;
    post(task.reveal_url).then(function (res) {
      if (current !== task) return;
      if (res.status !== 200) {
        revealBtn.disabled = false;
        hintEl.textContent = res.body.message || notice.dataset.failed;
        if (res.body.code === "paused") { revealBtn.hidden = true; showBreak({ message: res.body.message }); }
        return;
      }
      Object.keys(res.body.reveal || {}).forEach(function (key) { task[key] = res.body.reveal[key]; });
      task.blurred = false;
      delete task.blurred_url;
      if (kind.reveal) kind.reveal(task, taskEl); else rerender();
      // The warning was read: it goes, so the picture keeps its place and size.
      notice.hidden = true;
      notice.classList.remove("blurred");
      say(notice.dataset.revealed, "");
      budget(res.body.budget);
    }).catch(function () { revealBtn.disabled = false; hintEl.textContent = notice.dataset.failed; });
  }

  revealBtn.addEventListener("click", reveal);
  window.addEventListener("resize", place);
  document.getElementById("wb-carry-on").addEventListener("click", closeBreak);
  // While the break prompt is open, keys belong to it (not to the answer shortcuts); Escape closes it.
  document.addEventListener("keydown", function (e) {
    if (breakBox.hidden) return;
    if (e.key === "Escape") { e.preventDefault(); closeBreak(); }
    e.stopImmediatePropagation();
  }, true);

  flagForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var task = current, level = flagForm.querySelector('input[name="level"]:checked');
    if (!task || !level) return;
    flagForm.querySelector("button").disabled = true;
    post(flagForm.dataset.url.replace(/\/0\//, "/" + task.id + "/"), { level: level.value }).then(function (res) {
      if (res.status === 201) {
        flagBox.open = false;
        say(flagForm.dataset.thanks, "ok");
      } else {
        flagForm.querySelector("button").disabled = false;
        say(res.body.message, "error");
      }
    }).catch(function () { flagForm.querySelector("button").disabled = false; });
  });

  return {
    show: function (task, el, taskKind, render) {
      current = task; taskEl = el; kind = taskKind; rerender = render;
      showNotice(task);
      resetFlag(task);
      if (task) budget(task.budget);
    },
    empty: function () {
      current = null;
      showNotice(null);
      resetFlag(null);
      if (breakBox.dataset.active !== "1") return;
      fetch(breakBox.dataset.budgetUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.budget && body.budget.paused) {
            var text = document.querySelector("#empty p");
            if (text) text.textContent = body.budget.message;
            budget(body.budget);
          }
        }).catch(function () {});
    }
  };
})();
