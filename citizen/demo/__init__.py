"""Demo data for `make run`: an organisation, its people, and published campaigns of the
`question`, `deforestation`, `damage`, `transcription`, `search` and `boxes` kinds whose images, imagery and PDFs are
drawn here with Pillow and fpdf2 (nothing is downloaded)."""
import io
import json
import random
import zipfile

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.accounts.models import User
from citizen.demo import imagery as demo_imagery
from citizen.campaigns import services as campaigns
from citizen.ingest import photos
from citizen.campaigns.models import Campaign
from citizen.extensions import db

PEOPLE = [("admin@example.org", "Ada Admin", None), ("organiser@example.org", "Olu Organiser", "organiser"),
          ("moderator@example.org", "Mo Moderator", "moderator")]
PASSWORD = "citizen-demo"


def draw_rooftops(seed, red_roof):
    """An aerial-looking picture (JPEG bytes): fields, a road, grey roofs, and maybe one red roof."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (640, 480), (96, 128, 72))
    d = ImageDraw.Draw(img)
    for _ in range(14):
        x, y = rnd.randrange(0, 640), rnd.randrange(0, 480)
        shade = (rnd.randrange(80, 140), rnd.randrange(110, 160), rnd.randrange(50, 90))
        d.rectangle([x, y, x + rnd.randrange(80, 220), y + rnd.randrange(60, 180)], fill=shade)
    y = rnd.randrange(120, 360)
    d.line([(0, y), (640, y + rnd.randrange(-80, 80))], fill=(170, 160, 140), width=18)
    for _ in range(rnd.randrange(3, 8)):
        x, y, s = rnd.randrange(20, 580), rnd.randrange(20, 420), rnd.randrange(24, 50)
        d.rectangle([x, y, x + s, y + s], fill=(rnd.randrange(120, 170),) * 3, outline=(60, 60, 60))
    if red_roof:
        x, y, s = rnd.randrange(40, 560), rnd.randrange(40, 400), rnd.randrange(30, 56)
        d.rectangle([x, y, x + s, y + s], fill=(190, 40, 30), outline=(90, 20, 10))
    buf = io.BytesIO()
    img.filter(ImageFilter.GaussianBlur(0.8)).save(buf, "JPEG", quality=82)
    return buf.getvalue()


def load_demo(media=None, n_images=40):
    """Create the demo once; running it again changes nothing. Returns a summary for the console.
    `media`: the media store its pictures go to (citizen.storage.media_store() when None)."""
    if media is None:
        from citizen import storage
        media = storage.media_store()
    org = accounts.get_or_create_organisation("demo-relief", "Demo Relief (example NGO)")
    users = {}
    for email, name, role in PEOPLE:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = accounts.register_user(email, name, PASSWORD)
            user.is_admin = role is None
        if role:
            accounts.grant(user, org, role)
        users[email] = user
    organiser = users["organiser@example.org"]
    makers = {"red-roofs": lambda: _question_campaign(org, organiser, media, n_images),
              "forest-clearings": lambda: _deforestation_campaign(org, organiser),
              "quake-damage": lambda: _damage_campaign(org, organiser),
              "graphic-damage-demo": lambda: _graphic_damage_campaign(org, organiser),
              "expense-reports": lambda: _transcription_campaign(org, organiser),
              "missing-hiker": lambda: _search_campaign(org, organiser),
              "people-and-cars": lambda: _boxes_campaign(org, organiser),
              "roof-model": lambda: _model_campaign(org, organiser, media),
              "town-bins": lambda: _field_campaign(org, organiser)}
    existing = set(db.session.execute(select(Campaign.slug).where(Campaign.slug.in_(makers))).scalars())
    slugs = [make().slug for slug, make in makers.items() if slug not in existing]
    from citizen.demo.history import load_history
    slugs += [slug for slug in load_history(org, organiser) if slug not in slugs]  # answers, updates, a finished one
    if not slugs:
        return {"created": False}
    _build_results(slugs)
    token = accounts.create_api_token(organiser, "demo")
    return {"created": True, "campaigns": slugs, "organiser_token": token}


def _build_results(slugs):
    """The campaign-wide results (maps, batch consensus, influence) of the demo's campaigns, built now: the first
    visitor of `make run` sees them at once instead of "being prepared" while the first builds run."""
    from citizen.campaigns import builds
    db.session.commit()
    for campaign in db.session.execute(select(Campaign).where(Campaign.slug.in_(slugs))).scalars().all():
        builds.build(campaign)


def _question_campaign(org, organiser, media, n_images):
    tasks = []
    for i in range(n_images):
        name = f"rooftops-{i:03d}.jpg"
        media.put(f"demo/{name}", draw_rooftops(seed=i, red_roof=(i % 3 == 0)), content_type="image/jpeg")
        tasks.append({"external_id": f"photo-{i:03d}", "image_url": f"/media/demo/{name}",
                      "alt": "Aerial photo of fields, a road and rooftops"})
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": "red-roofs", "title": "Find the red roofs", "kind": "question", "redundancy": 3,
        "summary": "Help a relief team find shelters marked with red roofs in aerial photos.",
        "description": ("After a flood, shelters were marked with **red roofs** so that helicopters can find "
                        "them. Each photo is checked by three volunteers.\n\nThe photos here are drawn by the demo; "
                        "no real place is shown."),
        "tutorial": ("1. Look at the whole photo.\n2. A shelter is a **bright red square** roof; grey roofs "
                     "are ordinary houses.\n3. If you cannot tell, answer *Not sure*: that is useful too."),
        "licence": "CC-BY-4.0",
        "settings": {"question": "Is there a red roof in this photo?", "options": [
            {"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"},
            {"value": "unsure", "label": "Not sure"}]},
    })
    campaigns.import_tasks(campaign, "demo.json", json.dumps(tasks))
    return campaigns.publish(campaign)


def _deforestation_campaign(org, organiser):
    """A forest area split into 2 km cells over locally drawn before/after imagery."""
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": "forest-clearings", "title": "Spot new clearings in the forest", "kind": "deforestation", "redundancy": 3,
        "summary": "Compare two dates of imagery and mark where forest has been cut.",
        "description": ("A forest protection group watches a reserve for illegal logging. Each square of the "
                        "map is checked by three volunteers; clearings that several of you mark are sent to "
                        "rangers.\n\nThe imagery is drawn by the demo; no real place is shown."),
        "tutorial": ("1. Swipe between the **before** and **after** images (keys B, A, W).\n"
                     "2. Cleared forest is **brown, bare ground** that was green before.\n"
                     "3. Draw each clearing with the polygon tool, then answer."),
        "licence": "CC-BY-4.0",
        "settings": {"tiles_before": "/tiles/demo/forest-before/{z}/{x}/{y}.png",
                     "tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png",
                     "attribution": "Demo imagery drawn by citizen", "cell_km": 2, "min_support": 2}})
    campaigns.import_tasks(campaign, "forest-area.geojson", json.dumps(demo_imagery.FOREST_AREA).encode())
    return campaigns.publish(campaign)


def _damage_campaign(org, organiser, n_photos=12):
    """Drone photos after an earthquake, placed on the map by the GPS position in their EXIF."""
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": "quake-damage", "title": "Map earthquake damage from drone photos", "kind": "damage", "redundancy": 3,
        "summary": "Grade the damage to buildings in drone photos and mark each damaged building.",
        "description": ("After an earthquake, a drone team photographed the town. Your grades and marks tell "
                        "engineers where to inspect first.\n\nThe photos are drawn by the demo; no real place "
                        "is shown."),
        "tutorial": ("1. Look at every building in the photo.\n2. Put a pin on each damaged building.\n"
                     "3. Choose the grade of the worst damage you see."),
        "licence": "CC-BY-4.0",
        "settings": {"guidance": ("- **No damage**: roofs and walls intact.\n- **Minor**: cracks, a few tiles "
                                  "missing.\n- **Major**: part of the roof or a wall collapsed.\n- **Destroyed**: "
                                  "the building is a pile of rubble."),
                     "tiles_after": "/tiles/demo/town-after/{z}/{x}/{y}.png",
                     "tiles_before": "/tiles/demo/town-before/{z}/{x}/{y}.png",
                     "attribution": "Demo imagery drawn by citizen", "cell_km": 0.5}})
    rnd = random.Random(7)
    west, south, east, north = _bounds(demo_imagery.TOWN_AREA)
    grades = ["none", "minor", "major", "destroyed"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for i in range(n_photos):
            jpeg, _boxes = demo_imagery.drone_photo(i, grades[i % 4])
            lat, lon = rnd.uniform(south, north), rnd.uniform(west, east)
            zf.writestr(f"drone-{i:03d}.jpg", photos.with_gps(jpeg, lat, lon))
    campaigns.import_tasks(campaign, "drone-photos.zip", buffer.getvalue())
    return campaigns.publish(campaign)


def _transcription_campaign(org, organiser):
    """Expense reports as PDFs (typed, and one scanned-looking page), a page per task."""
    from citizen.demo import documents as demo_documents
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": "expense-reports", "title": "Transcribe expense reports", "kind": "transcription", "redundancy": 3,
        "summary": "Read scanned expense reports and copy five values from each page into a table.",
        "description": ("A newsroom checks how an NGO spends its donations. Each page is an expense report; "
                        "three of you copy the same values, and a value is accepted when two agree. The table "
                        "that comes out links back to every page.\n\nThe reports are made up by the demo."),
        "tutorial": ("1. Zoom into the page (scroll, or the + and - buttons) and find the outlined area.\n"
                     "2. Type each value **as it is written** on the page: 1.234,50 or 1,234.50 are both fine.\n"
                     "3. If a value is not on the page, tick *Not on this page*.\n4. Press **Enter** to send."),
        "licence": "CC-BY-4.0",
        "settings": {"fields": demo_documents.FIELDS, "unit": "page", "agree": 2, "max_answers": 5}})
    campaigns.import_tasks(campaign, "expense-reports.zip", demo_documents.expense_zip())
    return campaigns.publish(campaign)


def _graphic_damage_campaign(org, organiser):
    """Drone photos rated graphic, some with a drawn injured person: the content-warning flow (wellbeing)."""
    from citizen.demo.graphic import graphic_damage_campaign
    return graphic_damage_campaign(org, organiser, bounds=_bounds(demo_imagery.TOWN_AREA))


def _search_campaign(org, organiser):
    """Search and rescue: drone photos of hills, a few with a hiker; "person" answers escalate (moderation)."""
    from citizen.demo.hiker import missing_hiker_campaign
    return missing_hiker_campaign(org, organiser, bounds=_bounds(demo_imagery.FOREST_AREA))


def _model_campaign(org, organiser, media, n_images=30):
    """A roof detector's findings checked by volunteers (citizen.predictions): its predictions imported with their
    confidence, the least confident first, a fifth of the photos in the audit sample, the prediction shown as a
    starting point elsewhere. The detector is wrong on about one photo in seven, mostly where it is less sure."""
    import random

    from citizen.predictions import services as predictions
    rnd, tasks, lines = random.Random(22), [], []
    for i in range(100, 100 + n_images):
        name, red = f"model-roofs-{i:03d}.jpg", i % 3 == 0
        media.put(f"demo/{name}", draw_rooftops(seed=i, red_roof=red), content_type="image/jpeg")
        tasks.append({"external_id": f"photo-{i:03d}", "image_url": f"/media/demo/{name}",
                      "alt": "Aerial photo of fields, a road and rooftops"})
        right = rnd.random() > 0.15
        answer = ("yes" if red else "no") if right else ("no" if red else "yes")
        lines.append(json.dumps({"external_id": f"photo-{i:03d}", "model": "roof-detector-1", "answer": answer,
                                 "confidence": round(rnd.uniform(0.75, 0.99) if right else rnd.uniform(0.5, 0.8), 3)}))
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": "roof-model", "title": "Check the roof detector", "kind": "question", "redundancy": 3,
        "summary": "A computer model found red roofs in aerial photos: help find where it is wrong.",
        "description": ("A relief team runs a model that finds shelters with **red roofs** in aerial photos. It is "
                        "right most of the time. You see the photos it is least sure about first, and some photos "
                        "picked at random, so that the team knows how often the model is right.\n\nThe photos and "
                        "the model are the demo's own."),
        "tutorial": ("1. Look at the whole photo.\n2. The model's suggestion, when shown, is only a starting point: "
                     "answer what **you** see.\n3. If you cannot tell, answer *Not sure*."),
        "licence": "CC-BY-4.0",
        "settings": {"question": "Is there a red roof in this photo?", "options": [
            {"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"},
            {"value": "unsure", "label": "Not sure"}]},
    })
    campaigns.import_tasks(campaign, "demo.json", json.dumps(tasks))
    predictions.import_predictions(campaign, "roof-detector.jsonl", "\n".join(lines))
    predictions.set_routing(campaign, {"model": "roof-detector-1", "strategy": "uncertainty", "audit": 0.2,
                                       "show": True})
    return campaigns.publish(campaign)


def _boxes_campaign(org, organiser):
    """Street scenes to box each person and car in (the boxes kind), uploaded as a ZIP of photos."""
    from citizen.demo.figures import people_and_cars_campaign
    return people_and_cars_campaign(org, organiser)


def _field_campaign(org, organiser):
    """Rubbish bins of the demo town to visit (the field kind), a few reports already in, one held for a moderator."""
    from citizen.demo.fieldwork import trash_sites_campaign
    from citizen.demo.history import _volunteers
    people = [p[0] for p in _volunteers()]
    return trash_sites_campaign(org, organiser, _bounds(demo_imagery.TOWN_AREA), people)


def _bounds(polygon):
    xs = [p[0] for p in polygon["coordinates"][0]]
    ys = [p[1] for p in polygon["coordinates"][0]]
    return min(xs), min(ys), max(xs), max(ys)


def init_app(app):
    """Plug the demo in (called by create_app): the `flask demo` command, and the offline imagery tiles its map
    campaigns use, only when the demo is enabled (config DEMO; CITIZEN_DEMO=false for an instance without it)."""
    from citizen.demo import cli
    app.cli.add_command(cli.demo)
    if app.config.get("DEMO"):
        from citizen.demo import views
        app.register_blueprint(views.bp)
