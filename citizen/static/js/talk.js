/* The current task's discussion under the work page: work.js announces each task it shows ("citizen:task" on
   the document); the box follows it, loads the thread when opened (GET, read-only) and posts with the page's
   CSRF token. The server sends posts as sanitised HTML. */
(function () {
  "use strict";
  var box = document.getElementById("talk-task");
  if (!box) return;
  var list = document.getElementById("talk-posts"), open = document.getElementById("talk-open");
  var form = document.getElementById("talk-form"), message = document.getElementById("talk-message");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var taskId = null, loaded = null;

  function url(pattern) { return pattern.replace(/\/0\/talk$/, "/" + taskId + "/talk"); }
  function say(text, tone) { if (message) { message.textContent = text || ""; message.className = "message " + (tone || ""); } }

  function item(p) {
    var li = document.createElement("li"), meta = document.createElement("p"), who = document.createElement("strong");
    li.className = "talk-post" + (p.staff_role ? " by-staff" : "");
    li.id = "talk-inline-" + p.id;
    meta.className = "talk-meta";
    who.textContent = p.author;
    meta.appendChild(who);
    [[p.staff_role, box.dataset[p.staff_role], "tag"], [p.needs_expert, box.dataset.expert, "tag tag-expert"]]
      .forEach(function (t) {
      if (!t[0]) return;
      var tag = document.createElement("span");
      tag.className = t[2];
      tag.textContent = t[1];
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(tag);
    });
    li.appendChild(meta);
    var body = document.createElement("div");
    body.className = "prose talk-body";
    if (p.html === null) { body.textContent = box.dataset.hidden; } else { body.innerHTML = p.html; }
    li.appendChild(body);
    return li;
  }

  function show(posts) {
    list.textContent = "";
    if (!posts.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = box.dataset.empty;
      list.appendChild(none);
    }
    posts.forEach(function (p) { list.appendChild(item(p)); });
  }

  function load() {
    if (taskId === null || loaded === taskId) return;
    var asked = taskId;
    fetch(url(box.dataset.readUrl), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (body) { if (asked === taskId) { loaded = asked; show(body.posts); } })
      .catch(function () { say(box.dataset.failed, "error"); });
  }

  document.addEventListener("citizen:task", function (e) {
    var task = e.detail;
    taskId = task ? task.id : null;
    box.hidden = taskId === null;
    loaded = null;
    list.textContent = "";
    say("");
    if (taskId !== null) open.href = url(box.dataset.pageUrl);
    if (box.open) load();
  });
  box.addEventListener("toggle", function () { if (box.open) load(); });

  if (form) form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (taskId === null) return;
    var button = form.querySelector("button[type=submit]"), asked = taskId;
    button.disabled = true;
    fetch(url(box.dataset.readUrl), {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ body: form.elements.body.value, needs_expert: form.elements.needs_expert.checked })
    }).then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        button.disabled = false;
        if (res.status !== 201) { say(res.body.message, "error"); return; }
        if (asked !== taskId) return;
        var empty = list.querySelector("li.muted");
        if (empty) empty.remove();
        list.appendChild(item(res.body));
        form.reset();
        say(box.dataset.posted, "ok");
      })
      .catch(function () { button.disabled = false; say(box.dataset.failed, "error"); });
  });
})();
