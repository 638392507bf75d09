"""Coordinates in the open data files rounded to what they can mean.

Positions are stored as the imports and the marks gave them (a float's 15 digits: nanometres on the ground). The
files carry LONLAT_DIGITS decimals of a degree (about 11 cm at the equator: finer than any imagery or phone GPS a
task came from) and PIXEL_DIGITS decimals of a pixel for marks on photos. Only the "coordinates" of geometries are
rounded; properties (support, agreement) stay as they are."""
LONLAT_DIGITS = 6
PIXEL_DIGITS = 1


def digits(crs):
    """Decimals kept for coordinates in this system ("lonlat" on a map, "pixel" on a photo)."""
    return PIXEL_DIGITS if crs == "pixel" else LONLAT_DIGITS


def _numbers(value, places):
    if isinstance(value, (list, tuple)):
        return [_numbers(v, places) for v in value]
    if isinstance(value, float):
        return round(value, places)
    return value


def rounded(obj, places=LONLAT_DIGITS):
    """A GeoJSON geometry, Feature or FeatureCollection (or None) with its coordinates rounded; a copy."""
    if isinstance(obj, list):
        return [rounded(o, places) for o in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for key, value in obj.items():
        if key == "coordinates":
            out[key] = _numbers(value, places)
        elif key in ("geometry", "features", "geometries"):
            out[key] = rounded(value, places)
        else:
            out[key] = value
    return out
