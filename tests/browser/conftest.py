"""Real Chromium against a live server on this test's database.

Debian's /usr/bin/chromium is used as is (nothing can be downloaded here). Every request the page
makes to a host other than 127.0.0.1 is aborted and recorded, and the test fails at teardown if
there was one: the product must not depend on a CDN, a font service or an analytics script.
"""
import contextlib
import os
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"width": 390, "height": 844}


@contextlib.contextmanager
def serve(app):
    """Serve `app` on a free port of 127.0.0.1 in a daemon thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url  # links meant to leave the page (share tags, open data) point here
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def guard_network(context):
    """Abort every request that leaves 127.0.0.1; returns the list of URLs that tried."""
    outside = []

    def handle(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", handle)
    return outside


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(make_app):
    """The app (CSRF on, as in production) served on this test's database; yields its base URL."""
    with serve(make_app(WTF_CSRF_ENABLED=True)) as url:
        yield url


@pytest.fixture
def context(new_context, live_server):
    """A browser context that knows the live server's URL and may not leave 127.0.0.1.
    Uncaught JavaScript errors fail the test too."""
    ctx = new_context(base_url=live_server)
    ctx.set_default_timeout(10_000)
    outside = guard_network(ctx)
    js_errors = []
    ctx.on("weberror", lambda e: js_errors.append(str(e.error)))
    yield ctx
    assert not outside, f"the page requested something outside 127.0.0.1: {outside}"
    assert not js_errors, f"JavaScript errors: {js_errors}"


@pytest.fixture
def phone(context):
    """A page the size of a phone (390 x 844 CSS pixels)."""
    page = context.new_page()
    page.set_viewport_size(PHONE)
    return page


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The `make run` demo (campaigns of every kind, their history, updates, a finished campaign) served once
    for the session on a throw-away database; yields its base URL. Tests that use it share its state."""
    from tests.browser.screenshots import demo_app
    with serve(demo_app(str(tmp_path_factory.mktemp("demo-site")))) as url:
        yield url


@pytest.fixture
def demo_context(browser, demo_site):
    """A browser context on the demo site that may not leave 127.0.0.1; JavaScript errors fail the test."""
    ctx = browser.new_context(base_url=demo_site)
    ctx.set_default_timeout(15_000)
    outside = guard_network(ctx)
    js_errors = []
    ctx.on("weberror", lambda e: js_errors.append(str(e.error)))
    yield ctx
    ctx.close()
    assert not outside, f"the page requested something outside 127.0.0.1: {outside}"
    assert not js_errors, f"JavaScript errors: {js_errors}"
