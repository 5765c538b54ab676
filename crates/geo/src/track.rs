//! GPS track simplification for long-term storage.
//!
//! Patrol units ping every ~10 s; after the retention period raw pings are folded into simplified
//! tracks. Plain (spatial) Douglas–Peucker would fold a unit that stood still for 20 minutes into
//! a line through that spot, losing *when* it was there, yet check-ins ask "was the unit within R
//! metres of X for T minutes". So [`simplify`] uses the time-aware variant TD-TR (Meratnia & de By
//! 2004): a fix's error is its *synchronized Euclidean distance* (SED), the distance to the
//! position interpolated by time on the kept segment that brackets it. Both tracks are linear in
//! time between fixes, so their distance is convex in time between fixes, and bounding it at every
//! fix bounds it at every instant: the simplified track is within `tolerance_m` of the (linearly
//! interpolated) raw track at all times, not just near its path.
//!
//! Distances are measured in a transverse-Mercator projection ([`Projection`]) whose central
//! meridian is the middle of the track's longitude range. Its scale error is k − 1 ≈ x²/2R² at x
//! metres from that meridian (1.2 ppm at 10 km, 31 ppm at 50 km), so the bound is off by at most
//! that fraction of `tolerance_m`; a straight kept segment differs from the geodesic by
//! centimetres at most for segments under 10 km within 50 km of the meridian. Tracks crossing the
//! antimeridian are not supported (they would be projected around the wrong meridian).

use serde::{Deserialize, Serialize};

use crate::proj::Projection;

/// One GPS fix (WGS-84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Time, UTC microseconds since the Unix epoch.
    pub at: i64,
    /// Longitude, degrees east.
    pub lng: f64,
    /// Latitude, degrees north.
    pub lat: f64,
}

/// How hard [`simplify`] may fold a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimplifyParams {
    /// Largest allowed SED of a dropped fix, metres (finite, ≥ 0).
    pub tolerance_m: f64,
    /// Fixes more than this far apart in time (µs, > 0) bracket a gap; both are kept so the
    /// simplified track never interpolates across it.
    pub max_gap_us: i64,
}

/// Why a track cannot be simplified.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackError {
    /// A coordinate is not finite or outside lng −180..=180 / lat −90..=90.
    #[error("fix {index}: ({lng}, {lat}) is not a WGS-84 position")]
    Coordinate {
        /// Index of the fix.
        index: usize,
        /// Its longitude.
        lng: f64,
        /// Its latitude.
        lat: f64,
    },
    /// Fixes are not in strictly increasing time order.
    #[error("fix {index} at {at} µs is not after the previous fix at {previous} µs")]
    NotIncreasing {
        /// Index of the offending fix.
        index: usize,
        /// Its time.
        at: i64,
        /// The time of the fix before it.
        previous: i64,
    },
    /// A [`SimplifyParams`] field is out of range.
    #[error("invalid simplify parameters: {0}")]
    Params(&'static str),
}

/// A fix in the local projection: metres and microseconds.
#[derive(Debug, Clone, Copy)]
struct Point {
    x: f64,
    y: f64,
    t: i64,
}

/// Simplifies a track with TD-TR (Douglas–Peucker on the synchronized Euclidean distance) and
/// returns the indices of the kept fixes, strictly increasing.
///
/// `fixes` must be sorted by time with no two at the same instant, else
/// [`TrackError::NotIncreasing`] (deduplicate first: at one instant a unit has one position).
/// Guarantees: the first and last fix are kept; both fixes around every gap longer than
/// `max_gap_us` are kept; every dropped fix is within `tolerance_m` (SED, see the module docs) of
/// the kept fixes bracketing it, which [`max_sed_error`] checks. Iterative, so long tracks cannot
/// overflow the stack; O(n log n) typically, O(n²) for adversarial tracks (e.g. a tight spiral).
pub fn simplify(fixes: &[Fix], params: SimplifyParams) -> Result<Vec<usize>, TrackError> {
    check_params(params)?;
    let points = project(fixes)?;
    let mut keep = vec![false; points.len()];
    let tolerance_sq = params.tolerance_m * params.tolerance_m;
    for (first, last) in runs(&points, params.max_gap_us) {
        douglas_peucker(&points, first, last, tolerance_sq, sed_sq, &mut keep);
    }
    Ok(keep_indices(&keep))
}

/// The largest SED (metres) of any fix of `original` against the track of the fixes at `kept`,
/// computed directly, for checking [`simplify`]'s bound. Kept fixes count as 0.
///
/// Returns infinity when `kept` does not bracket every fix (empty for a non-empty track, not
/// starting at 0 or ending at n − 1, not strictly increasing, out of range), and NaN when
/// `original` holds a fix that [`simplify`] would reject.
pub fn max_sed_error(original: &[Fix], kept: &[usize]) -> f64 {
    let Ok(points) = project(original) else {
        return f64::NAN;
    };
    if !brackets_all(kept, points.len()) {
        return f64::INFINITY;
    }
    kept.windows(2)
        .flat_map(|w| (w[0]..=w[1]).map(move |k| (w[0], w[1], k)))
        .map(|(a, b, k)| sed_direct(&points[a], &points[b], &points[k]))
        .fold(0.0, f64::max)
}

fn check_params(params: SimplifyParams) -> Result<(), TrackError> {
    if !(params.tolerance_m.is_finite() && params.tolerance_m >= 0.0) {
        return Err(TrackError::Params("tolerance_m must be finite and ≥ 0"));
    }
    if params.max_gap_us <= 0 {
        return Err(TrackError::Params("max_gap_us must be > 0"));
    }
    Ok(())
}

/// Validates the fixes and projects them around the middle of their longitude range.
fn project(fixes: &[Fix]) -> Result<Vec<Point>, TrackError> {
    check_fixes(fixes)?;
    let (lo, hi) = fixes
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), f| {
            (lo.min(f.lng), hi.max(f.lng))
        });
    let proj = Projection::transverse_mercator((lo + hi) / 2.0);
    fixes
        .iter()
        .enumerate()
        .map(|(index, f)| {
            let (x, y) = proj.forward(f.lng, f.lat);
            if x.is_finite() && y.is_finite() {
                Ok(Point { x, y, t: f.at })
            } else {
                Err(coordinate_error(index, f))
            }
        })
        .collect()
}

fn check_fixes(fixes: &[Fix]) -> Result<(), TrackError> {
    for (index, f) in fixes.iter().enumerate() {
        if !((-180.0..=180.0).contains(&f.lng) && (-90.0..=90.0).contains(&f.lat)) {
            return Err(coordinate_error(index, f));
        }
        if let Some(prev) = index.checked_sub(1).map(|i| fixes[i].at)
            && f.at <= prev
        {
            return Err(TrackError::NotIncreasing {
                index,
                at: f.at,
                previous: prev,
            });
        }
    }
    Ok(())
}

fn coordinate_error(index: usize, f: &Fix) -> TrackError {
    TrackError::Coordinate {
        index,
        lng: f.lng,
        lat: f.lat,
    }
}

/// Splits `0..n` at gaps longer than `max_gap_us` into inclusive `(first, last)` index runs.
fn runs(points: &[Point], max_gap_us: i64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut first = 0;
    for (i, w) in points.windows(2).enumerate() {
        // Times strictly increase, so the difference is positive; abs_diff cannot overflow.
        if w[1].t.abs_diff(w[0].t) > max_gap_us.unsigned_abs() {
            out.push((first, i));
            first = i + 1;
        }
    }
    if !points.is_empty() {
        out.push((first, points.len() - 1));
    }
    out
}

/// Douglas–Peucker over `points[first..=last]` with an explicit stack: marks in `keep` the ends
/// and every fix whose squared distance `dist_sq(a, b, p)` to its current segment exceeds
/// `tolerance_sq`, splitting there.
fn douglas_peucker(
    points: &[Point],
    first: usize,
    last: usize,
    tolerance_sq: f64,
    dist_sq: impl Fn(&Point, &Point, &Point) -> f64,
    keep: &mut [bool],
) {
    keep[first] = true;
    keep[last] = true;
    let mut stack = vec![(first, last)];
    while let Some((a, b)) = stack.pop() {
        let Some((k, d_sq)) = farthest(points, a, b, &dist_sq) else {
            continue;
        };
        if d_sq > tolerance_sq {
            keep[k] = true;
            stack.push((a, k));
            stack.push((k, b));
        }
    }
}

/// The fix strictly between `a` and `b` farthest from segment a–b (the first one on ties), and
/// its squared distance; `None` when there is none.
fn farthest(
    points: &[Point],
    a: usize,
    b: usize,
    dist_sq: &impl Fn(&Point, &Point, &Point) -> f64,
) -> Option<(usize, f64)> {
    let (pa, pb) = (&points[a], &points[b]);
    (a + 1..b)
        .map(|k| (k, dist_sq(pa, pb, &points[k])))
        .fold(None, |best, (k, d)| match best {
            Some((_, bd)) if bd >= d => best,
            _ => Some((k, d)),
        })
}

/// Squared SED of `p` against segment `a`–`b`, where `a.t < p.t < b.t`.
fn sed_sq(a: &Point, b: &Point, p: &Point) -> f64 {
    let u = p.t.abs_diff(a.t) as f64 / b.t.abs_diff(a.t) as f64;
    let dx = p.x - (a.x + u * (b.x - a.x));
    let dy = p.y - (a.y + u * (b.y - a.y));
    dx * dx + dy * dy
}

/// SED written out independently of [`sed_sq`] (i128 time arithmetic, `hypot`), for checking.
fn sed_direct(a: &Point, b: &Point, p: &Point) -> f64 {
    let span = (i128::from(b.t) - i128::from(a.t)) as f64;
    let u = (i128::from(p.t) - i128::from(a.t)) as f64 / span;
    let (ix, iy) = (a.x * (1.0 - u) + b.x * u, a.y * (1.0 - u) + b.y * u);
    (p.x - ix).hypot(p.y - iy)
}

fn brackets_all(kept: &[usize], n: usize) -> bool {
    match (kept.first(), kept.last()) {
        (Some(&first), Some(&last)) => {
            first == 0 && last == n - 1 && kept.windows(2).all(|w| w[0] < w[1])
        }
        _ => n == 0,
    }
}

fn keep_indices(keep: &[bool]) -> Vec<usize> {
    keep.iter()
        .enumerate()
        .filter_map(|(i, &k)| k.then_some(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::random_walk;

    const ORIGIN: (f64, f64) = (120.2363, 29.7136);
    const T0: i64 = 1_704_067_200_000_000;
    const SECOND: i64 = 1_000_000;
    const M_PER_DEG_LAT: f64 = 110_850.0;

    /// A fix `t` seconds after T0 at (`x`, `y`) metres east/north of ORIGIN.
    fn fix(t: i64, x: f64, y: f64) -> Fix {
        let m_per_deg_lng = M_PER_DEG_LAT * ORIGIN.1.to_radians().cos();
        Fix {
            at: T0 + t * SECOND,
            lng: ORIGIN.0 + x / m_per_deg_lng,
            lat: ORIGIN.1 + y / M_PER_DEG_LAT,
        }
    }

    fn params(tolerance_m: f64) -> SimplifyParams {
        SimplifyParams {
            tolerance_m,
            max_gap_us: 300 * SECOND,
        }
    }

    /// Spatial-only Douglas–Peucker (distance to the segment, ignoring time), for contrast.
    fn spatial_dp(fixes: &[Fix], tolerance_m: f64) -> Vec<usize> {
        let points = project(fixes).expect("valid fixes");
        let mut keep = vec![false; points.len()];
        let seg_sq = |a: &Point, b: &Point, p: &Point| {
            let (vx, vy) = (b.x - a.x, b.y - a.y);
            let len_sq = vx * vx + vy * vy;
            let u = if len_sq > 0.0 {
                (((p.x - a.x) * vx + (p.y - a.y) * vy) / len_sq).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (dx, dy) = (p.x - a.x - u * vx, p.y - a.y - u * vy);
            dx * dx + dy * dy
        };
        let last = points.len() - 1;
        douglas_peucker(&points, 0, last, tolerance_m.powi(2), seg_sq, &mut keep);
        keep_indices(&keep)
    }

    fn assert_well_formed(kept: &[usize], n: usize) {
        if n == 0 {
            assert!(kept.is_empty());
            return;
        }
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&(n - 1)));
        assert!(kept.windows(2).all(|w| w[0] < w[1]), "{kept:?}");
    }

    #[test]
    fn straight_constant_speed_line_folds_to_two_fixes() {
        let fixes: Vec<Fix> = (0..=360)
            .map(|i| fix(10 * i, 10.0 * i as f64, 10.0 * i as f64))
            .collect();
        let kept = simplify(&fixes, params(1.0)).unwrap();
        assert_eq!(kept, vec![0, 360]);
        assert!(max_sed_error(&fixes, &kept) < 0.5);
    }

    /// Walk east 10 min, stand 20 min, walk on east 10 min, all on one line: spatial DP keeps
    /// only the ends (and then claims the unit was 420 m from the spot halfway through the stop);
    /// SED keeps the stop's start and end.
    #[test]
    fn a_stop_keeps_its_start_and_end() {
        let x = |i: i64| 14.0 * (i.min(60) + (i - 180).max(0)) as f64;
        let fixes: Vec<Fix> = (0..=240).map(|i| fix(10 * i, x(i), 0.0)).collect();
        let kept = simplify(&fixes, params(5.0)).unwrap();
        assert_eq!(kept, vec![0, 60, 180, 240]);
        assert!(max_sed_error(&fixes, &kept) <= 5.0);

        let spatial = spatial_dp(&fixes, 5.0);
        assert_eq!(spatial, vec![0, 240]);
        assert!(max_sed_error(&fixes, &spatial) > 400.0);
    }

    #[test]
    fn a_zig_zag_keeps_its_corners() {
        let (leg, legs) = (20_i64, 10_i64);
        let fixes: Vec<Fix> = (0..=leg * legs)
            .map(|i| {
                let into_leg = i % leg;
                let up = (i / leg) % 2 == 0;
                let y = if up { into_leg } else { leg - into_leg } as f64 * 10.0;
                fix(10 * i, i as f64 * 10.0, y)
            })
            .collect();
        let kept = simplify(&fixes, params(2.0)).unwrap();
        let corners: Vec<usize> = (0..=legs).map(|c| (c * leg) as usize).collect();
        assert_eq!(kept, corners);
    }

    #[test]
    fn the_bound_holds_on_a_random_walk_day() {
        let fixes = random_walk(8_640, 1.4, 2.0, 42);
        let mut previous: Option<Vec<usize>> = None;
        for tolerance in [1.0, 5.0, 20.0] {
            let kept = simplify(&fixes, params(tolerance)).unwrap();
            assert_well_formed(&kept, fixes.len());
            let err = max_sed_error(&fixes, &kept);
            assert!(err <= tolerance + 1e-6, "{tolerance} m: {err} m");
            assert!(kept.len() < fixes.len(), "{tolerance} m kept everything");
            // The split order does not depend on the tolerance, so a looser tolerance keeps a
            // subset.
            if let Some(tighter) = previous {
                assert!(kept.iter().all(|k| tighter.binary_search(k).is_ok()));
            }
            previous = Some(kept);
        }
    }

    #[test]
    fn a_gap_is_never_interpolated_across() {
        // Constant velocity throughout, so only the gap rule can keep fixes 9 and 10.
        let times = (0..10).chain(370..380);
        let fixes: Vec<Fix> = times.map(|i| fix(10 * i, 14.0 * i as f64, 0.0)).collect();
        let kept = simplify(&fixes, params(5.0)).unwrap();
        assert_eq!(kept, vec![0, 9, 10, 19]);
        let no_gap = SimplifyParams {
            tolerance_m: 5.0,
            max_gap_us: 7_200 * SECOND,
        };
        assert_eq!(simplify(&fixes, no_gap).unwrap(), vec![0, 19]);
    }

    #[test]
    fn bad_input_is_an_error() {
        let good: Vec<Fix> = (0..5).map(|i| fix(10 * i, 0.0, 14.0 * i as f64)).collect();
        let p = params(5.0);

        let mut swapped = good.clone();
        swapped.swap(2, 3);
        assert!(matches!(
            simplify(&swapped, p),
            Err(TrackError::NotIncreasing { index: 3, .. })
        ));
        let mut duplicate = good.clone();
        duplicate[4].at = duplicate[3].at;
        assert!(matches!(
            simplify(&duplicate, p),
            Err(TrackError::NotIncreasing { index: 4, .. })
        ));

        for (lng, lat) in [
            (f64::NAN, 30.0),
            (120.0, f64::INFINITY),
            (181.0, 30.0),
            (120.0, -90.5),
        ] {
            let mut bad = good.clone();
            bad[1].lng = lng;
            bad[1].lat = lat;
            assert!(matches!(
                simplify(&bad, p),
                Err(TrackError::Coordinate { index: 1, .. })
            ));
            assert!(max_sed_error(&bad, &[0, 4]).is_nan());
        }

        for bad in [
            SimplifyParams {
                tolerance_m: f64::NAN,
                ..p
            },
            SimplifyParams {
                tolerance_m: -1.0,
                ..p
            },
            SimplifyParams { max_gap_us: 0, ..p },
        ] {
            assert!(matches!(simplify(&good, bad), Err(TrackError::Params(_))));
        }
    }

    #[test]
    fn empty_and_tiny_tracks() {
        let p = params(5.0);
        assert_eq!(simplify(&[], p).unwrap(), Vec::<usize>::new());
        assert_eq!(max_sed_error(&[], &[]), 0.0);
        let one = [fix(0, 0.0, 0.0)];
        assert_eq!(simplify(&one, p).unwrap(), vec![0]);
        assert_eq!(max_sed_error(&one, &[0]), 0.0);
        let two = [fix(0, 0.0, 0.0), fix(10, 500.0, 0.0)];
        assert_eq!(simplify(&two, p).unwrap(), vec![0, 1]);
    }

    #[test]
    fn max_sed_error_rejects_kept_sets_that_do_not_bracket() {
        let fixes: Vec<Fix> = (0..5).map(|i| fix(10 * i, 0.0, 14.0 * i as f64)).collect();
        for kept in [
            &[][..],
            &[1, 4],
            &[0, 3],
            &[0, 2, 2, 4],
            &[0, 3, 2, 4],
            &[0, 9],
        ] {
            assert_eq!(max_sed_error(&fixes, kept), f64::INFINITY, "{kept:?}");
        }
        assert!(max_sed_error(&fixes, &[0, 4]) < 1e-6);
    }

    proptest::proptest! {
        /// Random tracks, with gaps, stops and jumps: well-formed output, gap ends kept, bound held.
        #[test]
        fn kept_indices_are_well_formed_and_bounded(
            steps in proptest::collection::vec((1i64..900, -300.0f64..300.0, -300.0f64..300.0), 0..200),
            tolerance in 0.0f64..50.0,
            max_gap_s in 1i64..600,
        ) {
            let (mut t, mut x, mut y) = (0, 0.0, 0.0);
            let fixes: Vec<Fix> = steps
                .iter()
                .map(|&(dt, dx, dy)| {
                    t += dt;
                    x += dx;
                    y += dy;
                    fix(t, x, y)
                })
                .collect();
            let p = SimplifyParams { tolerance_m: tolerance, max_gap_us: max_gap_s * SECOND };
            let kept = simplify(&fixes, p).unwrap();
            assert_well_formed(&kept, fixes.len());
            for (i, w) in fixes.windows(2).enumerate() {
                if w[1].at - w[0].at > p.max_gap_us {
                    proptest::prop_assert!(kept.binary_search(&i).is_ok());
                    proptest::prop_assert!(kept.binary_search(&(i + 1)).is_ok());
                }
            }
            let err = max_sed_error(&fixes, &kept);
            proptest::prop_assert!(err <= tolerance + 1e-6, "{} > {}", err, tolerance);
        }
    }
}
