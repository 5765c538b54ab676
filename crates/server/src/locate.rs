//! Point → grid → village → responsible station (shared kernel): where a location falls in the
//! district, for every capability that takes a location (incidents, disputes, units, places).
//!
//! Which grid holds a location: Candidates come from the grids' bounding boxes in the
//! database (so no process keeps a copy that could go stale), then an exact point-in-polygon test.
//! A point exactly on a boundary shared by two grids belongs to the one with the lower code: the
//! index uses the closed rule (boundary counts as inside) and candidates are ordered by code.

use crate::error::{ApiError, ApiResult};
use pingan_geo::{BoundaryRule, PolygonIndex};
use pingan_store::grids::{self, GridRow};
use pingan_store::{Db, Result};

/// A grid's stored GeoJSON geometry as a MultiPolygon (a Polygon becomes one part).
pub fn shape(geometry: &str) -> Option<geo::MultiPolygon<f64>> {
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

/// Where a location falls in the district.
#[derive(Debug, Clone)]
pub struct Located {
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    pub area_path: String,
    pub area_type: String,
    pub station_org_id: Option<String>,
}

/// Grid → village → area type → responsible station (the station whose area holds the grid, deepest
/// first). A location in no grid of the district is refused: nobody would be responsible for it.
pub async fn locate(db: &Db, lng: f64, lat: f64) -> ApiResult<Located> {
    Ok(locate_for(db, lng, lat, None).await?.0)
}

/// `locate`, and in the same query whether `type_code` is an incident type in use (`None` when the type
/// is unknown). One round trip: intake runs this for every report.
pub async fn locate_for(
    db: &Db,
    lng: f64,
    lat: f64,
    type_code: Option<&str>,
) -> ApiResult<(Located, Option<bool>)> {
    let mut candidates =
        pingan_store::grids::candidates_in_context(db, lng, lat, type_code.unwrap_or("")).await?;
    let Some(i) = holding(&candidates, |c| &c.grid, lng, lat) else {
        return Err(ApiError::problem(crate::error::Problem::new(
            "lng",
            "outside_district",
            "the location lies in no grid of this district",
        )));
    };
    let found = candidates.swap_remove(i);
    let (grid, area_type, station, active) = (
        found.grid,
        found.area_type,
        found.station_id,
        found.type_active,
    );
    Ok((
        Located {
            grid_code: Some(grid.code),
            village_code: Some(grid.village_code),
            area_path: grid.area_path,
            area_type: area_type.unwrap_or_else(|| "urban".into()),
            station_org_id: station,
        },
        active,
    ))
}
