"""Aerial and drone photos uploaded in bulk for the damage kind: safe unzipping, position, clean copies.

Volunteers only ever see `clean_copy` output (no EXIF: the position is stored separately, and
re-encoding also drops anything else a camera or phone wrote into the file).
"""
import io
import math
import os
import re
import warnings
from fractions import Fraction

from flask_babel import gettext as _
from PIL import ExifTags, Image, ImageOps, TiffImagePlugin

from citizen.ingest import archives

FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PHOTO_BYTES = 25_000_000  # one photo, in a ZIP or alone
DRAFT_SHARE = 0.9  # a copy may come out this share of max_side when a JPEG decodes much cheaper at a reduced scale
_GPS = ExifTags.IFD.GPSInfo
_ORIENTATION = 0x0112


class PhotoError(ValueError):
    """An upload that cannot be used at all; the message is meant for the organiser."""


def photos_from_upload(filename, data, max_files=2000, max_bytes=MAX_PHOTO_BYTES, max_total=2_000_000_000):
    """Split an upload (one JPEG/PNG/WebP photo, or a ZIP of them) into photos.

    Returns (photos, errors): photos as [(name, bytes)], names being base names sanitised to
    [A-Za-z0-9._-] and made unique; errors as [{"line", "file", "message"}] where line is the 1-based
    position of the member in the zip. Directories, __MACOSX and dotfiles are skipped; members with
    absolute or ".." paths, too large, too compressed or not an image are reported and left out.
    Raises PhotoError when the upload itself is unusable (not a photo, broken zip, too many files,
    too large in total).
    """
    name = archives.display_name(filename)
    if not archives.is_zip(filename, data):
        if len(data) > max_bytes:
            raise PhotoError(_("%(name)s is larger than %(max)s MB.", name=name, max=_mb(max_bytes)))
        problem = _image_problem(data)
        if problem:
            raise PhotoError(_("%(name)s: %(problem)s", name=name, problem=problem))
        return [(_unique(_safe_name(name), set()), data)], []
    try:
        members, errors = archives.read_members(filename, data, max_files, max_bytes, max_total,
                                                bomb_message=_("compressed suspiciously well: not a photo."))
    except archives.ArchiveError as exc:
        raise PhotoError(str(exc)) from exc
    photos, used = [], set()
    for line, path, blob in members:
        problem = _image_problem(blob)
        if problem:
            errors.append(_error(line, path, problem))
            continue
        photos.append((_unique(_safe_name(os.path.basename(path.replace("\\", "/"))), used), blob))
    return photos, sorted(errors, key=lambda e: e["line"])


_error, _mb = archives.error, archives.mb


def photo_tasks(filename, data, media):
    """An upload of photos (one, or a ZIP of them) as tasks of a photo kind: ([(line, name, payload)], errors[,
    warnings]) as Kind.tasks_from_upload returns them. Each photo is re-encoded without its EXIF (clean_copy) and
    saved through `media` (a citizen.storage.media.MediaStore); the payload is {"image_url", "width", "height",
    "name"} and the photo's GPS position ("lat", "lon") when it has one. Raises PhotoError when the upload is
    unusable."""
    files, errors = photos_from_upload(filename, data)
    rows = []
    for i, (name, blob) in enumerate(files):
        try:
            info = read_photo(blob)
            clean, width, height = clean_copy(blob)
        except PhotoError as exc:  # decoded once, yet cannot be re-encoded (damaged EXIF...)
            errors.append({"line": i + 1, "file": name, "message": str(exc)})
            continue
        payload = {"image_url": media.save(name.rsplit(".", 1)[0] + ".jpg", clean), "width": width,
                   "height": height, "name": name}
        if info.get("lat") is not None:
            payload.update(lat=info["lat"], lon=info["lon"])
        rows.append((i + 1, name, payload))
    report = [{"line": e["line"], "message": f"{e.get('file', '')}: {e['message']}"} for e in errors]
    # A drone's card holds more than photos (Thumbs.db, flight logs, .SRT subtitles, videos): what is not a
    # photo is left out and listed, the photos are imported. Only when nothing is a photo is it an error.
    return (rows, [], report) if rows else (rows, report)


def _image_problem(data):
    """None for a JPEG, PNG or WebP Pillow can decode, else a plain reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                if fmt == "JPEG":
                    img.draft("RGB", (256, 256))  # decode at 1/8 scale: cheap, still catches a truncated file
                img.load()  # so that clean_copy later cannot fail on an accepted photo
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _("the picture has too many pixels.")
    except Exception:  # Pillow raises many kinds of errors for a file that is not a picture
        return _("not a photo (JPEG, PNG or WebP) that can be opened.")
    if fmt not in FORMATS:
        return _("a %(format)s picture: upload JPEG, PNG or WebP.", format=fmt)
    return None


def _safe_name(name):
    return archives.safe_name(name, "photo")


_unique = archives.unique


def _open(data):
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in FORMATS:
            raise PhotoError(_("Upload a JPEG, PNG or WebP photo."))
        return img
    except PhotoError:
        raise
    except Exception as exc:
        raise PhotoError(_("This file is not a photo that can be opened.")) from exc


def read_photo(data):
    """Size and position of a photo: {"width", "height", "lat", "lon"}.

    Width and height are as displayed (EXIF orientation applied). lat/lon come from the EXIF GPS tags
    (degrees, minutes, seconds; S and W negative) and are None when absent, invalid or exactly 0, 0
    (what some cameras write without a fix). Raises PhotoError for data that is not a photo.
    """
    img = _open(data)
    with img:
        width, height = img.size
        try:  # a damaged EXIF block (Pillow raises SyntaxError, struct.error...) is as good as none
            exif = img.getexif()
            orientation = exif.get(_ORIENTATION)
        except Exception:
            exif, orientation = None, None
        if orientation in (5, 6, 7, 8):  # rotated a quarter turn: exif_transpose swaps the sides
            width, height = height, width
        try:
            gps = exif.get_ifd(_GPS) if exif is not None else {}
        except Exception:
            gps = {}
        taken = _taken(exif)
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S", 90)
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        lat = lon = None
    return {"width": width, "height": height, "lat": lat, "lon": lon, "taken": taken}


_TAKEN = re.compile(r"^[0-9]{4}:[0-9]{2}:[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")


def _taken(exif):
    """When the photo was taken, as its camera wrote it ("2026:12:07 10:15:00", local time), or None."""
    try:
        value = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) if exif is not None else None
        value = value or (exif.get(ExifTags.Base.DateTime) if exif is not None else None)
    except Exception:  # a damaged EXIF block
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    value = value.strip("\x00 ") if isinstance(value, str) else None
    return value if value and _TAKEN.match(value) else None


def _degrees(dms, ref, positive, negative, limit):
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not isinstance(ref, str):  # a forged tag of another type
        return None
    ref = ref.strip("\x00 ").upper()
    if ref not in (positive, negative):
        return None
    try:
        values = [float(v) for v in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if len(values) != 3 or not all(math.isfinite(v) and v >= 0 for v in values):
        return None
    value = values[0] + values[1] / 60 + values[2] / 3600
    if value > limit:
        return None
    return -value if ref == negative else value


def checked_copy(data, max_side=2048, max_bytes=MAX_PHOTO_BYTES, gps=None):
    """One uploaded picture (not a ZIP), checked as an import checks each photo (size, a picture Pillow decodes, no
    decompression bomb), then `clean_copy`. Raises PhotoError saying what is wrong."""
    if len(data) > max_bytes:
        raise PhotoError(_("The picture is larger than %(max)s MB.", max=_mb(max_bytes)))
    problem = _image_problem(data)
    if problem:
        raise PhotoError(_("The picture cannot be used: %(why)s", why=problem))
    return clean_copy(data, max_side, gps)


def clean_copy(data, max_side=2048, gps=None):
    """Re-encode a photo as a JPEG (quality 85) without any metadata, upright and at most `max_side` px; with
    `gps` = (lat, lon), the only metadata kept is that position (a field campaign's photos keep where they were
    taken, nothing else: no camera serial, no time, no thumbnail of the uncropped original).

    Returns (jpeg_bytes, width, height). Raises PhotoError for data that cannot be decoded.
    """
    img = _open(data)
    try:
        with img:
            if img.format == "JPEG":
                # Decode at a reduced scale (1/2, 1/4, 1/8) whenever that still gives DRAFT_SHARE of the size wanted:
                # a 12 MP phone photo wanted at 2048 px decodes at 2016 px, a quarter of the memory and time of a
                # full decode (asking for the size wanted itself would decode it whole: 1512 < 1536).
                w, h = img.size
                share = min(1.0, max_side / max(w, h)) * DRAFT_SHARE
                img.draft("RGB", (max(1, int(w * share)), max(1, int(h * share))))
            upright = ImageOps.exif_transpose(img, in_place=True) or img  # no copy of an upright photo
            upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            if upright.mode in ("RGBA", "LA", "P", "PA"):
                rgba = upright.convert("RGBA")
                upright = Image.new("RGB", rgba.size, "white")
                upright.paste(rgba, mask=rgba.getchannel("A"))
            elif upright.mode != "RGB":
                upright = upright.convert("RGB")
            upright.info = {}  # Pillow carries a JPEG comment over from .info; exif/icc/xmp only when passed
            out = io.BytesIO()
            extra = {"exif": _gps_exif(*gps)} if gps else {}
            upright.save(out, "JPEG", quality=85, optimize=True, **extra)
            return out.getvalue(), upright.width, upright.height
    except PhotoError:
        raise
    except Exception as exc:
        raise PhotoError(_("This photo is damaged and cannot be decoded.")) from exc


def _gps_exif(lat, lon, exif=None):
    exif = exif if exif is not None else Image.Exif()
    exif[_GPS] = {
        ExifTags.GPS.GPSVersionID: b"\x02\x03\x00\x00",
        ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
        ExifTags.GPS.GPSLatitude: _dms(abs(lat)),
        ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
        ExifTags.GPS.GPSLongitude: _dms(abs(lon)),
    }
    return exif


def with_gps(jpeg_bytes, lat, lon, taken=None):
    """The same JPEG with EXIF GPS tags for lat/lon (and DateTimeOriginal `taken`, "YYYY:MM:DD HH:MM:SS"), for demo
    data and tests; re-encoded at quality 95."""
    img = _open(jpeg_bytes)
    with img:
        img.load()
        exif = _gps_exif(lat, lon, img.getexif())
        if taken:
            exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: taken}
        out = io.BytesIO()
        img.convert("RGB").save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def _dms(value):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round((value - degrees - minutes / 60) * 3600 * 10_000), 10_000)
    return (TiffImagePlugin.IFDRational(degrees, 1), TiffImagePlugin.IFDRational(minutes, 1),
            TiffImagePlugin.IFDRational(seconds.numerator, seconds.denominator))
