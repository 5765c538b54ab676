"""Proven MCLP optima for the exact search (crates/geo/tests/reference.rs reads mclp_optima.json).

Run from this directory with PuLP and its bundled CBC (pip install pulp numpy):

    python make_mclp_reference.py

Instances of several shapes — clustered, uniform, street networks (demand along streets, candidate
posts at crossings and along them), a corridor — with unit and varied weights, K from 1 to 30. Each
is written with its data (coordinates rounded to 0.1 m) and the optimum CBC proves for the MILP
max Σ w_i y_i, y_i ≤ Σ_j a_ij x_j, Σ_j x_j = K, a_ij = (dx² + dy² ≤ r²) — the same test, in the same
floating-point operations, as the Rust kernel.
"""

import json

import numpy as np
import pulp

rng = np.random.default_rng(20261205)


def clustered(n, size, centres):
    k = len(centres)
    which = rng.integers(0, k, n)
    xs = np.array([rng.normal(centres[c][0], centres[c][2]) for c in which])
    ys = np.array([rng.normal(centres[c][1], centres[c][2]) for c in which])
    return np.clip(xs, 0, size), np.clip(ys, 0, size)


def uniform(n, size):
    return rng.random(n) * size, rng.random(n) * size


def streets(n_demand, n_sites, size, spacing):
    """A perturbed street grid with two diagonal avenues: demand along the streets, posts at crossings
    and at points along the streets."""
    lines = []
    for v in np.arange(0, size + 1, spacing):
        off = rng.normal(0, spacing * 0.08)
        lines.append(((v + off, 0.0), (v - off, size)))
        lines.append(((0.0, v + off), (size, v - off)))
    lines.append(((0.0, 0.0), (size, size)))
    lines.append(((0.0, size), (size, 0.0)))

    def along(count):
        pick = rng.integers(0, len(lines), count)
        t = rng.random(count)
        xs = np.array([lines[p][0][0] + (lines[p][1][0] - lines[p][0][0]) * u for p, u in zip(pick, t)])
        ys = np.array([lines[p][0][1] + (lines[p][1][1] - lines[p][0][1]) * u for p, u in zip(pick, t)])
        return xs + rng.normal(0, 5, count), ys + rng.normal(0, 5, count)

    dx, dy = along(n_demand)
    grid = np.arange(0, size + 1, spacing)
    cx, cy = np.meshgrid(grid, grid)
    cx, cy = cx.ravel(), cy.ravel()
    if len(cx) >= n_sites:
        keep = rng.choice(len(cx), n_sites, replace=False)
        sx, sy = cx[keep], cy[keep]
    else:
        ex, ey = along(n_sites - len(cx))
        sx, sy = np.concatenate([cx, ex]), np.concatenate([cy, ey])
    return dx, dy, sx, sy


def corridor(n, length, width):
    return rng.random(n) * length, rng.random(n) * width


def weights(n, kind):
    if kind == "unit":
        return np.ones(n)
    if kind == "small":
        return rng.integers(1, 10, n).astype(float)
    # heavy-tailed: a few places with many calls
    return np.floor(rng.pareto(1.5, n) * 3 + 1)


def solve(dx, dy, dw, sx, sy, radius, k):
    a = ((dx[:, None] - sx[None, :]) ** 2 + (dy[:, None] - sy[None, :]) ** 2) <= radius * radius
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(len(sx))]
    y = [pulp.LpVariable(f"y{i}", lowBound=0, upBound=1) for i in range(len(dx))]
    prob += pulp.lpSum(float(dw[i]) * y[i] for i in range(len(dx)))
    for i in range(len(dx)):
        prob += y[i] <= pulp.lpSum(x[j] for j in np.flatnonzero(a[i]))
    prob += pulp.lpSum(x) == k
    prob.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0, gapAbs=0))
    chosen = [j for j in range(len(sx)) if x[j].value() > 0.5]
    covered = float(sum(dw[i] for i in range(len(dx)) if a[i, chosen].any()))
    return pulp.LpStatus[prob.status], covered, chosen


cases = []
specs = []
for k in (1, 3, 5, 8, 12):
    specs.append(("clustered", k, "small", 300 + 40 * k, 60, 250.0))
for k in (2, 6, 10, 15, 20):
    specs.append(("uniform", k, "unit" if k % 4 == 2 else "small", 400, 80, 220.0))
for k, r in ((1, 500.0), (2, 600.0), (4, 800.0), (6, 1000.0), (8, 1200.0), (10, 700.0), (10, 500.0)):
    specs.append(("streets", k, "heavy" if k % 2 else "unit", 200, 220, r))
for k in (15, 20, 25, 30):
    specs.append(("streets", k, "small", 600, 240, 350.0))
for k in (3, 7, 12):
    specs.append(("corridor", k, "small", 350, 70, 180.0))
for k in (4, 9, 16, 25, 30):
    specs.append(("clustered", k, "heavy", 700, 150, 200.0))
for k in (5, 18):
    specs.append(("uniform", k, "heavy", 800, 250, 150.0))

for case, (shape, k, wkind, nd, ns, radius) in enumerate(specs):
    if shape == "clustered":
        dx, dy = clustered(nd, 3000, [(800, 900, 200), (2200, 2000, 300), (1500, 600, 150), (600, 2400, 250)])
        sx, sy = uniform(ns, 3000)
    elif shape == "uniform":
        dx, dy = uniform(nd, 3000)
        sx, sy = uniform(ns, 3000)
    elif shape == "streets":
        size = 6000.0 if radius >= 500 else 4000.0
        dx, dy, sx, sy = streets(nd, ns, size, 500.0 if radius >= 500 else 400.0)
    else:
        dx, dy = corridor(nd, 5000, 300)
        sx, sy = corridor(ns, 5000, 300)
    dx, dy, sx, sy = (np.round(v, 1) for v in (dx, dy, sx, sy))
    dw = weights(nd, wkind)
    status, covered, chosen = solve(dx, dy, dw, sx, sy, radius, k)
    assert status == "Optimal", (case, status)
    cases.append({
        "case": case, "shape": shape, "weights": wkind, "k": k, "radius": radius, "optimum": covered,
        "sites": chosen, "status": status,
        "demand": [[float(a), float(b), float(c)] for a, b, c in zip(dx, dy, dw)],
        "candidates": [[float(a), float(b)] for a, b in zip(sx, sy)],
    })
    print(case, shape, wkind, f"K={k}", f"r={radius}", f"{nd}x{ns}", "optimum", covered)

with open("mclp_optima.json", "w") as f:
    json.dump({"solver": f"CBC via PuLP {pulp.__version__}", "cases": cases}, f, separators=(",", ":"))
