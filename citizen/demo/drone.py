"""Drone photos of the demo's town: houses graded on the damage scale."""
import io
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from citizen.demo.tiles import DAMAGE_LEVELS, _fbm, _lerp, _shift


# ---------------------------------------------------------------------------------------------- drone photos

_WALLS = [(232, 222, 200), (222, 204, 176), (240, 236, 228), (206, 188, 164), (226, 212, 192), (214, 196, 184)]
_PITCHED = [(172, 86, 60), (152, 72, 52), (188, 104, 70), (124, 74, 56), (100, 104, 112)]
_DEBRIS = [(150, 146, 140), (178, 172, 162), (122, 118, 112), (166, 100, 74), (198, 186, 162), (112, 86, 64),
           (92, 90, 88), (206, 200, 190)]
_CARS = [(200, 200, 204), (30, 32, 36), (150, 24, 28), (40, 70, 130), (220, 220, 214), (110, 112, 116),
         (180, 150, 60)]


def _fragment(d, rnd, x, y, r, colour, shadow=True):
    n, a0 = rnd.randint(3, 6), rnd.uniform(0, 2 * math.pi)
    pts = [(x + r * rnd.uniform(0.45, 1) * math.cos(a0 + 2 * math.pi * i / n),
            y + 0.8 * r * rnd.uniform(0.45, 1) * math.sin(a0 + 2 * math.pi * i / n)) for i in range(n)]
    if shadow:
        d.polygon([(px + 0.25 * r, py + 0.3 * r) for px, py in pts], fill=(48, 44, 40))
    d.polygon(pts, fill=colour)


def _crack(d, rnd, x, y, angle, length, width, colour, bounds=None, branch=True):
    """A jagged crack that wanders from (x, y) and stops at the edge of bounds (x0, y0, x1, y1)."""
    pts = [(x, y)]
    for _ in range(max(2, int(length / 9))):
        angle += rnd.uniform(-0.7, 0.7)
        x, y = x + 9 * math.cos(angle), y + 9 * math.sin(angle)
        if bounds and not (bounds[0] < x < bounds[2] and bounds[1] < y < bounds[3]):
            break
        pts.append((x, y))
        if branch and rnd.random() < 0.15:
            _crack(d, rnd, x, y, angle + rnd.choice([-1, 1]) * 0.9, length * 0.35, max(1, width - 1), colour,
                   bounds, False)
    if len(pts) > 1:
        d.line(pts, fill=colour, width=width, joint="curve")


def _rubble(d, rnd, box, count, k, palette, weight=1.0):
    """Fragments scattered in the ellipse inscribed in box, denser and bigger towards its centre."""
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    for _ in range(count):
        a, r = rnd.uniform(0, 2 * math.pi), math.sqrt(rnd.random()) ** 1.4
        size = k * rnd.uniform(2, 7) * (1 + 2.5 * weight * (1 - r) * rnd.random() ** 2)
        colour = _shift(rnd.choice(palette), rnd.uniform(0.75, 1.15), rnd, 8)
        _fragment(d, rnd, cx + rx * r * math.cos(a), cy + ry * r * math.sin(a), size, colour)


def _house_plan(rnd, W, H, n, street_top):
    slot = W * 0.94 / n
    plans = []
    for i in range(n):
        w = min(slot * rnd.uniform(0.62, 0.84), 0.34 * W)
        x0 = W * 0.03 + slot * i + rnd.uniform(0, slot - w)
        storeys = rnd.choice([1, 1, 2, 2, 3])
        wall_h = (0.045 + 0.045 * storeys) * H
        yb = street_top - 0.035 * H - rnd.uniform(0.02, 0.07) * H
        depth = min(rnd.uniform(0.2, 0.3) * H, max(0.14 * H, 1.15 * w))
        top = max(0.03 * H, yb - wall_h - depth)
        plans.append({"x0": x0, "x1": x0 + w, "top": top, "eave": yb - wall_h, "yb": yb, "storeys": storeys,
                      "roof": rnd.choice(["gable", "hip", "flat", "flat", "gable"]),
                      "roof_col": _shift(rnd.choice(_PITCHED), 1, rnd, 10), "wall": rnd.choice(_WALLS)})
    return plans


def _draw_house(d, rnd, p, k):
    x0, x1, top, eave, yb = p["x0"], p["x1"], p["top"], p["eave"], p["yb"]
    d.rectangle([x0 + 4 * k, eave, x1 - 4 * k, yb], fill=p["wall"])
    d.rectangle([x0 + 4 * k, yb - 5 * k, x1 - 4 * k, yb], fill=_shift(p["wall"], 0.8))  # plinth
    floor_h = (yb - eave) / p["storeys"]
    cols = max(2, int((x1 - x0) / (70 * k)))
    for s in range(p["storeys"]):
        for c in range(cols):
            wx = x0 + (x1 - x0) * (c + 0.5) / cols
            wy = eave + floor_h * (s + 0.3)
            if s == p["storeys"] - 1 and c == cols // 2:
                d.rectangle([wx - 11 * k, yb - floor_h * 0.72, wx + 11 * k, yb], fill=(96, 64, 44))  # door
                continue
            d.rectangle([wx - 13 * k, wy, wx + 13 * k, wy + floor_h * 0.42], fill=(236, 236, 232))
            d.rectangle([wx - 11 * k, wy + 2 * k, wx + 11 * k, wy + floor_h * 0.42 - 2 * k], fill=(54, 66, 80))
    col = p["roof_col"]
    if p["roof"] == "flat":
        grey = _shift((176, 174, 168), 1, rnd, 12)
        d.rectangle([x0, top, x1, eave], fill=_shift(grey, 1.08))
        d.rectangle([x0 + 6 * k, top + 6 * k, x1 - 6 * k, eave - 6 * k], fill=grey)
        tx, ty = x0 + (x1 - x0) * rnd.uniform(0.15, 0.4), top + (eave - top) * rnd.uniform(0.25, 0.6)
        d.ellipse([tx - 16 * k, ty - 16 * k, tx + 16 * k, ty + 16 * k], fill=(236, 236, 232), outline=(150, 150, 150))
        sx, sy = x0 + (x1 - x0) * rnd.uniform(0.5, 0.7), top + (eave - top) * rnd.uniform(0.2, 0.5)
        d.rectangle([sx, sy, sx + 60 * k, sy + 34 * k], fill=(40, 50, 72), outline=(180, 180, 184), width=2)
        for i in range(1, 4):
            d.line([(sx + 15 * k * i, sy), (sx + 15 * k * i, sy + 34 * k)], fill=(120, 126, 140))
        return
    ridge, inset = top + (eave - top) * 0.42, 0
    if p["roof"] == "gable":
        faces = [([(x0, top), (x1, top), (x1, ridge), (x0, ridge)], 1.1),
                 ([(x0, ridge), (x1, ridge), (x1, eave + 3 * k), (x0, eave + 3 * k)], 0.9)]
    else:
        inset = min((eave - top) * 0.45, 0.4 * (x1 - x0))
        faces = [([(x0, top), (x1, top), (x1 - inset, ridge), (x0 + inset, ridge)], 1.1),
                 ([(x0 + inset, ridge), (x1 - inset, ridge), (x1, eave + 3 * k), (x0, eave + 3 * k)], 0.9),
                 ([(x0, top), (x0 + inset, ridge), (x0, eave + 3 * k)], 1.0),
                 ([(x1, top), (x1 - inset, ridge), (x1, eave + 3 * k)], 0.78)]
    for pts, f in faces:
        d.polygon(pts, fill=_shift(col, f))
    step = max(4, int(8 * k))
    for y in np.arange(top + step, eave, step):  # tile courses
        d.line([(x0 + 2, y), (x1 - 2, y)], fill=_shift(col, 0.8 if y > ridge else 0.9), width=1)
    d.line([(x0, ridge), (x1, ridge)] if p["roof"] == "gable" else [(x0 + inset, ridge), (x1 - inset, ridge)],
           fill=_shift(col, 1.25), width=max(2, int(4 * k)))


def _damage_house(d, rnd, p, level, k):
    x0, x1, top, eave, yb = p["x0"], p["x1"], p["top"], p["eave"], p["yb"]
    w = x1 - x0
    roof_palette = [p["roof_col"], _shift(p["roof_col"], 0.8)] if p["roof"] != "flat" else [(176, 174, 168)]
    palette = _DEBRIS * 2 + roof_palette * 2 + [p["wall"]] * 3
    roof_box, wall_box = (x0 + 2, top + 2, x1 - 2, eave - 2), (x0 + 6 * k, eave + 2, x1 - 6 * k, yb - 2)
    box = [x0, top, x1, yb]
    if level == 3:
        heap = [x0 - 0.06 * w, top + 0.25 * (eave - top), x1 + 0.06 * w, yb + 0.07 * (yb - top)]
        hx, hy = (heap[0] + heap[2]) / 2, (heap[1] + heap[3]) / 2
        rx, ry = (heap[2] - heap[0]) / 2, (heap[3] - heap[1]) / 2
        outline = [(hx + rx * rnd.uniform(0.85, 1.05) * math.cos(a), hy + ry * rnd.uniform(0.8, 1.05) * math.sin(a))
                   for a in np.linspace(0, 2 * math.pi, 24, endpoint=False)]
        d.polygon(outline, fill=(150, 142, 130))
        for f, col in ((0.75, (160, 152, 140)), (0.5, (172, 164, 150))):  # the heap is lit on top
            d.polygon([(hx + (x - hx) * f - 0.08 * rx, hy + (y - hy) * f - 0.1 * ry) for x, y in outline], fill=col)
        for _ in range(int(w * (yb - top) / (25 * k * k))):  # dust and gravel
            a, r = rnd.uniform(0, 2 * math.pi), math.sqrt(rnd.random())
            _fragment(d, rnd, hx + rx * r * math.cos(a), hy + ry * r * math.sin(a), rnd.uniform(1.5, 3.5) * k,
                      _shift(rnd.choice(_DEBRIS), rnd.uniform(0.8, 1.1)), False)
        for side in rnd.sample([0, 1], rnd.randint(1, 2)):  # a wall stub still standing
            sx = x0 + 4 * k if side == 0 else x1 - 4 * k - w * 0.3
            stub_top = [(sx + w * 0.3 * f, yb - (yb - eave) * rnd.uniform(0.3, 0.9)) for f in np.linspace(0, 1, 6)]
            d.polygon(stub_top + [(sx + w * 0.3, yb), (sx, yb)], fill=_shift(p["wall"], 0.92))
        _rubble(d, rnd, heap, int(w * (yb - top) / (110 * k * k)), k, palette, 1.2)
        for _ in range(rnd.randint(6, 12)):  # voids, broken beams, bent rebar
            vx, vy = hx + rnd.uniform(-0.7, 0.7) * rx, hy + rnd.uniform(-0.6, 0.6) * ry
            _fragment(d, rnd, vx, vy, rnd.uniform(4, 10) * k, (42, 38, 34), False)
            if rnd.random() < 0.5:
                a, ln = rnd.uniform(0, math.pi), rnd.uniform(20, 50) * k
                d.line([(vx, vy), (vx + ln * math.cos(a), vy + ln * math.sin(a))], fill=(110, 80, 54),
                       width=max(2, int(rnd.uniform(3, 5) * k)))
            _crack(d, rnd, vx, vy, rnd.uniform(0, 6.3), rnd.uniform(20, 50) * k, 1, (56, 48, 42), branch=False)
        for _ in range(rnd.randint(2, 4)):  # slabs of roof or floor, tilted, lying on top
            cx, cy = hx + rnd.uniform(-0.55, 0.55) * rx, hy + rnd.uniform(-0.55, 0.45) * ry
            sw, sh, a = rnd.uniform(0.07, 0.15) * w, rnd.uniform(0.05, 0.1) * w, rnd.uniform(-0.6, 0.6)
            pts = [(cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a))
                   for dx, dy in ((-sw, -sh), (sw, -sh * rnd.uniform(0.5, 1)), (sw, sh), (-sw * 0.8, sh))]
            d.polygon([(x + 5 * k, y + 6 * k) for x, y in pts], fill=(50, 46, 42))
            d.polygon(pts, fill=_shift(rnd.choice(roof_palette + [(168, 166, 160)]), rnd.uniform(0.8, 1.1)))
            _crack(d, rnd, *pts[0], a + 0.4, sw, max(1, int(2 * k)), (70, 64, 58), branch=False)
        for _ in range(rnd.randint(3, 7)):  # belongings: cloth, plastic
            _fragment(d, rnd, hx + rnd.uniform(-0.7, 0.7) * rx, hy + rnd.uniform(-0.6, 0.6) * ry, rnd.uniform(4, 9) * k,
                      rnd.choice([(40, 80, 160), (170, 40, 40), (50, 130, 70), (210, 180, 50), (230, 230, 230)]))
        return [heap[0], heap[1], heap[2], heap[3]]
    for _ in range(rnd.randint(2, 4) if level else 0):  # cracks across the roof and the wall
        _crack(d, rnd, rnd.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rnd.uniform(top, eave), rnd.uniform(0, 6.3),
               rnd.uniform(60, 160) * k, max(1, int(2.5 * k)), (52, 46, 42), roof_box)
        _crack(d, rnd, rnd.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rnd.uniform(eave + 5, yb - 5), rnd.uniform(0.8, 2.3),
               rnd.uniform(40, 90) * k, max(1, int(2 * k)), (80, 72, 64), wall_box)
    for _ in range(rnd.randint(3, 6) if level == 1 else 0):  # missing tiles or spalled patches
        mx, my = rnd.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rnd.uniform(top + 0.1 * (eave - top), eave - 10 * k)
        mw, mh = rnd.uniform(14, 34) * k, rnd.uniform(10, 22) * k
        d.polygon([(mx, my), (mx + mw, my + rnd.uniform(-3, 3) * k), (mx + mw * 0.9, my + mh), (mx - 2 * k, my + mh)],
                  fill=(70, 52, 40) if p["roof"] != "flat" else (120, 116, 108))
        d.line([(mx + mw * 0.3, my), (mx + mw * 0.3, my + mh)], fill=(140, 104, 68), width=max(1, int(2 * k)))
    if level == 2:  # one side of the house has come down
        left = rnd.random() < 0.5
        frac = rnd.uniform(0.3, 0.55)
        edge_x = x0 + w * frac if left else x1 - w * frac
        cut = [(edge_x + rnd.uniform(-0.06, 0.06) * w, y) for y in np.linspace(top - 2, yb - (yb - eave) * 0.3, 7)]
        outer = x0 - 2 if left else x1 + 2
        section = cut + [(outer, yb - (yb - eave) * 0.25), (outer, top - 2)]
        d.polygon(section, fill=(70, 62, 54))
        sx0, sx1 = (outer, edge_x) if left else (edge_x, outer)
        _rubble(d, rnd, [sx0 - 0.05 * w, top, sx1 + 0.05 * w, yb], int(abs(sx1 - sx0) * (yb - top) / (60 * k * k)), k,
                palette, 1.0)
        for _ in range(rnd.randint(3, 6)):  # broken rafters hanging into the hole
            y = rnd.uniform(top, eave)
            x = edge_x + rnd.uniform(-8, 8) * k
            d.line([(x, y), (x + (-1 if left else 1) * rnd.uniform(30, 80) * k, y + rnd.uniform(10, 60) * k)],
                   fill=(112, 80, 52), width=max(2, int(5 * k)))
        d.line(cut, fill=(206, 200, 190), width=max(1, int(3 * k)))
        spill = [sx0 - 0.1 * w, yb - 0.05 * (yb - top), sx1 + 0.1 * w, yb + 0.12 * (yb - top)]
        _rubble(d, rnd, spill, int(abs(sx1 - sx0) * 0.25 * (yb - top) / (60 * k * k)) + 20, k, palette, 0.6)
        box = [min(box[0], spill[0]), top, max(box[2], spill[2]), spill[3]]
    elif level == 1:  # fallen tiles and plaster at the foot of the wall
        _rubble(d, rnd, [x0, yb - 6 * k, x1, yb + 0.05 * (yb - top)], rnd.randint(15, 35), k * 0.6, palette, 0.2)
    return box


def _tree(d, rnd, x, y, r):
    base = _shift(rnd.choice([(56, 86, 40), (70, 100, 44), (48, 76, 38), (84, 104, 50)]), 1, rnd, 8)
    for i in range(rnd.randint(7, 12)):
        a, q = rnd.uniform(0, 2 * math.pi), rnd.uniform(0, 0.55) * r
        cx, cy, cr = x + q * math.cos(a), y + q * math.sin(a), r * rnd.uniform(0.35, 0.55)
        d.ellipse([cx - cr, cy - cr, cx + cr, cy + cr], fill=_shift(base, 0.75 + 0.1 * i / 4))
    for _ in range(rnd.randint(4, 7)):  # sunlit side, upper left
        a, q = rnd.uniform(2.6, 4.8), rnd.uniform(0.2, 0.6) * r
        cx, cy, cr = x + q * math.cos(a), y + q * math.sin(a), r * rnd.uniform(0.18, 0.32)
        d.ellipse([cx - cr, cy - cr, cx + cr, cy + cr], fill=_shift(base, rnd.uniform(1.15, 1.35)))


def _car(d, sd, rnd, x, y, k, heading):
    length, width = rnd.uniform(82, 96) * k, rnd.uniform(38, 42) * k
    col = rnd.choice(_CARS)
    sd.rounded_rectangle([x + 6 * k, y + 8 * k, x + length + 6 * k, y + width + 8 * k], radius=10 * k, fill=255)
    d.rounded_rectangle([x, y, x + length, y + width], radius=10 * k, fill=col)
    front = (x + length * 0.62, x + length * 0.78) if heading > 0 else (x + length * 0.22, x + length * 0.38)
    rear = (x + length * 0.12, x + length * 0.2) if heading > 0 else (x + length * 0.8, x + length * 0.88)
    for a, b in (front, rear):
        d.polygon([(a, y + 5 * k), (b, y + 4 * k), (b, y + width - 4 * k), (a, y + width - 5 * k)], fill=(36, 42, 52))
    a, b = sorted((front[0], rear[1])) if heading > 0 else sorted((front[1], rear[0]))
    d.rectangle([a + 3 * k, y + 7 * k, b - 3 * k, y + width - 7 * k], fill=_shift(col, 1.08))


def drone_photo(seed, damage, size=(1024, 768)):
    """A synthetic drone photo (JPEG bytes, no EXIF) of 2-5 houses along a street, and the houses' boxes.

    `damage` sets how damaged the worst house is: the house nearest the centre has exactly that level and the
    others the same or one level less. Boxes are pixel rectangles {"x", "y", "w", "h", "damage"}, left to right,
    clipped to the image. The same seed gives the same street at every damage level.
    """
    if damage not in DAMAGE_LEVELS:
        raise ValueError(f"unknown damage {damage!r}; expected one of {', '.join(DAMAGE_LEVELS)}")
    W, H = int(size[0]), int(size[1])
    if W < 160 or H < 120:
        raise ValueError("drone photos are at least 160x120 pixels")
    rnd, k, level = random.Random(seed), min(W / 1024, H / 768), DAMAGE_LEVELS.index(damage)
    mpp = 0.05 / k  # about 5 cm per pixel at 1024x768
    xs, ys = np.arange(W) * mpp + (seed % 997) * 100.0, np.arange(H) * mpp
    grass = _fbm(xs, ys, mpp, [(8, 1), (2.5, 0.7), (0.7, 0.5), (0.25, 0.4)], 201)
    img = _lerp((74, 102, 48), (132, 148, 78), 0.5 + 2 * grass)
    dirt = _fbm(xs, ys, mpp, [(4, 1), (1.5, 0.6)], 202) > 0.2
    img[dirt] = _lerp((120, 106, 80), (164, 146, 110), 0.5 + 3 * grass[dirt])
    street_top = int(H * rnd.uniform(0.64, 0.72))
    walk, lanes = int(0.035 * H), int(H * rnd.uniform(0.13, 0.16))
    fine = _fbm(xs, ys, mpp, [(1.5, 1), (0.4, 1), (0.15, 0.8)], 203)
    rows = slice(street_top, street_top + walk)
    img[rows] = _lerp((156, 152, 144), (190, 186, 178), 0.5 + 2 * fine[rows])
    rows = slice(street_top + walk, street_top + walk + lanes)
    img[rows] = _lerp((62, 64, 68), (104, 104, 106), 0.5 + 2.5 * fine[rows])
    rows = slice(street_top + walk + lanes, street_top + 2 * walk + lanes)
    img[rows] = _lerp((156, 152, 144), (190, 186, 178), 0.5 + 2 * fine[rows])
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    shade = Image.new("L", (W, H))
    sd = ImageDraw.Draw(shade)
    for y in (street_top, street_top + 2 * walk + lanes - 1):
        for x in range(0, W, int(48 * k)):
            d.line([(x, y), (x, y + walk)], fill=(140, 136, 128))
    for y in (street_top + walk, street_top + walk + lanes):
        d.line([(0, y), (W, y)], fill=(206, 204, 198), width=max(2, int(5 * k)))
    mid = street_top + walk + lanes // 2
    for x in range(int(rnd.uniform(0, 60) * k), W, int(110 * k)):
        d.rectangle([x, mid - 2 * k, x + 55 * k, mid + 2 * k], fill=(224, 222, 210))
    n = rnd.randint(2, 5)
    plans = _house_plan(rnd, W, H, n, street_top)
    main = min(range(n), key=lambda i: abs((plans[i]["x0"] + plans[i]["x1"]) / 2 - W / 2))
    levels = [level if i == main else max(0, level - rnd.choice([0, 0, 1])) for i in range(n)]
    for p, lv in zip(plans, levels):
        d.rectangle([(p["x0"] + p["x1"]) / 2 - 22 * k, p["yb"], (p["x0"] + p["x1"]) / 2 + 22 * k, street_top],
                    fill=(172, 164, 150))  # path to the door
        if lv == 3:  # a low heap casts a short shadow
            sd.ellipse([p["x0"] + 10 * k, p["top"] + 0.3 * (p["yb"] - p["top"]), p["x1"] + 22 * k, p["yb"] + 24 * k],
                       fill=180)
        else:
            drop = (p["yb"] - p["eave"]) * 0.45 + 14 * k
            sd.polygon([(p["x1"], p["top"]), (p["x1"] + drop, p["top"] + drop * 0.5),
                        (p["x1"] + drop, p["yb"] + drop * 0.5), (p["x0"] + drop, p["yb"] + drop * 0.5),
                        (p["x0"], p["yb"])], fill=255)
    trees = []
    for _ in range(rnd.randint(3, 8)):
        for _attempt in range(20):
            r = rnd.uniform(28, 62) * k
            x, y = rnd.uniform(0, W), rnd.uniform(0, street_top - r * 0.5)
            if all(not (p["x0"] - r * 0.6 < x < p["x1"] + r * 0.6 and p["top"] - r * 0.6 < y < p["yb"] + r * 0.6)
                   for p in plans):
                trees.append((x, y, r))
                break
    for x, y, r in trees:
        sd.ellipse([x - 0.5 * r, y - 0.65 * r, x + 1.5 * r, y + 1.35 * r], fill=255)
    cars = []
    for _ in range(rnd.randint(1, 4)):
        lane_y = street_top + walk + (lanes * 0.12 if rnd.random() < 0.5 else lanes * 0.55)
        x = rnd.uniform(-20, W - 80 * k)
        if all(abs(x - cx) > 110 * k or abs(lane_y - cy) > 10 for cx, cy in cars):
            cars.append((x, lane_y))
    arr = np.asarray(im, np.float32)
    arr *= (1 - 0.45 * np.asarray(shade.filter(ImageFilter.GaussianBlur(3 * k)), np.float32) / 255)[..., None]
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    shade = Image.new("L", (W, H))
    sd = ImageDraw.Draw(shade)
    boxes = []
    for i, (p, lv) in enumerate(zip(plans, levels)):
        hr = random.Random(seed * 131 + i * 7 + lv)
        if lv < 3:
            _draw_house(d, random.Random(seed * 131 + i), p, k)
        box = _damage_house(d, hr, p, lv, k)
        x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(W, box[2]), min(H, box[3])
        boxes.append({"x": int(x0), "y": int(y0), "w": int(x1 - x0), "h": int(y1 - y0), "damage": DAMAGE_LEVELS[lv]})
    for x, y, r in trees:
        _tree(d, random.Random(int(x * 7 + y)), x, y, r)
    for x, y in cars:
        _car(d, sd, rnd, x, y, k, rnd.choice([-1, 1]))
    arr = np.asarray(im, np.float32)
    arr *= (1 - 0.35 * np.asarray(shade.filter(ImageFilter.GaussianBlur(2 * k)), np.float32) / 255)[..., None]
    arr *= (1 + 0.35 * _fbm(xs, ys, mpp, [(0.5, 1), (0.2, 1), (0.1, 0.6)], 204))[..., None]  # grain of surfaces
    if level >= 2:  # dust settles on everything
        haze = 0.05 * level
        arr = arr * (1 - haze) + np.float32([196, 186, 168]) * haze
    yy, xx = np.mgrid[0:H, 0:W]
    vignette = 1 - 0.22 * (((xx - W / 2) / (W / 2)) ** 2 + ((yy - H / 2) / (H / 2)) ** 2) / 2
    arr = arr * vignette[..., None] * np.float32([1.02, 1.0, 0.96])
    arr += np.random.default_rng(seed % 2 ** 32).normal(0, 2.5, arr.shape).astype(np.float32)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.5 * k))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=88)
    return buf.getvalue(), boxes
