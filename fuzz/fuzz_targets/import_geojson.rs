//! Grid layers: `import::grids::read_layer` (GeoJSON text → polygon features with their geometry
//! problems) and `check_features` (code, village, geometry, name, kind, CRS conversion), then the
//! sibling overlap and gap measurements the importer runs on the good features.
//! Properties: each feature is either good or reported; a good grid's stored geometry parses back
//! (`parse_shape`) and its bounding box is finite and ordered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingan_geo::{Crs, Projection, gaps_within, overlaps};
use pingan_server::import::grids::{check_features, parse_shape, read_layer};
use std::collections::HashSet;

/// Villages the seeds use (诸暨市枫桥镇).
const VILLAGES: &[&str] = &["330681109004", "330681109219", "330681001001"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(features) = read_layer(text) else {
        return;
    };
    // The CRS flag comes from outside the file; vary it without spending input bytes.
    let crs = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09][data.len() % 3];
    let villages: HashSet<String> = VILLAGES.iter().map(|v| v.to_string()).collect();
    let n = features.len();
    let (good, bad) = check_features(features, crs, &villages);
    let reported: HashSet<usize> = bad.iter().map(|e| e.row).collect();
    assert_eq!(good.len() + reported.len(), n, "a feature lost or doubled");
    for c in &good {
        let [x0, y0, x1, y1] = c.grid.bbox;
        assert!(
            [x0, y0, x1, y1].iter().all(|v| v.is_finite()) && x0 <= x1 && y0 <= y1,
            "bad bbox {:?}",
            c.grid.bbox
        );
        assert!(
            parse_shape(&c.grid.geometry_json).is_some(),
            "stored geometry does not parse back: {}",
            c.grid.geometry_json
        );
    }
    let Some(first) = good.first() else {
        return;
    };
    // What `plan` does per village, with the first feature standing in for the village outline.
    let proj = Projection::transverse_mercator(first.grid.bbox[0].round());
    let projected: Vec<_> = good
        .iter()
        .map(|c| (format!("f{}", c.feature), proj.forward_geometry(&c.shape)))
        .collect();
    for o in overlaps(&projected, 1.0) {
        assert!(o.area.is_finite(), "overlap area {}", o.area);
    }
    let parent = proj.forward_geometry(&first.shape);
    for piece in gaps_within(&parent, &projected[1..], 1.0) {
        assert!(piece.area.is_finite(), "gap area {}", piece.area);
    }
});
