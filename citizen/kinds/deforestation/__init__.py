"""Deforestation spotting: a grid cell of an area of interest over before/after imagery."""
from flask_babel import lazy_gettext as _l

from citizen.kinds._map import MapKind


class DeforestationKind(MapKind):
    id = "deforestation"
    label = _l("Deforestation spotting (grid cells over before/after imagery)")
    question = _l("Has forest been cleared in this cell between the two dates?")
    grades = (("cleared", _l("Cleared")), ("not_cleared", _l("Not cleared")),
              ("unsure", _l("Not sure")), ("bad_imagery", _l("Bad imagery")))
