"""Humans in the loop of a model: predictions in, likely errors to volunteers, verified labels out.

- `models`    Prediction (a model version's predicted answer and confidence per task; the audit sample).
- `services`  import, routing into the scheduling order, the volunteer loop's hooks, outcomes, verified labels.
- `views`     the predictions API, and the organisers' model page.
- `exports`   verified.csv in the open data, and the methodology's paragraph on the model.
"""


def init_app(app):
    """Plug the model loop in (called by create_app): its API (exempt from the form CSRF check like the rest of
    /api/v1) and page, the loop's hooks (whether a task's volunteers see its prediction; the prediction in the task
    JSON), and its open data file."""
    from citizen.campaigns import hooks
    from citizen.exports import extra
    from citizen.extensions import csrf
    from citizen.predictions import exports, services, views
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    csrf.exempt(views.api_bp)
    hooks.register(app, prediction_shown=services.prediction_shown, annotate_task=services.annotate_task)
    extra.register(app, exports.FILE)
    extra.register_note(app, exports.note)
