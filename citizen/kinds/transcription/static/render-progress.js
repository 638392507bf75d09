(function () {
  /* Poll the render job while it runs; reload once it has finished so the results and previews show. */
  var box = document.getElementById("render");
  if (!box || (box.dataset.status !== "pending" && box.dataset.status !== "running")) return;
  var bar = document.getElementById("render-progress"), count = document.getElementById("render-count");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.max = job.total || 1; bar.value = job.done; bar.textContent = job.percent + "%";
        count.textContent = job.done + " / " + job.total;
        if (job.status === "pending" || job.status === "running") setTimeout(poll, 1000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
