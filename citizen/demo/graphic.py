"""The demo's damage campaign rated graphic, so the content-warning flow can be seen (`make run`).

Its drone photos are drawn by citizen.demo.imagery; some have an obviously synthetic "injured person" added:
a flat, cartoon-like pictogram lying on the ground with red stains around it. Nothing real is shown.
"""
import io
import random

from PIL import Image, ImageDraw

from citizen.demo import imagery as demo_imagery
from citizen.campaigns import services as campaigns
from citizen.ingest import photos

SLUG = "graphic-damage-demo"
RESOURCES = ("Looking at people who are hurt is hard, even when, as here, they are only drawings.\n\n"
             "- Take a break whenever you want: the work will still be here.\n"
             "- Talk to someone you trust about what you saw.\n"
             "- Demo Relief's volunteer support line (an example): **+00 000 000 000**, every day 8:00-20:00.")


def injured_figure(jpeg, seed):
    """The JPEG with a pictogram person lying on the ground and red stains around it (plainly not a photo)."""
    img = Image.open(io.BytesIO(jpeg)).convert("RGB")
    w, h = img.size
    rnd, k = random.Random(seed), min(w / 1024, h / 768)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    x, y = rnd.uniform(0.2, 0.65) * w, rnd.uniform(0.76, 0.84) * h  # on the pavement, below the houses
    for _ in range(9):  # stains first, so the figure lies on them
        sx, sy, r = x + rnd.uniform(-40, 190) * k, y + rnd.uniform(-30, 40) * k, rnd.uniform(14, 34) * k
        d.ellipse([sx - r, sy - r * 0.6, sx + r, sy + r * 0.6], fill=(178, 16, 22, 215))
    body, outline, width = (92, 118, 168, 255), (30, 36, 60, 255), max(3, int(5 * k))
    d.ellipse([x - 22 * k, y - 22 * k, x + 22 * k, y + 22 * k], fill=body, outline=outline, width=width)  # head
    d.rounded_rectangle([x + 26 * k, y - 20 * k, x + 120 * k, y + 20 * k], radius=14 * k, fill=body,
                        outline=outline, width=width)  # torso
    for (x0, y0), (x1, y1) in [((120, -10), (190, -34)), ((120, 10), (192, 26)),    # legs
                               ((50, -18), (92, -58)), ((50, 18), (100, 52))]:     # arms
        d.line([(x + x0 * k, y + y0 * k), (x + x1 * k, y + y1 * k)], fill=outline, width=int(20 * k))
        d.line([(x + x0 * k, y + y0 * k), (x + x1 * k, y + y1 * k)], fill=body, width=int(13 * k))
    for _ in range(4):  # stains over the figure too
        sx, sy, r = x + rnd.uniform(20, 120) * k, y + rnd.uniform(-15, 15) * k, rnd.uniform(8, 16) * k
        d.ellipse([sx - r, sy - r, sx + r, sy + r], fill=(190, 20, 26, 230))
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def graphic_damage_campaign(org, organiser, n_photos=6, bounds=None):
    """A damage campaign rated graphic (injured people), with wellbeing resources, of drawn drone photos."""
    import zipfile
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": SLUG, "title": "After the landslide: damage and people in need (graphic)", "kind": "damage",
        "redundancy": 3,
        "summary": "Grade the damage in drone photos and mark anyone lying on the ground. Some photos show injured "
                   "people.",
        "description": ("After a landslide, a drone team photographed the valley. Your marks tell rescuers where "
                        "to go first.\n\nThis demo shows how citizen protects volunteers: the photos are rated "
                        "graphic, so they arrive blurred with a warning, and you choose whether to see each one. "
                        "The photos and the people in them are drawings made by the demo; nothing real is shown."),
        "tutorial": ("1. Read the warning; press **Show the image** only if you want to, or skip.\n"
                     "2. Put a pin on every damaged building and on every person lying on the ground.\n"
                     "3. Choose the grade of the worst damage you see."),
        "licence": "CC-BY-4.0",
        "settings": {"guidance": ("- **No damage**: roofs and walls intact.\n- **Minor**: cracks, a few tiles missing.\n"
                                  "- **Major**: part of the roof or a wall collapsed.\n- **Destroyed**: rubble."),
                     "attribution": "Demo imagery drawn by citizen", "cell_km": 0.5},
        "wellbeing": {"level": "graphic", "categories": ["injury"], "resources": RESOURCES, "flag_threshold": 3},
    })
    rnd = random.Random(11)
    west, south, east, north = bounds or (0.0, 0.0, 0.01, 0.01)
    grades = ["major", "destroyed", "minor", "destroyed", "major", "none"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for i in range(n_photos):
            jpeg, _boxes = demo_imagery.drone_photo(100 + i, grades[i % len(grades)])
            if i % 2 == 0:
                jpeg = injured_figure(jpeg, i)
            zf.writestr(f"valley-{i:03d}.jpg", photos.with_gps(jpeg, rnd.uniform(south, north), rnd.uniform(west, east)))
    campaigns.import_tasks(campaign, "valley-photos.zip", buffer.getvalue())
    return campaigns.publish(campaign)
