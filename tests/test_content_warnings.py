"""The content_warnings library on its own: no app, no database."""
import io
import itertools
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PIL import Image, ImageDraw

from content_warnings import (Action, BlurError, BudgetPolicy, Category, FlagPolicy, Preferences, Rating,
                              Sensitivity, assess, blurred_derivative, break_text, decide, decide_under_review,
                              detail_similarity, edge_energy, rerate, warning_text)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NONE, MILD, GRAPHIC, EXTREME = Sensitivity.NONE, Sensitivity.MILD, Sensitivity.GRAPHIC, Sensitivity.EXTREME
INJURY, DEATH, VIOLENCE, TEXT, OTHER = (Category.INJURY, Category.DEATH, Category.VIOLENCE,
                                        Category.DISTRESS_TEXT, Category.OTHER)
SHOW, BLUR, WITHHOLD = Action.SHOW, Action.BLUR, Action.WITHHOLD


def rated(level, *categories, label=None):
    return Rating(level, frozenset(categories), label)


# --- import isolation ---------------------------------------------------------------------------------------

def test_content_warnings_imports_no_flask_sqlalchemy_or_citizen():
    probe = ("import content_warnings, sys; print([m for m in sys.modules if m.split('.')[0] in "
             "('flask','sqlalchemy','citizen','flask_sqlalchemy')])")
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- levels and warning texts -------------------------------------------------------------------------------

def test_sensitivity_levels_are_ordered_and_parse_from_strings():
    assert NONE < MILD < GRAPHIC < EXTREME
    assert Sensitivity.parse("graphic") is GRAPHIC
    assert Sensitivity.parse(" Extreme ") is EXTREME
    assert Sensitivity.parse(1) is MILD
    assert Sensitivity.parse(None) is NONE
    assert GRAPHIC.label == "graphic"
    for bad in ("gory", 7, True, 2.0):
        with pytest.raises(ValueError):
            Sensitivity.parse(bad)


def test_sensitivity_rating_parse_turns_unknown_categories_into_named_other():
    rating = Rating.parse("GRAPHIC", ["Injury", "burns", "needles"])
    assert rating.level is GRAPHIC
    assert rating.categories == {INJURY, OTHER}
    assert rating.custom_label == "burns, needles"
    assert Rating.from_dict(rating.to_dict()) == rating
    assert rating.to_dict() == {"level": "graphic", "categories": ["injury", "other"],
                                "custom_label": "burns, needles"}
    with pytest.raises(ValueError):
        Rating(GRAPHIC, frozenset({INJURY}), "burns")  # a label without OTHER is a mistake


def test_warning_text_per_level_and_category():
    assert warning_text(rated(NONE, INJURY)) == ""
    assert warning_text(rated(MILD)) == "Some people may find this upsetting."
    assert warning_text(rated(GRAPHIC, DEATH, INJURY)) == (
        "Warning: graphic content. It may show: injured people, dead people or human remains.")
    assert warning_text(rated(EXTREME, VIOLENCE)).startswith("Warning: extremely graphic content.")
    assert "distressing descriptions" in warning_text(rated(MILD, TEXT))
    assert "content the organisers consider upsetting" in warning_text(rated(MILD, OTHER))


def test_warning_text_is_translatable_but_the_organisers_label_is_not():
    seen = []

    def gettext(message):
        seen.append(message)
        return f"<{message}>"

    text = warning_text(Rating.parse("graphic", ["injury", "burns"]), gettext)
    assert text == "<Warning: graphic content.> <It may show: %(topics)s.>".replace(
        "%(topics)s", "<injured people>, burns")
    assert "burns" not in seen


# --- consent ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("category", list(Category))
@pytest.mark.parametrize("level, action", [(NONE, SHOW), (MILD, SHOW), (GRAPHIC, BLUR), (EXTREME, WITHHOLD)])
def test_consent_defaults_for_new_volunteers(level, action, category):
    decision = decide(Preferences(), rated(level, category))
    assert decision.action is action
    assert bool(decision.warning) == (level > NONE)
    assert decision.served == (action is not WITHHOLD)
    assert decision.blurred == (action is BLUR)


@pytest.mark.parametrize("level, choice, opt_in, expected", [
    (MILD, SHOW, False, SHOW), (MILD, BLUR, False, SHOW), (MILD, WITHHOLD, False, WITHHOLD),
    (GRAPHIC, SHOW, False, SHOW), (GRAPHIC, BLUR, False, BLUR), (GRAPHIC, WITHHOLD, False, WITHHOLD),
    (EXTREME, SHOW, False, WITHHOLD), (EXTREME, BLUR, False, WITHHOLD), (EXTREME, WITHHOLD, False, WITHHOLD),
    (EXTREME, None, True, BLUR), (EXTREME, SHOW, True, BLUR), (EXTREME, BLUR, True, BLUR),
    (EXTREME, WITHHOLD, True, WITHHOLD), (GRAPHIC, None, True, BLUR), (NONE, WITHHOLD, True, SHOW),
])
def test_consent_choices_and_extreme_opt_in(level, choice, opt_in, expected):
    preferences = Preferences({INJURY: choice} if choice else {}, extreme_opt_in=opt_in)
    assert decide(preferences, rated(level, INJURY)).action is expected


def test_consent_strictest_category_wins():
    preferences = Preferences({INJURY: SHOW, DEATH: WITHHOLD, VIOLENCE: BLUR})
    decision = decide(preferences, rated(GRAPHIC, INJURY, DEATH, VIOLENCE))
    assert decision.action is WITHHOLD and decision.category is DEATH and decision.reason == "choice"
    assert decide(preferences, rated(GRAPHIC, INJURY, VIOLENCE)).action is BLUR
    assert decide(preferences, rated(GRAPHIC, INJURY)).action is SHOW


def test_consent_unset_category_and_unrated_categories_use_the_level_default():
    preferences = Preferences({INJURY: SHOW})
    decision = decide(preferences, rated(GRAPHIC, INJURY, OTHER))
    assert decision.action is BLUR and decision.category is OTHER and decision.reason == "default"
    assert decide(preferences, rated(GRAPHIC)).action is BLUR
    assert decide(preferences, rated(EXTREME)).reason == "extreme_not_opted_in"
    assert decide(Preferences(extreme_opt_in=True), rated(EXTREME)).action is BLUR


def test_consent_decision_carries_warning_and_hint_also_when_withheld():
    decision = decide(Preferences(), rated(EXTREME, DEATH))
    assert decision.action is WITHHOLD
    assert decision.warning.startswith("Warning: extremely graphic content.")
    assert "not shown to you" in decision.hint()
    assert "blur" in decide(Preferences(), rated(GRAPHIC, DEATH)).hint()
    mild = decide(Preferences(), rated(MILD, TEXT))
    assert mild.action is SHOW and mild.reason == "mild" and mild.warning and mild.hint() == ""
    assert decide(Preferences(), rated(GRAPHIC, INJURY), gettext=lambda s: "» " + s).warning.startswith("» Warning")


def test_consent_preferences_store_as_json_and_ignore_unknown_categories():
    preferences = Preferences().with_choice("death", "withhold").with_choice(INJURY, SHOW)
    assert preferences.to_dict() == {"choices": {"death": "withhold", "injury": "show"}, "extreme_opt_in": False}
    assert Preferences.from_dict(preferences.to_dict()) == preferences
    loaded = Preferences.from_dict({"choices": {"spiders": "withhold", "violence": "blur"}, "extreme_opt_in": 1})
    assert loaded == Preferences({VIOLENCE: BLUR}, extreme_opt_in=True)
    assert Preferences.from_dict(None) == Preferences()
    with pytest.raises(ValueError):
        Preferences.from_dict({"choices": {"injury": "maybe"}})


def test_consent_raising_the_level_never_loosens_the_decision():
    options = [None, SHOW, BLUR, WITHHOLD]
    for injury, death, opt_in in itertools.product(options, options, (False, True)):
        choices = {c: a for c, a in ((INJURY, injury), (DEATH, death)) if a}
        preferences = Preferences(choices, extreme_opt_in=opt_in)
        for categories in ((), (INJURY,), (DEATH,), (INJURY, DEATH), (OTHER,)):
            strictness = [decide(preferences, rated(level, *categories)).action.strictness for level in Sensitivity]
            assert strictness == sorted(strictness), (choices, opt_in, categories)


# --- exposure budget ----------------------------------------------------------------------------------------

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=timezone.utc)


def views_every_minute(count, level=GRAPHIC, end=NOW):
    return [(end - timedelta(minutes=count - 1 - i), level) for i in range(count)]


def test_wellbeing_budget_starts_full():
    state = assess([], NOW)
    assert (state.load, state.suggest_break, state.pause_sensitive_until) == (0, False, None)
    assert state.remaining == 10 and state.remaining_before_break == 5
    assert break_text(state) == ""


def test_wellbeing_budget_suggests_a_break_at_the_limit():
    assert not assess(views_every_minute(4), NOW).suggest_break
    state = assess(views_every_minute(5), NOW)
    assert state.suggest_break and not state.paused and state.allows(GRAPHIC)
    assert state.remaining == 5 and state.remaining_before_break == 0
    assert "break" in break_text(state)


def test_wellbeing_budget_hard_limit_pauses_sensitive_items_for_the_cooldown():
    views = views_every_minute(10)
    state = assess(views, NOW)
    assert state.pause_sensitive_until == NOW + timedelta(minutes=20)
    assert state.suggest_break and state.remaining == 0
    assert not state.allows(GRAPHIC) and not state.allows("extreme")
    assert state.allows(NONE) and state.allows(MILD)
    assert "paused" in break_text(state)
    assert assess(views, NOW + timedelta(minutes=19, seconds=59)).paused


def test_wellbeing_budget_cooldown_ends_with_a_clean_slate():
    views = views_every_minute(10)
    after = NOW + timedelta(minutes=20)  # views are still inside the 30-minute window
    state = assess(views, after)
    assert not state.paused and state.load == 0 and not state.suggest_break and state.remaining == 10
    # new views after the break count from zero
    later = views + views_every_minute(5, end=after + timedelta(minutes=5))
    assert assess(later, after + timedelta(minutes=5)).load == 5


def test_wellbeing_budget_views_during_cooldown_still_count_afterwards():
    views = views_every_minute(10) + [(NOW + timedelta(minutes=5), EXTREME)]  # e.g. a moderator's own queue
    assert assess(views, NOW + timedelta(minutes=25)).load == 3


def test_wellbeing_budget_extreme_weighs_more_than_graphic():
    assert assess(views_every_minute(2, EXTREME), NOW).suggest_break  # 2 x 3 = 6 >= 5
    assert not assess(views_every_minute(2, GRAPHIC), NOW).suggest_break
    assert assess(views_every_minute(4, EXTREME), NOW).paused  # 12 >= 10
    assert assess(views_every_minute(20, MILD), NOW).load == 0  # mild does not count by default
    mild_counts = BudgetPolicy(weights={MILD: 0.5})
    assert assess(views_every_minute(10, MILD), NOW, mild_counts).suggest_break


def test_wellbeing_budget_old_views_age_out():
    old = views_every_minute(9, end=NOW - timedelta(minutes=31))
    state = assess(old + views_every_minute(2), NOW)
    assert state.load == 2 and not state.suggest_break and not state.paused
    # exactly one window old is out; just inside is in
    assert assess([(NOW - timedelta(minutes=30), GRAPHIC)], NOW).load == 0
    assert assess([(NOW - timedelta(minutes=29, seconds=59), GRAPHIC)], NOW).load == 1
    # a cool-down that started and ended long ago leaves nothing behind
    assert not assess(views_every_minute(10, end=NOW - timedelta(hours=2)), NOW).paused


def test_wellbeing_budget_is_deterministic_and_ignores_future_views():
    views = views_every_minute(12) + [(NOW + timedelta(minutes=1), EXTREME)]
    shuffled = views[:]
    random.Random(4).shuffle(shuffled)
    assert assess(views, NOW) == assess(shuffled, NOW)
    assert assess(views, NOW).pause_sensitive_until == NOW - timedelta(minutes=2) + timedelta(minutes=20)
    assert assess([(NOW, "graphic")], NOW).load == 1


def test_wellbeing_budget_policy_is_validated():
    for bad in (dict(break_after=0), dict(break_after=11), dict(window=timedelta(0)),
                dict(cooldown=timedelta(minutes=-1)), dict(weights={GRAPHIC: -1})):
        with pytest.raises(ValueError):
            BudgetPolicy(**bad)


# --- blur ---------------------------------------------------------------------------------------------------

def jpeg_bytes(image, exif=None, **options):
    buffer = io.BytesIO()
    if exif is not None:
        options["exif"] = exif.tobytes()
    image.save(buffer, "JPEG", quality=92, **options)
    return buffer.getvalue()


def detailed_image(width=640, height=480):
    """Noise, diagonal lines and text: lots of sharp detail."""
    pixels = np.random.default_rng(1).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 16):
        draw.line([(x, 0), (width - x, height)], fill=(255, 0, 0), width=2)
    for i in range(40):
        draw.text((10 + (i % 8) * 80, 10 + (i // 8) * 90), f"HELP {i}", fill=(255, 255, 255))
    return image


def face_image(size=480):
    """A face-like pattern: a skin-coloured oval, two dark eyes, a red mouth, on green."""
    image = Image.new("RGB", (size, size), (40, 90, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse([90, 60, 390, 420], fill=(225, 180, 150))
    draw.ellipse([160, 170, 210, 220], fill=(0, 0, 0))
    draw.ellipse([270, 170, 320, 220], fill=(0, 0, 0))
    draw.rectangle([180, 320, 300, 345], fill=(150, 0, 0))
    return image


def patch(gray, y, x, r=5):
    return float(gray[y - r:y + r, x - r:x + r].mean())


def test_blur_edge_energy_drops_below_ten_percent_of_a_detailed_image():
    original = jpeg_bytes(detailed_image())
    derivative = blurred_derivative(original)
    before, after = edge_energy(original), edge_energy(derivative, size=(640, 480))
    assert before > 50
    assert after < 0.10 * before
    assert after < 0.02 * before  # measured: about 0.1 %


def test_blur_leaves_no_recognisable_detail():
    original = jpeg_bytes(detailed_image())
    assert detail_similarity(original, original) == pytest.approx(1.0)
    assert abs(detail_similarity(original, blurred_derivative(original))) < 0.2


def test_blur_face_like_features_vanish():
    face = face_image()
    derivative = Image.open(io.BytesIO(blurred_derivative(jpeg_bytes(face)))).convert("L")
    before, after = np.asarray(face.convert("L"), float), np.asarray(derivative, float)
    eye_contrast = lambda g: patch(g, 270, 240) - patch(g, 195, 185)  # cheek minus eye
    mouth_contrast = lambda g: patch(g, 270, 240) - patch(g, 332, 240, r=3)
    assert eye_contrast(before) > 150 and mouth_contrast(before) > 100
    assert eye_contrast(after) < 0.25 * eye_contrast(before)
    assert mouth_contrast(after) < 0.25 * mouth_contrast(before)
    assert detail_similarity(face, derivative) < 0.2


def test_blur_lower_detail_is_stronger():
    source = jpeg_bytes(face_image())
    similarity = [detail_similarity(source, blurred_derivative(source, detail_px=px)) for px in (6, 12, 24)]
    assert similarity == sorted(similarity)


def test_blur_output_is_jpeg_without_exif_and_upright():
    exif = Image.Exif()
    exif[0x010F] = "ACME"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees on display
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})  # GPS
    source = jpeg_bytes(detailed_image(300, 200), exif=exif, comment=b"taken at the site")
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)
    output = Image.open(io.BytesIO(blurred_derivative(source)))
    assert output.format == "JPEG"
    assert output.size == (200, 300)  # turned upright, since the orientation tag is gone
    assert len(output.getexif()) == 0 and "exif" not in output.info and "comment" not in output.info
    assert "icc_profile" not in output.info


def test_blur_size_is_preserved_or_bounded():
    big = jpeg_bytes(Image.new("RGB", (3000, 1000), (200, 30, 30)))
    assert Image.open(io.BytesIO(blurred_derivative(big))).size == (1024, 341)
    assert Image.open(io.BytesIO(blurred_derivative(big, max_side=300))).size == (300, 100)
    small = jpeg_bytes(Image.new("RGB", (100, 50)))
    assert Image.open(io.BytesIO(blurred_derivative(small))).size == (100, 50)


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "I;16", "CMYK"])
def test_blur_accepts_other_formats_and_modes(mode):
    image = detailed_image(120, 90).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = image.convert("I;16")
    buffer = io.BytesIO()
    image.save(buffer, "PNG" if mode != "CMYK" else "TIFF")
    output = Image.open(io.BytesIO(blurred_derivative(buffer.getvalue())))
    assert output.format == "JPEG" and output.size == (120, 90) and output.mode == "RGB"


def test_blur_rejects_what_is_not_an_image():
    with pytest.raises(BlurError):
        blurred_derivative(b"<html>not an image</html>")
    with pytest.raises(ValueError):  # BlurError is a ValueError
        blurred_derivative(jpeg_bytes(face_image())[:200])
    with pytest.raises(ValueError):
        blurred_derivative(jpeg_bytes(face_image()), detail_px=64)


# --- flags and re-rating ------------------------------------------------------------------------------------

def test_sensitivity_flags_one_flag_withholds_pending_review():
    current = rated(MILD, INJURY)
    new_rating, withheld = rerate(current, [("ana", "graphic")])
    assert new_rating is None and withheld
    outcome = rerate(current, [("ana", "graphic")])
    assert outcome.rating == current and outcome.review_level is GRAPHIC and outcome.flaggers == 1
    assert rerate(current, []) == rerate(current, [("ana", MILD), ("ben", NONE)])  # not "more graphic"
    assert tuple(rerate(current, [])) == (None, False)


def test_sensitivity_flags_threshold_of_distinct_flaggers_rerates():
    current = rated(MILD, INJURY)
    flags = [("ana", GRAPHIC), ("ben", GRAPHIC)]
    assert rerate(current, flags).new_rating is None
    new_rating, withheld = rerate(current, flags + [("cy", GRAPHIC)])
    assert new_rating == rated(GRAPHIC, INJURY) and not withheld
    assert rerate(current, flags, FlagPolicy(threshold=2)).new_rating == rated(GRAPHIC, INJURY)


def test_sensitivity_flags_count_each_contributor_once():
    current = rated(GRAPHIC, DEATH)
    outcome = rerate(current, [("ana", EXTREME)] * 5 + [("ben", EXTREME)])
    assert outcome.new_rating is None and outcome.withheld and outcome.flaggers == 2
    # one contributor's repeated flags count at their highest suggestion
    outcome = rerate(rated(MILD), [("ana", GRAPHIC), ("ana", EXTREME), ("ben", EXTREME), ("cy", EXTREME)])
    assert outcome.new_rating == rated(EXTREME) and not outcome.withheld


def test_sensitivity_flags_rerate_to_the_level_enough_flaggers_agree_on():
    flags = [("ana", EXTREME), ("ben", EXTREME), ("cy", GRAPHIC), ("dee", GRAPHIC)]
    outcome = rerate(rated(MILD, VIOLENCE), flags)
    assert outcome.new_rating == rated(GRAPHIC, VIOLENCE)
    assert outcome.withheld and outcome.review_level is EXTREME  # two still say extreme: a moderator decides
    assert outcome.rating == outcome.new_rating


def test_sensitivity_flagged_item_is_withheld_only_from_those_who_did_not_consent():
    pending = rerate(rated(MILD, INJURY), [("ana", GRAPHIC)])
    default = decide_under_review(Preferences(), pending)
    assert default.action is WITHHOLD and default.reason == "pending_review"
    shows_injury = decide_under_review(Preferences({INJURY: SHOW}), pending)
    assert shows_injury.action is SHOW and shows_injury.warning.startswith("Warning: graphic content.")

    extreme_claim = rerate(rated(GRAPHIC, DEATH), [("ana", EXTREME)])
    assert decide_under_review(Preferences(), extreme_claim).action is WITHHOLD
    opted_in = decide_under_review(Preferences(extreme_opt_in=True), extreme_claim)
    assert opted_in.action is BLUR and "extremely graphic" in opted_in.warning

    settled = rerate(rated(MILD, INJURY), [("ana", GRAPHIC), ("ben", GRAPHIC), ("cy", GRAPHIC)])
    assert decide_under_review(Preferences(), settled).action is BLUR  # re-rated: the plain decision


def test_sensitivity_flag_policy_is_validated():
    with pytest.raises(ValueError):
        FlagPolicy(threshold=0)
