"""Who may fetch a file under /media/, and as what.

- Only stored images and PDFs are served (citizen.storage.media.stored_type): by an allowed extension
  and, inside, the magic number of an allowed type. Anything else (an `.html` left by an older version,
  an SVG, a script) is a 404, whatever its content.
- A campaign's files (`campaigns/<id>/...`) follow the campaign's tasks: the media of a task a moderator
  hid is served to the campaign's staff and moderators only; the original of a sensitive (rated) task is
  served to them and to a contributor who was shown it or revealed it (the work page records that view
  before the picture is fetched, see citizen.wellbeing.serving). Blurred copies are not task media: public.
  Campaigns with neither hidden tasks nor rated content cost one primary-key and one index look-up.
"""
import re

from sqlalchemy import Text, cast, or_, select

from citizen import storage
from citizen.storage import valid_key
from citizen.storage.media import campaign_of, stored_type
from citizen.campaigns import hooks
from citizen.campaigns.models import HIDDEN_RAND, Campaign, Task
from citizen.errors import NotFound
from citizen.extensions import db

_STORED_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
# A blurred copy as citizen names them now: never a task's own media (older names could be an uploader's).
_BLURRED = re.compile(r"^[0-9a-f]{32}-blurred\.jpg$")
MAX_NAME = 400


def _staff(user, campaign):
    from citizen.campaigns.services import is_staff
    return is_staff(user, campaign)


def _tasks_showing(campaign_id, filename, hidden_only):
    """Tasks of the campaign whose payload names this stored file (its random name makes it unique); only the
    hidden ones (an index range) when that is all that matters."""
    pattern = "%/" + filename.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
    query = select(Task.id, Task.payload, Task.rand, Task.consensus).where(
        Task.campaign_id == campaign_id, cast(Task.payload, Text).like(pattern, escape="\\"))
    if hidden_only:
        query = query.where(Task.available == False, Task.rand == HIDDEN_RAND)  # noqa: E712
    else:  # only a rated task (its bits say so, review included) or a hidden one can withhold a file
        query = query.where(or_(Task.content_bits != 0, Task.rand == HIDDEN_RAND))
    return db.session.execute(query).all()


def _may_see(campaign, filename, user, viewer):
    guard = hooks.media_guard(campaign)  # None: nothing of the campaign is rated (citizen.wellbeing)
    rated = guard is not None
    any_hidden = db.session.execute(select(Task.id).where(
        Task.campaign_id == campaign.id, Task.available == False, Task.rand == HIDDEN_RAND)  # noqa: E712
        .limit(1)).first() is not None
    if not rated and not any_hidden:
        return True
    if _BLURRED.match(filename):
        return True
    if not _STORED_NAME.match(filename):
        return False
    tasks = _tasks_showing(campaign.id, filename, hidden_only=not rated)
    if not tasks:
        return True  # a blurred copy, or a file no task shows any more
    staff = None
    for task_id, payload, rand, consensus in tasks:
        if rand == HIDDEN_RAND or (consensus or {}).get("hidden"):
            staff = _staff(user, campaign) if staff is None else staff
            if not staff:
                return False
        if rated and guard.sensitive(task_id, payload):
            staff = _staff(user, campaign) if staff is None else staff
            if not staff:
                contributor_id = viewer() if callable(viewer) else viewer
                if contributor_id is None or not guard.viewed(contributor_id, task_id):
                    return False
    return True


def media_file(name, user, viewer):
    """(key in the media store, MIME type) of the file /media/<name> for this visitor; NotFound when it is not
    served (not an image or PDF, not there, or not theirs to see). `viewer` is the visitor's contributor id,
    or a function that finds it (called only for a file that is not public)."""
    # Only the file's one canonical name (citizen.storage.valid_key): "campaigns//1/x.jpg" or "campaigns/x/../1/x.jpg"
    # would reach the same file, and escape the campaign check below, which reads the name.
    if len(name) > MAX_NAME or not valid_key(name):
        raise NotFound()
    mimetype = stored_type(storage.media_store(), name)  # None too when the file is not there
    if mimetype is None:
        raise NotFound()
    campaign_id = campaign_of(name)
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None and not _may_see(campaign, name.rsplit("/", 1)[-1], user, viewer):
            raise NotFound()
    return name, mimetype
