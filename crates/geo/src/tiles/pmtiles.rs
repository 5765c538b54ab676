//! PMTiles version 3: one file holding a tile pyramid, addressed by tile ids along a Hilbert curve per
//! zoom level. A 127-byte header points at the root directory, the metadata (JSON), the leaf
//! directories and the tile data; a directory is a varint-encoded list of (tile id, run length,
//! length, offset) entries, compressed as the header says. Only what an import needs: read every tile
//! of an archive, look one up, and write small archives (tests, the demo).
//!
//! A file is untrusted input: every offset is checked against the file, leaf directories are followed
//! to a bounded depth, and a broken file is a [`PmtilesError`], never a panic.

use super::{LngLatBox, TileFormat, TileId};
use std::io::{Read, Write};

const HEADER_LEN: usize = 127;
/// Deepest chain of leaf directories followed (the format uses one level in practice).
const MAX_DEPTH: usize = 4;
/// Most entries one directory may declare (guards allocation on a corrupt count).
const MAX_ENTRIES: u64 = 10_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PmtilesError {
    #[error("not a PMTiles file (the magic bytes are missing)")]
    BadMagic,
    #[error("PMTiles version {0} is not supported (only version 3)")]
    UnsupportedVersion(u8),
    #[error("the file is truncated: {0} reaches past its end")]
    Truncated(&'static str),
    #[error("{0} is compressed with a method this reader does not know (brotli or zstd)")]
    UnsupportedCompression(&'static str),
    #[error("a directory is corrupt: {0}")]
    BadDirectory(&'static str),
    #[error("leaf directories nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("tile id {0} lies beyond zoom 31")]
    BadTileId(u64),
}

/// Compression as the header codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Unknown,
    None,
    Gzip,
    Brotli,
    Zstd,
}

impl Compression {
    fn from_byte(b: u8) -> Compression {
        match b {
            1 => Compression::None,
            2 => Compression::Gzip,
            3 => Compression::Brotli,
            4 => Compression::Zstd,
            _ => Compression::Unknown,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Compression::Unknown => 0,
            Compression::None => 1,
            Compression::Gzip => 2,
            Compression::Brotli => 3,
            Compression::Zstd => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    root: (u64, u64),
    metadata: (u64, u64),
    leaves: (u64, u64),
    data: (u64, u64),
    pub addressed_tiles: u64,
    pub clustered: bool,
    pub internal_compression: Compression,
    pub tile_compression: Compression,
    pub tile_type: TileFormat,
    pub min_zoom: u8,
    pub max_zoom: u8,
    pub bounds: LngLatBox,
    pub center: (u8, f64, f64),
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn i32_at(b: &[u8], at: usize) -> f64 {
    f64::from(i32::from_le_bytes(
        b[at..at + 4].try_into().expect("4 bytes"),
    )) / 1e7
}

fn tile_type_of(b: u8) -> TileFormat {
    match b {
        1 => TileFormat::Mvt,
        2 => TileFormat::Png,
        3 => TileFormat::Jpeg,
        4 => TileFormat::Webp,
        _ => TileFormat::Unknown,
    }
}

fn tile_type_byte(t: TileFormat) -> u8 {
    match t {
        TileFormat::Mvt => 1,
        TileFormat::Png => 2,
        TileFormat::Jpeg => 3,
        TileFormat::Webp => 4,
        TileFormat::Unknown => 0,
    }
}

impl Header {
    fn parse(b: &[u8]) -> Result<Header, PmtilesError> {
        if b.len() < 8 || &b[..7] != b"PMTiles" {
            return Err(PmtilesError::BadMagic);
        }
        if b[7] != 3 {
            return Err(PmtilesError::UnsupportedVersion(b[7]));
        }
        if b.len() < HEADER_LEN {
            return Err(PmtilesError::Truncated("the header"));
        }
        Ok(Header {
            root: (u64_at(b, 8), u64_at(b, 16)),
            metadata: (u64_at(b, 24), u64_at(b, 32)),
            leaves: (u64_at(b, 40), u64_at(b, 48)),
            data: (u64_at(b, 56), u64_at(b, 64)),
            addressed_tiles: u64_at(b, 72),
            clustered: b[96] == 1,
            internal_compression: Compression::from_byte(b[97]),
            tile_compression: Compression::from_byte(b[98]),
            tile_type: tile_type_of(b[99]),
            min_zoom: b[100],
            max_zoom: b[101],
            bounds: LngLatBox {
                west: i32_at(b, 102),
                south: i32_at(b, 106),
                east: i32_at(b, 110),
                north: i32_at(b, 114),
            },
            center: (b[118], i32_at(b, 119), i32_at(b, 123)),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u64,
    run_length: u64,
}

/// A parsed archive over the file's bytes.
#[derive(Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
    pub header: Header,
}

fn section<'a>(
    b: &'a [u8],
    (off, len): (u64, u64),
    what: &'static str,
) -> Result<&'a [u8], PmtilesError> {
    let end = off.checked_add(len).ok_or(PmtilesError::Truncated(what))?;
    if end > b.len() as u64 {
        return Err(PmtilesError::Truncated(what));
    }
    Ok(&b[off as usize..end as usize])
}

fn decompress(b: &[u8], c: Compression, what: &'static str) -> Result<Vec<u8>, PmtilesError> {
    match c {
        Compression::None | Compression::Unknown => Ok(b.to_vec()),
        Compression::Gzip => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(b)
                .read_to_end(&mut out)
                .map_err(|_| PmtilesError::BadDirectory("its gzip stream is corrupt"))?;
            Ok(out)
        }
        Compression::Brotli | Compression::Zstd => Err(PmtilesError::UnsupportedCompression(what)),
    }
}

fn varint(b: &[u8], pos: &mut usize) -> Result<u64, PmtilesError> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *b
            .get(*pos)
            .ok_or(PmtilesError::BadDirectory("a number runs past its end"))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(PmtilesError::BadDirectory(
        "a number is longer than 64 bits",
    ))
}

fn parse_directory(b: &[u8]) -> Result<Vec<Entry>, PmtilesError> {
    let mut pos = 0;
    let n = varint(b, &mut pos)?;
    // Each entry takes at least four bytes: a count beyond that is corrupt.
    if n > MAX_ENTRIES || n > b.len() as u64 {
        return Err(PmtilesError::BadDirectory("its entry count is impossible"));
    }
    let n = n as usize;
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last
            .checked_add(varint(b, &mut pos)?)
            .ok_or(PmtilesError::BadDirectory("tile ids overflow"))?;
        e.tile_id = last;
    }
    for e in entries.iter_mut() {
        e.run_length = varint(b, &mut pos)?;
    }
    for e in entries.iter_mut() {
        e.length = varint(b, &mut pos)?;
    }
    for i in 0..n {
        let v = varint(b, &mut pos)?;
        entries[i].offset = if v == 0 && i > 0 {
            entries[i - 1].offset + entries[i - 1].length
        } else if v == 0 {
            return Err(PmtilesError::BadDirectory("the first entry has no offset"));
        } else {
            v - 1
        };
    }
    Ok(entries)
}

impl<'a> Archive<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Archive<'a>, PmtilesError> {
        let header = Header::parse(bytes)?;
        section(bytes, header.root, "the root directory")?;
        section(bytes, header.metadata, "the metadata")?;
        section(bytes, header.data, "the tile data")?;
        Ok(Archive { bytes, header })
    }

    pub fn tile_type(&self) -> TileFormat {
        self.header.tile_type
    }

    /// Whether each tile's bytes are gzip-compressed (vector tiles usually are).
    pub fn tile_compression_is_gzip(&self) -> bool {
        self.header.tile_compression == Compression::Gzip
    }

    pub fn bounds(&self) -> LngLatBox {
        self.header.bounds
    }

    /// The metadata JSON.
    pub fn metadata_json(&self) -> Result<String, PmtilesError> {
        let raw = section(self.bytes, self.header.metadata, "the metadata")?;
        let b = decompress(raw, self.header.internal_compression, "the metadata")?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    }

    fn directory(&self, at: (u64, u64), what: &'static str) -> Result<Vec<Entry>, PmtilesError> {
        let raw = section(self.bytes, at, what)?;
        parse_directory(&decompress(raw, self.header.internal_compression, what)?)
    }

    fn tile_bytes(&self, e: &Entry) -> Result<&'a [u8], PmtilesError> {
        let off = self
            .header
            .data
            .0
            .checked_add(e.offset)
            .ok_or(PmtilesError::Truncated("a tile"))?;
        section(self.bytes, (off, e.length), "a tile")
    }

    /// Every tile, run lengths expanded, leaf directories followed.
    pub fn tiles(&self) -> Result<Vec<(TileId, &'a [u8])>, PmtilesError> {
        let mut out = Vec::new();
        self.walk(self.header.root, "the root directory", 0, &mut out)?;
        Ok(out)
    }

    fn walk(
        &self,
        at: (u64, u64),
        what: &'static str,
        depth: usize,
        out: &mut Vec<(TileId, &'a [u8])>,
    ) -> Result<(), PmtilesError> {
        if depth > MAX_DEPTH {
            return Err(PmtilesError::TooDeep);
        }
        for e in self.directory(at, what)? {
            if e.run_length == 0 {
                let leaf = (
                    self.header
                        .leaves
                        .0
                        .checked_add(e.offset)
                        .ok_or(PmtilesError::Truncated("a leaf directory"))?,
                    e.length,
                );
                self.walk(leaf, "a leaf directory", depth + 1, out)?;
                continue;
            }
            let data = self.tile_bytes(&e)?;
            for id in e.tile_id..e.tile_id.saturating_add(e.run_length) {
                out.push((tile_id_to_zxy(id)?, data));
            }
        }
        Ok(())
    }

    /// One tile, if the archive has it.
    pub fn get(&self, t: TileId) -> Result<Option<&'a [u8]>, PmtilesError> {
        let id = zxy_to_tile_id(t);
        let mut at = (self.header.root, "the root directory");
        for _ in 0..=MAX_DEPTH {
            let dir = self.directory(at.0, at.1)?;
            // The last entry whose id is ≤ the one sought.
            let i = dir.partition_point(|e| e.tile_id <= id);
            let Some(e) = i.checked_sub(1).map(|i| dir[i]) else {
                return Ok(None);
            };
            if e.run_length == 0 {
                at = (
                    (self.header.leaves.0 + e.offset, e.length),
                    "a leaf directory",
                );
                continue;
            }
            return (id < e.tile_id + e.run_length)
                .then(|| self.tile_bytes(&e))
                .transpose();
        }
        Err(PmtilesError::TooDeep)
    }
}

fn rotate(n: u64, x: &mut u64, y: &mut u64, rx: u64, ry: u64) {
    if ry == 0 {
        if rx == 1 {
            *x = n - 1 - *x;
            *y = n - 1 - *y;
        }
        std::mem::swap(x, y);
    }
}

/// How many tiles the zoom levels below `z` hold together.
fn base(z: u8) -> u64 {
    ((1u64 << (2 * u32::from(z))) - 1) / 3
}

/// The tile id of an address: the zoom's base plus its place along the Hilbert curve.
pub fn zxy_to_tile_id(t: TileId) -> u64 {
    let n = 1u64 << t.z;
    let (mut x, mut y) = (u64::from(t.x), u64::from(t.y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        rotate(n, &mut x, &mut y, rx, ry);
        s /= 2;
    }
    base(t.z) + d
}

/// The address of a tile id.
pub fn tile_id_to_zxy(id: u64) -> Result<TileId, PmtilesError> {
    let mut z = 0u8;
    while z < 32 && base(z + 1) <= id {
        z += 1;
    }
    if z > 31 {
        return Err(PmtilesError::BadTileId(id));
    }
    let n = 1u64 << z;
    let mut t = id - base(z);
    let (mut x, mut y) = (0u64, 0u64);
    let mut s = 1u64;
    while s < n {
        let rx = 1 & (t / 2);
        let ry = 1 & (t ^ rx);
        rotate(s, &mut x, &mut y, rx, ry);
        x += s * rx;
        y += s * ry;
        t /= 4;
        s *= 2;
    }
    Ok(TileId {
        z,
        x: x as u32,
        y: y as u32,
    })
}

/// What a written archive says about itself.
#[derive(Debug, Clone)]
pub struct WriteMeta {
    pub tile_type: TileFormat,
    pub tile_compression: Compression,
    pub bounds: LngLatBox,
    /// The metadata JSON (name, attribution, …).
    pub metadata: String,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).expect("writing to memory");
    e.finish().expect("writing to memory")
}

fn encode_directory(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        put_varint(&mut out, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        put_varint(&mut out, e.run_length);
    }
    for e in entries {
        put_varint(&mut out, e.length);
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && e.offset == entries[i - 1].offset + entries[i - 1].length;
        put_varint(&mut out, if follows { 0 } else { e.offset + 1 });
    }
    out
}

/// A clustered archive of `tiles` with a root directory only (gzip inside): for the small archives of
/// tests and the demo. Consecutive ids with identical bytes share one entry (a run).
pub fn write(tiles: &[(TileId, Vec<u8>)], meta: &WriteMeta) -> Vec<u8> {
    let mut sorted: Vec<(u64, &Vec<u8>)> =
        tiles.iter().map(|(t, d)| (zxy_to_tile_id(*t), d)).collect();
    sorted.sort_by_key(|(id, _)| *id);
    sorted.dedup_by_key(|(id, _)| *id);
    let mut entries: Vec<Entry> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut last_bytes: Option<&Vec<u8>> = None;
    for (id, bytes) in sorted {
        if let (Some(e), Some(prev)) = (entries.last_mut(), last_bytes)
            && prev == bytes
            && e.tile_id + e.run_length == id
        {
            e.run_length += 1;
            continue;
        }
        entries.push(Entry {
            tile_id: id,
            offset: data.len() as u64,
            length: bytes.len() as u64,
            run_length: 1,
        });
        data.extend_from_slice(bytes);
        last_bytes = Some(bytes);
    }
    let root = gzip(&encode_directory(&entries));
    let metadata = gzip(meta.metadata.as_bytes());
    let (min_zoom, max_zoom) = tiles.iter().fold((u8::MAX, 0u8), |(lo, hi), (t, _)| {
        (lo.min(t.z), hi.max(t.z))
    });
    let root_at = HEADER_LEN as u64;
    let meta_at = root_at + root.len() as u64;
    let data_at = meta_at + metadata.len() as u64;
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(b"PMTiles");
    h.push(3);
    for v in [
        root_at,
        root.len() as u64,
        meta_at,
        metadata.len() as u64,
        data_at,
        0,
        data_at,
        data.len() as u64,
        tiles.len() as u64,
        entries.len() as u64,
        entries.len() as u64,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.push(1); // clustered
    h.push(Compression::Gzip.byte());
    h.push(meta.tile_compression.byte());
    h.push(tile_type_byte(meta.tile_type));
    h.push(if tiles.is_empty() { 0 } else { min_zoom });
    h.push(max_zoom);
    let e7 = |v: f64| ((v * 1e7).round() as i32).to_le_bytes();
    for v in [
        meta.bounds.west,
        meta.bounds.south,
        meta.bounds.east,
        meta.bounds.north,
    ] {
        h.extend_from_slice(&e7(v));
    }
    h.push(min_zoom.min(max_zoom));
    h.extend_from_slice(&e7((meta.bounds.west + meta.bounds.east) / 2.0));
    h.extend_from_slice(&e7((meta.bounds.south + meta.bounds.north) / 2.0));
    debug_assert_eq!(h.len(), HEADER_LEN);
    h.extend_from_slice(&root);
    h.extend_from_slice(&metadata);
    h.extend_from_slice(&data);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(z: u8, x: u32, y: u32) -> TileId {
        TileId { z, x, y }
    }

    fn meta() -> WriteMeta {
        WriteMeta {
            tile_type: TileFormat::Png,
            tile_compression: Compression::None,
            bounds: LngLatBox {
                west: 120.0,
                south: 29.5,
                east: 120.5,
                north: 29.9,
            },
            metadata: r#"{"name":"test"}"#.into(),
        }
    }

    #[test]
    fn tile_ids_follow_the_spec() {
        // The spec's own examples: zoom 1 runs 0/0 → 0/1 → 1/1 → 1/0 along the curve.
        assert_eq!(zxy_to_tile_id(t(0, 0, 0)), 0);
        assert_eq!(zxy_to_tile_id(t(1, 0, 0)), 1);
        assert_eq!(zxy_to_tile_id(t(1, 0, 1)), 2);
        assert_eq!(zxy_to_tile_id(t(1, 1, 1)), 3);
        assert_eq!(zxy_to_tile_id(t(1, 1, 0)), 4);
        assert_eq!(zxy_to_tile_id(t(2, 0, 0)), 5);
        assert_eq!(tile_id_to_zxy(19_078_479).unwrap(), t(12, 3423, 1763));
    }

    proptest! {
        #[test]
        fn tile_ids_round_trip(z in 0u8..=20, fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
            let n = 1u32 << z;
            let tile = t(z, ((f64::from(n) * fx) as u32).min(n - 1), ((f64::from(n) * fy) as u32).min(n - 1));
            prop_assert_eq!(tile_id_to_zxy(zxy_to_tile_id(tile)).unwrap(), tile);
        }
    }

    #[test]
    fn an_archive_round_trips() {
        let mut tiles = vec![(t(0, 0, 0), vec![1, 2, 3])];
        for x in 0..4 {
            for y in 0..4 {
                // Identical tiles become runs.
                tiles.push((
                    t(2, x, y),
                    if x == 3 {
                        vec![9; 10]
                    } else {
                        vec![x as u8, y as u8]
                    },
                ));
            }
        }
        let file = write(&tiles, &meta());
        let a = Archive::parse(&file).unwrap();
        assert_eq!(a.tile_type(), TileFormat::Png);
        assert_eq!((a.header.min_zoom, a.header.max_zoom), (0, 2));
        assert!((a.bounds().west - 120.0).abs() < 1e-7);
        assert_eq!(a.metadata_json().unwrap(), r#"{"name":"test"}"#);
        let mut read = a.tiles().unwrap();
        read.sort_by_key(|(t, _)| *t);
        let mut want: Vec<(TileId, &[u8])> =
            tiles.iter().map(|(t, d)| (*t, d.as_slice())).collect();
        want.sort_by_key(|(t, _)| *t);
        assert_eq!(read, want);
        assert_eq!(a.get(t(2, 3, 1)).unwrap(), Some(&[9u8; 10][..]));
        assert_eq!(a.get(t(2, 1, 2)).unwrap(), Some(&[1u8, 2][..]));
        assert_eq!(a.get(t(5, 0, 0)).unwrap(), None);
    }

    #[test]
    fn leaf_directories_are_followed() {
        // Root → one leaf holding two tiles, built by hand.
        let leaf = encode_directory(&[
            Entry {
                tile_id: 1,
                offset: 0,
                length: 2,
                run_length: 1,
            },
            Entry {
                tile_id: 2,
                offset: 2,
                length: 3,
                run_length: 2,
            },
        ]);
        let root = encode_directory(&[Entry {
            tile_id: 0,
            offset: 0,
            length: leaf.len() as u64,
            run_length: 0,
        }]);
        let data = [7u8, 7, 8, 8, 8];
        let mut h = Vec::new();
        h.extend_from_slice(b"PMTiles");
        h.push(3);
        let root_at = HEADER_LEN as u64;
        let leaf_at = root_at + root.len() as u64;
        let data_at = leaf_at + leaf.len() as u64;
        for v in [
            root_at,
            root.len() as u64,
            data_at,
            0,
            leaf_at,
            leaf.len() as u64,
            data_at,
            5,
            3,
            2,
            2,
        ] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&[1, Compression::None.byte(), 1, 2, 1, 1]);
        h.resize(HEADER_LEN, 0);
        h.extend_from_slice(&root);
        h.extend_from_slice(&leaf);
        h.extend_from_slice(&data);
        let a = Archive::parse(&h).unwrap();
        let tiles = a.tiles().unwrap();
        assert_eq!(
            tiles,
            vec![
                (t(1, 0, 0), &[7u8, 7][..]),
                (t(1, 0, 1), &[8u8, 8, 8][..]),
                (t(1, 1, 1), &[8u8, 8, 8][..])
            ]
        );
        assert_eq!(a.get(t(1, 1, 1)).unwrap(), Some(&[8u8, 8, 8][..]));
    }

    #[test]
    fn broken_files_are_refused_not_panicked_on() {
        let file = write(&[(t(0, 0, 0), vec![1, 2, 3])], &meta());
        assert_eq!(
            Archive::parse(b"SQLite format 3\0").unwrap_err(),
            PmtilesError::BadMagic
        );
        let mut v2 = file.clone();
        v2[7] = 2;
        assert_eq!(
            Archive::parse(&v2).unwrap_err(),
            PmtilesError::UnsupportedVersion(2)
        );
        assert!(matches!(
            Archive::parse(&file[..100]),
            Err(PmtilesError::Truncated(_))
        ));
        assert!(matches!(
            Archive::parse(&file[..file.len() - 1]),
            Err(PmtilesError::Truncated(_))
        ));
        // Every truncation and every flipped byte gives an answer, never a panic.
        for cut in 0..file.len() {
            let _ = Archive::parse(&file[..cut]).and_then(|a| a.tiles());
        }
        for i in HEADER_LEN..file.len() {
            let mut f = file.clone();
            f[i] ^= 0xff;
            let _ = Archive::parse(&f).and_then(|a| a.tiles());
        }
    }
}
