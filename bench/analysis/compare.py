"""Times pingan's analysis kernels beside the peers on the same inputs (see run.sh)."""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")

TARGETS = {"gistar": 50.0, "kde": 10.0, "mclp": 100.0}
STREAM = {"gistar": 1, "kde": 2, "mclp": 3}


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def all_cores():
    """pingan formats its output on every core (issue 20); the peers stay on the one this script is
    pinned to. PINGAN_CORES=1 keeps pingan on that core too."""
    if os.environ.get("PINGAN_CORES") != "1" and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))


def run_pingan(binary, args):
    start = time.perf_counter()
    out = subprocess.run([binary, "analyze", *args], capture_output=True, text=True, preexec_fn=all_cores)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"pingan analyze {' '.join(args)} failed:\n{out.stderr}")
    return elapsed, out.stdout.strip()


def write_points(path, xs, ys, ws=None):
    cols = [np.array([f"p{i}" for i in range(len(xs))]), xs.astype(str), ys.astype(str)]
    header = "id,x,y" + (",w" if ws is not None else "")
    with open(path, "w") as f:
        f.write(header + "\n")
        if ws is None:
            np.savetxt(f, np.column_stack([np.arange(len(xs)), xs, ys]), fmt=["p%d", "%.17g", "%.17g"], delimiter=",")
        else:
            np.savetxt(f, np.column_stack([np.arange(len(xs)), xs, ys, ws]), fmt=["p%d", "%.17g", "%.17g", "%.17g"], delimiter=",")


def clustered(rng, n, extent, centres):
    k = n // 2
    xs = np.concatenate([rng.random(n - k) * extent, np.concatenate([rng.normal(cx, s, k // len(centres) + 1) for cx, _, s in centres])[:k]])
    ys = np.concatenate([rng.random(n - k) * extent, np.concatenate([rng.normal(cy, s, k // len(centres) + 1) for _, cy, s in centres])[:k]])
    return xs, ys


def bench_gistar(args, rng):
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    cols = rows = args.gistar_cells
    cell, band = 10.0, 15.0  # 8 neighbours + self
    xs, ys = clustered(rng, args.gistar_points, cols * cell, [(3000, 4000, 300), (7000, 2000, 500)])
    path = os.path.join(args.data, "gistar_points.csv")
    write_points(path, xs, ys)
    out = os.path.join(args.data, "gistar_out.csv")
    ours, summary = run_pingan(args.pingan, ["gistar", "--points", path, "--x0", "0", "--y0", "0", "--cell", str(cell),
                                             "--cols", str(cols), "--rows", str(rows), "--band", str(band), "--out", out])
    # The peer: bin, build the distance-band weights over the cell centres, compute Gi*.
    start = time.perf_counter()
    c = np.floor(xs / cell)
    r = np.floor(ys / cell)
    ok = (c >= 0) & (c < cols) & (r >= 0) & (r < rows)
    y = np.bincount((r[ok] * cols + c[ok]).astype(np.int64), minlength=cols * rows).astype(float)
    gc, gr = np.meshgrid(np.arange(cols), np.arange(rows))
    centres = np.column_stack([(gc.ravel() + 0.5) * cell, (gr.ravel() + 0.5) * cell])
    w = DistanceBand(centres, threshold=band, binary=True, silence_warnings=True)
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    peer = time.perf_counter() - start
    z = np.loadtxt(out, delimiter=",", skiprows=1, usecols=4)
    diff = float(np.nanmax(np.abs(z - g.Zs)))
    return {"what": f"Gi* {cols}x{rows} cells, {len(xs)} points, band {band} (8 neighbours)", "pingan_s": ours,
            "peer": "esda.G_Local(star=True) + libpysal DistanceBand", "peer_s": peer, "max_abs_dz": diff,
            "agree": diff <= 1e-9, "pingan_says": summary}


def bench_kde(args, rng):
    from sklearn.neighbors import KernelDensity

    cols = rows = args.kde_cells
    cell, h = 20.0, args.kde_bandwidth
    xs, ys = clustered(rng, args.kde_points, cols * cell, [(3000, 6000, 400), (7000, 3000, 800)])
    path = os.path.join(args.data, "kde_points.csv")
    write_points(path, xs, ys)
    out = os.path.join(args.data, "kde_out.csv")
    ours, summary = run_pingan(args.pingan, ["kde", "--points", path, "--x0", "0", "--y0", "0", "--cell", str(cell),
                                             "--cols", str(cols), "--rows", str(rows), "--kernel", "gaussian",
                                             "--bandwidth", str(h), "--out", out])
    gc, gr = np.meshgrid(np.arange(cols), np.arange(rows))
    centres = np.column_stack([(gc.ravel() + 0.5) * cell, (gr.ravel() + 0.5) * cell])
    start = time.perf_counter()
    est = KernelDensity(kernel="gaussian", bandwidth=h, atol=0, rtol=0).fit(np.column_stack([xs, ys]))
    dens = np.exp(est.score_samples(centres))
    peer = time.perf_counter() - start
    got = np.loadtxt(out, delimiter=",", skiprows=1, usecols=1)
    rel = float(np.max(np.abs(got - dens)) / dens.max())
    return {"what": f"Gaussian KDE, {len(xs)} points at {cols * rows} cells, h = {h} ({h / cell:g} cells), exact",
            "pingan_s": ours, "peer": "sklearn KernelDensity(atol=0, rtol=0)", "peer_s": peer,
            "max_error_over_peak": rel, "agree": rel <= 1e-10, "pingan_says": summary}


def bench_mclp(args, rng):
    import pulp
    from spopt.locate import MCLP

    nd, ns, k, radius = args.mclp_demand, args.mclp_sites, args.mclp_k, args.mclp_radius
    dx, dy = clustered(rng, nd, 10000, [(2500, 3000, 700), (7000, 6500, 1200), (4000, 8000, 500)])
    dw = rng.integers(1, 20, nd).astype(float)
    sx, sy = rng.random(ns) * 10000, rng.random(ns) * 10000
    dpath, spath = os.path.join(args.data, "mclp_demand.csv"), os.path.join(args.data, "mclp_sites.csv")
    write_points(dpath, dx, dy, dw)
    write_points(spath, sx, sy)
    out = os.path.join(args.data, "mclp_out.json")
    ours, summary = run_pingan(args.pingan, ["mclp", "--demand", dpath, "--sites", spath, "--radius", str(radius),
                                             "--k", str(k), "--out", out])
    start = time.perf_counter()
    cost = np.sqrt((dx[:, None] - sx[None, :]) ** 2 + (dy[:, None] - sy[None, :]) ** 2)
    model = MCLP.from_cost_matrix(cost, dw, radius, p_facilities=k).solve(pulp.PULP_CBC_CMD(msg=False))
    peer = time.perf_counter() - start
    chosen = [j for j in range(ns) if model.fac_vars[j].value() > 0.5]
    optimum = float(dw[(cost[:, chosen] <= radius).any(axis=1)].sum())
    with open(out) as f:
        got = json.load(f)
    share = got["covered"] / optimum
    return {"what": f"MCLP {nd} demand points, {ns} candidate sites, K = {k}, R = {radius}", "pingan_s": ours,
            "peer": "spopt MCLP + CBC (exact)", "peer_s": peer, "optimum": optimum, "covered": got["covered"],
            "upper_bound": got["upper_bound"], "share_of_optimum": share,
            "proven_optimal": got.get("proven_optimal"), "nodes": got.get("nodes"),
            "agree": bool(got.get("proven_optimal")) and abs(got["covered"] - optimum) <= 1e-9 * max(optimum, 1.0),
            "pingan_says": summary}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pingan", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("which", nargs="*", default=["gistar", "kde", "mclp"])
    ap.add_argument("--gistar-cells", type=int, default=1000)
    ap.add_argument("--gistar-points", type=int, default=500_000)
    ap.add_argument("--kde-cells", type=int, default=500)
    ap.add_argument("--kde-points", type=int, default=100_000)
    ap.add_argument("--kde-bandwidth", type=float, default=40.0)
    ap.add_argument("--mclp-demand", type=int, default=3000)
    ap.add_argument("--mclp-sites", type=int, default=300)
    ap.add_argument("--mclp-k", type=int, default=15)
    ap.add_argument("--mclp-radius", type=float, default=800.0)
    ap.add_argument("--seed", type=int, default=7, help="instance seed (each benchmark draws its own stream)")
    args = ap.parse_args()
    import esda, sklearn, spopt, pulp  # noqa: E401 - versions for the record
    report = {"machine": machine(), "seed": args.seed, "versions": {"esda": esda.__version__, "scikit-learn": sklearn.__version__,
                                                  "spopt": spopt.__version__, "pulp": pulp.__version__},
              "results": {}}
    failed = False
    for name in args.which:
        # Each benchmark's own stream: `run.sh mclp` alone builds the same instance as the full run.
        rng = np.random.default_rng([args.seed, STREAM[name]])
        result = {"gistar": bench_gistar, "kde": bench_kde, "mclp": bench_mclp}[name](args, rng)
        result["ratio"] = result["peer_s"] / result["pingan_s"]
        result["target"] = TARGETS[name]
        result["pass"] = bool(result["agree"] and result["ratio"] >= TARGETS[name])
        failed |= not result["pass"]
        report["results"][name] = result
        print(f"{name:7} {result['what']}")
        print(f"        pingan {result['pingan_s']:.3f} s (end to end) | {result['peer']} {result['peer_s']:.3f} s"
              f" | ratio {result['ratio']:.1f}x (target {TARGETS[name]:g}x) | answers agree: {result['agree']}"
              f" | {'PASS' if result['pass'] else 'FAIL'}")
        print(f"        pingan: {result['pingan_says']}")
        sys.stdout.flush()
    report["machine"]["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                                 text=True).stdout.strip()
    with open(args.results, "w") as f:
        json.dump(report, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
