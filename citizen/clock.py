"""The one clock of the volunteer loop: lease times, answer times and the server-measured duration of an answer
(citizen.campaigns.scheduler) all read `now()`. Tests and the skew benchmark replace `now` (monkeypatch
citizen.clock.now) to let time pass without sleeping; nothing on the hot path reads the wall clock elsewhere."""
import contextlib
import sys
from datetime import datetime, timedelta, timezone


def now():
    """The current time in UTC as a naive datetime (how the database columns store it)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@contextlib.contextmanager
def simulated(step_ms=0):
    """Time that passes when told: yields wait(ms), which moves this module's `now` on (and every reading moves
    it `step_ms` on). For histories made through the volunteer loop in one go (the demo's past answers, a test
    site's seed): each answer takes the time it stands for, as the server measures it, without sleeping. The
    previous clock is back when the block ends."""
    module = sys.modules[__name__]
    real, offset = module.now, [timedelta(0)]

    def wait(ms):
        offset[0] += timedelta(milliseconds=ms)

    def simulated_now():
        wait(step_ms)
        return real() + offset[0]
    module.now = simulated_now
    try:
        yield wait
    finally:
        module.now = real
