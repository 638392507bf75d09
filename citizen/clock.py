"""The one clock of the volunteer loop: lease times, answer times and the server-measured duration of an answer
(citizen.campaigns.scheduler) all read `now()`. Tests and the skew benchmark replace `now` (monkeypatch
citizen.clock.now) to let time pass without sleeping; nothing on the hot path reads the wall clock elsewhere."""
from datetime import datetime, timezone


def now():
    """The current time in UTC as a naive datetime (how the database columns store it)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
