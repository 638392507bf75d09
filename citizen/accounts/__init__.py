"""Users, organisations and roles, guest contributors, API tokens."""


def init_app(app):
    """Plug accounts in (called by create_app): the /account pages and the `flask users` commands."""
    from citizen.accounts import cli, views
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users_cli)
