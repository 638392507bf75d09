"""Demo data for `make run`: an organisation, its people, and a published `question` campaign
whose images are drawn here with Pillow (nothing is downloaded)."""
import json
import os
import random

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.accounts.models import User
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Campaign
from citizen.extensions import db

PEOPLE = [("admin@example.org", "Ada Admin", None), ("organiser@example.org", "Olu Organiser", "organiser"),
          ("moderator@example.org", "Mo Moderator", "moderator")]
PASSWORD = "citizen-demo"


def draw_rooftops(path, seed, red_roof):
    """An aerial-looking picture: fields, a road, grey roofs, and maybe one red roof."""
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
    img.filter(ImageFilter.GaussianBlur(0.8)).save(path, "JPEG", quality=82)


def load_demo(media_folder, n_images=40):
    """Create the demo once; running it again changes nothing. Returns a summary for the console."""
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
    if db.session.execute(select(Campaign.id).where(Campaign.slug == "red-roofs")).first():
        return {"created": False}
    folder = os.path.join(media_folder, "demo")
    os.makedirs(folder, exist_ok=True)
    tasks = []
    for i in range(n_images):
        name = f"rooftops-{i:03d}.jpg"
        draw_rooftops(os.path.join(folder, name), seed=i, red_roof=(i % 3 == 0))
        tasks.append({"external_id": f"photo-{i:03d}", "image_url": f"/media/demo/{name}",
                      "alt": "Aerial photo of fields, a road and rooftops"})
    campaign = campaigns.create_campaign(org.id, users["organiser@example.org"], {
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
    campaigns.publish(campaign)
    token = accounts.create_api_token(users["organiser@example.org"], "demo")
    return {"created": True, "campaign": campaign.slug, "organiser_token": token}
