"""Offline in real Chromium: an answer made without a network waits in the queue (IndexedDB), the page still opens
from the service worker's copy, and the answer is sent exactly once when the network is back.

Chromium's offline emulation (context.set_offline) covers the page, not its service worker: the worker would still
reach the server. So "offline" here is both: the page's emulation (navigator.onLine false, its requests fail) and
a cable between browser and server that drops every connection while unplugged (the worker's requests fail too)."""
import json
import re
import socket

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer
from citizen.extensions import db
from tests.browser.conftest import serve
from tests.browser.pages import WorkPage, box_of, settle

pytestmark = pytest.mark.browser


class Cable:
    """The network between the browser and the site (a WSGI wrapper): unplugged, every request's connection is
    dropped before an answer, as when a phone loses its signal."""

    def __init__(self, app):
        self.app, self.config = app, app.config
        self.plugged, self.dropped = True, 0

    def __call__(self, environ, start_response):
        if self.plugged:
            return self.app(environ, start_response)
        self.dropped += 1
        environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        raise ConnectionResetError("unplugged")  # werkzeug: a dropped connection, nothing to answer


@pytest.fixture
def cable(make_app):
    return Cable(make_app(WTF_CSRF_ENABLED=True))


@pytest.fixture
def live_server(cable):
    """The conftest's live server, through the cable."""
    with serve(cable) as url:
        yield url


def offline(context, cable, off=True):
    cable.plugged = not off
    context.set_offline(off)


@pytest.fixture
def campaign(make_campaign):
    """Four text tasks: no media to wait for."""
    c = make_campaign(tasks=0, publish=False, title="Read the field notes")
    rows = [{"external_id": f"note-{i}", "text": f"Field note {i}: the bridge is closed."} for i in range(4)]
    campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    db.session.close()
    return slug


def answers_per_task_and_contributor():
    rows = db.session.execute(select(Answer.task_id, Answer.contributor_id, func.count())
                              .group_by(Answer.task_id, Answer.contributor_id)).all()
    db.session.close()
    return rows


def test_an_answer_made_offline_waits_survives_a_reload_and_is_sent_once(context, cable, phone, campaign, tmp_path):
    page = phone  # 390 px wide: the waiting line must be in sight on a phone
    work = WorkPage(page).open(campaign)
    first = work.next_question()
    work.wait_offline_ready()
    page.get_by_role("button", name="Yes").click()
    second = work.next_question(first)
    work.expect_done(1)
    settle(page)  # the task after this one is prefetched before the network goes

    offline(context, cable)
    page.keyboard.press("2")  # No
    expect(work.queue_status).to_have_text(re.compile(r"^1 answer waiting to send"))
    work.next_question(second)  # the volunteer goes on with the prefetched task
    line = box_of(work.queue_status)
    assert line["y"] >= 0 and line["y"] + line["height"] <= page.viewport_size["height"], line
    page.screenshot(path=str(tmp_path / "offline-queue-phone.png"))
    assert len(answers_per_task_and_contributor()) == 1

    reloaded = page.reload()  # offline: the service worker answers with its copy of the page
    assert reloaded.from_service_worker and cable.dropped
    expect(work.queue_status).to_have_text(re.compile(r"^1 answer waiting to send"))
    expect(work.message).to_contain_text("You are offline")
    page.screenshot(path=str(tmp_path / "offline-reload-phone.png"))
    assert len(work.queued()) == 1
    assert len(answers_per_task_and_contributor()) == 1

    offline(context, cable, False)
    expect(work.queue_status).to_be_hidden()
    work.expect_done(2)
    work.next_question()  # and work goes on
    assert work.queued() == []
    rows = answers_per_task_and_contributor()
    assert len(rows) == 2 and all(n == 1 for _task, _contributor, n in rows), rows
    assert len({contributor for _task, contributor, _n in rows}) == 1
