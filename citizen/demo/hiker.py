"""The demo's search-and-rescue campaign (`make run`): drone photos of hills and woods, drawn here, a few with a
small figure of a hiker in a bright jacket. A volunteer who answers "Yes, a person" escalates the photo to the
moderators at once; a confirmed escalation shows the photo's GPS position on the experts' page.

Nothing real is shown: the terrain is noise and circles, the hiker a handful of ellipses."""
import io
import random
import zipfile

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from citizen.campaigns import services as campaigns
from citizen.ingest import photos
from citizen.moderation import channels

SLUG = "missing-hiker"
WITH_PERSON = (2, 7, 10)
JACKETS = [(230, 72, 30), (240, 190, 30), (200, 30, 60), (40, 120, 220)]


def _noise(rng, w, h, cell):
    """Smooth value noise in 0..1: a coarse random grid scaled up with bicubic interpolation."""
    small = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
    img = Image.fromarray((small * 255).astype(np.uint8)).resize((w + 2 * cell, h + 2 * cell), Image.BICUBIC)
    return np.asarray(img, np.float32)[cell:cell + h, cell:cell + w] / 255.0


def hiker_photo(seed, person, size=(1024, 768)):
    """(JPEG bytes without EXIF, the hiker's pixel box {"x", "y", "w", "h"} or None) of a drone photo of
    meadow, woods, rocks and a trail; with `person`, a hiker stands or lies somewhere in the open."""
    W, H = size
    rnd, rng = random.Random(seed), np.random.default_rng(seed)
    texture = 0.55 * _noise(rng, W, H, 96) + 0.3 * _noise(rng, W, H, 24) + 0.15 * _noise(rng, W, H, 6)
    meadow = np.float32([118, 140, 72]) + (texture[..., None] - 0.5) * np.float32([60, 60, 40])
    woods = _noise(rng, W, H, 160) > 0.55
    meadow[woods] = np.float32([52, 80, 40]) + (texture[woods][..., None] - 0.5) * np.float32([30, 40, 24])
    img = Image.fromarray(np.clip(meadow, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    # A trail across the slope.
    y0, period, slope = rnd.uniform(0.2, 0.8) * H, rnd.uniform(90, 160), rnd.uniform(-200, 200)
    trail = [(x, y0 + 60 * np.sin(x / period) + (x / W - 0.5) * slope) for x in range(-20, W + 40, 20)]
    d.line(trail, fill=(160, 142, 104), width=16, joint="curve")
    d.line(trail, fill=(178, 160, 120), width=9, joint="curve")
    for _ in range(rnd.randint(6, 14)):  # rocks
        x, y, r = rnd.uniform(0, W), rnd.uniform(0, H), rnd.uniform(6, 22)
        d.ellipse([x - r, y - r * 0.7, x + r, y + r * 0.7], fill=(128 + rnd.randint(-10, 10),) * 3, outline=(90, 90, 86))
    crowns = []
    for _ in range(rnd.randint(40, 90)):  # trees, denser in the woods
        x, y = rnd.uniform(0, W), rnd.uniform(0, H)
        if not woods[int(min(y, H - 1)), int(min(x, W - 1))] and rnd.random() < 0.7:
            continue
        crowns.append((x, y, rnd.uniform(16, 38)))
    for x, y, r in crowns:  # shadows first, to the lower right
        d.ellipse([x - r + r * 0.5, y - r + r * 0.4, x + r + r * 0.5, y + r + r * 0.4], fill=(38, 52, 30))
    for x, y, r in crowns:
        base = (rnd.randint(30, 60), rnd.randint(70, 100), rnd.randint(28, 44))
        d.ellipse([x - r, y - r, x + r, y + r], fill=base)
        d.ellipse([x - r * 0.6, y - r * 0.7, x + r * 0.2, y + r * 0.1], fill=tuple(min(255, int(c * 1.3)) for c in base))
    box = None
    if person:
        for _attempt in range(50):  # in the open, not under a tree
            x, y = rnd.uniform(0.1, 0.9) * W, rnd.uniform(0.15, 0.85) * H
            if all((x - cx) ** 2 + (y - cy) ** 2 > (r + 30) ** 2 for cx, cy, r in crowns):
                break
        jacket = rnd.choice(JACKETS)
        lying = rnd.random() < 0.5
        w, h = (30, 12) if lying else (13, 20)
        d.ellipse([x - w / 2 + 6, y - h / 2 + 5, x + w / 2 + 10, y + h / 2 + 7], fill=(40, 50, 30))  # shadow
        d.ellipse([x - w / 2, y - h / 2, x + w / 2, y + h / 2], fill=jacket, outline=(40, 30, 30))
        hx, hy = (x - w / 2 - 3, y) if lying else (x, y - h / 2 - 2)
        d.ellipse([hx - 4.5, hy - 4.5, hx + 4.5, hy + 4.5], fill=(205, 160, 125), outline=(70, 50, 40))
        d.rectangle([x - 4, y - 3, x + 4, y + 4], fill=(50, 60, 80))  # a backpack
        box = {"x": int(x - w / 2 - 8), "y": int(y - h / 2 - 10), "w": int(w + 20), "h": int(h + 22)}
    arr = np.asarray(img.filter(ImageFilter.GaussianBlur(0.7)), np.float32)
    arr += rng.normal(0, 3.0, arr.shape).astype(np.float32)
    out = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=88)
    return out.getvalue(), box


def missing_hiker_campaign(org, organiser, bounds, n_photos=12):
    """A published `search` campaign of drone photos with GPS positions inside `bounds` (west, south, east,
    north) over the demo's forest imagery; "person" answers escalate (the kind's rule, and the organiser's)."""
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": SLUG, "title": "Find the missing hiker", "kind": "search", "redundancy": 3,
        "summary": "A hiker has been missing in the hills since yesterday. Look at drone photos and mark anyone "
                   "you see: once a moderator confirms a find, its place reaches the rescue team's live page.",
        "description": ("A hiker did not come back from a walk in the hills. A drone team has flown over the area; "
                        "every photo is checked by three volunteers. When one of you spots a person, the photo goes "
                        "straight to the moderators, and once they confirm it the rescue team gets its position."
                        "\n\nThe photos are drawn by the demo; no real place or person is shown."),
        "tutorial": ("1. Look over the whole photo: a person is small, often a bright jacket with a shadow.\n"
                     "2. Put a pin on each person you see (the pin tool, top right), then answer **Yes, a person**.\n"
                     "3. Not sure? Pin it anyway and answer **Maybe**. Nobody there: **No one**."),
        "licence": "CC-BY-4.0",
        "settings": {"question": "Is there a person in this photo? Put a pin on each person you see.",
                     "guidance": ("- A person seen from above is a **small bright shape** (jacket, backpack) with a "
                                  "short shadow.\n- Rocks are grey, tree crowns round and green.\n- When in doubt, "
                                  "pin it and answer *Maybe*: a moderator looks again."),
                     "tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png",
                     "attribution": "Demo imagery drawn by citizen", "min_support": 2},
        "escalate_on": ["person"],
    })
    rnd = random.Random(21)
    west, south, east, north = bounds
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for i in range(n_photos):
            jpeg, _box = hiker_photo(300 + i, i in WITH_PERSON)
            lat, lon = rnd.uniform(south, north), rnd.uniform(west, east)
            zf.writestr(f"hills-{i:03d}.jpg", photos.with_gps(jpeg, lat, lon))
    campaigns.import_tasks(campaign, "drone-flight.zip", buffer.getvalue())
    # A demo has no response team to test a channel with: it makes the live page link (Alert settings shows it,
    # untested) and publishes without the working-channel rule that every real campaign passes.
    if not channels.settings_of(org.id) or not channels.settings_of(org.id).live_token:
        channels.new_live_link(org.id)
    return campaigns.publish(campaign, check_alerts=False)
