"""History for `make run`'s demo, so its charts, maps, profiles and thank-you lists show something real.

Demo volunteers (guests with a profile) answer the demo campaigns through the scheduler's own services,
mostly right and sometimes not, one of them fast and careless; their answers are then spread over the past
two weeks. The organisers post updates, the campaigns say what happens with their results, and a finished
campaign shows what came of it. Idempotent: a campaign that already has demo volunteers' answers is left
alone. Takes about a second."""
import json
import random
import re
from datetime import timedelta

from shapely.geometry import shape
from sqlalchemy import bindparam, select, update

from citizen import clock
from citizen.demo import imagery as demo_imagery
from citizen.accounts import services as accounts
from citizen.accounts.models import utcnow
from citizen.campaigns import hooks, scheduler
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Assignment, Campaign, Participation, Task
from citizen.text import render_markdown
from citizen.engagement import profiles
from citizen.engagement import updates as updates_svc
from citizen.engagement.models import VolunteerProfile
from citizen.errors import CitizenError
from citizen.extensions import db

# (display name, accuracy, activity weight, public, listed, notify)
VOLUNTEERS = [("Amina K.", 0.95, 5, True, True, True), ("Bruno S.", 0.9, 3, False, True, False),
              ("Chen L.", 0.93, 4, True, True, False), ("Dara O.", 0.88, 2, False, False, False),
              ("Élodie M.", 0.96, 3, True, True, True), ("Farid N.", 0.85, 2, False, False, False),
              ("Grace T.", 0.92, 3, False, True, False), ("Hiro Y.", 0.9, 2, False, False, False),
              ("Inés R.", 0.94, 3, True, True, False), ("Jonas P.", 0.87, 1, False, False, False),
              ("Kwame A.", 0.91, 2, False, True, False),
              # Answers a lot, fast and carelessly, and asked to be listed: the thank-you list must not reward it.
              ("Max Speed", 0.45, 7, False, True, False)]
CAREFUL_MS, FAST_MS = (4_000, 25_000), (600, 2_500)
PLAN = {"red-roofs": 80, "forest-clearings": 60, "quake-damage": 22, "people-and-cars": 150, "roof-model": 70}
OUTCOMES = {
    "red-roofs": ("Each photo where volunteers agree there is a red roof goes to the relief team's helicopter crews "
                  "with its position. The results are published as open data for the flood's after-action review."),
    "forest-clearings": ("Clearings that at least two volunteers mark are sent to the reserve's rangers, who check "
                         "them on the ground within a week."),
    "quake-damage": ("Engineers use your grades to decide which buildings to inspect first; the buildings you "
                     "mark are published as a map for the town council."),
}
UPDATES = [
    ("red-roofs", 3, "Halfway there: thank you!",
     "You have checked **more than half** of the photos in a few days.\n\nThe first shelters you found were "
     "passed to the helicopter crews this morning. Keep going: the photos of the eastern villages are next."),
    ("forest-clearings", 1, "Two clearings confirmed by the rangers",
     "Rangers visited the two clearings most of you marked near the river. Both were **new, illegal cuts**; "
     "the reserve has filed a report.\n\nThank you for your sharp eyes."),
]
FINISHED = {"slug": "winter-shelters", "title": "Find the shelters (winter drill)", "tasks": 12, "days_ago": 40,
            "summary": "A practice run before the flood season: find the shelters marked with red roofs.",
            "outcome": ("Volunteers checked all 12 photos in four days. The four shelters you found received supply "
                        "drops in the drill within 48 hours, and the relief team now marks every shelter with a red "
                        "roof.")}


def _number(ref):
    found = re.findall(r"\d+", ref or "")
    return int(found[-1]) if found else 0


def _volunteers():
    """The demo volunteers' contributor ids, created with their profiles the first time."""
    out = []
    for name, accuracy, activity, public, listed, notify in VOLUNTEERS:
        public_id = "demo-" + re.sub(r"[^a-z]+", "", name.lower().split()[0].replace("é", "e"))
        profile = db.session.execute(select(VolunteerProfile).where(
            VolunteerProfile.public_id == public_id)).scalar_one_or_none()
        if profile is None:
            contributor, _token = accounts.create_guest()
            profile = profiles.save_preferences(contributor.id, {"display_name": name, "public": public,
                                                                 "notify_updates": notify, "show_in_recognition": listed})
            profile.public_id = public_id
        out.append((profile.contributor_id, accuracy, activity, name == "Max Speed"))
    db.session.flush()
    return out


def _forest_truth():
    clearings = [shape(c) for c in demo_imagery.CLEARINGS]

    def truth(payload, rnd):
        """("cleared", [polygons drawn around each clearing in the cell]) or ("not_cleared", [])."""
        cell = shape(payload["geometry"])
        drawn = []
        for clearing in clearings:
            cut = cell.intersection(clearing)
            if cut.area < 0.003 * cell.area:
                continue
            if cut.geom_type != "Polygon":
                cut = max(getattr(cut, "geoms", [cut]), key=lambda g: g.area)
            ring = list(cut.simplify(0.0001).exterior.coords)[:-1]
            ring = [[round(x + rnd.uniform(-3e-5, 3e-5), 6), round(y + rnd.uniform(-3e-5, 3e-5), 6)] for x, y in ring]
            drawn.append({"type": "Polygon", "coordinates": [ring + [ring[0]]]})
        return ("cleared", drawn) if drawn else ("not_cleared", [])
    return truth


def _value(kind, payload, ref, accuracy, rnd, forest):
    """An answer as a volunteer of this accuracy would give it, with marks where the kind takes them."""
    right = rnd.random() < accuracy
    if kind == "question":
        truth = "yes" if _number(ref) % 3 == 0 else "no"
        return truth if right else rnd.choice(["unsure", "no" if truth == "yes" else "yes"])
    if kind == "boxes":
        from citizen.demo.figures import volunteer_boxes
        return volunteer_boxes(_number(ref), accuracy, rnd)
    if kind == "deforestation":
        truth, drawn = forest(payload, rnd)
        if not right:
            return {"answer": rnd.choice(["unsure", "cleared" if truth == "not_cleared" else "not_cleared"]), "marks": None}
        return {"answer": truth, "marks": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": g} for g in drawn]}}
    grades = ["none", "minor", "major", "destroyed"]
    truth = grades.index(grades[_number(ref) % 4])
    if not right:
        truth = min(3, max(0, truth + rnd.choice([-1, 1])))
    return {"answer": grades[truth], "marks": None}


def _train(campaign, cid, body, accuracy, rnd, forest):
    """A demo volunteer answers a training task as they would answer work (citizen.training)."""
    from citizen.training import services as training
    payload = db.session.get(Task, body["id"]).payload
    ref = payload.get("name") or payload.get("cell") or payload.get("image_url")
    try:
        training.answer(body["id"], cid, _value(campaign.kind, payload, ref, accuracy, rnd, forest))
    except CitizenError:
        pass


def _times(n, rnd, now, days=14):
    """n moments over the past `days` days, busier lately and in the daytime, a few in the last hours; sorted."""
    out = []
    for i in range(n):
        if i % 9 == 0:
            moment = now - timedelta(minutes=rnd.uniform(3, 20 * 60))
        else:
            day = rnd.choices(range(days), weights=[days - d for d in range(days)])[0]
            moment = (now - timedelta(days=day)).replace(hour=rnd.choice(range(7, 23)), minute=rnd.randrange(60))
            if moment > now:
                moment -= timedelta(days=1)
        out.append(moment)
    return sorted(out)


def _answer_history(campaign, people, n, rnd, now, days=14):
    """n answers from the demo volunteers through the scheduler, then dated over the past `days` days."""
    forest = _forest_truth() if campaign.kind == "deforestation" else None
    weights = [p[2] for p in people]
    stamps = []
    with clock.simulated() as wait:  # each answer takes its duration on the server's clock (it measures it)
        for moment in _times(n, rnd, now, days):
            cid, accuracy, _activity, careless = rnd.choices(people, weights=weights)[0]
            try:
                _light, task = scheduler.next_task(campaign.slug, cid)
            except hooks.TrainingDue as due:  # the campaign's tutorial or qualification first
                _train(campaign, cid, due.body, accuracy, rnd, forest)
                continue
            except CitizenError:
                continue
            if task is None:
                continue
            task_id, payload, _done = task
            ref = payload.get("name") or payload.get("cell") or payload.get("image_url")
            value = _value(campaign.kind, payload, ref, accuracy, rnd, forest)
            duration = rnd.randint(*(FAST_MS if careless else CAREFUL_MS))
            wait(duration)
            try:
                _status, body = scheduler.submit_answer(task_id, cid, value, duration_ms=duration)
            except CitizenError:
                if not isinstance(value, dict) or not (value.get("marks") or {}).get("features"):
                    scheduler.skip_task(task_id, cid)
                    continue
                _status, body = scheduler.submit_answer(task_id, cid, {**value, "marks": None}, duration_ms=duration)
            stamps.append((body["answer"]["id"], cid, moment, duration))
    _date(campaign, stamps)
    return len(stamps)


def _date(campaign, stamps):
    """Move the answers (and their volunteers' first and last times) to the moments they stand for."""
    if not stamps:
        return
    table = Answer.__table__
    db.session.execute(table.update().where(table.c.id == bindparam("aid")).values(created_at=bindparam("moment")),
                       [{"aid": aid, "moment": moment} for aid, _cid, moment, _ms in stamps])
    first, last = {}, {}
    for _aid, cid, moment, _ms in stamps:
        first[cid] = min(first.get(cid, moment), moment)
        last[cid] = max(last.get(cid, moment), moment)
    for cid in first:
        db.session.execute(update(Participation).where(
            Participation.contributor_id == cid, Participation.campaign_id == campaign.id).values(
            first_at=first[cid] - timedelta(seconds=30), last_at=last[cid]))
    # The demo volunteers are not looking at a task right now: their leases go back to the pool.
    for aid_cid in {cid for _a, cid, _m, _d in stamps}:
        db.session.execute(update(Assignment).where(
            Assignment.contributor_id == aid_cid, Assignment.campaign_id == campaign.id,
            Assignment.state == "leased").values(expires_at=utcnow() - timedelta(seconds=1)))
    scheduler.release_expired_leases()
    db.session.flush()


def _has_history(campaign, people):
    return db.session.execute(select(Answer.id).where(
        Answer.campaign_id == campaign.id, Answer.contributor_id.in_([p[0] for p in people])).limit(1)).first()


def _finished_campaign(org, organiser, people, rnd, now):
    if db.session.execute(select(Campaign.id).where(Campaign.slug == FINISHED["slug"])).first():
        return None
    campaign = campaigns.create_campaign(org.id, organiser, {
        "slug": FINISHED["slug"], "title": FINISHED["title"], "kind": "question", "redundancy": 3,
        "summary": FINISHED["summary"], "outcome": FINISHED["outcome"],
        "description": "A drill before the flood season, on photos drawn by the demo.",
        "settings": {"question": "Is there a red roof in this photo?", "options": [
            {"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}, {"value": "unsure", "label": "Not sure"}]}})
    tasks = [{"external_id": f"photo-{i:03d}", "image_url": f"/media/demo/rooftops-{i:03d}.jpg",
              "alt": "Aerial photo of fields, a road and rooftops"} for i in range(FINISHED["tasks"])]
    campaigns.import_tasks(campaign, "drill.json", json.dumps(tasks))
    campaigns.publish(campaign)
    started = now - timedelta(days=FINISHED["days_ago"])
    campaign.published_at = campaign.created_at = started
    careful = [p for p in people if not p[3]][:5]  # a small team: enough answers each for their weight to count
    stamps, i, busy = [], 0, True
    with clock.simulated() as wait:  # each answer takes its duration on the server's clock (it measures it)
        while busy:  # rounds of the careful volunteers until every photo has its answers
            busy = False
            for cid, accuracy, _activity, _careless in careful:
                _light, task = scheduler.next_task(campaign.slug, cid)
                if task is None:
                    continue
                busy = True
                task_id, payload, _done = task
                value = _value("question", payload, payload["image_url"], accuracy, rnd, None)
                duration = rnd.randint(*CAREFUL_MS)
                wait(duration)
                _status, body = scheduler.submit_answer(task_id, cid, value, duration_ms=duration)
                stamps.append((body["answer"]["id"], cid, started + timedelta(hours=2 + i * 2.5), 0))
                i += 1
    _date(campaign, stamps)
    db.session.refresh(campaign)
    campaigns.close(campaign)
    return campaign


def load_history(org, organiser, seed=2024):
    """Give the demo campaigns their history (see the module docstring). Returns the slugs that got some."""
    rnd, now = random.Random(seed), utcnow()
    people = _volunteers()
    done = []
    for slug, n in PLAN.items():
        campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
        if campaign is None or _has_history(campaign, people):
            continue
        if slug in OUTCOMES and not (campaign.settings or {}).get("outcome"):
            campaign.settings = {**campaign.settings, "outcome": OUTCOMES[slug],
                                 "outcome_html": render_markdown(OUTCOMES[slug])}
        campaign.published_at = min(campaign.published_at or now, now - timedelta(days=15))
        _answer_history(campaign, people, n, rnd, now)
        done.append(slug)
    for slug, days_ago, title, body in UPDATES:
        campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
        if campaign is None or slug not in done:
            continue
        posted = updates_svc.post_update(campaign, organiser, title, body)
        posted.created_at = now - timedelta(days=days_ago, hours=2)
    if _finished_campaign(org, organiser, people, rnd, now):
        done.append(FINISHED["slug"])
    db.session.flush()
    return done

