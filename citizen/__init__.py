"""citizen: volunteer microtasking campaigns for nonprofits."""
import os
import secrets

from flask import Flask

from citizen import security
from citizen.body_limits import LimitedRequest
from citizen.config import Defaults, from_environment
from citizen.extensions import babel, csrf, db, limiter, login, migrate, tune_sqlite
from citizen.numbers import BoundedIntConverter


def _secret_key(app):
    """A random key kept in the instance folder, so a self-hosted install is never left on the default."""
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        # Written aside, then linked into place: processes starting together all read the same whole key.
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as fh:
        return fh.read().strip()


def create_app(test_config=None, instance_path=None):
    """The app. Configuration: the defaults (citizen.config), then the instance's `config.py` and the CITIZEN_*
    environment variables. A `test_config` replaces the last two, as in Flask's tutorial (flaskr): tests and
    benchmarks get exactly what they ask for, whatever a developer keeps in instance/config.py or the shell.
    `instance_path`: another instance folder (secret key, SQLite database, media) than ./instance; without a test
    config, CITIZEN_INSTANCE_PATH names it too (two web servers or workers on one machine share nothing on disk)."""
    if instance_path is None and test_config is None:  # several servers on one machine: one folder each
        instance_path = os.environ.get("CITIZEN_INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    # Every <int:...> in a route is bounded (ids are int4 columns): set before any blueprint adds its rules.
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = LimitedRequest  # a body limit per route (citizen.body_limits)
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(from_environment())
    else:
        app.config.update(test_config)
    security.check_production(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "citizen.db")
    if app.config["SECRET_KEY"] == Defaults.SECRET_KEY and not app.testing:
        app.config["SECRET_KEY"] = _secret_key(app)
    app.config.setdefault("MEDIA_FOLDER", None)
    app.config["MEDIA_FOLDER"] = app.config["MEDIA_FOLDER"] or os.path.join(app.instance_path, "media")

    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"),
                     render_as_batch=True)
    login.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # Services translate their messages, and they also run outside requests (CLI, demo, jobs, tests):
    # there the default locale applies instead of a "working outside of request context" crash.
    # In a request: the language chosen with ?lang=xx (kept in the session), else Accept-Language.
    from citizen.engagement.languages import select_locale
    babel.init_app(app, locale_selector=select_locale)

    from citizen.jobs import models as _job_models  # noqa: F401  (the jobs table belongs to the schema)
    from citizen import (accounts, api, campaigns, demo, engagement, exports, kinds, moderation, offline, predictions,
                         talk, team, training, wellbeing)
    from citizen.campaigns import hooks as loop_hooks
    from citizen.campaigns import pages as public_pages
    from citizen.campaigns import sections as settings_sections

    # Features plug in here and nowhere else: each one's init_app registers its blueprints (and CSRF exemptions),
    # answer hooks, jobs and commands; importing a module registers nothing.
    kinds.init_app(app)        # config["KINDS"]: their templates, static files, jobs and routes
    accounts.init_app(app)     # /account, `flask users`
    api.init_app(app)          # /api/v1
    campaigns.init_app(app)    # campaign and organisers' pages, the results and build jobs, its commands
    wellbeing.init_app(app)    # /wellbeing, its API, the blurring job
    training.init_app(app)     # tutorial and qualification before work: its API, the organisers' training page
    exports.init_app(app)      # /data, `flask exports`, the GeoPackage job
    moderation.init_app(app)   # /moderation, the reports API, the notification job
    engagement.init_app(app)   # profiles, dashboard, updates and their mail job
    team.init_app(app)         # /team: invitations, roles (organisers), /team/join
    talk.init_app(app)         # discussions per campaign and per task, their API and moderation
    predictions.init_app(app)  # a model in the loop: predictions, routing, outcomes, verified labels
    demo.init_app(app)         # `flask demo`, and its imagery tiles when DEMO is on
    offline.init_app(app)      # /manifest.webmanifest and the service worker /sw.js (the work pages offline)
    loop_hooks.check(app)      # the volunteer loop's answer hooks are all there (moderation's, wellbeing's shield)
    settings_sections.check(app)  # the campaign settings' required sections are there (wellbeing's ratings)
    public_pages.check(app)    # what the home page and campaign pages show is there (engagement's)

    from citizen import handlers
    from citizen.cli import register_cli
    handlers.register(app)
    security.register(app)
    register_cli(app)          # the core's commands: `flask init-db`, `flask jobs resume`
    return app
