"""What every registered kind declares holds for it: the wellbeing shield blurs or withholds every media URL a
kind sends (its media_fields), whatever the kind calls them. Runs over the kinds the test config registers,
the example kind of tests/kinds/ included: a kind whose media escape the shield fails here."""
import json

from citizen.kinds import all_kinds
from citizen.wellbeing import serving

MEDIA = "/media/"


def _strings(value):
    """Every string inside a JSON value (keys too)."""
    return [s for s in json.dumps(value).split('"') if s]


def _examples():
    for kind in all_kinds().values():
        example = kind.example()
        if example is None:
            continue
        settings = kind.clean_settings({**kind.default_settings(), **example["settings"]})
        yield kind, kind.task_json(example["payload"], settings)


def test_every_registered_kind_with_media_gives_an_example(app):
    missing = [k.id for k in all_kinds().values() if k.media_fields and k.example() is None]
    assert not missing, f"kinds with media but no example to check the shield on: {missing}"
    assert {"question", "damage", "search", "transcription", "compare"} <= {k.id for k, _j in _examples()}


def test_no_media_escapes_a_blur_of_any_kind(app):
    for kind, task in _examples():
        originals = {s for s in _strings(task) if s.startswith(MEDIA)}
        assert set(kind.media_urls(task)) == originals, f"{kind.id}: media sent but not declared in media_fields"
        copies = {url: f"/media/blurred/{i}.jpg" for i, url in enumerate(sorted(originals))}
        blurred = serving.blurred_json(kind, dict(task), copies)
        leaked = originals & set(_strings(blurred))
        assert not leaked, f"{kind.id}: {leaked} reach a volunteer unblurred"
        assert blurred["blurred"] is True
        if originals:
            assert blurred["blurred_url"] in copies.values()
        for key in kind.text_fields:
            assert key not in blurred


def test_no_media_is_sent_with_a_withheld_task_of_any_kind(app):
    for kind, task in _examples():
        withheld = serving.withheld_json(kind, dict(task))
        assert withheld["withheld"] is True
        assert not [s for s in _strings(withheld) if s.startswith(MEDIA)], f"{kind.id}: media sent while withheld"


def test_a_missing_copy_shows_the_placeholder_never_the_original(app):
    for kind, task in _examples():
        blurred = serving.blurred_json(kind, dict(task), {})
        assert not {s for s in _strings(blurred) if s.startswith(MEDIA)}, kind.id


def test_every_export_column_with_media_is_declared(app):
    """The open data files hide the media of sensitive tasks in exactly the columns a kind declares."""
    for kind in all_kinds().values():
        example = kind.example()
        if example is None:
            continue
        settings = kind.clean_settings({**kind.default_settings(), **example["settings"]})
        values = kind.export_row(settings, example["payload"], kind.result({}, settings))
        with_media = {name for name, value in values.items() if str(value).startswith(MEDIA)}
        assert with_media <= set(kind.media_columns), f"{kind.id}: undeclared media columns {with_media}"


def test_a_kinds_translated_words_change_what_volunteers_read_never_the_values_answers_store(app):
    from citizen.kinds import get_kind
    kinds = [(k, k.clean_settings({**k.default_settings(), **k.example()["settings"]}), k.example()["payload"])
             for k in all_kinds().values() if k.example() is not None]
    question = get_kind("question")
    kinds.append((question, question.clean_settings({"question": "Red roof?", "options": ["Yes", "No"]}), {"text": "t"}))
    for kind, settings, payload in kinds:
        words = kind.texts(settings)
        translated = kind.with_texts(settings, {key: f"«{key}»" for key in words})
        before, after = kind.task_json(payload, settings), kind.task_json(payload, translated)
        for key in words:
            assert f"«{key}»" in json.dumps(after, ensure_ascii=False), (kind.id, key)
        assert after.get("options") == before.get("options"), kind.id  # the values answers store
        assert kind.answer_labels(translated) == kind.answer_labels(settings), kind.id
        assert kind.with_texts(settings, {}) == settings, kind.id  # nothing given: the organiser's own words
