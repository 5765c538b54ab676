"""`pingan analyze pip` against geopandas, each as a whole process (issue 20).

    whole_process.py PINGAN POLYGONS POINTS ID_PROPERTY DATA_DIR REPEATS

Times, best of REPEATS, (1) `pingan analyze pip` start to exit on every core, (2) a Python process
that imports geopandas, reads the polygons and the points CSV, runs sjoin(predicate="within") and
writes `id,polygon_id` — what an analyst runs — pinned to one core as the peers are elsewhere, and
(3) reading the points file from disk (`cat > /dev/null`), the floor any tool pays. Checks that the
two outputs assign every point alike and prints JSON with the ratio.
"""

import json
import os
import subprocess
import sys
import time

pingan, polygons, points, id_property, data, repeats = sys.argv[1:7]
repeats = int(repeats)

PEER = r'''
import sys, geopandas as gpd, pandas as pd
polys = gpd.read_file(sys.argv[1])[[sys.argv[3], "geometry"]]
df = pd.read_csv(sys.argv[2], dtype={"id": str})
pts = gpd.GeoDataFrame(df[["id"]], geometry=gpd.points_from_xy(df["x"], df["y"]), crs=polys.crs)
j = gpd.sjoin(pts, polys, how="left", predicate="within")
j = j[~j.index.duplicated(keep="first")]
j[["id", sys.argv[3]]].rename(columns={sys.argv[3]: "polygon_id"}).to_csv(sys.argv[4], index=False)
'''


def all_cores():
    os.sched_setaffinity(0, range(os.cpu_count() or 1))


def best(cmd, **kw):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
        times.append(time.perf_counter() - start)
    return min(times)


ours_out = os.path.join(data, "whole_pingan.csv")
peer_out = os.path.join(data, "whole_geopandas.csv")
ours = best([pingan, "analyze", "pip", "--points", points, "--polygons", polygons, "--id-property", id_property,
             "--out", ours_out], preexec_fn=all_cores)
peer = best([sys.executable, "-c", PEER, polygons, points, id_property, peer_out])
disk = best(["sh", "-c", f"cat {points} > /dev/null"])


def assignments(path):
    with open(path) as f:
        next(f)
        return [line.rstrip("\n").rsplit(",", 1)[1].replace(".0", "") for line in f]


a, b = assignments(ours_out), assignments(peer_out)
differ = sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))
print(json.dumps({"points": len(a), "pingan_s": round(ours, 4), "geopandas_s": round(peer, 4),
                  "ratio": round(peer / ours, 2), "read_file_s": round(disk, 4),
                  "pingan_over_reading_the_file": round(ours / disk, 1), "assignments_differ": differ}, indent=1))
sys.exit(1 if differ else 0)
