"""Safe reading of uploaded ZIP files (photos for the damage kind, PDFs for transcription).

A member is never extracted to disk: it is read into memory with a cap, whatever size its header
declares. Members with absolute or ".." paths, too large or too compressed (a zip bomb) are
reported per member and left out; an archive that cannot be used at all raises ArchiveError.
"""
import io
import os
import re
import stat
import struct
import zipfile
import zlib

from flask_babel import gettext as _

MAX_RATIO = 100  # documents and photos barely compress; a member expanding 100-fold is a zip bomb
RATIO_FROM = 1_000_000  # ...but tiny members may compress well for honest reasons
# ...and many tiny members together (thousands of 1 MB members of zeros) are a zip bomb all the same.
TOTAL_RATIO_FROM = 10_000_000
# What zipfile raises for a hostile or broken archive: besides BadZipFile, a corrupt deflate stream
# (zlib.error), a forged offset ("negative seek", ValueError), a forged version (NotImplementedError),
# a name that is not UTF-8 (UnicodeDecodeError, a ValueError), a member encrypted (RuntimeError).
BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError, ValueError,
          RuntimeError, NotImplementedError)


class ArchiveError(ValueError):
    """An upload that cannot be used at all; the message is meant for the organiser."""


def is_zip(filename, data):
    return data[:4] == b"PK\x03\x04" or (filename or "").lower().endswith(".zip")


def display_name(filename):
    return os.path.basename((filename or "").replace("\\", "/")) or "upload"


def error(line, name, message):
    return {"line": line, "file": name[:200], "message": message}


def mb(n):
    return f"{n / 1_000_000:,.0f}" if n >= 10_000_000 else f"{n / 1_000_000:.3g}"


def is_link(member):
    """A symbolic link stored in the zip (Unix mode in the high bytes of external_attr)."""
    return member.create_system == 3 and stat.S_ISLNK(member.external_attr >> 16)


def unsafe(path):
    """An absolute path, a drive letter or a ".." part: never to be trusted as a place to write."""
    path = path.replace("\\", "/")
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:", path)) or ".." in path.split("/")


def read_members(filename, data, max_files, max_bytes, max_total, bomb_message=None):
    """The members of a ZIP worth reading, as ([(line, path, bytes)], errors).

    `line` is the 1-based position of the member in the archive; errors are
    [{"line", "file", "message"}]. Directories, __MACOSX and dotfiles are skipped silently.
    Raises ArchiveError for a broken archive, more than `max_files` members, or more than
    `max_total` bytes once unzipped (declared or actually read)."""
    name = display_name(filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except BROKEN as exc:
        raise ArchiveError(_("%(name)s is not a valid zip file.", name=name)) from exc
    out, errors, wanted = [], [], []
    for line, member in enumerate(members, start=1):
        path = member.filename.replace("\\", "/")
        parts = path.split("/")
        if unsafe(path):
            errors.append(error(line, path, _("unsafe path (absolute or with ..): not extracted.")))
        elif is_link(member):
            errors.append(error(line, path, _("a link to another file (unsafe): not extracted.")))
        elif not (member.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts if p)):
            wanted.append((line, member))
    if len(wanted) > max_files:
        raise ArchiveError(_("%(name)s holds %(count)d files: upload at most %(max)d at a time.",
                             name=name, count=len(wanted), max=max_files))
    if sum(m.file_size for _line, m in wanted) > max_total:
        raise ArchiveError(_("%(name)s is larger than %(max)s MB once unzipped.", name=name, max=mb(max_total)))
    total = 0
    for line, member in wanted:
        shown = member.filename
        if member.file_size > max_bytes:
            errors.append(error(line, shown, _("larger than %(max)s MB.", max=mb(max_bytes))))
            continue
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            errors.append(error(line, shown, bomb_message or _("compressed suspiciously well (a zip bomb?).")))
            continue
        try:
            with archive.open(member) as src:
                blob = src.read(max_bytes + 1)  # never trust the declared size
        except BROKEN:
            errors.append(error(line, shown, _("cannot be unzipped (damaged or encrypted).")))
            continue
        if len(blob) > max_bytes:
            errors.append(error(line, shown, _("larger than %(max)s MB.", max=mb(max_bytes))))
            continue
        total += len(blob)
        if total > max_total:
            raise ArchiveError(_("%(name)s is larger than %(max)s MB once unzipped.", name=name, max=mb(max_total)))
        if total > TOTAL_RATIO_FROM and total > MAX_RATIO * len(data):
            raise ArchiveError(_("%(name)s expands more than %(ratio)d-fold once unzipped: a zip bomb? Photos "
                                 "and documents barely compress.", name=name, ratio=MAX_RATIO))
        out.append((line, member.filename, blob))
    return out, errors


def safe_name(name, default="file"):
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")[-100:]
    return name or default


def unique(name, used):
    stem, ext = os.path.splitext(name)
    candidate, n = name, 1
    while candidate.lower() in used:
        n += 1
        candidate = f"{stem}-{n}{ext}"
    used.add(candidate.lower())
    return candidate
