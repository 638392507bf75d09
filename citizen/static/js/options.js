/* Answer buttons shared by every kind: one large button per option, number keys 1-9 and 0. */
window.citizenOptions = {
  render: function (box, task, choose) {
    box.textContent = "";
    box.dataset.count = task.options.length;
    task.options.forEach(function (value, i) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "answer"; b.dataset.value = value;
      var k = document.createElement("kbd"); k.textContent = i < 9 ? String(i + 1) : "0";
      var label = document.createElement("span"); label.textContent = task.labels[i] || value;
      b.appendChild(k); b.appendChild(label);
      b.addEventListener("click", function () { choose(value); });
      box.appendChild(b);
    });
  },
  forKey: function (task, key) {
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
