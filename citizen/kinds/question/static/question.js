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
    citizenOptions.render(el.querySelector("#q-options"), task, answer);
  },
  valueForKey: citizenOptions.forKey,
  lock: citizenOptions.lock,
  unlock: citizenOptions.unlock
};
