//! Reading polygon layers from GeoJSON text into geo geometries, with per-feature problems.
//!
//! Grid and area imports, and `pingan analyze pip`, receive polygon layers as GeoJSON
//! (RFC 7946) FeatureCollections. [`parse_polygon_layer`] turns one into [`PolygonFeature`]s: the
//! feature's id taken from a named property, its geometry as a `MultiPolygon` (a Polygon becomes a
//! one-part MultiPolygon), its other properties, and the [`GeometryProblem`]s found by
//! [`crate::validate`], including those only visible in the raw text (unclosed rings, which geo
//! would close silently). A feature with problems is still returned, with whatever geometry could
//! be built, so a caller can report every problem of a file at once and decide what is fatal.
//! Only unreadable JSON, a document that is not a Feature/FeatureCollection, or a feature without
//! a usable id stop parsing. Coordinates are taken as given: no CRS handling here.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{GeoJson, GeometryValue, JsonObject, JsonValue, PolygonType};

use crate::validate::{GeometryProblem, Ring, validate_multipolygon, validate_ring_coords};

/// One feature of a polygon layer.
#[derive(Debug, Clone, PartialEq)]
pub struct PolygonFeature {
    /// Position in the file's `features` array (0-based).
    pub index: usize,
    /// The value of the id property, as text (numbers are written as in JSON).
    pub id: String,
    /// The geometry; empty when missing or not polygonal.
    pub geometry: MultiPolygon<f64>,
    /// The feature's properties (empty when absent).
    pub properties: JsonObject,
    /// What is wrong with the geometry, if anything.
    pub problems: Vec<GeometryProblem>,
}

/// Why a layer could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    /// Not valid GeoJSON; the message includes line and column.
    #[error("invalid GeoJSON: {0}")]
    Json(String),
    /// A bare geometry where features (with ids) are needed.
    #[error("expected a FeatureCollection or a Feature, found a bare {0} geometry")]
    NotFeatures(String),
    /// A feature whose id cannot be read.
    #[error("features[{index}]: {message}")]
    Feature {
        /// Position in the `features` array (0-based).
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// Parses a GeoJSON FeatureCollection (or single Feature) of polygons. Each feature's id is the
/// property `id_property` (a string or a number); when that property is absent and
/// `id_property` is `"id"`, the feature's own `id` member is used.
pub fn parse_polygon_layer(
    geojson: &str,
    id_property: &str,
) -> Result<Vec<PolygonFeature>, LayerError> {
    let doc: GeoJson = geojson
        .parse()
        .map_err(|e: geojson::Error| LayerError::Json(e.to_string()))?;
    let features = match doc {
        GeoJson::FeatureCollection(fc) => fc.features,
        GeoJson::Feature(f) => vec![f],
        GeoJson::Geometry(g) => return Err(LayerError::NotFeatures(g.value.type_name().into())),
    };
    features
        .into_iter()
        .enumerate()
        .map(|(index, f)| {
            let properties = f.properties.unwrap_or_default();
            let id = feature_id(&properties, f.id.as_ref(), id_property)
                .map_err(|message| LayerError::Feature { index, message })?;
            let (geometry, problems) = match f.geometry {
                None => (MultiPolygon(vec![]), vec![GeometryProblem::MissingGeometry]),
                Some(g) => convert(&g.value),
            };
            Ok(PolygonFeature {
                index,
                id,
                geometry,
                properties,
                problems,
            })
        })
        .collect()
}

/// The polygons of any GeoJSON document — a FeatureCollection, a Feature or a bare Polygon or
/// MultiPolygon — with no ids: an outline such as a study area. A feature whose geometry has a
/// problem is refused with the problem named.
pub fn parse_polygons(geojson: &str) -> Result<Vec<MultiPolygon<f64>>, LayerError> {
    let doc: GeoJson = geojson
        .parse()
        .map_err(|e: geojson::Error| LayerError::Json(e.to_string()))?;
    let geometries: Vec<Option<GeometryValue>> = match doc {
        GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .map(|f| f.geometry.map(|g| g.value))
            .collect(),
        GeoJson::Feature(f) => vec![f.geometry.map(|g| g.value)],
        GeoJson::Geometry(g) => vec![Some(g.value)],
    };
    geometries
        .into_iter()
        .enumerate()
        .map(|(index, g)| {
            let (shape, problems) = match g {
                None => (MultiPolygon(vec![]), vec![GeometryProblem::MissingGeometry]),
                Some(v) => convert(&v),
            };
            match problems.first() {
                None => Ok(shape),
                Some(p) => Err(LayerError::Feature {
                    index,
                    message: p.to_string(),
                }),
            }
        })
        .collect()
}

fn feature_id(
    properties: &JsonObject,
    own_id: Option<&geojson::feature::Id>,
    id_property: &str,
) -> Result<String, String> {
    let value = match properties.get(id_property) {
        Some(v) => v,
        None if id_property == "id" => match own_id {
            Some(geojson::feature::Id::String(s)) => return Ok(s.clone()),
            Some(geojson::feature::Id::Number(n)) => return Ok(n.to_string()),
            None => return Err("has no \"id\" property or member".to_string()),
        },
        None => return Err(format!("has no property {id_property:?}")),
    };
    match value {
        JsonValue::String(s) if !s.is_empty() => Ok(s.clone()),
        JsonValue::String(_) => Err(format!("property {id_property:?} is empty")),
        JsonValue::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "property {id_property:?} must be a string or a number, found {}",
            match other {
                JsonValue::Null => "null",
                JsonValue::Bool(_) => "a boolean",
                JsonValue::Array(_) => "an array",
                _ => "an object",
            }
        )),
    }
}

fn convert(value: &GeometryValue) -> (MultiPolygon<f64>, Vec<GeometryProblem>) {
    let parts: Vec<&PolygonType> = match value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => {
            return (
                MultiPolygon(vec![]),
                vec![GeometryProblem::NotAPolygon {
                    found: other.type_name().to_string(),
                }],
            );
        }
    };
    let mut problems = Vec::new();
    let mut polygons = Vec::new();
    let mut usable = true;
    for (part, rings) in parts.iter().enumerate() {
        if rings.is_empty() {
            problems.push(GeometryProblem::TooFewPoints {
                part,
                ring: Ring::Exterior,
                points: 0,
            });
            usable = false;
            continue;
        }
        let mut lines = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            let role = if r == 0 {
                Ring::Exterior
            } else {
                Ring::Hole(r - 1)
            };
            let raw: Vec<[f64; 2]> = ring
                .iter()
                .map(|p| match p.as_slice() {
                    [x, y, ..] => [*x, *y],
                    _ => [f64::NAN, f64::NAN],
                })
                .collect();
            let found = validate_ring_coords(part, role, &raw);
            usable &= !found.iter().any(|p| {
                matches!(
                    p,
                    GeometryProblem::NonFiniteCoordinate { .. }
                        | GeometryProblem::TooFewPoints { .. }
                )
            });
            problems.extend(found);
            lines.push(LineString(
                raw.iter().map(|c| Coord { x: c[0], y: c[1] }).collect(),
            ));
        }
        let exterior = lines.remove(0);
        polygons.push(Polygon::new(exterior, lines));
    }
    let mp = MultiPolygon(polygons);
    if usable {
        // Rings are closed now; look for intersections and misplaced holes.
        problems.extend(validate_multipolygon(&mp));
    }
    (mp, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYER: &str = r#"{
      "type": "FeatureCollection",
      "features": [
        {"type": "Feature", "properties": {"code": "330681001001001", "name": "一网格"},
         "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
        {"type": "Feature", "properties": {"code": 42},
         "geometry": {"type": "MultiPolygon", "coordinates": [
            [[[2,0],[3,0],[3,1],[2,1],[2,0]]],
            [[[4,0],[5,0],[5,1],[4,1]]]
         ]}},
        {"type": "Feature", "properties": {"code": "bowtie"},
         "geometry": {"type": "Polygon", "coordinates": [[[0,0],[2,2],[2,0],[0,2],[0,0]]]}},
        {"type": "Feature", "properties": {"code": "none"}, "geometry": null},
        {"type": "Feature", "properties": {"code": "line"},
         "geometry": {"type": "LineString", "coordinates": [[0,0],[1,1]]}}
      ]
    }"#;

    #[test]
    fn reads_ids_geometries_and_problems() {
        let layer = parse_polygon_layer(LAYER, "code").unwrap();
        assert_eq!(layer.len(), 5);
        assert_eq!(layer[0].id, "330681001001001");
        assert_eq!(layer[0].properties["name"], "一网格");
        assert!(layer[0].problems.is_empty());
        assert_eq!(layer[1].id, "42");
        assert_eq!(layer[1].geometry.0.len(), 2);
        assert_eq!(
            layer[1].problems,
            vec![GeometryProblem::UnclosedRing {
                part: 1,
                ring: Ring::Exterior,
                first: [4.0, 0.0],
                last: [4.0, 1.0]
            }]
        );
        // The unclosed ring was closed, so the part still works for lookups.
        assert_eq!(layer[1].geometry.0[1].exterior().0.len(), 5);
        assert!(matches!(
            layer[2].problems[..],
            [GeometryProblem::SelfIntersection { at: [1.0, 1.0], .. }]
        ));
        assert_eq!(layer[3].problems, vec![GeometryProblem::MissingGeometry]);
        assert_eq!(
            layer[4].problems,
            vec![GeometryProblem::NotAPolygon {
                found: "LineString".into()
            }]
        );
        assert_eq!(layer[4].index, 4);
    }

    #[test]
    fn fatal_errors_name_the_feature_or_position() {
        let err = parse_polygon_layer(LAYER, "name").unwrap_err();
        assert_eq!(
            err,
            LayerError::Feature {
                index: 1,
                message: "has no property \"name\"".into()
            }
        );
        assert_eq!(err.to_string(), "features[1]: has no property \"name\"");
        let err = parse_polygon_layer("{\"type\": \"FeatureCollection\", \"features\": [}", "x")
            .unwrap_err();
        assert!(
            matches!(err, LayerError::Json(ref m) if m.contains("line 1")),
            "{err}"
        );
        let err = parse_polygon_layer(
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
            "id",
        )
        .unwrap_err();
        assert_eq!(err, LayerError::NotFeatures("Polygon".into()));
        let bad_id = r#"{"type":"Feature","properties":{"id":true},"geometry":null}"#;
        assert!(
            parse_polygon_layer(bad_id, "id")
                .unwrap_err()
                .to_string()
                .contains("must be a string or a number, found a boolean")
        );
    }

    #[test]
    fn falls_back_to_the_feature_id_member() {
        let f = r#"{"type":"Feature","id":"g-1","properties":{},
                    "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#;
        let layer = parse_polygon_layer(f, "id").unwrap();
        assert_eq!(layer[0].id, "g-1");
    }

    #[test]
    fn coordinates_round_trip_exactly() {
        // serde_json's float_roundtrip feature is enabled: shortest representations parse back
        // to the same bits, so vertices shared with a points file compare equal.
        let mut rng = crate::synth::SplitMix64(99);
        let values: Vec<f64> = (0..20_000)
            .map(|i| match i % 3 {
                0 => rng.range(73.0, 135.0),
                1 => rng.range(3.0e6, 4.0e6),
                _ => rng.range(-1.0, 1.0),
            })
            .collect();
        let ring: Vec<String> = values
            .chunks(2)
            .map(|c| format!("[{},{}]", c[0], c[1]))
            .collect();
        let text = format!(
            r#"{{"type":"Feature","properties":{{"id":1}},"geometry":{{"type":"Polygon",
                "coordinates":[[{},{}]]}}}}"#,
            ring.join(","),
            ring[0]
        );
        let layer = parse_polygon_layer(&text, "id").unwrap();
        let got: Vec<u64> = layer[0].geometry.0[0].exterior().0[..values.len() / 2]
            .iter()
            .flat_map(|c| [c.x.to_bits(), c.y.to_bits()])
            .collect();
        let want: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want);
    }
}
