//! Map search and labels over the demo district: residents find townships, villages and grids by
//! Chinese, full pinyin or pinyin initials; staff also find places within their scope; labels list
//! the areas and grids with their points.

use super::*;
use helpers::*;
use serde_json::Value;

async fn search(app: &TestApp, c: &reqwest::Client, path: &str, q: &str) -> Vec<Value> {
    let (s, v) = app.get_json(c, &format!("{path}?q={}", urlencode(q))).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both!(
    residents_find_the_township_by_name_and_by_initials,
    |app: TestApp| async move {
        let anon = client();
        for q in ["枫桥", "fqz", "fengqiao"] {
            let hits = search(&app, &anon, "/api/v1/public/search", q).await;
            assert_eq!(
                hits.first().map(|h| h["name"].clone()),
                Some("枫桥镇".into()),
                "{q}: {hits:?}"
            );
            assert_eq!(hits[0]["kind"], "township");
            assert_eq!(hits[0]["kind_label"], "镇街");
            let (lng, lat) = (
                hits[0]["lng"].as_f64().unwrap(),
                hits[0]["lat"].as_f64().unwrap(),
            );
            assert!(
                (119.0..122.0).contains(&lng) && (28.0..31.0).contains(&lat),
                "{lng},{lat}"
            );
        }
        let hits = search(&app, &anon, "/api/v1/public/search", "cjsq").await;
        assert!(hits.iter().any(|h| h["name"] == "陈家社区"), "{hits:?}");
        assert!(
            search(&app, &anon, "/api/v1/public/search", "")
                .await
                .is_empty()
        );

        // A place is found by staff in scope, never by residents.
        let admin = app.client_as("gridworker").await;
        let (lng, lat) = inside_point(&app, &admin, "330681109004002").await;
        let (s, p) = post(
            &app,
            &admin,
            "/api/v1/places",
            serde_json::json!({
        "name": "枫源小学", "kind": "school", "address": "陈家村 1 号", "lng": lng, "lat": lat}),
        )
        .await;
        assert_eq!(s, 201, "{p}");
        app.state.gazetteer.invalidate();
        let staff = search(&app, &admin, "/api/v1/geo/search", "fyxx").await;
        assert_eq!(
            staff.first().map(|h| h["name"].clone()),
            Some("枫源小学".into()),
            "{staff:?}"
        );
        assert_eq!(staff[0]["kind"], "place");
        assert!(
            search(&app, &anon, "/api/v1/public/search", "fyxx")
                .await
                .is_empty()
        );
        let (s, _) = app.get_json(&anon, "/api/v1/geo/search?q=fyxx").await;
        assert_eq!(s, 401);

        let (s, labels) = app.get_json(&anon, "/api/v1/public/labels").await;
        assert_eq!(s, 200);
        let labels = labels.as_array().unwrap();
        assert!(
            labels
                .iter()
                .any(|l| l["name"] == "枫桥镇" && l["kind"] == "township")
        );
        assert!(labels.iter().any(|l| l["kind"] == "grid"));
        assert!(
            labels.iter().all(|l| l["kind"] != "place"),
            "labels are areas and grids only"
        );
    }
);

fn png(shade: u8) -> Vec<u8> {
    use pingan_geo::tiles::render::{Rgb, Sketch};
    Sketch::default().render(
        pingan_geo::tiles::TileId {
            z: 12,
            x: 3416,
            y: 1693,
        },
        Rgb(shade, shade, shade),
    )
}

/// A small MBTiles file: two zoom levels, rows in TMS order as the format stores them.
async fn mbtiles(path: &std::path::Path, tiles: &[(u8, u32, u32, Vec<u8>)]) {
    let db = pingan_store::Db::connect(&format!("sqlite:{}", path.display()), &Default::default())
        .await
        .unwrap();
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)", vec![])
        .await
        .unwrap();
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)", vec![])
        .await
        .unwrap();
    for (k, v) in [
        ("name", "测试底图"),
        ("format", "png"),
        ("bounds", "120.0,29.5,120.6,29.9"),
        ("attribution", "测绘院"),
    ] {
        db.execute(
            "INSERT INTO metadata VALUES (?, ?)",
            vec![k.into(), v.into()],
        )
        .await
        .unwrap();
    }
    for (z, x, y, data) in tiles {
        let row = (1i64 << z) - 1 - i64::from(*y);
        db.execute(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            vec![
                i64::from(*z).into(),
                i64::from(*x).into(),
                row.into(),
                pingan_store::Value::Bytes(data.clone()),
            ],
        )
        .await
        .unwrap();
    }
}

both!(
    an_imported_base_map_is_served_to_the_maps,
    |app: TestApp| async move {
        use pingan_geo::tiles::{LngLatBox, TileFormat, TileId, pmtiles};
        let dir = tempfile::tempdir().unwrap();
        let anon = client();
        let (s, info) = app.get_json(&anon, "/api/v1/basemap").await;
        assert_eq!(
            (s, info["tile_url"].as_str()),
            (200, Some("")),
            "no base map yet: {info}"
        );
        let r = anon
            .get(format!("{}/basemap/12/0/0", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "no base map, no tiles");

        // MBTiles: the tile comes back at its XYZ address, as PNG.
        let tiles = vec![(11u8, 1708u32, 846u32, png(10)), (12, 3416, 1693, png(20))];
        let mb = dir.path().join("city.mbtiles");
        mbtiles(&mb, &tiles).await;
        let b = pingan_server::basemap::import_file(&app.db, &mb, 1)
            .await
            .unwrap();
        assert_eq!(
            (b.meta.tile_count, b.meta.min_zoom, b.meta.max_zoom),
            (2, 11, 12)
        );
        assert_eq!(
            (b.meta.name.as_str(), b.meta.format.as_str()),
            ("测试底图", "png")
        );
        let r = anon
            .get(format!("{}/basemap/12/3416/1693.png", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(r.bytes().await.unwrap().to_vec(), png(20));
        let r = anon
            .get(format!("{}/basemap/12/0/0", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["x-pingan-tile"].to_str().unwrap()
            ),
            (200, "empty")
        );
        let (_, info) = app.get_json(&anon, "/api/v1/basemap").await;
        assert_eq!(info["tile_url"], "/basemap/{z}/{x}/{y}");
        assert_eq!(info["attribution"], "测绘院");
        // The resident's map is drawn over it.
        let page = anon
            .get(format!("{}/report", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("data-tile-url=\"/basemap/{z}/{x}/{y}\""),
            "the report map has no base layer"
        );

        // PMTiles replaces it whole.
        let archive = pmtiles::write(
            &[(
                TileId {
                    z: 13,
                    x: 6832,
                    y: 3387,
                },
                png(30),
            )],
            &pmtiles::WriteMeta {
                tile_type: TileFormat::Png,
                tile_compression: pmtiles::Compression::None,
                bounds: LngLatBox {
                    west: 120.2,
                    south: 29.6,
                    east: 120.3,
                    north: 29.7,
                },
                metadata: r#"{"name":"县域影像"}"#.into(),
            },
        );
        let pm = dir.path().join("county.pmtiles");
        std::fs::write(&pm, &archive).unwrap();
        let b = pingan_server::basemap::import_file(&app.db, &pm, 2)
            .await
            .unwrap();
        assert_eq!((b.meta.name.as_str(), b.meta.tile_count), ("县域影像", 1));
        let r = anon
            .get(format!("{}/basemap/13/6832/3387", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.bytes().await.unwrap().to_vec(), png(30));
        let r = anon
            .get(format!("{}/basemap/12/3416/1693", app.url))
            .send()
            .await
            .unwrap();
        assert!(
            r.headers().contains_key("x-pingan-tile"),
            "the old map is gone"
        );

        // A broken file is refused with its reason; the map in place stays.
        let broken = dir.path().join("broken.pmtiles");
        std::fs::write(&broken, &archive[..archive.len() - 10]).unwrap();
        let e = pingan_server::basemap::import_file(&app.db, &broken, 3)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("broken.pmtiles") && e.contains("truncated"),
            "{e}"
        );
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a map").unwrap();
        let e = pingan_server::basemap::import_file(&app.db, &text, 3)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("neither an MBTiles"), "{e}");
        let r = anon
            .get(format!("{}/basemap/13/6832/3387", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.bytes().await.unwrap().to_vec(),
            png(30),
            "a refused import leaves the base map as it was"
        );
    }
);

both!(the_demo_draws_its_own_base_map, |app: TestApp| async move {
    let b = pingan_server::basemap::demo_basemap(&app.db, 1)
        .await
        .unwrap();
    assert!(
        b.meta.synthetic && b.meta.attribution.contains("非实测"),
        "{:?}",
        b.meta
    );
    assert_eq!((b.meta.min_zoom, b.meta.max_zoom), (10, 15));
    // A tile over 枫桥镇's 陈家社区 grid is drawn (not one flat colour).
    let (lng, lat) = inside_point(&app, &app.client_as("admin").await, "330681109004002").await;
    let t = pingan_geo::tiles::tile_for(lng, lat, 13);
    let r = client()
        .get(format!("{}/basemap/13/{}/{}", app.url, t.x, t.y))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let d = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let mut reader = d.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    let colours: std::collections::HashSet<&[u8]> = buf.chunks(3).collect();
    assert!(
        colours.len() >= 3,
        "roads, fills and background: {} colours",
        colours.len()
    );
});

/// A Mapbox Vector Tile (protobuf, spec 2.1) with one layer holding one square polygon over the tile.
pub fn mvt_square(layer: &str) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn bytes(out: &mut Vec<u8>, field: u64, b: &[u8]) {
        varint(out, (field << 3) | 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }
    let zz = |n: i64| ((n << 1) ^ (n >> 63)) as u64;
    // MoveTo(0,0), LineTo ×3 around the tile, ClosePath.
    let commands = [
        9,
        zz(0),
        zz(0),
        26,
        zz(4096),
        zz(0),
        zz(0),
        zz(4096),
        zz(-4096),
        zz(0),
        15,
    ];
    let mut geometry = Vec::new();
    for c in commands {
        varint(&mut geometry, c);
    }
    let mut feature = Vec::new();
    varint(&mut feature, 3 << 3); // type
    varint(&mut feature, 3); // polygon
    bytes(&mut feature, 4, &geometry);
    let mut l = Vec::new();
    varint(&mut l, 15 << 3); // version
    varint(&mut l, 2);
    bytes(&mut l, 1, layer.as_bytes());
    bytes(&mut l, 2, &feature);
    varint(&mut l, 5 << 3); // extent
    varint(&mut l, 4096);
    let mut tile = Vec::new();
    bytes(&mut tile, 3, &l);
    tile
}

both!(
    a_vector_base_map_is_served_for_the_page_to_draw,
    |app: TestApp| async move {
        use pingan_geo::tiles::{LngLatBox, TileFormat, TileId, pmtiles};
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let anon = client();
        let tile = mvt_square("water");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tile).unwrap();
        let archive = pmtiles::write(
            &[(
                TileId {
                    z: 12,
                    x: 3416,
                    y: 1693,
                },
                gz.finish().unwrap(),
            )],
            &pmtiles::WriteMeta {
                tile_type: TileFormat::Mvt,
                tile_compression: pmtiles::Compression::Gzip,
                bounds: LngLatBox {
                    west: 120.2,
                    south: 29.6,
                    east: 120.4,
                    north: 29.8,
                },
                metadata: r#"{"name":"县域矢量底图","attribution":"测绘院"}"#.into(),
            },
        );
        let pm = dir.path().join("county-vector.pmtiles");
        std::fs::write(&pm, &archive).unwrap();
        let b = pingan_server::basemap::import_file(&app.db, &pm, 1)
            .await
            .unwrap();
        assert_eq!((b.meta.format.as_str(), b.meta.tile_count), ("pbf", 1));

        // The maps are pointed at it and told it holds vector tiles.
        let (_, info) = app.get_json(&anon, "/api/v1/basemap").await;
        assert_eq!(info["tile_url"], "/basemap/{z}/{x}/{y}", "{info}");
        assert_eq!(info["format"], "pbf");
        let page = anon
            .get(format!("{}/report", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("data-tile-url=\"/basemap/{z}/{x}/{y}\""));

        // The tile as protobuf, gzip-encoded on the wire (reqwest here does not decode it).
        let r = anon
            .get(format!("{}/basemap/12/3416/1693", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/x-protobuf");
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let mut plain = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&r.bytes().await.unwrap()[..]),
            &mut plain,
        )
        .unwrap();
        assert_eq!(plain, tile);
        // Where it has no tile: nothing, and no error.
        let r = anon
            .get(format!("{}/basemap/12/0/0", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
);
