/* The volunteer loop: show a task, send the answer (with an Idempotency-Key, retried on network
   errors), show the next task at once (it was fetched while the volunteer was looking), count.
   Back shows the task answered last again, to change its answer (PUT .../answers/mine), then the task it left.
   Training tasks (a `training` object on the task: tutorial, then qualification) come first where the campaign has
   them: their answers go to their own address, the tutorial's feedback waits for "Next", and nothing is prefetched.
   Offline (or when an answer cannot be sent after its retries) the answer waits in the queue (js/queue.js), sent
   with its key when the network is back, and the volunteer goes on with the prefetched task; training answers are
   never queued (they need the server's feedback).
   A kind whose script defines `start` runs its own flow instead of this loop (the field kind picks a site nearby):
   work.js calls kind.start({root, csrf, queue, say}) and takes no task, lease nor skip of its own. */
(function () {
  "use strict";
  var root = document.getElementById("work");
  if (!root) return;
  var kind = window.citizenKinds[root.dataset.kind];
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var taskEl = document.getElementById("task");
  var emptyEl = document.getElementById("empty");
  var messageEl = document.getElementById("message");
  var countEl = document.getElementById("done-count");
  var skipBtn = document.getElementById("skip");
  var backBtn = document.getElementById("back"), keepBtn = document.getElementById("back-cancel");
  var current = null, upcoming = null, shownAt = 0, busy = false, done = 0;
  // Back: `last` is the task answered last on this page (its answer can still be changed for a few minutes);
  // while it is on screen again, `resume` is the task it left, shown again once the change is sent or dropped.
  var last = null, resume = null;
  var trainingEl = document.getElementById("training"), stepEl = document.getElementById("training-step");
  var feedbackEl = document.getElementById("training-feedback"), nextBtn = document.getElementById("training-next");
  var wellbeing = window.citizenWellbeing;  // content warnings, reveal, reports, breaks (js/wellbeing.js)
  var queue = window.citizenQueue, slug = root.dataset.campaign;  // answers waiting to be sent (js/queue.js)

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }
  function url(template, id) { return root.dataset[template].replace(/\/0\//, "/" + id + "/"); }
  // A prefetched task carries the count from when it was fetched, one answer behind: never count down.
  function count(n) { if (n > done) { done = n; countEl.textContent = n; } }
  function say(text, tone) { messageEl.textContent = text || ""; messageEl.className = "message " + (tone || ""); }

  function request(method, target, body, key) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrf };
    if (body) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    return fetch(target, { method: method, headers: headers, credentials: "same-origin",
                           body: body ? JSON.stringify(body) : undefined });
  }

  // A POST with the CSRF token: a GET never hands out a task (another site's <img> could send one).
  function fetchNext(exclude) {
    var target = root.dataset.nextUrl + (exclude.length ? "?exclude=" + exclude.join(",") : "");
    return request("POST", target).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (body) {
        if (r.status === 429) {  // refused for good (capped, skip limit): say why, and stop asking
          var refused = new Error(body.message || r.statusText);
          refused.final = true;
          throw refused;
        }
        if (!r.ok) throw new Error(body.message || r.statusText);
        if (kind.preload) kind.preload(body);
        return body;
      });
    });
  }

  // task null: nothing left (the "All done here!" box); `refusal` (a 429's message: capped, skip limit) says why in
  // the same box, under its own heading.
  function show(task, refusal) {
    current = task;
    busy = false;
    taskEl.setAttribute("aria-busy", "false");
    if (!task) {
      taskEl.hidden = true; skipBtn.hidden = true; backBtn.hidden = true; emptyEl.hidden = false;
      var heading = emptyEl.querySelector("h2");
      if (refusal) {
        say("", "");
        heading.textContent = root.dataset.refusedHeading || heading.textContent;
        emptyEl.querySelector("p").textContent = refusal;
      }
      if (wellbeing) wellbeing.empty();
      document.dispatchEvent(new CustomEvent("citizen:task", { detail: null }));
      heading.setAttribute("tabindex", "-1");
      heading.focus();  // screen readers announce it; keyboard users start from here
      return;
    }
    taskEl.hidden = false; skipBtn.hidden = false; emptyEl.hidden = true; backBtn.hidden = !last;
    count(task.done);
    render(task);
    shownAt = performance.now();
    showTraining(task.training);
    var suggestion = document.getElementById("suggestion");  // a model's prediction, as a starting point
    suggestion.hidden = !task.prediction;
    if (task.prediction) {
      suggestion.textContent = fill(root.dataset.suggestion,
                                    { l: task.prediction.label, p: Math.round(task.prediction.confidence * 100) });
    }
    if (window.citizenOffline) window.citizenOffline.keepPage();  // for a reload offline (js/offline.js)
    if (task.training) return;  // one step at a time: the next one depends on this answer
    upcoming = fetchNext([task.id]).catch(function () { return undefined; });
  }

  function render(task) {
    kind.render(task, taskEl, submit);
    if (wellbeing) wellbeing.show(task, taskEl, kind, function () { kind.render(task, taskEl, submit); });
    // The task's discussion follows; a training task has none (a qualification's answers would be posted there).
    document.dispatchEvent(new CustomEvent("citizen:task", { detail: task.training ? null : task }));
  }

  function back() {
    if (busy || !last || resume || !current || current.training) return;
    resume = current;
    current = last;
    skipBtn.hidden = backBtn.hidden = true;
    keepBtn.hidden = false;
    render(current);
    say(root.dataset.changing, "info");
  }
  function backToWork(message, tone) {
    current = resume;
    resume = null;
    busy = false;
    keepBtn.hidden = true;
    skipBtn.hidden = false;
    backBtn.hidden = !last;
    render(current);
    say(message, tone);
  }
  function change(value) {
    busy = true;
    var task = current;
    kind.lock && kind.lock(taskEl, value);
    request("PUT", url("changeUrl", task.id), { value: value }).then(function (r) {
      return r.json().then(function (out) {
        if (r.ok) backToWork(root.dataset.changed, "ok");
        else if (r.status === 422 || r.status === 413 || r.status === 429 || r.status >= 500) {
          // not valid, too many changes, or the server is restarting: say so, keep the task on screen to try again
          busy = false;
          kind.unlock && kind.unlock(taskEl);
          say(out.message, "error");
        } else {  // too late, or no longer the last: the first answer stands
          last = null;
          backToWork(out.message, "info");
        }
      });
    }).catch(function () {
      busy = false;
      kind.unlock && kind.unlock(taskEl);
      say(root.dataset.sendFailed, "error");
    });
  }

  function advance() {
    var wait = upcoming || Promise.resolve(undefined);
    upcoming = null;
    taskEl.setAttribute("aria-busy", "true");
    wait.then(function (task) {
      // undefined: the prefetch failed; null: nothing was left when it ran. Ask once more either way.
      return task ? task : fetchNext([]);
    }).then(show).catch(function (err) {
      if (err && err.final) { show(null, err.message); return; }
      if (unreachable(err)) { waitForNetwork(advance); return; }
      say(root.dataset.errorText || "We could not load the next task. Check your connection; retrying…", "error");
      setTimeout(advance, 3000);
    });
  }

  // Offline with a queue to keep answers in: say so instead of "retrying…" in a loop, and try again when the
  // browser is back online (or every 10 s: `online` is not fired for every kind of cut). fetch() rejects with a
  // TypeError when the network fails.
  function unreachable(err) { return !!queue && (navigator.onLine === false || err instanceof TypeError); }
  function waitForNetwork(retry) {
    taskEl.hidden = skipBtn.hidden = backBtn.hidden = true;
    say(root.dataset.offline, "info");
    var timer = setTimeout(again, 10000);
    function again() {
      window.removeEventListener("online", again);
      clearTimeout(timer);
      say("", "");
      retry();
    }
    window.addEventListener("online", again);
  }

  // A lost connection, a reply that is not ours (a proxy's error page) or a 503 (the database restarting)
  // is tried again with the same key, so the answer is stored once.
  function send(task, body, key, attempt) {
    function again(err) {
      if (attempt >= 4) throw err;
      return new Promise(function (ok) { setTimeout(ok, 500 * Math.pow(2, attempt)); })
        .then(function () { return send(task, body, key, attempt + 1); });
    }
    return request("POST", url("answerUrl", task.id), body, key).then(function (r) {
      return r.json().then(function (out) {
        if (r.status === 503) throw new Error(out.message);
        return { status: r.status, body: out };
      });
    }).catch(again);
  }

  // Known-answer (gold) tasks are never named: now and then (every tenth answer) the response carries a summary of
  // the volunteer's record on them, whatever the task just answered was; a short, kind word.
  function goldFeedback(feedback) {
    if (!feedback || !feedback.checked) return "";
    return (root.dataset.goldSummary || "").replace("%a", feedback.agreed).replace("%c", feedback.checked);
  }

  // --- training: "Tutorial 1 of 3" over the task, feedback under it -------------------------------------------
  function fill(template, values) {
    return (template || "").replace(/%(\w)/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function showTraining(t) {
    feedbackEl.hidden = true;
    trainingEl.hidden = !t;
    if (!t) return;
    skipBtn.hidden = backBtn.hidden = true;
    var d = root.dataset;
    stepEl.textContent = t.stage === "tutorial" ? fill(d.tutorialStep, { s: t.step, n: t.steps })
      : fill(d.qualificationStep, { s: t.step, n: t.steps, p: t.pass_mark, a: t.attempt });
  }
  function feedback(tone, heading, text, explanation, button) {
    feedbackEl.className = "training-feedback " + tone;
    feedbackEl.querySelector("h2").textContent = heading;
    feedbackEl.querySelector(".text").textContent = text;
    var why = feedbackEl.querySelector(".explanation");
    why.textContent = explanation || "";
    why.hidden = !explanation;
    nextBtn.textContent = button;
    feedbackEl.hidden = false;
    nextBtn.focus();
  }
  function trained(out) {
    var d = root.dataset;
    if (out.stage === "tutorial") {
      feedback(out.correct ? "ok" : "info", out.correct ? d.tutorialRight : d.tutorialWrong,
               fill(d.tutorialExpected, { e: out.expected }), out.explanation, d.nextLabel);
    } else if (out.result) {
      var r = out.result, values = { t: r.total, p: r.pass_mark };
      if (r.passed) feedback("ok", d.qualifiedHeading, fill(d.qualifiedText, values), "", d.startLabel);
      else feedback("info", d.failedHeading, fill(d.failedText, values), "", d.againLabel);
    } else {
      say(d.trainingSaved, "ok");
      advance();
    }
  }
  function train(value) {
    busy = true;
    kind.lock && kind.lock(taskEl, value);
    function failed(message) {
      busy = false;
      kind.unlock && kind.unlock(taskEl);
      say(message, "error");
    }
    request("POST", current.training.answer_url, { value: value }).then(function (r) {
      return r.json().then(function (out) {
        if (r.ok) { say("", ""); trained(out); }
        else if (r.status === 409) advance();  // answered already (a retry after a lost reply): the next step
        else failed(out.message);
      });
    }).catch(function () { failed(root.dataset.sendFailed); });
  }
  nextBtn.addEventListener("click", function () { feedbackEl.hidden = true; advance(); });

  function submit(value) {
    if (busy || !current) return;
    if (current.training) { train(value); return; }
    if (resume) { change(value); return; }
    busy = true;
    var task = current, key = newKey();
    var body = { value: value, duration_ms: Math.round(performance.now() - shownAt) };
    kind.lock && kind.lock(taskEl, value);
    if (queue && navigator.onLine === false) { keep(task, body, key); return; }
    send(task, body, key, 0).then(function (res) {
      if (res.status === 201 || res.status === 200) {
        last = task;
        count(res.body.done);
        if (res.body.counted === false) say(root.dataset.notCounted, "info");  // before the qualification is passed
        else say(goldFeedback(res.body.feedback) || root.dataset.thanks || "", "ok");
        advance();
      } else if (res.status === 409 || res.status === 403) {
        say(res.body.message, "info");
        advance();
      } else {
        busy = false;
        kind.unlock && kind.unlock(taskEl);
        say(res.body.message, "error");
      }
    }).catch(function () {
      if (queue) { keep(task, body, key); return; }
      notSent();
    });
  }
  function notSent() {
    busy = false;
    kind.unlock && kind.unlock(taskEl);
    say(root.dataset.sendFailed || "Your answer could not be sent. Check your connection and press it again.", "error");
  }

  // --- answers waiting in the queue: kept with their key, sent when the network is back ------------------------
  function keep(task, body, key) {
    var label = kind.label ? kind.label(task) : fill(root.dataset.taskLabel, { n: task.id });
    queue.add({ campaign: slug, url: url("answerUrl", task.id), body: body, key: key, label: label })
      .then(function () {
        last = null;  // not on the server yet: nothing to change with Back
        say("", "");
        advance();
      }, notSent);
  }
  var queueEl = document.getElementById("queue-status"), refusedEl = document.getElementById("queue-refused");
  function showQueue(event) {
    var sent = event && event.detail.sent;
    if (sent && sent.campaign === slug && sent.response) count(sent.response.done);
    Promise.all([queue.pending(slug), queue.refused(slug)]).then(function (lists) {
      var n = lists[0].length, d = root.dataset;
      var text = n === 1 ? d.queueOne : fill(d.queueMany, { n: n });
      if (queueEl.textContent !== text) queueEl.textContent = text;  // a live region: say it once
      queueEl.hidden = !n;
      showRefused(lists[1]);
    }).catch(function () {});  // no storage to read: nothing to show
  }
  function showRefused(items) {
    refusedEl.textContent = "";
    refusedEl.hidden = !items.length;
    items.forEach(function (item) {
      var li = document.createElement("li"), text = document.createElement("span");
      var dismiss = document.createElement("button");
      text.textContent = fill(root.dataset.queueRefused, { l: item.label, m: item.message || "" });
      dismiss.type = "button";
      dismiss.className = "button";
      dismiss.textContent = root.dataset.queueDismiss;
      dismiss.addEventListener("click", function () { queue.forget(item.id); });
      li.append(text, dismiss);
      refusedEl.appendChild(li);
    });
  }

  function skip() {
    if (busy || !current || resume || current.training) return;
    busy = true;
    request("POST", url("skipUrl", current.id)).finally(function () { say("", ""); advance(); });
  }

  function startLoop() {
    // Leases are short: while the volunteer is active the page says "still here" (at most once every
    // STILL_HERE_MS), and when it is hidden or closed it gives its tasks back at once, so visitors who
    // open the page and leave never lock a campaign for others.
    var STILL_HERE_MS = 45000, lastSaid = Date.now();
    function stillHere() {
      if (document.visibilityState === "hidden" || Date.now() - lastSaid < STILL_HERE_MS || !current) return;
      lastSaid = Date.now();
      request("POST", root.dataset.extendUrl).catch(function () {});
    }
    ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (name) {
      document.addEventListener(name, stillHere, { passive: true, capture: true });
    });
    function leave() {
      upcoming = null;  // the prefetched task's lease goes back too: ask again when the volunteer returns
      var form = new FormData();
      form.append("csrf_token", csrf);  // no list of tasks: every task held in this campaign goes back
      if (!(navigator.sendBeacon && navigator.sendBeacon(root.dataset.releaseUrl, form))) {
        fetch(root.dataset.releaseUrl, { method: "POST", body: form, credentials: "same-origin", keepalive: true })
          .catch(function () {});
      }
    }
    window.addEventListener("pagehide", leave);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") leave();
      else lastSaid = 0;  // back: the next touch says "still here" at once
    });

    skipBtn.addEventListener("click", skip);
    backBtn.addEventListener("click", back);
    keepBtn.addEventListener("click", function () { if (resume && !busy) backToWork("", ""); });
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || !current) return;
      var tag = (e.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select") return;
      if (e.key === "s" || e.key === "S") { e.preventDefault(); skip(); return; }
      var value = kind.valueForKey && kind.valueForKey(current, e.key);
      if (value !== undefined && value !== null) { e.preventDefault(); submit(value); }
    });

    function first() {
      fetchNext([]).then(show).catch(function (err) {
        if (err && err.final) { show(null, err.message); return; }
        if (unreachable(err)) { waitForNetwork(first); return; }
        say(err.message, "error");
      });
    }
    first();
  }

  if (queue) {
    window.addEventListener("citizen-queue", showQueue);
    showQueue();
  }
  if (typeof kind.start === "function") {  // the kind runs its own flow (see the top of this file)
    skipBtn.hidden = backBtn.hidden = true;
    kind.start({ root: root, csrf: csrf, queue: queue, say: say });
    if (window.citizenOffline) window.citizenOffline.keepPage();  // its first GETs make no guest: no race
  } else {
    startLoop();
  }
})();
