//! Point → grid: which grid holds a location. Candidates come from the grids' bounding boxes in the
//! database (so no process keeps a copy that could go stale), then an exact point-in-polygon test.
//! A point exactly on a boundary shared by two grids belongs to the one with the lower code: the
//! index uses the closed rule (boundary counts as inside) and candidates are ordered by code.

use pingan_geo::{BoundaryRule, PolygonIndex};
use pingan_store::grids::{self, GridRow};
use pingan_store::{Db, Result};

fn shape(geometry: &str) -> Option<geo::MultiPolygon<f64>> {
    let g: geojson::Geometry = serde_json::from_str(geometry).ok()?;
    geo::MultiPolygon::<f64>::try_from(g.value.clone())
        .ok()
        .or_else(|| {
            geo::Polygon::<f64>::try_from(g.value)
                .ok()
                .map(|p| geo::MultiPolygon(vec![p]))
        })
}

/// The grid holding WGS-84 `(lng, lat)`, if any.
pub async fn grid_at(db: &Db, lng: f64, lat: f64) -> Result<Option<GridRow>> {
    let candidates = grids::bbox_candidates(db, lng, lat).await?;
    let shapes: Vec<(String, geo::MultiPolygon<f64>)> = candidates
        .iter()
        .filter_map(|g| shape(&g.geometry).map(|s| (g.code.clone(), s)))
        .collect();
    let index = PolygonIndex::with_rule(shapes, BoundaryRule::Closed);
    let Some(i) = index.locate(lng, lat) else {
        return Ok(None);
    };
    let code = index.id(i).to_string();
    Ok(candidates.into_iter().find(|g| g.code == code))
}
