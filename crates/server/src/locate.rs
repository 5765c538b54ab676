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

/// Which of `candidates` (grids whose bounding box holds the point, by code) holds WGS-84 `(lng, lat)`.
pub fn holding<T>(
    candidates: &[T],
    grid: impl Fn(&T) -> &GridRow,
    lng: f64,
    lat: f64,
) -> Option<usize> {
    let shapes: Vec<(String, geo::MultiPolygon<f64>)> = candidates
        .iter()
        .filter_map(|c| {
            let g = grid(c);
            shape(&g.geometry).map(|s| (g.code.clone(), s))
        })
        .collect();
    let index = PolygonIndex::with_rule(shapes, BoundaryRule::Closed);
    let code = index.id(index.locate(lng, lat)?);
    candidates.iter().position(|c| grid(c).code == code)
}

/// The grid holding WGS-84 `(lng, lat)`, if any.
pub async fn grid_at(db: &Db, lng: f64, lat: f64) -> Result<Option<GridRow>> {
    let mut candidates = grids::bbox_candidates(db, lng, lat).await?;
    Ok(holding(&candidates, |g| g, lng, lat).map(|i| candidates.swap_remove(i)))
}
