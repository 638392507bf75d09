"""Disaster damage mapping: aerial or drone photos (placed by their EXIF position), or grid cells
over imagery, graded on a damage scale with damaged buildings marked."""
from flask_babel import lazy_gettext as _l

from citizen.kinds._map import MapKind


class DamageKind(MapKind):
    id = "damage"
    label = _l("Damage mapping (aerial or drone photos, or grid cells over imagery)")
    question = _l("How badly are the buildings here damaged? Mark each damaged building.")
    grades = (("none", _l("No damage")), ("minor", _l("Minor")), ("major", _l("Major")),
              ("destroyed", _l("Destroyed")))
    accepts_photos = True
    import_help = _l("Upload drone or aerial photos (JPEG, PNG or WebP, or a ZIP of them; their GPS position "
                     "places them on the overview map), or an area of interest (GeoJSON, GeoPackage, zipped "
                     "Shapefile) to split into grid cells over the imagery tiles. Each photo or cell is a task.")
