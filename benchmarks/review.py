"""Review speed of the boxes kind: the seconds per image a moderator needs in the queue page, tool time only.

The case (issue 20): one moderator per 30-40 volunteers checks images at 10-15 s each. The page must never be
what they wait for. Setup: a SQLite app served on 127.0.0.1 (threaded werkzeug, CSRF on as in production); a
`boxes` campaign of IMAGES street scenes (the demo's, 800 x 520 px) each boxed by two volunteers from the scene's
truth with a few pixels of jitter, the second one calling one object by another class and boxing a shadow that is
not there, so that every image is disputed and on the moderators' queue. Real Chromium (Debian's) signs in as a
moderator and clears the queue from the keyboard, in turn:
- accept: A (the agreed boxes become the result);
- delete: E opens the editor on the agreed boxes, ] selects the first, Delete removes it, Enter saves (or, when
  it was the only one, a click on "None here": Enter never sends an empty answer);
- add: E, N adds a box, C makes it a car, five arrow presses move it, Enter saves.
An adjustment needs a reason; the field starts empty on each page of the queue and keeps the moderator's last
one, so the benchmark types "Reviewed" the first time the editor opens on a page (within that image's act time).
For each image two times are taken, with no human pause between key presses:
- load: from the previous image's action being done (its item gone from the page) to this one being ready (the
  current item's photo loaded and every volunteer's boxes drawn). After 20 images this includes reloading the
  page, as the queue does when its page is empty.
- act: from the first key press to the item being gone (the POST answered and the page moved on).
per_image_s = load + act; goal well under the 10-15 s a person needs, so the tool is never the bottleneck.
Every action is checked afterwards in the database (an override per image, the boxes the keys made).

The last line printed is one JSON object. `--quick` reviews 12 images.
"""
import argparse
import json
import random
import statistics
import sys
import threading
import time

from sqlalchemy import select
from werkzeug.serving import make_server

from benchmarks.common import fresh_app
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Task
from citizen.demo.figures import HEIGHT, WIDTH, street_scene
from citizen.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "review-bench-1"
ACTIONS = ("accept", "delete", "add")
READY = """key => { const item = document.querySelector('.mod-item.current');
  if (!item || item.dataset.key === key) return false;
  const img = item.querySelector('.leaflet-image-layer');
  return !!img && img.complete && img.naturalWidth > 0 && item.querySelectorAll('.mod-map path').length > 0; }"""
EDITOR_READY = """() => { const ed = document.querySelector('#mod-editor');
  const img = ed && ed.querySelector('#bx-image');
  return !!ed && !ed.hidden && img.complete && img.naturalWidth > 0 && ed.querySelectorAll('.bx-box').length > 0; }"""
GONE = "key => !document.querySelector('.mod-item[data-key=\"' + key + '\"]')"


def _box(xyxy, cls, rnd, jitter=3):
    x1, y1, x2, y2 = (v + rnd.uniform(-jitter, jitter) for v in xyxy)
    x1, y1 = max(0.0, x1), max(0.0, y1)
    x2, y2 = min(WIDTH - 1.0, x2), min(HEIGHT - 1.0, y2)
    return {"x": round(x1 / WIDTH, 4), "y": round(y1 / HEIGHT, 4), "w": round((x2 - x1) / WIDTH, 4),
            "h": round((y2 - y1) / HEIGHT, 4), "class": cls, "attributes": {}}


def answers_for(seed):
    """Two volunteers' answers to scene `seed`: both box the truth; the second calls its first object by the other
    class and adds a box where there is nothing."""
    rnd = random.Random(seed)
    _jpeg, truth = street_scene(seed)
    first = [_box(xyxy, cls, rnd) for cls, _vis, xyxy in truth]
    second = [_box(xyxy, cls, rnd) for cls, _vis, xyxy in truth]
    second[0]["class"] = "car" if second[0]["class"] == "person" else "person"
    second.append({"x": 0.02, "y": 0.8, "w": 0.1, "h": 0.1, "class": "car", "attributes": {}})
    return first, second


def build(images):
    import io
    import zipfile
    app, _folder = fresh_app("review", WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = accounts.get_or_create_organisation("bench", "Bench")
        mod = accounts.register_user("mod@example.org", "Mo", PASSWORD)
        accounts.grant(mod, org, "moderator")
        c = campaigns.create_campaign(org.id, None, {
            "title": "Review bench", "kind": "boxes", "redundancy": 2,
            "settings": {"classes": "Person | #e6194b | p\nCar | #4363d8 | c"},
            "quality": {"cap_share": 0, "min_ms": 0, "gold_start": 0, "gold_end": 0}})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            for i in range(images):
                zf.writestr(f"street-{i:03d}.jpg", street_scene(i)[0])
        campaigns.import_tasks(c, "scenes.zip", buffer.getvalue())
        campaigns.publish(c)
        db.session.commit()
        slug = c.slug
        seeds = {t.id: int(t.external_id.split("-")[1].split(".")[0]) for t in
                 db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalars()}
    client = app.test_client()
    for n in range(2):
        token = client.post("/api/v1/guests", environ_base={"REMOTE_ADDR": f"192.0.2.{n + 10}"},
                            headers={"User-Agent": f"volunteer-{n}"}).get_json()["token"]
        who = {"Authorization": "Bearer " + token}
        for _ in range(images):
            task = client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=who).get_json()
            value = {"boxes": answers_for(seeds[task["id"]])[n]}
            r = client.post(f"/api/v1/tasks/{task['id']}/answers", headers=who,
                            json={"value": value, "duration_ms": 8000})
            assert r.status_code == 201, r.get_data(as_text=True)
    return app


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    return server, app.config["PUBLIC_URL"]


def wait(page, script, arg=None, timeout=30_000):
    """page.wait_for_function that survives the queue reloading itself when its page of items is done."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            return page.wait_for_function(script, arg=arg, timeout=max(1, (deadline - time.monotonic()) * 1000),
                                          polling="raf")
        except Exception as error:  # noqa: BLE001 - the execution context went with a reload: wait again
            if "context was destroyed" not in str(error) and "navigation" not in str(error).lower():
                raise
            if time.monotonic() > deadline:
                raise


def act(page, action, key):
    if action == "accept":
        page.keyboard.press("a")
    else:
        page.keyboard.press("e")
        wait(page, EDITOR_READY)
        if not page.input_value("#mod-editor-reason"):  # typed once: the field keeps the moderator's last reason
            page.fill("#mod-editor-reason", "Reviewed")
            page.focus("#mod-editor .bx-stage")
        if action == "delete":
            page.keyboard.press("]")
            page.keyboard.press("Delete")
        else:
            page.keyboard.press("n")
            page.keyboard.press("c")
            for _ in range(5):
                page.keyboard.press("ArrowRight")
        if page.locator("#mod-editor .bx-box").count():
            page.keyboard.press("Enter")
        else:  # the only agreed box deleted: "None here" (Enter never sends an empty answer by mistake)
            page.click("#mod-editor #bx-none")
    wait(page, GONE, key)


def review(url, images):
    from playwright.sync_api import sync_playwright
    loads, acts, done = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url + "/account/login")
        page.fill("input[name=email]", "mod@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        previous = ""
        t0 = time.perf_counter()
        page.goto(url + "/moderation/?reason=disagreement")
        for i in range(images):
            wait(page, READY, previous)
            ready = time.perf_counter()
            key = page.evaluate("() => document.querySelector('.mod-item.current').dataset.key")
            action = ACTIONS[i % len(ACTIONS)]
            try:
                act(page, action, key)
            except Exception:
                print("stuck on", key, action, "status:", page.inner_text("#mod-status"), file=sys.stderr)
                page.screenshot(path="/tmp/review-stuck.png")
                raise
            end = time.perf_counter()
            loads.append(ready - t0)
            acts.append(end - ready)
            done.append((int(key.split(":")[1]), action))
            previous, t0 = key, end
        browser.close()
    return loads, acts, done


def check(app, done):
    """Every image reviewed once, as its keys said: accepted as agreed, one box fewer, one car more."""
    with app.app_context():
        states = dict(db.session.execute(select(Task.id, Task.consensus)).all())
        results = dict(db.session.execute(select(Task.id, Task.result)).all())
        for task_id, action in done:
            override = (states[task_id] or {}).get("override")
            assert override, (task_id, action)
            agreed = len(((results[task_id] or {}).get("answer") or {}).get("boxes") or [])
            boxes = override["answer"]["boxes"]
            want = {"accept": agreed, "delete": agreed - 1, "add": agreed + 1}[action]
            assert len(boxes) == want, (task_id, action, agreed, len(boxes))
            if action == "add":
                assert boxes[-1]["class"] == "car", boxes[-1]
        assert len({t for t, _a in done}) == len(done)


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="12 images, for a smoke test")
    args = parser.parse_args(argv)
    images = 12 if args.quick else args.images
    started = time.perf_counter()
    app = build(images)
    print(f"built {images} disputed images in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    server, url = serve(app)
    try:
        loads, acts, done = review(url, images)
    finally:
        server.shutdown()
    check(app, done)
    per_image = [a + b for a, b in zip(loads, acts)]
    out = {"images": images, "per_image_s_p50": round(statistics.median(per_image), 3),
           "per_image_s_p95": round(quantile(per_image, 0.95), 3), "per_image_s_max": round(max(per_image), 3),
           "load_s_p50": round(statistics.median(loads), 3), "load_s_p95": round(quantile(loads, 0.95), 3),
           "act_s_p50": {a: round(statistics.median([t for t, (_i, b) in zip(acts, done) if b == a]), 3)
                         for a in ACTIONS},
           "human_s_per_image": [10, 15], "checked": len(done)}
    out["share_of_human_time_p95"] = round(out["per_image_s_p95"] / 10, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
