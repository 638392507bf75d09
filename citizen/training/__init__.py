"""Training before work: a tutorial (known-answer tasks with feedback) and a qualification (a run of known-answer
tasks with a pass mark) for any kind, and retraining when a volunteer's gold record falls.

- `models`    TrainingItem (a task taken out of the work), TrainingAnswer, QualificationRun.
- `services`  the steps a contributor takes, their answers and feedback, the organisers' overview.
- `views`     the answer API, and the organisers' training page.
"""


def init_app(app):
    """Plug training in (called by create_app): its pages and API (exempt from the form CSRF check like the rest of
    /api/v1), the volunteer loop's `training` hook (a contributor's next training task before any work), and the
    carrying over of a guest's training on registration."""
    from citizen.accounts import services as accounts
    from citizen.campaigns import hooks
    from citizen.extensions import csrf
    from citizen.training import services, views
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    csrf.exempt(views.api_bp)
    hooks.register(app, training=services.due)
    accounts.on_adopt(app, services.carry_over)
