"""The work pages offline: the web app manifest, the service worker at the root, its policy, and the vendored
Workbox that must never reach for a CDN."""
import json
import pathlib
import re

from tests.helpers import html

STATIC = pathlib.Path(__file__).resolve().parent.parent / "citizen" / "static"
CDN_HOSTS = ("storage.googleapis.com", "cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com")


def test_the_manifest_names_the_app_its_icons_and_where_it_starts(client):
    r = client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.mimetype == "application/manifest+json"
    manifest = json.loads(r.get_data(as_text=True))
    assert manifest["name"] == "citizen" and manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_the_service_worker_is_javascript_from_the_root_never_kept_by_the_http_cache(client):
    r = client.get("/sw.js")
    assert r.status_code == 200 and r.mimetype in ("application/javascript", "text/javascript")
    assert "no-cache" in r.headers["Cache-Control"]
    # A worker runs under the policy its own script came with: it may load the vendored Workbox and fetch here.
    policy = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "sandbox" not in policy
    script = r.get_data(as_text=True)
    assert 'importScripts("/static/vendor/workbox/workbox-sw.js")' in script
    assert 'modulePathPrefix: "/static/vendor/workbox/"' in script


def test_the_work_page_links_the_manifest_and_registers_the_worker(client, make_campaign):
    c = make_campaign()
    r = client.get(f"/campaigns/{c.slug}/work")
    page = html(r)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page and 'name="theme-color"' in page
    for script in ("js/offline.js", "js/queue.js", "vendor/idb/idb.umd.js"):
        assert f"/static/{script}" in page
        assert client.get(f"/static/{script}").status_code == 200
    assert page.index("/static/js/queue.js") < page.index("/static/js/work.js")  # work.js finds citizenQueue
    assert "serviceWorker" in client.get("/static/js/offline.js").get_data(as_text=True)
    assert "worker-src 'self'" in r.headers["Content-Security-Policy"]


def test_every_workbox_module_the_worker_loads_is_vendored():
    worker = (STATIC / "js" / "sw.js").read_text()
    used = set(re.findall(r"workbox\.(core|routing|strategies|expiration|cacheableResponse)\b", worker)) | {"core"}
    names = {"cacheableResponse": "cacheable-response"}
    for module in used:
        assert (STATIC / "vendor" / "workbox" / f"workbox-{names.get(module, module)}.prod.js").is_file(), module
    assert (STATIC / "vendor" / "workbox" / "LICENSE").is_file() and (STATIC / "vendor" / "idb" / "LICENSE").is_file()


def test_no_vendored_offline_file_loads_from_a_cdn():
    """workbox-sw.js carries Google's CDN as its default module path: the worker sets modulePathPrefix before any
    module loads, and no other file names a CDN."""
    worker = (STATIC / "js" / "sw.js").read_text()
    assert worker.index("workbox.setConfig") < worker.index("workbox.routing")
    files = [*(STATIC / "vendor" / "workbox").glob("*.js"), *(STATIC / "vendor" / "idb").glob("*.js"),
             *(STATIC / "js" / name for name in ("sw.js", "offline.js", "queue.js"))]
    for path in files:
        text = path.read_text()
        hosts = [host for host in CDN_HOSTS if host in text]
        if path.name == "workbox-sw.js":  # only as the default that modulePathPrefix replaces
            assert hosts == ["storage.googleapis.com"] and "modulePathPrefix" in text
        else:
            assert not hosts, (path, hosts)


def test_the_offline_texts_are_translated(client, make_campaign):
    c = make_campaign()
    english = html(client.get(f"/campaigns/{c.slug}/work"))
    assert 'data-queue-many="%n answers waiting to send;' in english and 'data-task-label="Task %n"' in english
    spanish = html(client.get(f"/campaigns/{c.slug}/work?lang=es"))
    assert 'data-queue-many="%n respuestas pendientes de envío;' in spanish
    assert "Estás sin conexión." in spanish and "waiting to send" not in spanish
    french = html(client.get(f"/campaigns/{c.slug}/work?lang=fr"))
    assert "Vous êtes hors ligne." in french and 'data-queue-refused="Non envoyée : %l. %m"' in french
