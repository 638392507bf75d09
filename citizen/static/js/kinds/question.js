/* The `question` kind: an image and/or a text, and one large button per answer (keys 1-9, 0). */
window.citizenKinds = window.citizenKinds || {};
window.citizenKinds.question = {
  preload: function (task) { if (task.image_url) { var img = new Image(); img.src = task.image_url; } },
  render: function (task, el, answer) {
    var img = el.querySelector("#q-image"), text = el.querySelector("#q-text");
    if (task.image_url) { img.src = task.image_url; img.alt = task.alt || ""; img.hidden = false; }
    else { img.hidden = true; img.removeAttribute("src"); }
    if (task.text) { text.textContent = task.text; text.hidden = false; } else { text.hidden = true; }
    el.querySelector("#q-question").textContent = task.question;
    var box = el.querySelector("#q-options");
    box.textContent = "";
    task.options.forEach(function (value, i) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "answer"; b.dataset.value = value;
      var k = document.createElement("kbd"); k.textContent = i < 9 ? String(i + 1) : "0";
      var label = document.createElement("span"); label.textContent = task.labels[i] || value;
      b.appendChild(k); b.appendChild(label);
      b.addEventListener("click", function () { answer(value); });
      box.appendChild(b);
    });
  },
  valueForKey: function (task, key) {
    var i = key === "0" ? 9 : parseInt(key, 10) - 1;
    return (i >= 0 && i < task.options.length) ? task.options[i] : null;
  },
  lock: function (el, value) {
    el.querySelectorAll("button.answer").forEach(function (b) {
      b.disabled = true; if (b.dataset.value === value) b.classList.add("chosen");
    });
  },
  unlock: function (el) {
    el.querySelectorAll("button.answer").forEach(function (b) { b.disabled = false; b.classList.remove("chosen"); });
  }
};
