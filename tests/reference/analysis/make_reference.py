"""Reference outputs for the 信息研判 kernels, made by the peers analysts trust.

Run from this directory with the peers installed (see README.md):

    python make_reference.py

It generates the inputs (seeded) and writes what PySAL esda, scikit-learn, pointpats and
spopt/CBC return for them. The Rust tests in crates/geo/tests/reference.rs read both and compare.
Versions used are written to versions.json.
"""

import json
import warnings

import numpy as np

warnings.filterwarnings("ignore")

import esda
import libpysal
import pointpats
import pulp
import scipy
import sklearn
import spopt
from esda.getisord import G_Local
from libpysal.weights import DistanceBand, W, lat2W
from pointpats.spacetime import _knox
from sklearn.neighbors import KernelDensity
from spopt.locate import MCLP

rng = np.random.default_rng(20261128)


def write_points(path, ids, xs, ys, ws=None, ts=None):
    with open(path, "w") as f:
        cols = ["id", "x", "y"] + (["w"] if ws is not None else []) + (["t"] if ts is not None else [])
        f.write(",".join(cols) + "\n")
        for i in range(len(xs)):
            row = [str(ids[i]), repr(float(xs[i])), repr(float(ys[i]))]
            if ws is not None:
                row.append(repr(float(ws[i])))
            if ts is not None:
                row.append(str(ts[i]))
            f.write(",".join(row) + "\n")


def clustered(n, x0, y0, w, h, centres):
    """Half uniform background, half around a few centres."""
    k = n // 2
    xs = np.concatenate([x0 + rng.random(n - k) * w, np.concatenate([rng.normal(cx, s, k // len(centres) + 1) for cx, _, s in centres])[:k]])
    ys = np.concatenate([y0 + rng.random(n - k) * h, np.concatenate([rng.normal(cy, s, k // len(centres) + 1) for _, cy, s in centres])[:k]])
    return xs, ys


# ---------------------------------------------------------------- Gi* on a grid
X0, Y0, CELL, COLS, ROWS = 500000.0, 3290000.0, 50.0, 40, 30
xs, ys = clustered(3000, X0 - 100, Y0 - 100, COLS * CELL + 200, ROWS * CELL + 200,
                   [(X0 + 600, Y0 + 900, 90), (X0 + 1500, Y0 + 400, 140)])
ws = np.round(rng.gamma(2.0, 1.5, len(xs)), 3)
write_points("gistar_points.csv", [f"p{i}" for i in range(len(xs))], xs, ys, ws)

col = np.floor((xs - X0) / CELL)
row = np.floor((ys - Y0) / CELL)
inside = (col >= 0) & (col < COLS) & (row >= 0) & (row < ROWS)
centres = np.array([(X0 + (c + 0.5) * CELL, Y0 + (r + 0.5) * CELL) for r in range(ROWS) for c in range(COLS)])
gistar = {"grid": {"x0": X0, "y0": Y0, "cell": CELL, "cols": COLS, "rows": ROWS},
          "outside": int((~inside).sum()), "cases": []}
for band, weighted in [(120.0, False), (120.0, True), (260.0, False)]:
    y = np.zeros(COLS * ROWS)
    ids = (row[inside] * COLS + col[inside]).astype(int)
    np.add.at(y, ids, ws[inside] if weighted else 1.0)
    w = DistanceBand(centres, threshold=band, binary=True, silence_warnings=True)
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    gistar["cases"].append({"band": band, "weighted": weighted, "z": [float(v) for v in g.Zs],
                            "p": [float(v) for v in g.p_norm]})

# Gi* over units with queen contiguity: a 9 × 7 lattice of units (libpysal lat2W, rook=False).
wq = lat2W(9, 7, rook=False)
yq = rng.poisson(4.0, 63).astype(float)
yq[10:14] += 9
gq = G_Local(yq, wq, transform="B", star=True, permutations=0)
gistar["queen"] = {"values": [float(v) for v in yq],
                   "neighbours": [sorted(int(j) for j in wq.neighbors[i]) for i in range(63)],
                   "z": [float(v) for v in gq.Zs], "p": [float(v) for v in gq.p_norm]}
with open("gistar_expected.json", "w") as f:
    json.dump(gistar, f)

# ---------------------------------------------------------------- KDE
KX0, KY0, KCELL, KCOLS, KROWS = 120000.0, 40000.0, 20.0, 60, 45
kx, ky = clustered(1500, KX0, KY0, KCOLS * KCELL, KROWS * KCELL, [(KX0 + 400, KY0 + 300, 60)])
kw = np.round(rng.random(len(kx)) * 4, 3)
write_points("kde_points.csv", [f"k{i}" for i in range(len(kx))], kx, ky, kw)
kcentres = np.array([(KX0 + (c + 0.5) * KCELL, KY0 + (r + 0.5) * KCELL) for r in range(KROWS) for c in range(KCOLS)])
kde = {"grid": {"x0": KX0, "y0": KY0, "cell": KCELL, "cols": KCOLS, "rows": KROWS}, "cases": []}
for kernel, h, weighted in [("gaussian", 45.0, False), ("gaussian", 120.0, True), ("epanechnikov", 90.0, False),
                            ("epanechnikov", 150.0, True)]:
    est = KernelDensity(kernel=kernel, bandwidth=h, atol=0, rtol=0)
    est.fit(np.column_stack([kx, ky]), sample_weight=kw if weighted else None)
    dens = np.exp(est.score_samples(kcentres))
    kde["cases"].append({"kernel": kernel, "bandwidth": h, "weighted": weighted, "density": [float(v) for v in dens]})
with open("kde_expected.json", "w") as f:
    json.dump(kde, f)

# ---------------------------------------------------------------- Knox
n = 600
tx = rng.integers(0, 3000, n).astype(float)
ty = rng.integers(0, 2000, n).astype(float)
tt = rng.integers(0, 730, n)
# Near repeats: 40 follow-ups within 150 m and 20 days of an earlier event.
for k in range(40):
    src = rng.integers(0, n)
    tx = np.append(tx, tx[src] + rng.integers(-150, 151))
    ty = np.append(ty, ty[src] + rng.integers(-150, 151))
    tt = np.append(tt, tt[src] + rng.integers(0, 21))
write_points("knox_events.csv", [f"e{i}" for i in range(len(tx))], tx, ty, ts=[int(v) for v in tt])
space_bands = [0.0, 100.0, 200.0, 400.0]
time_bands = [7.0, 14.0, 30.0, 90.0]
coords = np.column_stack([tx, ty])
times = np.array(tt, dtype=float).reshape(-1, 1)
cells = []
for d in space_bands:
    for t in time_bands:
        r = _knox(coords, times.copy(), d, t, permutations=0)
        cells.append({"delta": d, "tau": t, "ns": int(r["ns"]), "nt": int(r["nt"]), "nst": int(r["nst"]),
                      "pairs": int(r["pairs"])})
with open("knox_expected.json", "w") as f:
    json.dump({"space_bands": space_bands, "time_bands": time_bands, "cells": cells}, f)

# ---------------------------------------------------------------- MCLP (exact optimum by CBC)
mclp = {"cases": []}
for case, (nd, ns_, k, radius) in enumerate([(400, 40, 5, 300.0), (600, 60, 8, 250.0), (800, 80, 12, 200.0)]):
    dx, dy = clustered(nd, 0, 0, 3000, 3000, [(800, 900, 200), (2200, 2000, 300)])
    dw = rng.integers(1, 10, nd).astype(float)
    sx = rng.random(ns_) * 3000
    sy = rng.random(ns_) * 3000
    write_points(f"mclp_demand_{case}.csv", [f"d{i}" for i in range(nd)], dx, dy, dw)
    write_points(f"mclp_sites_{case}.csv", [f"s{j}" for j in range(ns_)], sx, sy)
    cost = np.sqrt((dx[:, None] - sx[None, :]) ** 2 + (dy[:, None] - sy[None, :]) ** 2)
    model = MCLP.from_cost_matrix(cost, dw, radius, p_facilities=k)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    chosen = [j for j in range(ns_) if model.fac_vars[j].value() > 0.5]
    covered = float(sum(dw[i] for i in range(nd) if any(cost[i, j] <= radius for j in chosen)))
    mclp["cases"].append({"case": case, "radius": radius, "k": k, "optimum": covered, "sites": chosen,
                          "status": pulp.LpStatus[model.problem.status]})
with open("mclp_expected.json", "w") as f:
    json.dump(mclp, f, indent=1)

with open("versions.json", "w") as f:
    json.dump({"esda": esda.__version__, "libpysal": libpysal.__version__, "scikit-learn": sklearn.__version__,
               "pointpats": pointpats.__version__, "spopt": spopt.__version__, "pulp": pulp.__version__,
               "numpy": np.__version__, "scipy": scipy.__version__}, f, indent=1)
print("written")
