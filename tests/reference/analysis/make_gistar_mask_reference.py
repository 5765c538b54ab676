"""Reference for Gi* over a study area (a mask of grid cells), made by PySAL esda.

Run from this directory with esda and libpysal installed (versions in versions.json):

    python make_gistar_mask_reference.py

Two townships (a disc and an L shape) lie in a bounding box that is mostly empty land. The mask is
the cells whose centre lies inside a township. esda runs on the masked cells alone: their values,
their centres, a binary distance band among them (self included) — a neighbour outside the mask is
absent. For contrast it also runs on every cell of the bounding box. The Rust test in
crates/geo/tests/reference.rs compares `gistar_grid_masked` with the first and reads the second.
"""

import json
import warnings

import numpy as np

warnings.filterwarnings("ignore")

from esda.getisord import G_Local
from libpysal.weights import DistanceBand

rng = np.random.default_rng(20261205)

X0, Y0, CELL, COLS, ROWS = 400000.0, 3200000.0, 100.0, 80, 60


def centre(r, c):
    return X0 + (c + 0.5) * CELL, Y0 + (r + 0.5) * CELL


def in_disc(x, y):
    return (x - (X0 + 1500)) ** 2 + (y - (Y0 + 4200)) ** 2 <= 1300.0 ** 2


def in_l(x, y):
    a = (X0 + 5000 <= x <= X0 + 7600) and (Y0 + 600 <= y <= Y0 + 1800)
    b = (X0 + 6400 <= x <= X0 + 7600) and (Y0 + 600 <= y <= Y0 + 4000)
    return a or b


mask = [in_disc(*centre(r, c)) or in_l(*centre(r, c)) for r in range(ROWS) for c in range(COLS)]

# Incidents only where people are: a background over each township and two clusters.
pts = []
while len(pts) < 2500:
    x, y = X0 + rng.random() * COLS * CELL, Y0 + rng.random() * ROWS * CELL
    if in_disc(x, y) or in_l(x, y):
        pts.append((x, y))
for cx, cy, s, n in [(X0 + 1200, Y0 + 4500, 150.0, 500), (X0 + 7000, Y0 + 3000, 200.0, 500)]:
    k = 0
    while k < n:
        x, y = rng.normal(cx, s), rng.normal(cy, s)
        if in_disc(x, y) or in_l(x, y):
            pts.append((x, y))
            k += 1
with open("gistar_mask_points.csv", "w") as f:
    f.write("id,x,y\n")
    for i, (x, y) in enumerate(pts):
        f.write(f"m{i},{x!r},{y!r}\n")

values = np.zeros(COLS * ROWS)
for x, y in pts:
    c, r = int(np.floor((x - X0) / CELL)), int(np.floor((y - Y0) / CELL))
    if 0 <= c < COLS and 0 <= r < ROWS:
        values[r * COLS + c] += 1.0

out = {"grid": {"x0": X0, "y0": Y0, "cell": CELL, "cols": COLS, "rows": ROWS},
       "mask": [i for i, m in enumerate(mask) if m], "cases": []}
ids = out["mask"]
for band in [150.0, 300.0]:
    cs = np.array([centre(i // COLS, i % COLS) for i in ids])
    w = DistanceBand(cs, threshold=band, binary=True, silence_warnings=True)
    g = G_Local(values[ids], w, transform="B", star=True, permutations=0)
    every = np.array([centre(r, c) for r in range(ROWS) for c in range(COLS)])
    wb = DistanceBand(every, threshold=band, binary=True, silence_warnings=True)
    gb = G_Local(values, wb, transform="B", star=True, permutations=0)
    out["cases"].append({"band": band, "z": [float(v) for v in g.Zs], "p": [float(v) for v in g.p_norm],
                         "bbox_hot": int((gb.Zs >= 1.6448536269514722).sum()),
                         "masked_hot": int((g.Zs >= 1.6448536269514722).sum())})
with open("gistar_mask_expected.json", "w") as f:
    json.dump(out, f)
print({c["band"]: (c["masked_hot"], c["bbox_hot"]) for c in out["cases"]}, len(ids), "masked of", COLS * ROWS)
