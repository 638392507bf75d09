"""benchmarks/review.py end to end on three images: real Chromium clears a boxes queue from the keyboard (accept,
delete a box, add a car) and every action is checked in the database; its JSON line has the figures."""
import json

import pytest

from benchmarks import review

pytestmark = pytest.mark.browser


def test_the_review_benchmark_reviews_every_image_and_reports_seconds_per_image(capsys):
    review.main(["--images", "3"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["images"] == out["checked"] == 3
    assert set(out["act_s_p50"]) == {"accept", "delete", "add"}
    assert 0 < out["load_s_p50"] <= out["per_image_s_p50"] <= out["per_image_s_max"]
