"""Server-side requests that cannot reach inside (issue 15, section 3): webhook addresses checked when saved and
again at each try (resolved once, connected to the checked address), a coarse delivery log, outgoing links built
from PUBLIC_URL whatever Host a visitor sends, unknown hosts refused in production, and deliveries of one
organisation that never wait for another's dead webhook. No test needs the internet: DNS is monkeypatched."""
import ipaddress
import json
import socket
import threading
import time

import pytest
from sqlalchemy import select

from citizen import create_app, outbound
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.extensions import db
from citizen.jobs import worker
from citizen.jobs.models import Job
from citizen.moderation import webhooks
from citizen.moderation.models import AlertSettings, DeliveryAttempt, Escalation
from citizen.security import ProductionSettingsError
from tests.conftest import base_config
from tests.helpers import alert_channel, answer_next, signed_in
from tests.test_moderation import PERSON, PHOTOS, Receiver, moderator, search_campaign  # noqa: F401

GOOD_SECRET = "f" * 64
PUBLIC = "93.184.215.14"


def fake_dns(monkeypatch, table):
    """socket.getaddrinfo answering from `table` (host -> list of addresses, or a callable); records calls."""
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        try:  # a numeric address (socket.create_connection to a checked address) is not a DNS lookup
            return [(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (str(ipaddress.ip_address(host)), port))]
        except ValueError:
            pass
        calls.append(host)
        found = table.get(host.rstrip(".") if isinstance(host, str) else host)
        if callable(found):
            found = found()
        if found is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in found]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


DNS = {"hooks.example.org": [PUBLIC], "v6.example.org": ["2606:4700::1111"],
       "internal.example.org": ["10.0.0.5"], "mixed.example.org": [PUBLIC, "10.0.0.5"],
       "metadata.example.org": ["169.254.169.254"], "mapped.example.org": ["::ffff:127.0.0.1"],
       "nat64.example.org": ["64:ff9b::a9fe:a9fe"], "cgnat.example.org": ["100.64.1.1"]}

REFUSED = [
    "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/", "http://[::1]:5432/",
    "http://0x7f000001:22/", "http://0x7f000001/", "http://2130706433/", "http://0177.0.0.1/", "http://127.1/",
    "http://127.000.000.001/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[64:ff9b::a00:1]/",
    "http://[2002:7f00:1::]/", "http://[fe80::1%25eth0]/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://224.0.0.1/", "http://192.168.1.1/", "http://[fc00::1]/", "http://localhost/",
    "https://user:pw@hooks.example.org/x", "https://hooks.example.org@10.0.0.5/x",
    "https://hooks.example.org:8443/x", "https://hooks.example.org:22/x", "ftp://hooks.example.org/x",
    "gopher://hooks.example.org/", "https://internal.example.org/x", "https://internal.example.org./x",
    "https://mixed.example.org/x", "https://metadata.example.org/", "https://mapped.example.org/",
    "https://nat64.example.org/", "https://cgnat.example.org/", "https://nowhere.example.org/x",
    "https://hooks.example.org/x y", "https://hooks.example.org/\x7f", "https://" + "a" * 600 + ".org/",
]
ALLOWED = ["https://hooks.example.org/x", "https://hooks.example.org./x", "http://hooks.example.org:80/x",
           "https://hooks.example.org:443/x?a=1", f"http://{PUBLIC}/hook", "https://[2606:4700::1111]/hook",
           "https://v6.example.org/hook"]


@pytest.mark.parametrize("url", REFUSED)
def test_saving_an_inside_or_oddly_spelled_webhook_address_is_refused(app, organiser, org, monkeypatch, url):
    fake_dns(monkeypatch, {**DNS, "localhost": ["127.0.0.1"]})
    boss = signed_in(app, "organiser@example.org")
    r = boss.post("/moderation/settings", data={"webhook_url": url, "webhook_secret": "abc", "emails": ""})
    assert r.status_code == 200 and 'class="error"' in r.get_data(as_text=True), url
    db.session.expire_all()
    assert db.session.get(AlertSettings, org.id) is None


@pytest.mark.parametrize("url", ALLOWED)
def test_public_webhook_addresses_are_saved(app, organiser, org, monkeypatch, url):
    fake_dns(monkeypatch, DNS)
    boss = signed_in(app, "organiser@example.org")
    r = boss.post("/moderation/settings", data={"webhook_url": url, "webhook_secret": "abc", "emails": ""})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert db.session.get(AlertSettings, org.id).webhook_url == url


def test_the_test_allowance_lifts_only_the_address_check(app, monkeypatch):
    fake_dns(monkeypatch, DNS)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    assert outbound.check_url("http://127.0.0.1:8123/x")
    for url in ("http://0x7f000001/", "http://2130706433/", "http://u:p@127.0.0.1/", "file:///etc/passwd",
                "http://127.0.0.1/\x00", "http://127.0.0.1\r\nX-Injected: 1/", None, 12, ["http://x.org"]):
        with pytest.raises(outbound.Refused):
            outbound.check_url(url)


def test_production_mode_refuses_the_test_allowance(tmp_path, db_uri):
    with pytest.raises(ProductionSettingsError, match="WEBHOOK_ALLOW_PRIVATE"):
        create_app({**base_config(tmp_path, db_uri), "PRODUCTION": True, "SECRET_KEY": GOOD_SECRET,
                    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "PUBLIC_URL": "https://citizen.example.org",
                    "WEBHOOK_ALLOW_PRIVATE": True})


def deliveries():
    """The webhook's and e-mail's delivery log (not the live page's, which showed the campaign's test alert)."""
    db.session.expire_all()
    return db.session.execute(select(DeliveryAttempt).where(DeliveryAttempt.channel != "live")
                              .order_by(DeliveryAttempt.id)).scalars().all()


def set_webhook(org, url, secret="s"):
    """The organisation's webhook, set once its campaign is published (with the live page as a working channel:
    the campaign's test alert never reaches this receiver)."""
    row = db.session.get(AlertSettings, org.id)
    row.webhook_url, row.webhook_secret = url, secret
    db.session.commit()


def test_a_saved_address_that_now_resolves_inside_is_refused_at_send_time(app, client, guest, org,
                                                                          search_campaign, monkeypatch):
    """DNS changed after the address was saved: the try is refused, nothing connects, and it is not retried."""
    dns = fake_dns(monkeypatch, {"hooks.example.org": ["127.0.0.1"]})
    connects = []
    real_connect = socket.create_connection
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: connects.append(address)
                        or real_connect(address, *a, **k))
    app.config.update(MODERATION_WEBHOOK_BACKOFF=0.01, MODERATION_WEBHOOK_ATTEMPTS=3)
    slug = search_campaign().slug
    set_webhook(org, "http://hooks.example.org/hook")
    answer_next(client, slug, PERSON, guest(), duration_ms=5000)
    assert dns and connects == []
    assert [(d.attempt, d.ok, d.status_code, d.error) for d in deliveries()] == [
        (1, False, None, "refused: address not allowed")]
    assert db.session.execute(select(Job.status).where(Job.name == "moderation.notify")).scalar_one() == "failed"


def test_the_connection_goes_to_the_address_that_was_checked(app, client, guest, org, search_campaign,
                                                             monkeypatch):
    """A rebinding DNS (public for the check, inside for the connection) cannot switch addresses in between:
    the name is resolved once and the socket opened to that checked address."""
    answers = iter([[PUBLIC]] + [["127.0.0.1"]] * 20)
    dns = fake_dns(monkeypatch, {"hooks.example.org": lambda: next(answers)})
    connects = []

    def create_connection(address, *args, **kwargs):
        connects.append(address)
        raise ConnectionRefusedError(111, "Connection refused")
    monkeypatch.setattr(socket, "create_connection", create_connection)
    app.config.update(MODERATION_WEBHOOK_ATTEMPTS=1)
    slug = search_campaign().slug
    set_webhook(org, "http://hooks.example.org/hook")
    answer_next(client, slug, PERSON, guest(), duration_ms=5000)
    assert dns == ["hooks.example.org"] and connects == [(PUBLIC, 80)]
    assert [(d.ok, d.error) for d in deliveries()] == [(False, "could not deliver")]


def test_the_delivery_log_is_coarse_and_receivers_see_the_original_host(app, client, guest, org, search_campaign,
                                                                        monkeypatch):
    """A closed port and an open one that fails read the same; a receiver's body is never echoed; the request
    carries the configured name in Host (and would in SNI), not the address it was sent to."""
    app.config.update(WEBHOOK_ALLOW_PRIVATE=True, MODERATION_WEBHOOK_ATTEMPTS=1)
    hook = Receiver([500])
    try:
        dns = fake_dns(monkeypatch, {"hooks.example.org": ["127.0.0.1"]})
        url = f"http://hooks.example.org:{hook.server.server_port}/hooks/citizen"
        c = search_campaign()
        set_webhook(org, url)
        answer_next(client, c.slug, PERSON, guest(), duration_ms=5000)
        assert len(hook.requests) == 1 and dns == ["hooks.example.org"], ([(d.error, d.target) for d in deliveries()], dns)
        headers, _body = hook.requests[0]
        assert headers["Host"] == f"hooks.example.org:{hook.server.server_port}"
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        closed_port = free.getsockname()[1]
        free.close()
        db.session.get(AlertSettings, org.id).webhook_url = f"http://127.0.0.1:{closed_port}/x"
        db.session.commit()
        from tests.test_moderation import answer_new
        answer_new(client, c.slug, guest(), PERSON)
    finally:
        hook.close()
    assert [(d.status_code, d.error) for d in deliveries()] == [(500, "HTTP 500"), (None, "could not deliver")]


def test_a_redirect_is_a_failure_never_followed(app, client, guest, org, search_campaign):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app.config.update(WEBHOOK_ALLOW_PRIVATE=True, MODERATION_WEBHOOK_ATTEMPTS=1)
        slug = search_campaign().slug
        set_webhook(org, f"http://127.0.0.1:{server.server_port}/h")
        answer_next(client, slug, PERSON, guest(), duration_ms=5000)
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/h"] and [(d.status_code, d.ok) for d in deliveries()] == [(307, False)]


# --- links built from PUBLIC_URL ------------------------------------------------------------------------

def test_links_in_webhooks_come_from_public_url_not_from_the_host_header(app, client, guest, org, search_campaign):
    app.config.update(WEBHOOK_ALLOW_PRIVATE=True, PUBLIC_URL="https://citizen.example.org")
    hook = Receiver()
    try:
        c = search_campaign()
        set_webhook(org, hook.url)
        headers = {**guest(), "Host": "attacker.example"}
        task = client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers=headers).get_json()
        r = client.post(f"/api/v1/tasks/{task['id']}/answers", headers=headers,
                        json={"value": PERSON, "duration_ms": 5000})
        assert r.status_code == 201
    finally:
        hook.close()
    event = json.loads(hook.requests[-1][1])
    esc = db.session.execute(select(Escalation)).scalar_one()
    assert event["escalation"]["url"] == f"https://citizen.example.org/moderation/escalations/{esc.id}"
    assert "attacker" not in hook.requests[-1][1].decode()


def test_open_data_and_share_links_come_from_public_url(app, client, make_campaign):
    app.config["PUBLIC_URL"] = "https://citizen.example.org/"
    c = make_campaign()
    evil = {"Host": "attacker.example"}
    r = client.get(f"/data/{c.slug}/datapackage.json", headers=evil)
    assert r.status_code == 200, r.status_code
    text = r.get_data(as_text=True)
    assert "attacker" not in text and f"https://citizen.example.org/data/{c.slug}/" in text
    r = client.get(f"/data/{c.slug}/README.md", headers=evil)
    assert r.status_code == 200 and "attacker" not in r.get_data(as_text=True)
    r = client.get("/api/v1/campaigns", headers=evil)
    assert r.status_code == 200
    urls = [x["url"] for x in r.get_json()["campaigns"]] if isinstance(r.get_json(), dict) else \
        [x["url"] for x in r.get_json()]
    assert urls and all(u.startswith("https://citizen.example.org/campaigns/") for u in urls)
    page = client.get(f"/campaigns/{c.slug}", headers=evil).get_data(as_text=True)
    assert "attacker.example" not in page and f'content="https://citizen.example.org/campaigns/{c.slug}"' in page


def test_production_mode_needs_public_url_and_refuses_unknown_hosts(make_app, tmp_path, db_uri):
    prod = {"PRODUCTION": True, "SECRET_KEY": GOOD_SECRET, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    for missing in ("", "http://127.0.0.1:5000", "citizen.example.org", "https://citizen.example.org/path"):
        with pytest.raises(ProductionSettingsError, match="PUBLIC_URL"):
            create_app({**base_config(tmp_path, db_uri), **prod, "PUBLIC_URL": missing})
    app = make_app(**prod, PUBLIC_URL="https://citizen.example.org", TRUSTED_HOSTS_EXTRA="www.example.org")
    assert app.config["TRUSTED_HOSTS"] == ["citizen.example.org", "www.example.org"]
    web = app.test_client()
    assert web.get("/api/v1/campaigns", base_url="https://citizen.example.org").status_code == 200
    assert web.get("/api/v1/campaigns", base_url="https://www.example.org").status_code == 200
    assert web.get("/api/v1/campaigns", base_url="https://attacker.example").status_code == 400
    assert web.get("/api/v1/campaigns", headers={"Host": "attacker.example"},
                   base_url="https://citizen.example.org").status_code == 400


def test_the_sample_proxy_drops_unknown_hosts():
    import pathlib
    conf = (pathlib.Path(__file__).parent.parent / "deploy" / "nginx.conf").read_text()
    assert "default_server" in conf and "return 444" in conf


# --- one organisation's dead webhook never delays another's ---------------------------------------------

class Hanging:
    """Accepts connections on 127.0.0.1 and never answers (until closed)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.conns:
            conn.close()


def test_a_hanging_webhook_holds_only_its_own_organisation(make_app, db_uri):
    """Org A's receiver accepts and never answers (a long timeout, three escalations waiting); org B's
    escalation is delivered at once by a worker with two threads, and A never has more than one delivery in flight
    (its other deliveries wait on its lane without holding a thread)."""
    app = make_app(JOBS_SYNC=False, WEBHOOK_ALLOW_PRIVATE=True, MODERATION_WEBHOOK_TIMEOUT=60,
                   MODERATION_WEBHOOK_ATTEMPTS=1)
    hanging, hook = Hanging(), Receiver()
    with worker.embedded(app, threads=2), app.app_context():
        try:
            client = app.test_client()
            boss = accounts.register_user("boss@example.org", "Boss", "password123")
            made = {}
            for slug in ("org-a", "org-b"):
                o = accounts.get_or_create_organisation(slug, slug)
                accounts.grant(boss, o, "organiser")
                db.session.flush()
                url = f"http://127.0.0.1:{hanging.port}/h" if slug == "org-a" else hook.url
                alert_channel(o)  # the live page works; then the webhook under test
                set_webhook(o, url)
                c = campaigns.create_campaign(o.id, boss, {"title": f"Find {slug}", "kind": "search",
                                                           "redundancy": 3, "settings": {}})
                campaigns.import_tasks(c, "photos.json", json.dumps(PHOTOS))
                campaigns.publish(c)
                db.session.commit()
                made[slug] = c.slug

            def new_guest():
                return {"Authorization": "Bearer " + client.post("/api/v1/guests").get_json()["token"]}

            for _ in range(3):
                answer_next(client, made["org-a"], PERSON, new_guest(), duration_ms=5000)
                db.session.remove()
                # each answer escalates a different task of org A: take another guest's next task
            answer_next(client, made["org-b"], PERSON, new_guest(), duration_ms=5000)
            deadline = time.monotonic() + 20
            while not hook.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(hook.requests) == 1, "org B's delivery waited for org A's dead webhook"
            assert len(hanging.conns) == 1, "org A holds a single delivery slot"
        finally:
            hanging.close()  # A's delivery ends at once: the worker's threads finish before the database goes
            hook.close()
