//! A small rasteriser for a synthetic base map: filled areas and stroked lines in WGS-84 drawn into
//! 256×256 PNG tiles. The demo uses it to give its made-up district a map (land, a river, roads along
//! grid edges) so no map is ever empty grey; names are drawn by the browser, not here. No
//! anti-aliasing: the tiles are context, not cartography.

use super::{TileId, tile_xy};

pub const TILE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// A filled polygon (even-odd), with an optional outline.
#[derive(Debug, Clone)]
pub struct Area {
    pub ring: Vec<(f64, f64)>,
    pub fill: Rgb,
    pub outline: Option<(Rgb, f32)>,
    pub min_zoom: u8,
}

/// A polyline of a given width in pixels, drawn from `min_zoom` on.
#[derive(Debug, Clone)]
pub struct Line {
    pub points: Vec<(f64, f64)>,
    pub colour: Rgb,
    pub width_px: f32,
    pub min_zoom: u8,
}

/// What a tile is drawn from, in drawing order: areas first, then lines.
#[derive(Debug, Clone, Default)]
pub struct Sketch {
    pub areas: Vec<Area>,
    pub lines: Vec<Line>,
}

fn bbox(points: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    points.iter().fold(
        (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
        |(a, b, c, d), (x, y)| (a.min(*x), b.min(*y), c.max(*x), d.max(*y)),
    )
}

struct Canvas {
    px: Vec<u8>,
}

impl Canvas {
    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if (0..TILE as i64).contains(&x) && (0..TILE as i64).contains(&y) {
            let i = (y as usize * TILE + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&[c.0, c.1, c.2]);
        }
    }

    /// Even-odd scanline fill of a ring in pixel coordinates (pixel centres sampled).
    fn fill(&mut self, ring: &[(f64, f64)], c: Rgb) {
        let mut xs: Vec<f64> = Vec::new();
        for row in 0..TILE {
            let y = row as f64 + 0.5;
            xs.clear();
            for i in 0..ring.len() {
                let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
                if (a.1 <= y) != (b.1 <= y) {
                    xs.push(a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0));
                }
            }
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks(2) {
                if let [x0, x1] = pair {
                    let from = (x0 - 0.5).ceil().max(0.0) as i64;
                    let to = (x1 - 0.5).floor().min(TILE as f64 - 1.0) as i64;
                    for x in from..=to {
                        self.set(x, row as i64, c);
                    }
                }
            }
        }
    }

    /// A segment of width `w`: every pixel within w/2 of it.
    fn stroke(&mut self, a: (f64, f64), b: (f64, f64), w: f64, c: Rgb) {
        let r = (w / 2.0).max(0.5);
        let (x0, x1) = (
            (a.0.min(b.0) - r).floor() as i64,
            (a.0.max(b.0) + r).ceil() as i64,
        );
        let (y0, y1) = (
            (a.1.min(b.1) - r).floor() as i64,
            (a.1.max(b.1) + r).ceil() as i64,
        );
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        for y in y0.max(0)..=y1.min(TILE as i64 - 1) {
            for x in x0.max(0)..=x1.min(TILE as i64 - 1) {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let t = if len2 == 0.0 {
                    0.0
                } else {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                };
                let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                if qx * qx + qy * qy <= r * r {
                    self.set(x, y, c);
                }
            }
        }
    }
}

impl Sketch {
    /// The tile as a PNG (RGB, 256×256). Features away from the tile are skipped by their boxes.
    pub fn render(&self, tile: TileId, background: Rgb) -> Vec<u8> {
        let mut canvas = Canvas {
            px: [background.0, background.1, background.2].repeat(TILE * TILE),
        };
        let b = tile.bounds();
        let to_px = |(lng, lat): (f64, f64)| {
            let (x, y) = tile_xy(lng, lat, tile.z);
            (
                (x - f64::from(tile.x)) * TILE as f64,
                (y - f64::from(tile.y)) * TILE as f64,
            )
        };
        let near = |pts: &[(f64, f64)]| {
            let (w, s, e, n) = bbox(pts);
            // A margin of a tenth of a tile keeps thick lines at the edge.
            let mx = (b.east - b.west) / 10.0;
            let my = (b.north - b.south) / 10.0;
            e >= b.west - mx && w <= b.east + mx && n >= b.south - my && s <= b.north + my
        };
        for a in &self.areas {
            if tile.z < a.min_zoom || a.ring.len() < 3 || !near(&a.ring) {
                continue;
            }
            let ring: Vec<(f64, f64)> = a.ring.iter().map(|p| to_px(*p)).collect();
            canvas.fill(&ring, a.fill);
            if let Some((c, w)) = a.outline {
                for i in 0..ring.len() {
                    canvas.stroke(ring[i], ring[(i + 1) % ring.len()], f64::from(w), c);
                }
            }
        }
        for l in &self.lines {
            if tile.z < l.min_zoom || l.points.len() < 2 || !near(&l.points) {
                continue;
            }
            let pts: Vec<(f64, f64)> = l.points.iter().map(|p| to_px(*p)).collect();
            for w in pts.windows(2) {
                canvas.stroke(w[0], w[1], f64::from(l.width_px), l.colour);
            }
        }
        encode_png(&canvas.px)
    }
}

/// A fully transparent tile: what a raster base map shows where it has no tile (no broken image).
pub fn blank_png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, TILE as u32, TILE as u32);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().expect("writing to memory");
    w.write_image_data(&vec![0; TILE * TILE * 4])
        .expect("a full 256×256 RGBA image");
    w.finish().expect("writing to memory");
    out
}

fn encode_png(px: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, TILE as u32, TILE as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().expect("writing to memory");
    w.write_image_data(px).expect("a full 256×256 RGB image");
    w.finish().expect("writing to memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::tile_for;

    const BG: Rgb = Rgb(240, 238, 230);
    const GREEN: Rgb = Rgb(200, 230, 190);
    const ROAD: Rgb = Rgb(255, 255, 255);

    fn pixels(png_bytes: &[u8]) -> Vec<u8> {
        let d = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut r = d.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (256, 256));
        buf
    }

    fn px(buf: &[u8], x: usize, y: usize) -> Rgb {
        let i = (y * TILE + x) * 3;
        Rgb(buf[i], buf[i + 1], buf[i + 2])
    }

    fn sketch() -> Sketch {
        Sketch {
            areas: vec![Area {
                ring: vec![(120.0, 29.5), (120.5, 29.5), (120.5, 29.9), (120.0, 29.9)],
                fill: GREEN,
                outline: None,
                min_zoom: 0,
            }],
            lines: vec![Line {
                points: vec![(120.0, 29.7), (120.5, 29.7)],
                colour: ROAD,
                width_px: 4.0,
                min_zoom: 0,
            }],
        }
    }

    #[test]
    fn inside_an_area_the_tile_is_its_fill() {
        let t = tile_for(120.2, 29.6, 14);
        let buf = pixels(&sketch().render(t, BG));
        assert!(buf.chunks(3).all(|p| p == [GREEN.0, GREEN.1, GREEN.2]));
    }

    #[test]
    fn a_line_colours_the_pixels_along_it_only() {
        let t = tile_for(120.25, 29.7, 12);
        let buf = pixels(&sketch().render(t, BG));
        let (_, y) = tile_xy(120.25, 29.7, 12);
        let row = ((y - f64::from(t.y)) * 256.0) as usize;
        assert_eq!(px(&buf, 128, row), ROAD);
        assert_eq!(px(&buf, 128, (row + 20).min(255)), GREEN);
        assert_eq!(px(&buf, 128, row.saturating_sub(20)), GREEN);
    }

    #[test]
    fn far_away_is_background_and_rendering_is_deterministic() {
        let t = tile_for(100.0, 40.0, 10);
        let a = sketch().render(t, BG);
        assert!(pixels(&a).chunks(3).all(|p| p == [BG.0, BG.1, BG.2]));
        assert_eq!(a, sketch().render(t, BG));
    }
}
