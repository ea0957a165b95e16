#!/usr/bin/env python3
"""Hand computation of Colour Deconvolution 2 pixels from the formulas of imagej-reference.md §7,
independently of hemato (only Python's math module; cofactor inverse).

    python3 tests/goldens/color/hand_computed.py > tests/goldens/color/hand_computed.csv

Columns: stain set, third-colour rule, R, G, B, the 8-bit transmittance of colours 1-3, the
absorbance of colours 1-3 (decadic, printed with 9 significant digits), and the distance of each
255·exp(−s) from the nearest rounding boundary k + 0.5 (pixels closer than 1e-9 are not used).
"""
import math

SETS = {
    "Giemsa": [(0.834750233, 0.513556283, 0.196330403), (0.092789, 0.954111, 0.283111), None],
    "H&E": [(0.644211, 0.716556, 0.266844), (0.092789, 0.954111, 0.283111), None],
    "H&E DAB": [(0.650, 0.704, 0.286), (0.072, 0.990, 0.105), (0.268, 0.570, 0.776)],
    "H DAB": [(0.650, 0.704, 0.286), (0.268, 0.570, 0.776), None],
}

PIXELS = [
    (255, 255, 255),  # white background: no stain
    (0, 0, 0),  # black: every 0 is treated as 1
    (0, 128, 255),
    (240, 235, 230),  # smear background
    (230, 160, 170),  # red cell, pink
    (200, 120, 140),
    (90, 60, 150),  # nucleus, violet
    (60, 40, 110),
    (140, 100, 190),  # cytoplasm, blue
    (250, 150, 180),  # eosin
    (120, 200, 90),  # green: negative stain amounts
    (17, 201, 64),
    (1, 2, 3),
]


def normalise(v):
    length = math.sqrt(sum(c * c for c in v))
    return tuple(c / length for c in v) if length != 0 else (0.0, 0.0, 0.0)


def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def complement(a, b):
    return tuple(0.0 if a[c] ** 2 + b[c] ** 2 > 1 else math.sqrt(1 - a[c] ** 2 - b[c] ** 2) for c in range(3))


def inverse(m):
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    cof = [
        [e * i - f * h, -(b * i - c * h), b * f - c * e],
        [-(d * i - f * g), a * i - c * g, -(a * f - c * d)],
        [d * h - e * g, -(a * h - b * g), a * e - b * d],
    ]
    return [[cof[r][k] / det for k in range(3)] for r in range(3)]


def matrix(rows, third_rule):
    r1 = normalise(rows[0])
    r2 = normalise(rows[1])
    if rows[2] is not None:
        r3 = normalise(rows[2])
    else:
        r3 = normalise(cross(r1, r2) if third_rule == "cross" else complement(r1, r2))
    return [r1, r2, r3]


print("set,third,r,g,b,t1,t2,t3,a1,a2,a3,margin")
for name, rows in SETS.items():
    for third_rule in ("cross", "legacy"):
        if rows[2] is not None and third_rule == "legacy":
            continue
        q = inverse(matrix(rows, third_rule))
        for pixel in PIXELS:
            od = [-math.log(max(v, 1) / 255.0) for v in pixel]
            ad = [-math.log10(max(v, 1) / 255.0) for v in pixel]
            transmittance, absorbance, margins = [], [], []
            for i in range(3):
                s = sum(od[c] * q[c][i] for c in range(3))
                t = min(255.0 * math.exp(-s), 255.0)
                transmittance.append(int(math.floor(t + 0.5)))
                margins.append(abs((t + 0.5) - round(t + 0.5)) if t < 255.0 else 1.0)
                absorbance.append(sum(ad[c] * q[c][i] for c in range(3)))
            print(
                f"{name},{third_rule},{pixel[0]},{pixel[1]},{pixel[2]},"
                + ",".join(str(t) for t in transmittance)
                + ","
                + ",".join(f"{a:.9g}" for a in absorbance)
                + f",{min(margins):.3g}"
            )
