//! Map tiles in the XYZ (slippy-map) scheme over Web Mercator: tile addresses and their extent, the
//! tile formats a base map may hold, the PMTiles v3 archive format ([`pmtiles`]) and a small
//! rasteriser for a synthetic base map ([`render`]). Pure computation over bytes in memory.

pub mod pmtiles;
pub mod render;

use std::f64::consts::PI;

/// A tile address: zoom, column, row (row 0 at the north edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// A longitude/latitude box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LngLatBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

/// Web Mercator's latitude limit.
const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Fractional tile coordinates of a point at zoom `z`.
pub fn tile_xy(lng: f64, lat: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lng + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n;
    (x, y)
}

/// The tile holding a point at zoom `z`.
pub fn tile_for(lng: f64, lat: f64, z: u8) -> TileId {
    let max = (1u32 << z) - 1;
    let (x, y) = tile_xy(lng, lat, z);
    TileId {
        z,
        x: (x.floor().max(0.0) as u32).min(max),
        y: (y.floor().max(0.0) as u32).min(max),
    }
}

fn lng_of(x: f64, z: u8) -> f64 {
    x / f64::from(1u32 << z) * 360.0 - 180.0
}

fn lat_of(y: f64, z: u8) -> f64 {
    let n = PI - 2.0 * PI * y / f64::from(1u32 << z);
    n.sinh().atan().to_degrees()
}

impl TileId {
    /// The tile's extent in degrees.
    pub fn bounds(&self) -> LngLatBox {
        let (x, y) = (f64::from(self.x), f64::from(self.y));
        LngLatBox {
            west: lng_of(x, self.z),
            east: lng_of(x + 1.0, self.z),
            north: lat_of(y, self.z),
            south: lat_of(y + 1.0, self.z),
        }
    }

    /// Whether the address exists at its zoom.
    pub fn is_valid(&self) -> bool {
        self.z <= 30 && self.x < (1u32 << self.z.min(31)) && self.y < (1u32 << self.z.min(31))
    }
}

/// The tiles at zoom `z` that cover a box.
pub fn tiles_covering(b: &LngLatBox, z: u8) -> impl Iterator<Item = TileId> {
    let nw = tile_for(b.west, b.north, z);
    let se = tile_for(b.east, b.south, z);
    (nw.x..=se.x).flat_map(move |x| (nw.y..=se.y).map(move |y| TileId { z, x, y }))
}

/// An MBTiles row (TMS, row 0 at the south edge) as an XYZ row, and back.
pub fn tms_y(z: u8, y: u32) -> u32 {
    (1u32 << z) - 1 - y
}

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileFormat {
    Png,
    Jpeg,
    Webp,
    /// Mapbox vector tiles (protobuf).
    Mvt,
    Unknown,
}

impl TileFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            TileFormat::Png => "image/png",
            TileFormat::Jpeg => "image/jpeg",
            TileFormat::Webp => "image/webp",
            TileFormat::Mvt => "application/x-protobuf",
            TileFormat::Unknown => "application/octet-stream",
        }
    }

    /// The `format` value of an MBTiles file's metadata.
    pub fn from_mbtiles_format(s: &str) -> TileFormat {
        match s.trim().to_ascii_lowercase().as_str() {
            "png" => TileFormat::Png,
            "jpg" | "jpeg" => TileFormat::Jpeg,
            "webp" => TileFormat::Webp,
            "pbf" | "mvt" => TileFormat::Mvt,
            _ => TileFormat::Unknown,
        }
    }

    /// Told from the first bytes (a gzip stream is taken for a compressed vector tile).
    pub fn sniff(b: &[u8]) -> TileFormat {
        if b.starts_with(&[0x89, b'P', b'N', b'G']) {
            TileFormat::Png
        } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
            TileFormat::Jpeg
        } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            TileFormat::Webp
        } else if b.starts_with(&[0x1f, 0x8b]) {
            TileFormat::Mvt
        } else {
            TileFormat::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_zero_is_the_world() {
        let b = TileId { z: 0, x: 0, y: 0 }.bounds();
        assert!((b.west + 180.0).abs() < 1e-9 && (b.east - 180.0).abs() < 1e-9);
        assert!((b.north - MAX_LAT).abs() < 1e-6 && (b.south + MAX_LAT).abs() < 1e-6);
    }

    #[test]
    fn a_point_lies_in_its_tile() {
        // lng 120.2 at z=12: (120.2 + 180) / 360 * 4096 = 3415.6 → column 3415;
        // lat 29.7: (1 - ln(tan φ + sec φ)/π) / 2 * 4096 = 1693.8 → row 1693.
        let t = tile_for(120.2, 29.7, 12);
        assert_eq!((t.x, t.y), (3415, 1693));
        let b = t.bounds();
        assert!(b.west <= 120.2 && 120.2 < b.east && b.south <= 29.7 && 29.7 < b.north);
        assert_eq!(tms_y(12, t.y), 4095 - 1693);
    }

    #[test]
    fn covering_tiles_span_the_box() {
        let b = LngLatBox {
            west: 120.1,
            south: 29.5,
            east: 120.5,
            north: 29.8,
        };
        let tiles: Vec<_> = tiles_covering(&b, 10).collect();
        assert!(!tiles.is_empty());
        assert!(tiles.iter().all(|t| {
            let tb = t.bounds();
            tb.east > b.west && tb.west < b.east && tb.north > b.south && tb.south < b.north
        }));
    }

    #[test]
    fn formats_are_sniffed() {
        assert_eq!(
            TileFormat::sniff(&[0x89, b'P', b'N', b'G', 0x0d]),
            TileFormat::Png
        );
        assert_eq!(
            TileFormat::sniff(&[0xff, 0xd8, 0xff, 0xe0]),
            TileFormat::Jpeg
        );
        assert_eq!(TileFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "), TileFormat::Webp);
        assert_eq!(TileFormat::sniff(&[0x1f, 0x8b, 8]), TileFormat::Mvt);
        assert_eq!(TileFormat::from_mbtiles_format("JPG"), TileFormat::Jpeg);
        assert_eq!(TileFormat::from_mbtiles_format("tiff"), TileFormat::Unknown);
    }
}
