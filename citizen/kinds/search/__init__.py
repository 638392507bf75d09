"""Search and rescue: drone photos (placed by their EXIF position) or map cells, one question, "Is there a
person here?", and a pin on each person seen. A "person" answer is critical: the first one on a task puts it
at the top of the moderators' queue at once and notifies the organisation (citizen.moderation).

The damage kind's photo machinery (MapKind) with its own question and answers."""
from flask_babel import lazy_gettext as _l

from citizen.kinds._map import MapKind


class SearchKind(MapKind):
    id = "search"
    label = _l("Search and rescue (drone photos: is there a person?)")
    question = _l("Is there a person in this photo? Put a pin on each person you see.")
    grades = (("person", _l("Yes, a person")), ("unsure", _l("Maybe")), ("none", _l("No one")))
    critical_answers = frozenset({"person"})
    accepts_photos = True
    import_help = _l("Upload drone photos (JPEG, PNG or WebP, or a ZIP of them; their GPS position places them on "
                     "the map and goes to the rescuers with an escalation), or an area of interest to split into "
                     "grid cells over imagery tiles. Each photo or cell is a task.")
