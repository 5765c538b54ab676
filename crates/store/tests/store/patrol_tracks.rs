//! A unit's fixes as check-ins read them: raw and folded rows of the span, oldest first, at most
//! the limit and one more (SQLite answers through its C interface, PostgreSQL through sqlx).

use super::*;
use pingan_store::{args, patrol};

both!(
    unit_fixes_merge_raw_and_folded_in_time_order,
    |t: TestDb| async move {
        let db = &t.db;
        for (at, lng) in [(30, 120.3), (10, 120.1), (20, 120.2), (99, 121.0)] {
            db.execute(
            "INSERT INTO unit_positions (device_id, at, unit_id, lng, lat) VALUES (?, ?, ?, ?, ?)",
            args!["dev-a", at as i64, "unit-a", lng, 29.5],
        )
        .await
        .unwrap();
        }
        // Another unit's fix in the span is not this unit's.
        db.execute(
            "INSERT INTO unit_positions (device_id, at, unit_id, lng, lat) VALUES (?, ?, ?, ?, ?)",
            args!["dev-b", 15i64, "unit-b", 100.0, 20.0],
        )
        .await
        .unwrap();
        for (at, lng) in [(5, 120.05), (25, 120.25)] {
            db.execute(
                "INSERT INTO unit_positions_folded (unit_id, at, lng, lat) VALUES (?, ?, ?, ?)",
                args!["unit-a", at as i64, lng, 29.25],
            )
            .await
            .unwrap();
        }
        let fixes = patrol::unit_fixes(db, "unit-a", (5, 99), 100)
            .await
            .unwrap();
        assert_eq!(
            fixes,
            vec![
                (5, 120.05, 29.25),
                (10, 120.1, 29.5),
                (20, 120.2, 29.5),
                (25, 120.25, 29.25),
                (30, 120.3, 29.5),
            ]
        );
        // The limit: at most `limit` + 1 rows, so the caller can tell the track was cut.
        let cut = patrol::unit_fixes(db, "unit-a", (0, 1000), 2)
            .await
            .unwrap();
        assert_eq!(cut.iter().map(|f| f.0).collect::<Vec<_>>(), vec![5, 10, 20]);
        assert!(
            patrol::unit_fixes(db, "nobody", (0, 1000), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // The connection the read borrowed serves the next query.
        let n: (i64,) = db
            .fetch_one("SELECT COUNT(*) FROM unit_positions", args![])
            .await
            .unwrap();
        assert_eq!(n.0, 5);
    }
);
