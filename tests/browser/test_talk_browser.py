"""Talk in real Chromium (issue 19): a signed-in volunteer opens the discussion under the work page, posts in the
task's thread (with "needs an expert"), sees the post at once, and finds it on the thread's own page; at desktop
size and on a 390 px phone, with axe and no sideways scrolling. Screenshots: test-results/<test>/."""
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.extensions import db
from citizen.moderation.models import ContentReport
from citizen.talk.models import TalkPost
from tests.browser.conftest import PHONE
from tests.browser.pages import SignIn, TaskDiscussion, WorkPage, settle
from tests.browser.test_accessibility import axe_violations, phone_problems

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": PHONE}


def shoot(page, output_path, name, full_page=True):
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path, full_page=full_page)
    print("screenshot:", path)


@pytest.fixture
def site(make_campaign, make_user):
    """A published question campaign of text tasks and a volunteer with an account; the session is closed (on
    SQLite an open one would hold the write lock)."""
    c = make_campaign(tasks=3, title="Spot the red roofs")
    make_user("vera@example.org", name="Vera Volunteer")
    make_user("mona@example.org", "moderator", name="Mona Moderator")
    slug = c.slug
    db.session.close()
    return slug


@pytest.mark.parametrize("size", list(SIZES))
def test_a_volunteer_posts_in_the_task_thread_under_the_work_page(context, site, output_path, size):
    page = context.new_page()
    page.set_viewport_size(SIZES[size])
    SignIn(page).sign_in("vera@example.org")
    work = WorkPage(page).open(site)
    work.answer_buttons.first.wait_for()
    talk = TaskDiscussion(page).open()
    expect(talk.box.get_by_text("No posts yet")).to_be_visible()

    talk.write("Is the **red** shed behind the house a roof too? @mona-moderator", needs_expert=True)
    expect(talk.message).to_have_text("Posted. Thank you!")
    expect(talk.posts).to_have_count(1)
    expect(talk.posts.first.locator("strong", has_text="red")).to_be_visible()  # Markdown, rendered by the server
    expect(talk.posts.first.get_by_text("Needs an expert")).to_be_visible()
    expect(talk.box.get_by_label("Your post")).to_have_value("")

    stored = db.session.execute(select(TalkPost)).scalar_one()
    assert stored.needs_expert and stored.task_id is not None and stored.author.startswith("volunteer-")
    assert db.session.execute(select(ContentReport.reason).where(
        ContentReport.task_id == stored.task_id)).scalars().all() == ["needs_expert"]
    db.session.close()

    talk.box.scroll_into_view_if_needed()
    settle(page)
    problems = axe_violations(page) + (phone_problems(page) if size == "phone" else [])
    assert problems == [], "\n".join(problems)
    shoot(page, output_path, f"talk-work-{size}")

    talk.open_whole_thread()
    expect(page.get_by_role("heading", name=f"Discussion of task {stored.task_id}")).to_be_visible()
    expect(page.locator(f"#post-{stored.id}")).to_contain_text("Is the red shed behind the house a roof too?")
    settle(page)
    problems = axe_violations(page) + (phone_problems(page) if size == "phone" else [])
    assert problems == [], "\n".join(problems)
    shoot(page, output_path, f"talk-thread-{size}")
