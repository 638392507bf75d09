"""A journalist, not signed in, in real Chromium: from the open data page to results.geojson on disk."""
import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.campaigns import results as campaign_results
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Task
from citizen.extensions import db
from tests.browser.pages import DataPage
from tests.test_map_kinds import AREA, TILES, fc

pytestmark = pytest.mark.browser


@pytest.fixture
def forest(org, organiser):
    """A published deforestation campaign of 12 cells; two volunteers (answers collected on paper)
    marked the same clearing in one cell. The test's session is closed afterwards (SQLite lock)."""
    c = campaigns.create_campaign(org.id, organiser, {"title": "Clearings in the reserve", "kind": "deforestation",
                                                      "redundancy": 2, "settings": TILES})
    campaigns.import_tasks(c, "area.geojson", json.dumps(AREA).encode())
    campaigns.publish(c)
    tasks = db.session.execute(select(Task).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().all()
    west, south = tasks[0].payload["bbox"][:2]
    point = fc({"type": "Point", "coordinates": [west + 0.004, south + 0.004]})
    items = [{"task_id": t.id, "contributor": who, "duration_ms": 5000,
              "value": {"answer": "cleared", "marks": point} if t is tasks[0] else {"answer": "not_cleared", "marks": fc()}}
             for t in tasks for who in ("sheet-a", "sheet-b")]
    campaign_results.import_answers(c, items)
    db.session.commit()
    slug, title, first = c.slug, c.title, tasks[0].id
    db.session.close()
    return slug, title, first


def test_journalist_downloads_results_geojson_from_the_data_page(page, forest, tmp_path):
    slug, title, first = forest
    page.goto("/")
    page.get_by_role("link", name="Open data").click()
    data = DataPage(page)
    expect(data.heading).to_be_visible()
    page.get_by_role("link", name=title).click()
    expect(data.methodology).to_be_visible()
    download = data.download("results.geojson")
    assert download.suggested_filename == f"{slug}-results.geojson"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 12
    marked = next(f for f in doc["features"] if f["id"] == first)
    assert marked["properties"]["answer"] == "cleared" and marked["properties"]["consensus_marks"] == 1
    assert marked["geometry"]["type"] in ("Polygon", "MultiPolygon")
