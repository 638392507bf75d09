/* The example `compare` kind: two images side by side, one button per answer. */
window.citizenKinds = window.citizenKinds || {};
window.citizenKinds.compare = {
  preload: function (task) { [task.left_url, task.right_url].forEach(function (u) { new Image().src = u; }); },
  render: function (task, el, answer) {
    el.querySelector("#cmp-left").src = task.left_url;
    el.querySelector("#cmp-right").src = task.right_url;
    el.querySelector("#cmp-question").textContent = task.question;
    citizenOptions.render(el.querySelector("#cmp-options"), task, answer);
  },
  valueForKey: citizenOptions.forKey,
  lock: citizenOptions.lock,
  unlock: citizenOptions.unlock
};
