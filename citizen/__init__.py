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


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    # Every <int:...> in a route is bounded (ids are int4 columns): set before any blueprint adds its rules.
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = LimitedRequest  # a body limit per route (citizen.body_limits)
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment())
    if test_config:
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

    from citizen.kinds import registry as kinds
    from citizen.jobs import models as _job_models  # noqa: F401  (the jobs table belongs to the schema)
    kinds.init_app(app)  # config["KINDS"]: their templates, static files, jobs and routes

    from citizen import handlers
    from citizen.accounts.views import bp as accounts_bp
    from citizen.api.views import bp as api_bp
    from citizen.campaigns.views import bp as campaigns_bp
    from citizen.campaigns.organise import bp as organise_bp
    from citizen.exports.views import bp as exports_bp
    from citizen.wellbeing.views import api_bp as wellbeing_api_bp
    from citizen.wellbeing.views import bp as wellbeing_bp
    from citizen.moderation.views import api_bp as moderation_api_bp
    from citizen.moderation.views import bp as moderation_bp
    from citizen.cli import register_cli

    for bp in (accounts_bp, api_bp, campaigns_bp, organise_bp, wellbeing_bp, wellbeing_api_bp, exports_bp):
        app.register_blueprint(bp)
    csrf.exempt(api_bp)  # the API authenticates by bearer token; cookie callers are CSRF-checked in api.auth
    csrf.exempt(wellbeing_api_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(moderation_api_bp)
    csrf.exempt(moderation_api_bp)  # bearer tokens; cookie callers are CSRF-checked in api.auth
    from citizen.engagement.views import bp as engagement_bp
    app.register_blueprint(engagement_bp)
    if app.config.get("DEMO"):
        from citizen.demo.views import bp as demo_bp
        app.register_blueprint(demo_bp)
    handlers.register(app)
    security.register(app)
    register_cli(app)
    return app
