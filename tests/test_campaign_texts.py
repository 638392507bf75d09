"""A campaign's own words in other languages (issue 19): the organiser gives them on a page; volunteers reading
the site in that language see them on the home page, the campaign page, the work page and in each task (the
question and the answers' labels); answers keep their values; what is left empty shows the original."""
import json

from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer
from citizen.extensions import db
from tests.helpers import count, html, new_guest, signed_in, submit, take

ES = {"into": "es", "title": "Encontrar tejados rojos", "summary": "Mira fotos de tejados.",
      "description_md": "Buscamos **tejados rojos**.<script>alert(1)</script>",
      "tutorial_md": "Un tejado rojo es *rojo*.",
      "kind.question": "¿Hay un tejado rojo?", "kind.option:yes": "Sí", "kind.option:no": "No",
      "kind.option:unsure": "No estoy seguro"}


def test_an_organiser_translates_and_spanish_volunteers_read_it(app, client, make_campaign, organiser):
    c = make_campaign(tasks=2, description="We look for **red roofs**.", tutorial="A red roof is *red*.")
    staff = signed_in(app, "organiser@example.org")
    page = html(staff.get(f"/organise/{c.slug}/translations?into=es"))
    assert "Original: Find red roofs" in page and 'name="kind.option:unsure"' in page
    r = staff.post(f"/organise/{c.slug}/translations", data=ES)
    assert r.status_code == 302
    assert "Encontrar tejados rojos" in html(staff.get(f"/organise/{c.slug}/translations?into=es"))

    spanish = {"Accept-Language": "es"}
    shown = html(client.get(f"/campaigns/{c.slug}", headers=spanish))
    assert "Encontrar tejados rojos" in shown and "Mira fotos de tejados." in shown
    assert "<strong>tejados rojos</strong>" in shown and "<script>alert(1)" not in shown
    assert "Un tejado rojo es <em>rojo</em>" in shown
    assert "Encontrar tejados rojos" in html(client.get("/", headers=spanish))
    work = html(client.get(f"/campaigns/{c.slug}/work", headers=spanish))
    assert "Encontrar tejados rojos" in work and "Un tejado rojo es <em>rojo</em>" in work

    english = html(client.get(f"/campaigns/{c.slug}", headers={"Accept-Language": "en"}))
    assert "Find red roofs" in english and "Encontrar" not in english

    guest = {**new_guest(client), **spanish}
    task = take(client, c.slug, guest).get_json()
    assert task["question"] == "¿Hay un tejado rojo?"
    assert task["labels"] == ["Sí", "No", "No estoy seguro"] and task["options"] == ["yes", "no", "unsure"]
    assert submit(client, task["id"], "yes", guest, duration_ms=5000).status_code == 201  # values stay
    french = take(client, c.slug, {**new_guest(client), "Accept-Language": "fr"}).get_json()
    assert french["question"] == "Is there a red roof?"  # no French given: the original


def test_bad_translations_change_nothing_and_empty_ones_fall_back(app, client, make_campaign, organiser):
    c = make_campaign(tasks=1)
    staff = signed_in(app, "organiser@example.org")
    r = staff.post(f"/organise/{c.slug}/translations", data={**ES, "title": "x" * 201})
    assert r.status_code == 200 and "Keep it under 200 characters." in html(r)
    db.session.expire_all()
    assert "translations" not in campaigns.get_campaign(c.slug, None).settings
    assert not campaigns.get_campaign(c.slug, None).texts
    assert staff.get(f"/organise/{c.slug}/translations?into=de").status_code == 404
    assert staff.get(f"/organise/{c.slug}/translations?into=en").status_code == 404  # the original's language
    staff.post(f"/organise/{c.slug}/translations", data=ES)
    # An edit of the campaign keeps its translations; an empty form takes the language away.
    edited = staff.post(f"/organise/{c.slug}/edit", data={"title": "Find red roofs", "kind": "question", "redundancy": 3,
                                                 "licence": "CC-BY-4.0", "question": "Is there a red roof?",
                                                 "options": "Yes\nNo\nNot sure"})
    assert edited.status_code == 302, html(edited)[-2000:]
    db.session.expire_all()
    kept = campaigns.get_campaign(c.slug, None)
    assert kept.texts["es"]["title"] == ES["title"] and kept.settings["translations"]["es"]["question"]["text"]
    assert "Encontrar" not in json.dumps(kept.settings)  # the page texts stay out of what the volunteer loop reads
    staff.post(f"/organise/{c.slug}/translations", data={"into": "es"})
    db.session.expire_all()
    emptied = campaigns.get_campaign(c.slug, None)
    assert emptied.texts == {} and emptied.settings["translations"] == {}
    assert "Find red roofs" in html(client.get(f"/campaigns/{c.slug}", headers={"Accept-Language": "es"}))
    assert count(Answer) == 0


def test_a_translation_whose_original_changed_is_not_shown(app, client, make_campaign, organiser):
    """Relabelled answers must never carry their old meaning into another language: the original shows until the
    organiser translates again."""
    c = make_campaign(tasks=1)
    staff = signed_in(app, "organiser@example.org")
    staff.post(f"/organise/{c.slug}/translations", data=ES)
    edited = staff.post(f"/organise/{c.slug}/edit", data={
        "title": "Find red or green roofs", "summary": "Test campaign", "kind": "question", "redundancy": 3,
        "licence": "CC-BY-4.0",
        "question": "Is there a red roof?", "options": "Yes\nNo\nNot sure"})
    assert edited.status_code == 302
    spanish = {"Accept-Language": "es"}
    page = html(client.get(f"/campaigns/{c.slug}", headers=spanish))
    assert "Find red or green roofs" in page and "Encontrar tejados rojos" not in page  # the title changed
    assert "Mira fotos de tejados." in page  # the summary did not
    task = take(client, c.slug, {**new_guest(client), **spanish}).get_json()
    assert task["question"] == "¿Hay un tejado rojo?"  # unchanged original: its translation stays
    db.session.expire_all()
    labels = dict(zip(task["options"], task["labels"]))
    assert labels["yes"] == "Sí" and labels["no"] == "No"
    # the organiser relabels an answer: its old translation is dropped, the others stay
    c2 = campaigns.get_campaign(c.slug, None)
    c2.settings = {**c2.settings, "options": [{**o, "label": "Definitely" if o["value"] == "yes" else o["label"]}
                                              for o in c2.settings["options"]]}
    db.session.commit()
    task = take(client, c.slug, {**new_guest(client), **spanish}).get_json()
    assert dict(zip(task["options"], task["labels"]))["yes"] == "Definitely"
