//! The 信息研判 kernels against the peers' outputs committed under `tests/reference/analysis/`
//! (made by `make_reference.py` there, with the versions in `versions.json`).

use std::fs;
use std::path::PathBuf;

use pingan_geo::analysis::gistar::{
    Confidence, gistar_grid, gistar_grid_masked, gistar_neighbours,
};
use pingan_geo::analysis::grid::Grid;
use pingan_geo::analysis::kde::{Accuracy, Kernel, kde_grid};
use pingan_geo::analysis::knox::{KnoxOptions, knox};
use pingan_geo::analysis::mclp::mclp;
use pingan_geo::analysis::points::{Columns, Points, read_points};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/analysis")
}

fn json(name: &str) -> Value {
    serde_json::from_str(&fs::read_to_string(dir().join(name)).unwrap()).unwrap()
}

fn points(name: &str, weight: bool, time: bool) -> Points {
    let columns = Columns {
        ids: false,
        weight: weight.then_some("w"),
        time: time.then_some("t"),
    };
    read_points(fs::File::open(dir().join(name)).unwrap(), &columns, |_| {}).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn grid(v: &Value) -> Grid {
    Grid::new(
        v["x0"].as_f64().unwrap(),
        v["y0"].as_f64().unwrap(),
        v["cell"].as_f64().unwrap(),
        v["cols"].as_u64().unwrap() as usize,
        v["rows"].as_u64().unwrap() as usize,
    )
    .unwrap()
}

#[test]
fn gistar_equals_esda_on_a_grid() {
    let expected = json("gistar_expected.json");
    let g = grid(&expected["grid"]);
    let p = points("gistar_points.csv", true, false);
    for case in expected["cases"].as_array().unwrap() {
        let weights = case["weighted"]
            .as_bool()
            .unwrap()
            .then(|| p.weights.as_deref().unwrap());
        let binned = g.bin(&p.xs, &p.ys, weights);
        assert_eq!(binned.outside as u64, expected["outside"].as_u64().unwrap());
        let band = case["band"].as_f64().unwrap();
        let got = gistar_grid(&g, &binned.values, band).unwrap();
        let (z, pv) = (floats(&case["z"]), floats(&case["p"]));
        let worst_z = got
            .z
            .iter()
            .zip(&z)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let worst_p = got
            .p
            .iter()
            .zip(&pv)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst_z <= 1e-9, "band {band}: |Δz| up to {worst_z:e}");
        assert!(worst_p <= 1e-12, "band {band}: |Δp| up to {worst_p:e}");
        assert!(
            z.iter().any(|&v| v > 2.576),
            "the reference data has hot spots to find"
        );
    }
}

/// Two townships in a bounding box of mostly empty land (make_gistar_mask_reference.py): Gi* over
/// the masked cells equals esda run on those cells alone, and the empty land no longer makes
/// hundreds of inhabited cells "hot".
#[test]
fn masked_gistar_equals_esda_on_the_masked_cells_only() {
    let expected = json("gistar_mask_expected.json");
    let g = grid(&expected["grid"]);
    let p = points("gistar_mask_points.csv", false, false);
    let binned = g.bin(&p.xs, &p.ys, None);
    assert_eq!(binned.outside, 0);
    let mut mask = vec![false; g.len()];
    let ids: Vec<usize> = expected["mask"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    for &id in &ids {
        mask[id] = true;
    }
    assert!(
        ids.len() * 4 < g.len(),
        "most of the box is outside the study area"
    );
    for case in expected["cases"].as_array().unwrap() {
        let band = case["band"].as_f64().unwrap();
        let got = gistar_grid_masked(&g, &binned.values, band, &mask).unwrap();
        let (z, pv) = (floats(&case["z"]), floats(&case["p"]));
        assert_eq!(z.len(), ids.len());
        for (k, &id) in ids.iter().enumerate() {
            assert!(
                (got.z[id] - z[k]).abs() <= 1e-9,
                "band {band}, cell {id}: z {} vs esda {}",
                got.z[id],
                z[k]
            );
            assert!((got.p[id] - pv[k]).abs() <= 1e-12, "band {band}, cell {id}");
        }
        assert!(
            (0..g.len())
                .filter(|&id| !mask[id])
                .all(|id| got.z[id].is_nan()),
            "cells outside the study area have no score"
        );
        let hot = |z: &[f64]| z.iter().filter(|&&v| Confidence::of(v).level() > 0).count();
        assert_eq!(hot(&got.z), case["masked_hot"].as_u64().unwrap() as usize);
        let unmasked = gistar_grid(&g, &binned.values, band).unwrap();
        assert_eq!(
            hot(&unmasked.z),
            case["bbox_hot"].as_u64().unwrap() as usize
        );
        assert!(
            hot(&unmasked.z) > 3 * hot(&got.z),
            "band {band}: the bounding box inflates the hot cells ({} vs {})",
            hot(&unmasked.z),
            hot(&got.z)
        );
    }
}

#[test]
fn gistar_equals_esda_with_queen_neighbours() {
    let q = &json("gistar_expected.json")["queen"];
    let neighbours: Vec<Vec<usize>> = q["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect()
        })
        .collect();
    let got = gistar_neighbours(&floats(&q["values"]), &neighbours).unwrap();
    for (a, b) in got.z.iter().zip(floats(&q["z"])) {
        assert!((a - b).abs() <= 1e-9, "{a} vs {b}");
    }
}

#[test]
fn kde_equals_scikit_learn_within_1e_10_of_the_peak() {
    let expected = json("kde_expected.json");
    let g = grid(&expected["grid"]);
    let p = points("kde_points.csv", true, false);
    for case in expected["cases"].as_array().unwrap() {
        let kernel: Kernel = case["kernel"].as_str().unwrap().parse().unwrap();
        let h = case["bandwidth"].as_f64().unwrap();
        let weights = case["weighted"]
            .as_bool()
            .unwrap()
            .then(|| p.weights.as_deref().unwrap());
        let got = kde_grid(&g, &p.xs, &p.ys, weights, kernel, h, Accuracy::Exact).unwrap();
        let want = floats(&case["density"]);
        let peak = want.iter().copied().fold(0.0, f64::max);
        let worst = got
            .density
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-10 * peak,
            "{kernel:?} h={h}: error {worst:e} against peak {peak:e}"
        );
    }
}

#[test]
fn knox_counts_equal_pointpats() {
    let expected = json("knox_expected.json");
    let p = points("knox_events.csv", false, true);
    let options = KnoxOptions {
        space_bands: floats(&expected["space_bands"]),
        time_bands: floats(&expected["time_bands"]),
        permutations: 0,
        seed: 1,
    };
    let got = knox(&p.xs, &p.ys, p.times.as_deref().unwrap(), &options).unwrap();
    for cell in expected["cells"].as_array().unwrap() {
        let s = options
            .space_bands
            .iter()
            .position(|&d| d == cell["delta"].as_f64().unwrap())
            .unwrap();
        let t = options
            .time_bands
            .iter()
            .position(|&d| d == cell["tau"].as_f64().unwrap())
            .unwrap();
        assert_eq!(got.pairs, cell["pairs"].as_u64().unwrap());
        assert_eq!(
            got.ns[s],
            cell["ns"].as_u64().unwrap(),
            "NS at δ={}",
            options.space_bands[s]
        );
        assert_eq!(
            got.nt[t],
            cell["nt"].as_u64().unwrap(),
            "NT at τ={}",
            options.time_bands[t]
        );
        assert_eq!(
            got.c[s][t],
            cell["nst"].as_u64().unwrap(),
            "NST at δ={} τ={}",
            options.space_bands[s],
            options.time_bands[t]
        );
    }
}

#[test]
fn mclp_proves_the_cbc_optimum() {
    for case in json("mclp_expected.json")["cases"].as_array().unwrap() {
        let n = case["case"].as_u64().unwrap();
        assert_eq!(case["status"], "Optimal");
        let d = points(&format!("mclp_demand_{n}.csv"), true, false);
        let s = points(&format!("mclp_sites_{n}.csv"), false, false);
        let optimum = case["optimum"].as_f64().unwrap();
        let k = case["k"].as_u64().unwrap() as usize;
        let got = mclp(
            &d.xs,
            &d.ys,
            d.weights.as_deref().unwrap(),
            &s.xs,
            &s.ys,
            case["radius"].as_f64().unwrap(),
            k,
        )
        .unwrap();
        assert_eq!(got.sites.len(), k);
        assert!(got.proven_optimal, "case {n}: not proven");
        assert!(
            (got.covered - optimum).abs() <= 1e-9,
            "case {n}: {} against the optimum {optimum}",
            got.covered
        );
        assert!(
            got.covered <= optimum + 1e-9,
            "case {n}: {} above the optimum {optimum}?",
            got.covered
        );
        assert!(
            got.upper_bound >= optimum - 1e-9,
            "case {n}: bound {} below the optimum {optimum}",
            got.upper_bound
        );
        eprintln!(
            "case {n}: covered {} of optimum {optimum}, bound {}, gap {:.4}%",
            got.covered,
            got.upper_bound,
            got.gap * 100.0
        );
    }
}

/// 31 instances of several shapes (clustered, uniform, street networks, a corridor; unit, small and
/// heavy-tailed weights; K 1–30) with the optimum CBC proved (make_mclp_reference.py): each one is
/// proven optimal here too, at the same value. The time limit is a safety net, not a measurement.
#[test]
fn mclp_proves_the_optimum_on_every_shape() {
    use pingan_geo::analysis::mclp::{MclpOptions, mclp_with};
    let all = json("mclp_optima.json");
    let cases = all["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    let options = MclpOptions {
        time_limit: std::time::Duration::from_secs(60),
    };
    for case in cases {
        let n = case["case"].as_u64().unwrap();
        assert_eq!(case["status"], "Optimal");
        let col = |key: &str, c: usize| -> Vec<f64> {
            case[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[c].as_f64().unwrap())
                .collect()
        };
        let (dx, dy, dw) = (col("demand", 0), col("demand", 1), col("demand", 2));
        let (sx, sy) = (col("candidates", 0), col("candidates", 1));
        let k = case["k"].as_u64().unwrap() as usize;
        let optimum = case["optimum"].as_f64().unwrap();
        let got = mclp_with(
            &dx,
            &dy,
            &dw,
            &sx,
            &sy,
            case["radius"].as_f64().unwrap(),
            k,
            &options,
        )
        .unwrap();
        eprintln!(
            "case {n} ({} {}, K {k}): covered {} of {optimum}, proven {}, {} nodes",
            case["shape"], case["weights"], got.covered, got.proven_optimal, got.nodes
        );
        assert_eq!(got.sites.len(), k);
        assert!(
            got.proven_optimal,
            "case {n}: not proven (bound {})",
            got.upper_bound
        );
        assert!(
            (got.covered - optimum).abs() <= 1e-9,
            "case {n}: {} against CBC's {optimum}",
            got.covered
        );
        assert_eq!(got.gap, 0.0);
    }
}

/// With no time for the exact search, an instance the heuristic does not close is answered with the
/// best found, the bound, and `proven_optimal: false` — never a false claim.
#[test]
fn mclp_without_time_reports_its_gap_honestly() {
    use pingan_geo::analysis::mclp::{MclpOptions, mclp_with};
    let all = json("mclp_optima.json");
    let no_time = MclpOptions {
        time_limit: std::time::Duration::ZERO,
    };
    let mut unproven = 0;
    for case in all["cases"].as_array().unwrap() {
        let col = |key: &str, c: usize| -> Vec<f64> {
            case[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[c].as_f64().unwrap())
                .collect()
        };
        let optimum = case["optimum"].as_f64().unwrap();
        let got = mclp_with(
            &col("demand", 0),
            &col("demand", 1),
            &col("demand", 2),
            &col("candidates", 0),
            &col("candidates", 1),
            case["radius"].as_f64().unwrap(),
            case["k"].as_u64().unwrap() as usize,
            &no_time,
        )
        .unwrap();
        assert!(got.covered <= optimum + 1e-9 && got.upper_bound >= optimum - 1e-9);
        if got.proven_optimal {
            assert_eq!((got.covered, got.gap), (optimum, 0.0));
        } else {
            unproven += 1;
            assert!(got.gap > 0.0 && got.upper_bound > got.covered);
        }
    }
    assert!(unproven > 0, "some instances need the exact search");
}
