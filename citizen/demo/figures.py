"""The demo's boxes campaign: street scenes drawn with Pillow (people and cars, some people partly behind a
wall), uploaded as a ZIP of photos as an organiser would, to box each person and car."""
import io
import random
import zipfile

from PIL import Image, ImageDraw

from citizen.campaigns import services as campaigns

WIDTH, HEIGHT = 800, 520
SKIN = [(241, 194, 125), (198, 134, 66), (141, 85, 36), (224, 172, 105)]
CLOTHES = [(200, 40, 40), (40, 90, 180), (50, 140, 70), (230, 180, 30), (120, 60, 150), (30, 30, 30)]


def street_scene(seed):
    """(JPEG bytes, [(class, visibility, [x1, y1, x2, y2])]): a street with 1-5 people and 0-2 cars."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (WIDTH, HEIGHT), (150, 190, 225))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 300, WIDTH, HEIGHT], fill=(120, 120, 118))                  # the street
    d.rectangle([0, 285, WIDTH, 300], fill=(185, 180, 170))                     # the pavement's edge
    for x in range(0, WIDTH, 160):                                              # houses behind
        d.rectangle([x + 8, 120 + rnd.randrange(0, 60), x + 150, 285],
                    fill=(rnd.randrange(170, 230), rnd.randrange(140, 200), rnd.randrange(110, 170)))
    truth = []
    for _ in range(rnd.randrange(0, 3)):
        x, y = rnd.randrange(20, WIDTH - 200), rnd.randrange(360, 430)
        d.rounded_rectangle([x, y, x + 170, y + 60], 12, fill=rnd.choice(CLOTHES))
        d.rectangle([x + 35, y - 30, x + 130, y + 5], fill=(170, 200, 220), outline=(40, 40, 40))
        d.ellipse([x + 20, y + 45, x + 55, y + 80], fill=(20, 20, 20))
        d.ellipse([x + 115, y + 45, x + 150, y + 80], fill=(20, 20, 20))
        truth.append(("car", None, [x, y - 30, x + 170, y + 80]))
    wall = None
    if rnd.random() < 0.6:
        wx = rnd.randrange(0, WIDTH - 240)
        wall = (wx, 250, wx + 240, 330)
    for _ in range(rnd.randrange(1, 6)):
        scale = rnd.uniform(0.7, 1.3)
        h = int(150 * scale)
        x, feet = rnd.randrange(20, WIDTH - 60), rnd.randrange(300, 470)
        head = int(h * 0.18)
        d.rectangle([x + 4, feet - h + head, x + int(h * 0.32), feet - int(h * 0.4)], fill=rnd.choice(CLOTHES))
        d.rectangle([x + 8, feet - int(h * 0.4), x + int(h * 0.3) - 2, feet], fill=(50, 50, 70))
        d.ellipse([x + int(h * 0.08), feet - h, x + int(h * 0.08) + head, feet - h + head], fill=rnd.choice(SKIN))
        box = [x, feet - h, x + int(h * 0.34), feet]
        hidden = wall is not None and box[0] < wall[2] and box[2] > wall[0] and box[3] > wall[1]
        truth.append(("person", "partly-hidden" if hidden else "fully-visible", box))
    if wall:
        d.rectangle(wall, fill=(160, 90, 70), outline=(90, 50, 40))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue(), truth


def street_scenes_zip(numbers):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for i in numbers:
            zf.writestr(f"street-{i:03d}.jpg", street_scene(i)[0])
    return buffer.getvalue()


def people_and_cars_campaign(org, organiser, n_scenes=16):
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": "people-and-cars", "title": "Box the people and cars in street scenes", "kind": "boxes",
        "redundancy": 3,
        "summary": "Draw a box around every person and every car, and say whether each person is partly hidden.",
        "description": ("A city counts how people use its streets. Draw a box around each **person** and each "
                        "**car** in the picture; for people, say whether they are fully visible or partly hidden "
                        "(behind a wall or a car). Each picture is boxed by three volunteers and their boxes are "
                        "combined.\n\nThe pictures are drawn by the demo; no real place or person is shown."),
        "tutorial": ("1. Press and drag over a person or a car to draw a box (or press **N** and move it with the "
                     "arrow keys; Shift + arrows change its size).\n2. Choose the class with its button or key: "
                     "**P** person, **C** car.\n3. For a person behind a wall, set *Visibility* to *partly "
                     "hidden*.\n4. Nothing to box? Press **None here**."),
        "licence": "CC-BY-4.0",
        "settings": {"question": "Draw a box around every person and every car.",
                     "classes": "Person | #e6194b | p | Anyone, even partly hidden\nCar | #4363d8 | c | A car or a van",
                     "attributes": "Visibility: fully visible, partly hidden"}})
    campaigns.import_tasks(campaign, "street-scenes.zip", street_scenes_zip([*range(n_scenes), *TRAINING_SCENES]))
    _examples(campaign)
    _training(campaign, organiser)
    return campaigns.publish(campaign)


# The demo's training: two scenes with feedback, then three to pass with two right (citizen.training); scenes with
# one to three things to box, numbered apart from the work's.
TRAINING_SCENES = (102, 103, 108, 115, 127)
TRAINING = [("tutorial", "Each person gets their own box, from the top of the head to the feet, and each car its "
                         "own, from the roof to the wheels."),
            ("tutorial", "Someone behind the wall is still a person: box all of them you can see, and set "
                         "Visibility to partly hidden."),
            ("qualification", ""), ("qualification", ""), ("qualification", "")]


def _examples(campaign):
    """An example image per class (cut from a scene, uploaded as a field guide image) beside its help text."""
    from citizen.campaigns import services
    image = Image.open(io.BytesIO(street_scene(EXAMPLE_SCENE)[0]))
    found = {}
    for cls, _visibility, (x1, y1, x2, y2) in street_scene(EXAMPLE_SCENE)[1]:
        if cls not in found:
            buf = io.BytesIO()
            image.crop((max(0, x1 - 20), max(0, y1 - 20), min(WIDTH, x2 + 20), min(HEIGHT, y2 + 20))).save(buf, "JPEG")
            found[cls] = services.add_guide_image(campaign, f"{cls}.jpg", buf.getvalue())
    classes = [{**c, "example": found[c["value"]]} if c["value"] in found else c
               for c in campaign.settings["classes"]]
    campaign.settings = {**campaign.settings, "classes": classes}


EXAMPLE_SCENE = 1  # a scene with a person and a car


def true_boxes(number):
    """The boxes an expert draws on street scene `number`: its truth, as an answer."""
    return {"boxes": [{"x": round(x1 / WIDTH, 4), "y": round(y1 / HEIGHT, 4), "w": round((x2 - x1) / WIDTH, 4),
                       "h": round((y2 - y1) / HEIGHT, 4), "class": cls,
                       "attributes": {"visibility": visibility} if visibility else {}}
                      for cls, visibility, (x1, y1, x2, y2) in street_scene(number)[1]]}


def _training(campaign, organiser):
    """The last scenes of the upload become the tutorial and the qualification, with their true boxes."""
    from sqlalchemy import select

    from citizen.campaigns.models import Task
    from citizen.extensions import db
    from citizen.training import services as training
    tasks = {int("".join(c for c in payload.get("name", "") if c.isdigit()) or -1): task_id
             for task_id, payload in db.session.execute(select(Task.id, Task.payload).where(
                 Task.campaign_id == campaign.id))}
    for (stage, explanation), number in zip(TRAINING, TRAINING_SCENES):
        training.add(campaign, f"#{tasks[number]}", stage, true_boxes(number), explanation, organiser)
    training.set_rules(campaign, 67, 50, organiser)


def volunteer_boxes(number, accuracy, rnd):
    """What a demo volunteer of this accuracy draws on street scene `number`: the true boxes a little off, now and
    then one missed or of the wrong class or visibility."""
    _jpeg, truth = street_scene(number)
    boxes = []
    for cls, visibility, (x1, y1, x2, y2) in truth:
        if rnd.random() > accuracy + 0.05:
            continue  # missed
        w, h = x2 - x1, y2 - y1
        jx, jy = w * 0.06, h * 0.06
        left, top = max(0, x1 + rnd.uniform(-jx, jx)), max(0, y1 + rnd.uniform(-jy, jy))
        right, bottom = min(WIDTH, x2 + rnd.uniform(-jx, jx)), min(HEIGHT, y2 + rnd.uniform(-jy, jy))
        if rnd.random() > accuracy:
            cls = "car" if cls == "person" else "person"
        if cls == "person":
            seen = visibility or "fully-visible"
            if rnd.random() > accuracy:
                seen = "partly-hidden" if seen == "fully-visible" else "fully-visible"
            attributes = {"visibility": seen}
        else:
            attributes = {}
        boxes.append({"x": round(left / WIDTH, 4), "y": round(top / HEIGHT, 4), "w": round((right - left) / WIDTH, 4),
                      "h": round((bottom - top) / HEIGHT, 4), "class": cls, "attributes": attributes})
    return {"boxes": boxes}
