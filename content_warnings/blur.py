"""Blurred derivatives of images, and a measure of how much detail an image still has.

The derivative keeps only colour blobs: the image passes through a tiny thumbnail (``detail_px`` pixels on its
long side, 12 by default), is blurred there, scaled back up smoothly and blurred again (so no block edges
survive), then desaturated and darkened (blood and wounds lose their colour). It is re-encoded as a new JPEG, so
no EXIF (location, camera, orientation) or other metadata from the original comes along.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

#: Allowed long side of the tiny intermediate image, in pixels. At 24 a close-up face already shows its eyes
#: and mouth as dark blobs; 12 leaves only a pale oval.
MIN_DETAIL_PX, MAX_DETAIL_PX = 4, 24

_ORIENTATION_TAG = 0x0112
_SWAPS_SIDES = {5, 6, 7, 8}


class BlurError(ValueError):
    """The bytes are not an image Pillow can read."""


_DECODE_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def _open(image_bytes: bytes) -> Image.Image:
    """Open lazily (a JPEG can then be decoded at reduced scale); decoding errors become BlurError."""
    try:
        return Image.open(io.BytesIO(image_bytes))
    except _DECODE_ERRORS as exc:
        raise BlurError(f"not a readable image: {exc}") from None


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a neutral grey, whatever the mode (palette, alpha, 16-bit, CMYK)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _decode_upright(image: Image.Image, detail_px: int, max_side: int) -> tuple[Image.Image, tuple[int, int]]:
    """Decode (a JPEG at reduced scale), turn upright by its EXIF orientation, flatten to RGB; and the output size."""
    width, height = image.size
    try:
        orientation = image.getexif().get(_ORIENTATION_TAG)
    except Exception:  # a broken EXIF block is no reason to refuse the blur
        orientation = None
    if orientation in _SWAPS_SIDES:
        width, height = height, width
    out_size = _fit((width, height), min(max_side, max(width, height)))
    if image.format == "JPEG":
        image.draft("RGB", (detail_px * 8, detail_px * 8))  # decode at 1/2..1/8 scale: far less work
    image.load()
    if orientation in range(2, 9):
        image = ImageOps.exif_transpose(image)
    return _flatten(image), out_size


def blurred_derivative(image_bytes: bytes, *, detail_px: int = 12, max_side: int = 1024,
                       saturation: float = 0.35, brightness: float = 0.75, quality: int = 75) -> bytes:
    """A JPEG of ``image_bytes`` in which nothing graphic is recognisable.

    ``detail_px`` is the strength: the long side of the tiny image everything passes through (lower is stronger,
    4..24). The output keeps the original's aspect ratio and upright orientation; its size is the original's,
    capped at ``max_side`` on the long side. Raises :class:`BlurError` for unreadable input.
    """
    if not MIN_DETAIL_PX <= detail_px <= MAX_DETAIL_PX:
        raise ValueError(f"detail_px must be within {MIN_DETAIL_PX}..{MAX_DETAIL_PX}")
    image = _open(image_bytes)
    try:
        image, out_size = _decode_upright(image, detail_px, max_side)
    except _DECODE_ERRORS as exc:
        raise BlurError(f"not a readable image: {exc}") from None
    tiny = image.resize(_fit(image.size, detail_px), Image.Resampling.BOX)  # area average: no aliasing
    tiny = tiny.filter(ImageFilter.GaussianBlur(0.6))
    out = tiny.resize(out_size, Image.Resampling.BICUBIC)
    out = out.filter(ImageFilter.GaussianBlur(max(out_size) / detail_px / 2))
    out = ImageEnhance.Color(out).enhance(saturation)
    out = ImageEnhance.Brightness(out).enhance(brightness)
    buffer = io.BytesIO()
    out.save(buffer, "JPEG", quality=quality, optimize=True)  # a new image: no exif, icc or comment is copied
    return buffer.getvalue()


def _gray(image: "Image.Image | bytes | np.ndarray", size: tuple[int, int] | None) -> np.ndarray:
    if isinstance(image, np.ndarray):
        array = image.astype(np.float64)
        if array.ndim == 3:
            array = array[..., :3] @ np.array([0.299, 0.587, 0.114])
        if size is None:
            return array
        image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    if isinstance(image, (bytes, bytearray)):
        image = _open(bytes(image))
        image.load()
    gray = _flatten(image).convert("L")
    if size is not None and gray.size != size:
        gray = gray.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.float64)


def edge_energy(image: "Image.Image | bytes | np.ndarray", size: tuple[int, int] | None = None) -> float:
    """Mean absolute 4-neighbour Laplacian of the grayscale image (0..255 scale): how much sharp detail is left.

    Compare two images at the same ``size`` (pass one, or the sizes must already match).
    """
    g = _gray(image, size)
    if g.shape[0] < 3 or g.shape[1] < 3:
        return 0.0
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(np.abs(lap).mean())


def detail_similarity(original: "Image.Image | bytes | np.ndarray", derivative: "Image.Image | bytes | np.ndarray",
                      size: int = 64) -> float:
    """Correlation (-1..1) of the two images' fine detail (Laplacian) at ``size`` x ``size`` grayscale.

    A recogniser proxy: shapes, edges and features a person would recognise live in this band. 1 means the same
    detail, about 0 means none of the original's detail survives.
    """
    laps = []
    for image in (original, derivative):
        g = _gray(image, (size, size))
        laps.append((4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]).ravel())
    a, b = (lap - lap.mean() for lap in laps)
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator else 0.0
