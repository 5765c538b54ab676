//! A local transverse-Mercator projection on the WGS-84 ellipsoid, so analysis can work in metres.
//!
//! Distances, buffers, areas and kernel densities need planar coordinates in metres; a deployment
//! covers one city or county, so one transverse-Mercator strip around a chosen central meridian
//! (a UTM zone, or a Gauss–Krüger 3° zone as Chinese surveying uses) keeps scale error well below
//! 0.1 %. [`Projection`] implements the Krüger series in the third flattening to sixth order
//! (Karney 2011, "Transverse Mercator with an accuracy of a few nanometers"), forward and inverse;
//! within a few thousand kilometres of the central meridian the error is far below a millimetre.
//! No PROJ library is needed. Helpers project whole geo geometries.

use geo::MapCoords;
use serde::{Deserialize, Serialize};

/// WGS-84 semi-major axis (metres).
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS-84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// A transverse-Mercator projection: central meridian, scale on it, false easting/northing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// Central meridian, degrees east.
    pub central_meridian: f64,
    /// Scale factor on the central meridian (0.9996 for UTM, 1 for Gauss–Krüger).
    pub scale: f64,
    /// Added to x (metres).
    pub false_easting: f64,
    /// Added to y (metres).
    pub false_northing: f64,
    /// The UTM zone number when built by [`Projection::utm`] / [`Projection::utm_zone_for`].
    pub utm_zone: Option<u8>,
}

/// Series coefficients derived once per call from the ellipsoid (cheap; inlined constants).
struct Series {
    /// Rectifying radius A = a/(1+n)·(1 + n²/4 + n⁴/64 + n⁶/256).
    a_rect: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
    e: f64,
}

fn series() -> Series {
    let f = WGS84_F;
    let n = f / (2.0 - f);
    let (n2, n3) = (n * n, n * n * n);
    let (n4, n5, n6) = (n2 * n2, n2 * n3, n3 * n3);
    let a_rect = WGS84_A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
    let alpha = [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
            + 7891.0 * n6 / 37800.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
            - 1_983_433.0 * n6 / 1_935_360.0,
        61.0 * n3 / 240.0 - 103.0 * n4 / 140.0
            + 15061.0 * n5 / 26880.0
            + 167_603.0 * n6 / 181_440.0,
        49561.0 * n4 / 161_280.0 - 179.0 * n5 / 168.0 + 6_601_661.0 * n6 / 7_257_600.0,
        34729.0 * n5 / 80640.0 - 3_418_889.0 * n6 / 1_995_840.0,
        212_378_941.0 * n6 / 319_334_400.0,
    ];
    let beta = [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
            + 96199.0 * n6 / 604_800.0,
        n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
            - 1_118_711.0 * n6 / 3_870_720.0,
        17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
        4397.0 * n4 / 161_280.0 - 11.0 * n5 / 504.0 - 830_251.0 * n6 / 7_257_600.0,
        4583.0 * n5 / 161_280.0 - 108_847.0 * n6 / 3_991_680.0,
        20_648_693.0 * n6 / 638_668_800.0,
    ];
    Series {
        a_rect,
        alpha,
        beta,
        e: (f * (2.0 - f)).sqrt(),
    }
}

impl Projection {
    /// A Gauss–Krüger style projection: the given central meridian, scale 1, false easting
    /// 500 km, no false northing.
    pub fn transverse_mercator(central_meridian_deg: f64) -> Self {
        Projection {
            central_meridian: central_meridian_deg,
            scale: 1.0,
            false_easting: 500_000.0,
            false_northing: 0.0,
            utm_zone: None,
        }
    }

    /// UTM zone `zone` (1–60) of the northern hemisphere (all of China): central meridian
    /// 6·zone − 183, scale 0.9996, false easting 500 km.
    ///
    /// # Panics
    /// If `zone` is not in 1..=60.
    pub fn utm(zone: u8) -> Self {
        assert!((1..=60).contains(&zone), "UTM zone {zone} out of 1..=60");
        Projection {
            central_meridian: 6.0 * f64::from(zone) - 183.0,
            scale: 0.9996,
            false_easting: 500_000.0,
            false_northing: 0.0,
            utm_zone: Some(zone),
        }
    }

    /// The UTM projection of the zone containing longitude `lng` (degrees; a longitude on a zone
    /// boundary belongs to the zone to its east, 180° to zone 60). Norway/Svalbard exceptions do
    /// not apply to China and are not modelled.
    pub fn utm_zone_for(lng: f64) -> Self {
        let lng = ((lng + 180.0).rem_euclid(360.0)) - 180.0;
        let zone = ((lng + 180.0) / 6.0).floor() as i32 + 1;
        Projection::utm(zone.clamp(1, 60) as u8)
    }

    /// Chinese Gauss–Krüger 3° zone containing `lng`: central meridian 3·round(lng/3), scale 1,
    /// false easting 500 km (without the zone-number prefix some maps add to x).
    pub fn gauss_kruger_3deg(lng: f64) -> Self {
        Projection::transverse_mercator(3.0 * (lng / 3.0).round())
    }

    /// Geographic `(lng, lat)` in degrees → projected `(x, y)` in metres.
    pub fn forward(&self, lng: f64, lat: f64) -> (f64, f64) {
        let s = series();
        let (sin_lam, cos_lam) = (lng - self.central_meridian).to_radians().sin_cos();
        let tau = lat.to_radians().tan();
        let sigma = (s.e * (s.e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
        let tau_c = tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt();
        let xi_c = tau_c.atan2(cos_lam);
        let eta_c = (sin_lam / (tau_c * tau_c + cos_lam * cos_lam).sqrt()).asinh();
        // ζ = ζ' + Σ α_j sin(2jζ') over complex ζ' = ξ' + iη', summed by Clenshaw's recurrence
        // from sin 2ζ' and cos 2ζ' alone (Karney 2011, as GeographicLib does): three
        // transcendental calls instead of four per term.
        let (s2, c2) = (2.0 * xi_c).sin_cos();
        let sh2 = (2.0 * eta_c).sinh();
        let ch2 = (1.0 + sh2 * sh2).sqrt();
        // sin 2ζ' and 2 cos 2ζ' as (re, im).
        let sin2 = (s2 * ch2, c2 * sh2);
        let two_cos2 = (2.0 * c2 * ch2, -2.0 * s2 * sh2);
        let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let (mut y1, mut y2) = ((0.0, 0.0), (0.0, 0.0));
        for a in s.alpha.iter().rev() {
            let t = mul(two_cos2, y1);
            let y0 = (t.0 - y2.0 + a, t.1 - y2.1);
            y2 = y1;
            y1 = y0;
        }
        let sum = mul(y1, sin2);
        let (xi, eta) = (xi_c + sum.0, eta_c + sum.1);
        (
            self.false_easting + self.scale * s.a_rect * eta,
            self.false_northing + self.scale * s.a_rect * xi,
        )
    }

    /// Projected `(x, y)` in metres → geographic `(lng, lat)` in degrees.
    pub fn inverse(&self, x: f64, y: f64) -> (f64, f64) {
        let s = series();
        let eta = (x - self.false_easting) / (self.scale * s.a_rect);
        let xi = (y - self.false_northing) / (self.scale * s.a_rect);
        let (mut xi_c, mut eta_c) = (xi, eta);
        for (j, b) in s.beta.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi_c -= b * (k * xi).sin() * (k * eta).cosh();
            eta_c -= b * (k * xi).cos() * (k * eta).sinh();
        }
        let sinh_eta = eta_c.sinh();
        let tau_c = xi_c.sin() / (sinh_eta * sinh_eta + xi_c.cos() * xi_c.cos()).sqrt();
        let lam = sinh_eta.atan2(xi_c.cos());
        // Newton's method for τ from τ′ (Karney 2011, eqs. 19–21).
        let e2 = s.e * s.e;
        let mut tau = tau_c;
        for _ in 0..10 {
            let sigma = (s.e * (s.e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
            let tau_i = tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt();
            let d = (tau_c - tau_i) / (1.0 + tau_i * tau_i).sqrt() * (1.0 + (1.0 - e2) * tau * tau)
                / ((1.0 - e2) * (1.0 + tau * tau).sqrt());
            tau += d;
            if d.abs() < 1e-14 {
                break;
            }
        }
        (
            self.central_meridian + lam.to_degrees(),
            tau.atan().to_degrees(),
        )
    }

    /// Projects every coordinate of a geo geometry (`x` = lng, `y` = lat) to metres.
    pub fn forward_geometry<G: MapCoords<f64, f64, Output = G>>(&self, g: &G) -> G {
        g.map_coords(|c| {
            let (x, y) = self.forward(c.x, c.y);
            geo::coord! { x: x, y: y }
        })
    }

    /// Unprojects every coordinate of a geo geometry from metres to `(lng, lat)`.
    pub fn inverse_geometry<G: MapCoords<f64, f64, Output = G>>(&self, g: &G) -> G {
        g.map_coords(|c| {
            let (x, y) = self.inverse(c.x, c.y);
            geo::coord! { x: x, y: y }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::distance_m;

    /// (lat, lng) → UTM zone, easting, northing, from GeographicLib's GeoConvert: the first is
    /// the worked example in the GeoConvert(1) manual page ("33.3 44.4" = "38n 444140.54
    /// 3684706.36"); the others were produced with GeoConvert 2.1.2 (Debian geographiclib-tools),
    /// `echo LAT LNG | GeoConvert -u -p 4`.
    const UTM_REFERENCE: [(f64, f64, u8, f64, f64); 6] = [
        (33.3, 44.4, 38, 444140.545, 3684706.356),
        (39.9042, 116.4074, 50, 449345.0615, 4417292.4945), // Beijing
        (29.7136, 120.2363, 51, 232632.3574, 3290248.3835), // Zhuji
        (22.5431, 114.0579, 50, 197389.3312, 2495922.9411), // Shenzhen
        (43.8256, 87.6168, 45, 549596.0547, 4852687.7749),  // Ürümqi
        (31.2304, 121.4737, 51, 354633.6490, 3456140.5296), // Shanghai
    ];

    /// `TransverseMercatorProj -l 120 -k 1 -p 4` (GeographicLib 2.1.2), false easting added:
    /// a point near the central meridian and one 3.8° from it.
    const TM_REFERENCE: [(f64, f64, f64, f64); 2] = [
        (29.7136, 120.2363, 500000.0 + 22864.9242, 3288389.3189),
        (29.7136, 123.8, 500000.0 + 367834.2040, 3294417.6163),
    ];

    #[test]
    fn utm_matches_geographiclib_within_a_centimetre() {
        for (lat, lng, zone, e, n) in UTM_REFERENCE {
            let p = Projection::utm_zone_for(lng);
            assert_eq!(p.utm_zone, Some(zone), "zone for {lng}");
            let (x, y) = p.forward(lng, lat);
            assert!(
                (x - e).abs() < 0.01 && (y - n).abs() < 0.01,
                "({lat}, {lng}): got ({x:.4}, {y:.4}), want ({e}, {n})"
            );
            let (blng, blat) = p.inverse(e, n);
            assert!(
                distance_m(lng, lat, blng, blat) < 0.01,
                "inverse of {zone} {e} {n}"
            );
        }
    }

    #[test]
    fn gauss_kruger_matches_geographiclib() {
        let p = Projection::transverse_mercator(120.0);
        for (lat, lng, e, n) in TM_REFERENCE {
            let (x, y) = p.forward(lng, lat);
            assert!(
                (x - e).abs() < 0.01 && (y - n).abs() < 0.01,
                "got ({x}, {y})"
            );
        }
        assert_eq!(
            Projection::gauss_kruger_3deg(120.2363).central_meridian,
            120.0
        );
        assert_eq!(Projection::gauss_kruger_3deg(121.6).central_meridian, 123.0);
    }

    /// The forward series summed term by term, as first written.
    fn forward_term_by_term(p: &Projection, lng: f64, lat: f64) -> (f64, f64) {
        let s = series();
        let lam = (lng - p.central_meridian).to_radians();
        let tau = lat.to_radians().tan();
        let sigma = (s.e * (s.e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
        let tau_c = tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt();
        let xi_c = tau_c.atan2(lam.cos());
        let eta_c = (lam.sin() / (tau_c * tau_c + lam.cos() * lam.cos()).sqrt()).asinh();
        let (mut xi, mut eta) = (xi_c, eta_c);
        for (j, a) in s.alpha.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi += a * (k * xi_c).sin() * (k * eta_c).cosh();
            eta += a * (k * xi_c).cos() * (k * eta_c).sinh();
        }
        (
            p.false_easting + p.scale * s.a_rect * eta,
            p.false_northing + p.scale * s.a_rect * xi,
        )
    }

    #[test]
    fn clenshaw_sum_equals_the_term_by_term_series() {
        let p = Projection::gauss_kruger_3deg(120.0);
        let mut worst: f64 = 0.0;
        for i in 0..=60 {
            for j in 0..=50 {
                let (lng, lat) = (115.0 + i as f64 * 0.2, 3.0 + j as f64);
                let (x, y) = p.forward(lng, lat);
                let (rx, ry) = forward_term_by_term(&p, lng, lat);
                worst = worst.max((x - rx).abs()).max((y - ry).abs());
            }
        }
        assert!(worst < 1e-8, "largest difference {worst} m");
    }

    #[test]
    fn zone_numbers() {
        assert_eq!(Projection::utm_zone_for(-180.0).utm_zone, Some(1));
        assert_eq!(Projection::utm_zone_for(0.0).utm_zone, Some(31));
        assert_eq!(Projection::utm_zone_for(120.0).utm_zone, Some(51));
        assert_eq!(Projection::utm_zone_for(119.999).utm_zone, Some(50));
        assert_eq!(Projection::utm_zone_for(179.9).utm_zone, Some(60));
        assert_eq!(Projection::utm_zone_for(180.0).utm_zone, Some(1));
        assert_eq!(Projection::utm(50).central_meridian, 117.0);
    }

    #[test]
    fn central_meridian_and_equator() {
        let p = Projection::utm(50);
        let (x, y) = p.forward(117.0, 0.0);
        assert!((x - 500_000.0).abs() < 1e-9 && y.abs() < 1e-9);
        // The meridian arc from the equator to 45°N is 4,984,944.378 m on WGS-84, scaled by k0.
        let (_, y) = p.forward(117.0, 45.0);
        assert!((y - 4_984_944.378 * 0.9996).abs() < 0.01, "{y}");
    }

    #[test]
    fn geometry_round_trip() {
        let p = Projection::utm_zone_for(120.2);
        let ring = vec![(120.2, 29.7), (120.3, 29.7), (120.3, 29.8), (120.2, 29.7)];
        let poly = geo::Polygon::new(geo::LineString::from(ring), vec![]);
        let back = p.inverse_geometry(&p.forward_geometry(&poly));
        for (a, b) in poly.exterior().coords().zip(back.exterior().coords()) {
            assert!((a.x - b.x).abs() < 1e-10 && (a.y - b.y).abs() < 1e-10);
        }
    }

    proptest::proptest! {
        /// Anywhere in China (within 4° of the chosen central meridian) the inverse undoes the
        /// forward projection to better than a millimetre.
        #[test]
        fn round_trip(lng in 73.0f64..135.0, lat in 3.0f64..54.0, off in -4.0f64..4.0) {
            let p = Projection::transverse_mercator((lng - off).round());
            let (x, y) = p.forward(lng, lat);
            let (blng, blat) = p.inverse(x, y);
            proptest::prop_assert!(distance_m(lng, lat, blng, blat) < 0.001);
            let u = Projection::utm_zone_for(lng);
            let (x, y) = u.forward(lng, lat);
            let (blng, blat) = u.inverse(x, y);
            proptest::prop_assert!(distance_m(lng, lat, blng, blat) < 0.001);
        }
    }
}
