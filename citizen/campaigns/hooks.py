"""What features add to the volunteer loop, registered by their `init_app` (called by create_app): the loop calls
these and imports no feature.

- `suspended(conn, campaign_id)`: the contributor ids whose answers do not count in the campaign (moderation);
- `escalate(conn, task_id, campaign_id, answer_id, contributor_id, label, now)`: a critical answer reaches the
  moderators at once, in the answer's own transaction (moderation);
- `gate(conn, campaign, contributor_id, now)`: None, or what this contributor must not be handed (wellbeing);
- `shield_task(campaign, contributor_id, body)`: the task JSON as this contributor may see it: blurred media,
  warnings, a reveal link (wellbeing);
- `media_guard(campaign)`: None when nothing of the campaign is rated, else what /media/ asks before it serves a
  task's original: `.sensitive(task_id, payload)` and `.viewed(contributor_id, task_id)` (wellbeing).
- `publish_check(campaign)`: raise a CitizenError when the campaign must not be published yet (moderation: a
  campaign whose answers escalate needs an alert channel that works).
- `revealed(task, contributor_id)`: None when nothing of the task was held back from this contributor, else
  whether they revealed it (the server sent them the original) before answering (wellbeing).
- `training(conn, campaign, contributor_id, part, now)`: None, or the training task this contributor must answer
  before any other task of a campaign with training tasks (its JSON body; citizen.training). Called only when the
  campaign's settings name training tasks.
- `prediction_shown(payload)`: whether this task's volunteers are shown a model's prediction (citizen.predictions;
  called only when the campaign shows predictions); `annotate_task(body, payload)`: the task JSON with the
  prediction to show, if any (citizen.predictions).
- `derived_media(campaign_id, task_ids)`: the storage keys of files a feature made from these tasks' media (None:
  every task of the campaign still there): deleting tasks removes them with the originals (wellbeing: blurred
  copies).

Every hook must be registered, or create_app refuses to build the app (`check`): an app never hands out media
unshielded, nor counts a suspended contributor, because a feature was left out. Each call is a dict lookup."""
from flask import current_app

EXTENSION = "citizen.campaigns.hooks"
NAMES = ("suspended", "escalate", "gate", "shield_task", "media_guard", "publish_check", "revealed", "derived_media",
         "training", "prediction_shown", "annotate_task")


class TrainingDue(Exception):
    """Raised by the scheduler instead of leasing a task: the contributor's next step is a training task (`body`)."""

    def __init__(self, body, campaign):
        super().__init__("training")
        self.body, self.campaign = body, campaign


def register(app, **hooks):
    """Called by a feature's init_app: register(app, suspended=fn, ...)."""
    unknown = sorted(set(hooks) - set(NAMES))
    if unknown:
        raise ValueError(f"the volunteer loop has no hook {', '.join(unknown)} (it has {', '.join(NAMES)})")
    app.extensions.setdefault(EXTENSION, {}).update(hooks)


def check(app):
    """Raise unless every hook is registered (create_app, once the features are plugged in)."""
    missing = [name for name in NAMES if name not in app.extensions.get(EXTENSION, {})]
    if missing:
        raise RuntimeError(f"no feature registered the volunteer loop's hooks {', '.join(missing)}")


def suspended(conn, campaign_id):
    return current_app.extensions[EXTENSION]["suspended"](conn, campaign_id)


def escalate(conn, task_id, campaign_id, answer_id, contributor_id, label, now):
    return current_app.extensions[EXTENSION]["escalate"](conn, task_id, campaign_id, answer_id, contributor_id,
                                                         label, now)


def gate(conn, campaign, contributor_id, now):
    return current_app.extensions[EXTENSION]["gate"](conn, campaign, contributor_id, now)


def shield_task(campaign, contributor_id, body):
    return current_app.extensions[EXTENSION]["shield_task"](campaign, contributor_id, body)


def media_guard(campaign):
    return current_app.extensions[EXTENSION]["media_guard"](campaign)


def publish_check(campaign):
    return current_app.extensions[EXTENSION]["publish_check"](campaign)


def revealed(task, contributor_id):
    return current_app.extensions[EXTENSION]["revealed"](task, contributor_id)


def derived_media(campaign_id, task_ids=None):
    return current_app.extensions[EXTENSION]["derived_media"](campaign_id, task_ids)


def training(conn, campaign, contributor_id, part, now):
    return current_app.extensions[EXTENSION]["training"](conn, campaign, contributor_id, part, now)


def prediction_shown(payload):
    return current_app.extensions[EXTENSION]["prediction_shown"](payload)


def annotate_task(body, payload):
    return current_app.extensions[EXTENSION]["annotate_task"](body, payload)
