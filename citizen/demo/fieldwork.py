"""The demo's field campaign: rubbish bins of the demo town to visit, photograph and report on, with a few reports
already in (photos drawn by the demo, carrying the position they were "taken" at), one of them sent from too far
away and waiting for a moderator, and a proposed site not on the map yet."""
import io
import math
import random
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFilter

from citizen import clock
from citizen.campaigns import scheduler
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Task
from citizen.extensions import db
from citizen.ingest import photos as pictures
from citizen.kinds.field import photo_token, photos, proposals
from sqlalchemy import select

STREETS = ["Market Street", "Mosque Lane", "School Road", "River Walk", "Baker Street", "Olive Square",
           "Station Road", "Garden Row", "Bridge Street", "Hill Lane"]
QUESTIONS = ("state | State of the bin | choice: Clean, Overflowing, Damaged, Gone | | What do you see?\n"
             "waste | Main kind of waste around it | choice: Household, Construction, Green, Mixed | optional |\n"
             "bags | Bags or items left on the ground | number | optional | Count them roughly")


def draw_bin(seed, overflowing):
    """A street corner with a green bin, rubbish around it when it overflows: a phone photo's stand-in."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (800, 600), (178, 178, 170))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, 800, 260], fill=(150 + rnd.randrange(30), 170, 190))  # sky and a wall
    d.rectangle([0, 200, 800, 330], fill=(196, 170, 140))
    d.rectangle([0, 420, 800, 600], fill=(120, 120, 118))  # the road
    x = rnd.randrange(220, 420)
    d.rectangle([x, 300, x + 180, 480], fill=(40, 110, 60), outline=(20, 60, 30), width=4)
    d.rectangle([x - 10, 285, x + 190, 305], fill=(30, 90, 50))
    for _ in range(14 if overflowing else 1):
        bx, by = x + rnd.randrange(-120, 260), rnd.randrange(250 if overflowing else 470, 520)
        d.ellipse([bx, by, bx + rnd.randrange(30, 70), by + rnd.randrange(25, 50)],
                  fill=rnd.choice([(30, 30, 30), (220, 220, 210), (90, 60, 140), (200, 150, 40)]))
    out = io.BytesIO()
    img.filter(ImageFilter.GaussianBlur(0.6)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _sites(bounds, n, rnd):
    west, south, east, north = bounds
    rows = ["name,lat,lon"]
    for i in range(n):
        lat = south + (north - south) * (0.15 + 0.7 * rnd.random())
        lon = west + (east - west) * (0.15 + 0.7 * rnd.random())
        rows.append(f"\"Bin {i + 1}, {STREETS[i % len(STREETS)]}\",{lat:.6f},{lon:.6f}")
    return ("\n".join(rows) + "\n").encode()


def _offset(lat, lon, metres, bearing):
    """A point `metres` away from (lat, lon) in the direction `bearing` (degrees)."""
    dlat = metres * math.cos(math.radians(bearing)) / 111195
    dlon = metres * math.sin(math.radians(bearing)) / (111195 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def trash_sites_campaign(org, organiser, bounds, volunteers=(), n_sites=40):
    """The published field campaign, with a few reports (one held: sent from 400 m away) and a proposal."""
    rnd = random.Random(31)
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": "town-bins", "title": "Check the town's rubbish bins", "kind": "field", "redundancy": 3,
        "summary": "Walk to the bins near you, take a photo and say how full they are.",
        "description": ("The town council empties bins on a fixed round, and some overflow for days. Visit the bins "
                        "near you, take a photo of each and answer three questions: the council sends its trucks "
                        "where they are needed.\n\nYour position is checked against the bin's, and only the "
                        "campaign's staff see your photos. It works offline: your reports wait on your phone until "
                        "you are back online.\n\nThe bins and photos are the demo's own."),
        "tutorial": ("1. Allow the page to know where you are.\n2. Pick a bin from the list (or *Go to the nearest "
                     "site*) and walk there.\n3. Take a photo of the bin and its surroundings.\n4. Answer the "
                     "questions and press *Send report*."),
        "licence": "CC-BY-4.0",
        "settings": {"fields": QUESTIONS, "radius_m": 50, "accuracy_limit_m": 100, "photos_min": 1,
                     "photos_max": 3, "min_gap_minutes": 30, "proposals": True, "confirmations": 2,
                     "tiles": "/tiles/demo/town-after/{z}/{x}/{y}.png", "attribution": "Demo imagery drawn by citizen"},
    })
    campaigns.import_tasks(campaign, "town-bins.csv", _sites(bounds, n_sites, rnd))
    campaign = campaigns.publish(campaign)
    if volunteers:
        _reports(campaign, list(volunteers), rnd)
    return campaign


def _reports(campaign, volunteers, rnd):
    """Six visits near their bins and one from 400 m away (held for a moderator), then a proposed site."""
    tasks = db.session.execute(select(Task).where(Task.campaign_id == campaign.id).order_by(Task.id)
                               .limit(6)).scalars().all()
    plan = [(t, volunteers[i % len(volunteers)], 12, i % 2 == 0) for i, t in enumerate(tasks[:5])]
    plan.append((tasks[0], volunteers[1 % len(volunteers)], 400, True))  # too far: waits for a moderator
    taken = (clock.now() - timedelta(hours=2)).strftime("%Y:%m:%d %H:%M:%S")
    for n, (task, cid, metres, overflowing) in enumerate(plan):
        lat, lon = _offset(task.payload["lat"], task.payload["lon"], metres, rnd.uniform(0, 360))
        jpeg = pictures.with_gps(draw_bin(n, overflowing), lat, lon, taken)
        photo = photos.keep_photo(campaign, task, cid, jpeg)
        token = photo_token(photo.key, task.payload, photo.exif_lat, photo.exif_lon, photo.exif_taken)
        value = {"position": {"lat": lat, "lon": lon, "accuracy": rnd.choice([6, 9, 14])}, "photos": [token],
                 "fields": {"state": "Overflowing" if overflowing else "Clean",
                            "waste": "Household" if overflowing else None, "bags": 4 if overflowing else 0}}
        scheduler.submit_answer(task.id, cid, value, idempotency_key=f"demo-visit-{n}")
    west_lat, west_lon = _offset(tasks[-1].payload["lat"], tasks[-1].payload["lon"], 180, 250)
    proposals.propose(campaign, volunteers[0], {"name": "Heap of rubble by the bakery", "value": {
        "position": {"lat": west_lat, "lon": west_lon, "accuracy": 8}}}, "demo-proposal")
