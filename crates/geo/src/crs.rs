//! Geographic coordinate systems met in Chinese map data, and conversion between them.
//!
//! Pingan stores every coordinate in WGS-84 (EPSG:4326), treating CGCS2000 (EPSG:4490) as the same
//! system since the two agree at metre level. Input may also arrive in GCJ-02 (the obfuscated system
//! of Amap/Tencent maps) or BD-09 (Baidu maps, a further offset on top of GCJ-02). This module
//! parses the system's name ([`Crs`]), converts to and from WGS-84 ([`to_wgs84`], [`from_wgs84`]),
//! and measures great-circle distance ([`distance_m`]). The forward GCJ-02 and BD-09 formulas are
//! the public ones (Krasovsky ellipsoid polynomials; no offset outside the China box). Neither has a
//! closed-form inverse: we solve the inverse by Newton iteration on the forward formula (to 1e-9
//! degrees, at most [`MAX_ITERATIONS`] steps), so a WGS-84 → GCJ-02 → WGS-84 round trip stays
//! within millimetres, far inside the 0.5 m the product promises.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A geographic coordinate reference system accepted on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS-84 / CGCS2000: what Pingan stores.
    Wgs84,
    /// GCJ-02, "Mars coordinates" (Amap, Tencent, Google China).
    Gcj02,
    /// BD-09 (Baidu), GCJ-02 with an extra offset.
    Bd09,
}

/// A CRS name that [`Crs::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown coordinate system {value:?}: expected one of wgs84, cgcs2000, gcj02, bd09")]
pub struct CrsError {
    /// The value as given.
    pub value: String,
}

impl Crs {
    /// The canonical lower-case name (`wgs84`, `gcj02`, `bd09`).
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Crs {
    type Err = CrsError;

    /// Parses `wgs84`, `cgcs2000`, `gcj02`, `bd09`, case-insensitively, ignoring surrounding
    /// blanks and `-`/`_` separators (so `WGS-84`, `GCJ_02` and `bd-09` work), plus the EPSG codes
    /// `EPSG:4326` and `EPSG:4490`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "wgs84" | "cgcs2000" | "epsg:4326" | "epsg:4490" => Ok(Crs::Wgs84),
            "gcj02" => Ok(Crs::Gcj02),
            "bd09" | "bd09ll" => Ok(Crs::Bd09),
            _ => Err(CrsError {
                value: s.to_string(),
            }),
        }
    }
}

/// Converts `(lng, lat)` in degrees from `crs` to WGS-84.
pub fn to_wgs84(crs: Crs, lng: f64, lat: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 => (lng, lat),
        Crs::Gcj02 => gcj02_to_wgs84(lng, lat),
        Crs::Bd09 => {
            let (x, y) = bd09_to_gcj02(lng, lat);
            gcj02_to_wgs84(x, y)
        }
    }
}

/// Converts WGS-84 `(lng, lat)` in degrees to `crs`.
pub fn from_wgs84(crs: Crs, lng: f64, lat: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 => (lng, lat),
        Crs::Gcj02 => wgs84_to_gcj02(lng, lat),
        Crs::Bd09 => {
            let (x, y) = wgs84_to_gcj02(lng, lat);
            gcj02_to_bd09(x, y)
        }
    }
}

/// Krasovsky 1940 semi-major axis used by the GCJ-02 formula.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// Eccentricity squared used by the GCJ-02 formula, written as published.
#[allow(clippy::excessive_precision)]
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943_23;
/// The BD-09 angle factor π·3000/180.
const X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;
/// Upper bound on inverse iterations; convergence normally takes 2–4.
pub const MAX_ITERATIONS: usize = 30;
/// Inverse iterations stop once the forward image is this close (degrees) to the target.
const INVERSE_TOLERANCE_DEG: f64 = 1e-9;

/// True outside the rectangle in which GCJ-02 applies an offset
/// (lng 72.004–137.8347, lat 0.8293–55.8271).
pub fn out_of_china(lng: f64, lat: f64) -> bool {
    !((72.004..=137.8347).contains(&lng) && (0.8293..=55.8271).contains(&lat))
}

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn transform_lng(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// The GCJ-02 offset `(dlng, dlat)` in degrees at a WGS-84 point, ignoring the China box.
fn gcj_offset(lng: f64, lat: f64) -> (f64, f64) {
    let dlat = transform_lat(lng - 105.0, lat - 35.0);
    let dlng = transform_lng(lng - 105.0, lat - 35.0);
    let radlat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * radlat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0)
        / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * std::f64::consts::PI);
    let dlng = (dlng * 180.0) / (KRASOVSKY_A / sqrt_magic * radlat.cos() * std::f64::consts::PI);
    (dlng, dlat)
}

/// WGS-84 → GCJ-02 (the public forward formula). Points outside the China box are unchanged.
pub fn wgs84_to_gcj02(lng: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lng, lat) {
        return (lng, lat);
    }
    let (dlng, dlat) = gcj_offset(lng, lat);
    (lng + dlng, lat + dlat)
}

/// GCJ-02 → WGS-84 by solving `wgs84_to_gcj02(w) = g` for `w`.
///
/// Starts from the common one-step guess `g − offset(g)` and applies fixed-point corrections
/// `w ← w − (w + offset(w) − g)`; the offset varies slowly (its Jacobian is ~1e-3), so each step
/// gains about three digits. Stops when the forward image is within 1e-9° of `g` or after
/// [`MAX_ITERATIONS`]. The iteration uses the offset without the China box, so points near the
/// box's edges, whose GCJ-02 image may fall just outside it, still invert exactly. If the solution
/// lies outside the box, the forward formula would not have moved it, so `g` itself is returned
/// (when `g` is outside the box too). Within a few hundred metres outside the box's edges a GCJ-02
/// value can have two preimages (an offset point inside and an unmoved point outside); we return
/// the one inside China.
pub fn gcj02_to_wgs84(lng: f64, lat: f64) -> (f64, f64) {
    if !lng.is_finite() || !lat.is_finite() {
        return (lng, lat);
    }
    let (dlng, dlat) = gcj_offset(lng, lat);
    let (mut wx, mut wy) = (lng - dlng, lat - dlat);
    for _ in 0..MAX_ITERATIONS {
        let (dlng, dlat) = gcj_offset(wx, wy);
        let (ex, ey) = (wx + dlng - lng, wy + dlat - lat);
        if ex.abs() < INVERSE_TOLERANCE_DEG && ey.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
        wx -= ex;
        wy -= ey;
    }
    // The iteration stops within 1e-9° of the exact solution, which for a source exactly on the
    // box's edge may sit a hair outside it: judge "outside" with a 1e-7° (≈1 cm) margin.
    const EDGE_MARGIN: f64 = 1e-7;
    let solution_outside = !((72.004 - EDGE_MARGIN..=137.8347 + EDGE_MARGIN).contains(&wx)
        && (0.8293 - EDGE_MARGIN..=55.8271 + EDGE_MARGIN).contains(&wy));
    if solution_outside && out_of_china(lng, lat) {
        return (lng, lat);
    }
    (wx, wy)
}

/// GCJ-02 → BD-09 (Baidu's public forward formula, applied everywhere).
pub fn gcj02_to_bd09(lng: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lng, lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02: the usual closed-form approximation, then Newton steps on
/// [`gcj02_to_bd09`] until the forward image is within 1e-9° of the input.
pub fn bd09_to_gcj02(lng: f64, lat: f64) -> (f64, f64) {
    if !lng.is_finite() || !lat.is_finite() {
        return (lng, lat);
    }
    let (x, y) = (lng - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    let (mut gx, mut gy) = (z * theta.cos(), z * theta.sin());
    for _ in 0..MAX_ITERATIONS {
        let (fx, fy) = gcj02_to_bd09(gx, gy);
        let (ex, ey) = (fx - lng, fy - lat);
        if ex.abs() < INVERSE_TOLERANCE_DEG && ey.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
        gx -= ex;
        gy -= ey;
    }
    (gx, gy)
}

/// Mean Earth radius (IUGG R1, metres) used by [`distance_m`].
pub const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle (haversine) distance in metres between two `(lng, lat)` points in degrees.
pub fn distance_m(lng1: f64, lat1: f64, lng2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lng2 - lng1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_MEAN_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(got: (f64, f64), want: (f64, f64), tol: f64, what: &str) {
        assert!(
            (got.0 - want.0).abs() <= tol && (got.1 - want.1).abs() <= tol,
            "{what}: got {got:?}, want {want:?} (tolerance {tol})"
        );
    }

    #[test]
    fn parses_names_case_insensitively() {
        for (s, want) in [
            ("wgs84", Crs::Wgs84),
            ("WGS84", Crs::Wgs84),
            ("WGS-84", Crs::Wgs84),
            ("CGCS2000", Crs::Wgs84),
            ("epsg:4490", Crs::Wgs84),
            ("gcj02", Crs::Gcj02),
            (" GCJ-02 ", Crs::Gcj02),
            ("Bd09", Crs::Bd09),
            ("BD-09", Crs::Bd09),
        ] {
            assert_eq!(s.parse::<Crs>().unwrap(), want, "{s}");
        }
        let err = "mercator".parse::<Crs>().unwrap_err();
        assert_eq!(err.value, "mercator");
        assert!(err.to_string().contains("\"mercator\""), "{err}");
        assert_eq!(Crs::Gcj02.to_string().parse::<Crs>().unwrap(), Crs::Gcj02);
    }

    // Reference pairs, all (lng, lat) in degrees.
    //
    // [E] googollee/eviltransform, go/transform_test.go and python/test.py ("tests" table:
    //     wgsLat, wgsLng, gcjLat, gcjLng for Shanghai, Shenzhen, Beijing).
    // [C] wandergis/coordtransform, test/app.js (results printed for input 116.404, 39.915); the
    //     same numbers are asserted in dromara/hutool CoordinateUtilTest.
    // [H] dromara/hutool, hutool-core CoordinateUtilTest.wgs84toBd09Test / wgs84toBd09Test2 (the
    //     second pair is credited there to the tool.lu online converter).
    const WGS_TO_GCJ: [((f64, f64), (f64, f64)); 4] = [
        // [E] Shanghai
        (
            (121.5272106, 31.1774276),
            (121.531541859215, 31.17530398364597),
        ),
        // [E] Shenzhen
        (
            (113.912316, 22.543847),
            (113.9171764808363, 22.540796131694766),
        ),
        // [E] Beijing
        (
            (116.377817, 39.911954),
            (116.38404722455657, 39.91334545536069),
        ),
        // [C] wgs84togcj02(116.404, 39.915)
        ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ];
    // [C] gcj02tobd09(116.404, 39.915)
    const GCJ_TO_BD: ((f64, f64), (f64, f64)) =
        ((116.404, 39.915), (116.41036949371029, 39.92133699351021));
    const WGS_TO_BD: [((f64, f64), (f64, f64)); 2] = [
        // [H] wgs84ToBd09(116.404, 39.915)
        ((116.404, 39.915), (116.41662724378733, 39.922699552216216)),
        // [H] wgs84ToBd09(122.99395597, 44.99804071), tool.lu
        (
            (122.99395597, 44.99804071),
            (123.00636516028885, 45.0063690918959),
        ),
    ];

    #[test]
    fn forward_matches_published_pairs() {
        for (wgs, gcj) in WGS_TO_GCJ {
            assert_close(wgs84_to_gcj02(wgs.0, wgs.1), gcj, 1e-6, "wgs84→gcj02");
            assert_close(
                from_wgs84(Crs::Gcj02, wgs.0, wgs.1),
                gcj,
                1e-6,
                "from_wgs84",
            );
        }
        let (gcj, bd) = GCJ_TO_BD;
        assert_close(gcj02_to_bd09(gcj.0, gcj.1), bd, 1e-6, "gcj02→bd09");
        for (wgs, bd) in WGS_TO_BD {
            assert_close(from_wgs84(Crs::Bd09, wgs.0, wgs.1), bd, 1e-6, "wgs84→bd09");
        }
    }

    #[test]
    fn inverse_recovers_published_sources() {
        for (wgs, gcj) in WGS_TO_GCJ {
            let back = to_wgs84(Crs::Gcj02, gcj.0, gcj.1);
            // The published GCJ values carry ~1e-15° of rounding; 1e-8° is about 1 mm.
            assert_close(back, wgs, 1e-8, "gcj02→wgs84");
            assert!(distance_m(back.0, back.1, wgs.0, wgs.1) < 0.01);
        }
        let (gcj, bd) = GCJ_TO_BD;
        assert_close(bd09_to_gcj02(bd.0, bd.1), gcj, 1e-8, "bd09→gcj02");
        for (wgs, bd) in WGS_TO_BD {
            assert_close(to_wgs84(Crs::Bd09, bd.0, bd.1), wgs, 1e-8, "bd09→wgs84");
        }
    }

    #[test]
    fn bd_inverse_refines_the_closed_form() {
        // [C] bd09togcj02(116.404, 39.915) with the one-step closed form gives
        // (116.39762729119315, 39.90865673957631); the iterated inverse stays within a few
        // centimetres of it but maps forward onto the input exactly.
        let g = bd09_to_gcj02(116.404, 39.915);
        assert_close(
            g,
            (116.39762729119315, 39.90865673957631),
            1e-6,
            "closed form",
        );
        assert_close(
            gcj02_to_bd09(g.0, g.1),
            (116.404, 39.915),
            1e-9,
            "forward image",
        );
    }

    #[test]
    fn inverts_near_the_box_edges() {
        // On the east edge the offset pushes the GCJ-02 image out of the box; the inverse must
        // still find the in-box source rather than return the image unchanged.
        for (lng, lat) in [(137.8347, 30.0), (137.8347, 55.8271), (72.004, 0.8293)] {
            let (gx, gy) = wgs84_to_gcj02(lng, lat);
            let back = gcj02_to_wgs84(gx, gy);
            assert!(
                distance_m(lng, lat, back.0, back.1) < 0.001,
                "{lng},{lat}: {back:?}"
            );
        }
    }

    #[test]
    fn no_offset_outside_china() {
        for (lng, lat) in [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (100.0, 60.0)] {
            assert_eq!(wgs84_to_gcj02(lng, lat), (lng, lat));
            assert_eq!(gcj02_to_wgs84(lng, lat), (lng, lat));
            assert_eq!(to_wgs84(Crs::Wgs84, lng, lat), (lng, lat));
        }
        assert!(out_of_china(72.0, 30.0));
        assert!(!out_of_china(72.004, 30.0));
        assert!(!out_of_china(137.8347, 55.8271));
    }

    #[test]
    fn non_finite_input_passes_through() {
        let (x, y) = gcj02_to_wgs84(f64::NAN, 30.0);
        assert!(x.is_nan() && y == 30.0);
        let (x, _) = bd09_to_gcj02(f64::INFINITY, 30.0);
        assert!(x.is_infinite());
    }

    #[test]
    fn haversine_distance() {
        // One degree of latitude on the mean sphere: R·π/180.
        let d = distance_m(120.0, 30.0, 120.0, 31.0);
        assert!((d - EARTH_MEAN_RADIUS_M.to_radians()).abs() < 1e-6, "{d}");
        assert_eq!(distance_m(120.0, 30.0, 120.0, 30.0), 0.0);
        // Beijing–Shanghai is about 1,068 km on the sphere.
        let d = distance_m(116.4074, 39.9042, 121.4737, 31.2304);
        assert!((1_060_000.0..1_075_000.0).contains(&d), "{d}");
    }

    /// Every point of a 0.5° lattice over the China box (edges included) round-trips through
    /// GCJ-02 and through BD-09 within 0.5 m; the worst case is reported on failure.
    #[test]
    fn round_trip_over_china_lattice() {
        let (mut worst_gcj, mut worst_bd) = (0.0f64, 0.0f64);
        let mut n = 0;
        // 0.5° steps from the box's south-west corner, with the far edges added exactly.
        let steps = |lo: f64, hi: f64| {
            let count = ((hi - lo) / 0.5).ceil() as usize;
            (0..=count).map(move |i| (lo + 0.5 * i as f64).min(hi))
        };
        for lng in steps(72.004, 137.8347) {
            for lat in steps(0.8293, 55.8271) {
                for crs in [Crs::Gcj02, Crs::Bd09] {
                    let (x, y) = from_wgs84(crs, lng, lat);
                    let (bx, by) = to_wgs84(crs, x, y);
                    let d = distance_m(lng, lat, bx, by);
                    match crs {
                        Crs::Gcj02 => worst_gcj = worst_gcj.max(d),
                        _ => worst_bd = worst_bd.max(d),
                    }
                }
                n += 1;
            }
        }
        assert!(n > 14_000, "{n} lattice points");
        assert!(worst_gcj <= 0.5, "worst GCJ-02 round trip {worst_gcj} m");
        assert!(worst_bd <= 0.5, "worst BD-09 round trip {worst_bd} m");
        // In practice the iteration is far tighter than the promise.
        assert!(
            worst_gcj < 0.001 && worst_bd < 0.001,
            "{worst_gcj} {worst_bd}"
        );
    }

    proptest::proptest! {
        #[test]
        fn round_trip_random_points_in_china(lng in 72.004f64..137.8347, lat in 0.8293f64..55.8271) {
            for crs in [Crs::Gcj02, Crs::Bd09] {
                let (x, y) = from_wgs84(crs, lng, lat);
                let (bx, by) = to_wgs84(crs, x, y);
                proptest::prop_assert!(distance_m(lng, lat, bx, by) <= 0.5);
            }
        }
    }
}
