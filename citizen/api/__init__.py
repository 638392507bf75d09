"""JSON API v1, documented by /api/v1/openapi.json."""


def init_app(app):
    """Plug the API in (called by create_app): /api/v1, authenticated by bearer token, so exempt from the form
    CSRF check (cookie callers are CSRF-checked in citizen.accounts.auth)."""
    from citizen.api import views
    from citizen.extensions import csrf
    app.register_blueprint(views.bp)
    csrf.exempt(views.bp)
