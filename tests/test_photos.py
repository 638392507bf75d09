"""Bulk photo uploads: safe unzipping, EXIF position, clean copies without metadata."""
import io
import zipfile

import pytest
from PIL import ExifTags, Image

from citizen.ingest.photos import PhotoError, clean_copy, photos_from_upload, read_photo, with_gps


def jpeg(width=64, height=48, color=(40, 120, 60), **save):
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG", **save)
    return buf.getvalue()


def png(width=32, height=32):
    buf = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 10, 10, 128)).save(buf, "PNG")
    return buf.getvalue()


def make_zip(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_with_good_photos_text_file_and_evil_path():
    data = make_zip([("flight 1/DJI_0001.JPG", jpeg()), ("notes.txt", b"hello"), ("../evil.jpg", jpeg()),
                     ("flight 1/roof (2).png", png())])
    photos, errors = photos_from_upload("drone.zip", data)
    assert [name for name, _ in photos] == ["DJI_0001.JPG", "roof_2_.png"]
    assert photos[0][1] == jpeg()
    assert [(e["line"], e["file"]) for e in errors] == [(2, "notes.txt"), (3, "../evil.jpg")]
    assert "not a photo" in errors[0]["message"] and "unsafe path" in errors[1]["message"]


def test_directories_macos_and_dotfiles_are_skipped():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("photos/"), b"")
        z.writestr("photos/a.jpg", jpeg())
        z.writestr("__MACOSX/photos/._a.jpg", b"resource fork")
        z.writestr("photos/.DS_Store", b"junk")
        z.writestr("/etc/passwd.jpg", jpeg())
    photos, errors = photos_from_upload("p.zip", buf.getvalue())
    assert [n for n, _ in photos] == ["a.jpg"]
    assert [(e["line"], e["file"]) for e in errors] == [(5, "/etc/passwd.jpg")]


def test_names_are_sanitised_and_unique():
    data = make_zip([("a/IMG 1.jpg", jpeg()), ("b/IMG 1.jpg", jpeg()), ("c/img_1.jpg", jpeg()), ("é.jpg", jpeg())])
    photos, errors = photos_from_upload("p.zip", data)
    assert errors == []
    assert [n for n, _ in photos] == ["IMG_1.jpg", "IMG_1-2.jpg", "img_1-3.jpg", "_.jpg"]


def test_single_photo_upload():
    photos, errors = photos_from_upload("My Photo.webp", _webp())
    assert [n for n, _ in photos] == ["My_Photo.webp"] and errors == []
    with pytest.raises(PhotoError, match="notes.txt"):
        photos_from_upload("notes.txt", b"not a photo")
    with pytest.raises(PhotoError, match="larger than"):
        photos_from_upload("big.jpg", jpeg(), max_bytes=100)


def _webp():
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(buf, "WEBP")
    return buf.getvalue()


def test_zip_bomb_members_are_refused():
    bomb = b"\0" * 30_000_000  # deflates to ~30 KB
    photos, errors = photos_from_upload("bomb.zip", make_zip([("a.jpg", jpeg()), ("bomb.jpg", bomb)]))
    assert [n for n, _ in photos] == ["a.jpg"]
    assert errors[0]["file"] == "bomb.jpg" and "larger than 25 MB" in errors[0]["message"]
    photos, errors = photos_from_upload("bomb.zip", make_zip([("bomb.jpg", b"\0" * 5_000_000)]))
    assert photos == [] and "compressed suspiciously well" in errors[0]["message"]


def test_member_lying_about_its_size_is_read_with_a_cap():
    data = bytearray(make_zip([("a.jpg", jpeg()), ("liar.jpg", b"\0" * 3_000_000)]))
    # Forge the declared sizes of the second member (local header and central directory) to 1,000 bytes.
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("liar.jpg")
    for offset in (info.header_offset + 22, data.rfind(b"PK\x01\x02") + 24):
        data[offset:offset + 4] = (1000).to_bytes(4, "little")
    photos, errors = photos_from_upload("liar.zip", bytes(data), max_bytes=2_000_000)
    assert [n for n, _ in photos] == ["a.jpg"]
    assert errors[0]["file"] == "liar.jpg"


def test_upload_level_limits():
    with pytest.raises(PhotoError, match="holds 3 files: upload at most 2"):
        photos_from_upload("p.zip", make_zip([(f"{i}.jpg", jpeg()) for i in range(3)]), max_files=2)
    with pytest.raises(PhotoError, match="once unzipped"):
        photos_from_upload("p.zip", make_zip([(f"{i}.jpg", jpeg()) for i in range(3)]), max_total=1000)
    with pytest.raises(PhotoError, match="not a valid zip"):
        photos_from_upload("p.zip", b"PK\x03\x04 broken")


@pytest.mark.parametrize("lat,lon", [(12.3456789, 45.6789012), (-33.8688197, 151.2092955),
                                     (40.7127753, -74.0059728), (-22.9068467, -43.1728965), (0.0000001, -179.9999999)])
def test_gps_round_trip(lat, lon):
    info = read_photo(with_gps(jpeg(), lat, lon))
    assert info["width"] == 64 and info["height"] == 48
    assert abs(info["lat"] - lat) < 1e-6 and abs(info["lon"] - lon) < 1e-6


def test_read_photo_without_or_with_bad_gps():
    assert read_photo(jpeg()) == {"width": 64, "height": 48, "lat": None, "lon": None, "taken": None}
    assert read_photo(png())["lat"] is None
    assert read_photo(with_gps(jpeg(), 0, 0))["lat"] is None  # a camera without a fix writes 0, 0
    img = Image.open(io.BytesIO(jpeg()))
    exif = img.getexif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "X", ExifTags.GPS.GPSLatitude: (1.0, 2.0, 3.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (1.0, 2.0, 3.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert read_photo(buf.getvalue())["lat"] is None
    with pytest.raises(PhotoError):
        read_photo(b"not a photo")


def test_read_photo_applies_orientation():
    img = Image.open(io.BytesIO(jpeg(64, 48)))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when displayed
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert (read_photo(buf.getvalue())["width"], read_photo(buf.getvalue())["height"]) == (48, 64)
    data, width, height = clean_copy(buf.getvalue())
    assert (width, height) == (48, 64) == Image.open(io.BytesIO(data)).size


def test_clean_copy_strips_metadata_and_downsizes():
    original = with_gps(jpeg(3000, 2000, comment=b"owner: Jane"), -3.4653, 29.3598)
    assert read_photo(original)["lat"] is not None
    data, width, height = clean_copy(original, max_side=1024)
    copy = Image.open(io.BytesIO(data))
    assert copy.format == "JPEG" and copy.size == (width, height) == (1024, 683)
    assert not copy.getexif() and not copy.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Exif" not in data and b"Jane" not in data and "comment" not in copy.info
    assert read_photo(data) == {"width": 1024, "height": 683, "lat": None, "lon": None, "taken": None}
    small, w, h = clean_copy(png(), max_side=1024)  # never upscaled; transparency flattened
    assert (w, h) == (32, 32) and Image.open(io.BytesIO(small)).mode == "RGB"
    with pytest.raises(PhotoError):
        clean_copy(jpeg()[:200])


def test_truncated_photo_in_a_zip_is_reported():
    photos, errors = photos_from_upload("p.zip", make_zip([("ok.jpg", jpeg()), ("cut.jpg", jpeg(400, 300)[:600])]))
    assert [n for n, _ in photos] == ["ok.jpg"]
    assert errors == [{"line": 2, "file": "cut.jpg", "message": "not a photo (JPEG, PNG or WebP) that can be opened."}]
