"""benchmarks/review.py end to end on three images: real Chromium clears a boxes queue from the keyboard (accept,
delete a box, add a car) and every action is checked in the database; its JSON line has the figures. It runs as
the command it is (its own process: Playwright's sync API does not run inside the test's event loop)."""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.browser
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_review_benchmark_reviews_every_image_and_reports_seconds_per_image():
    run = subprocess.run([sys.executable, "-m", "benchmarks.review", "--images", "3"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["images"] == out["checked"] == 3
    assert set(out["act_s_p50"]) == {"accept", "delete", "add"}
    assert 0 < out["load_s_p50"] <= out["per_image_s_p50"] <= out["per_image_s_max"]
