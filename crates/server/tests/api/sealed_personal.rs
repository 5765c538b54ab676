//! Personal data sealed everywhere (issue 18): incident callers, place contacts and account mobiles
//! are stored only as SM4-GCM ciphertext. The raw columns are read straight from the database and hold
//! no plain value; values written before sealing (plain columns) are sealed when the server opens the
//! database, with the caller's phone indexed like a dispute party's.

use super::*;
use helpers::*;
use pingan_store::args;
use serde_json::json;

const NAME: &str = "欧阳明轩";
const PHONE: &str = "13957512345";

/// Every text value of every row of `table`, as the database holds it.
async fn raw_text(app: &TestApp, table: &str, columns: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for c in columns {
        let rows: Vec<(Option<String>,)> = app
            .db
            .fetch_all(&format!("SELECT {c} FROM {table}"), args![])
            .await
            .unwrap();
        out.extend(rows.into_iter().filter_map(|(v,)| v));
    }
    out
}

both!(
    no_plain_personal_data_in_the_raw_columns,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, "330681109004002").await;
        let (s, i) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "200200", "description": "两户争吵",
            "address": "陈家社区 3 号", "lng": lng, "lat": lat, "caller_name": NAME, "caller_phone": PHONE})).await;
        assert_eq!(s, 201, "{i}");
        assert_eq!(i["caller_phone"], "139****2345");
        let gw = app.client_as("gridworker").await;
        let (s, p) = post(&app, &gw, "/api/v1/places", json!({"name": "陈家便利店", "kind": "shop",
            "address": "陈家社区 8 号", "lng": lng, "lat": lat, "contact_name": NAME, "contact_phone": PHONE})).await;
        assert_eq!(s, 201, "{p}");
        assert_eq!(p["contact_name"], "欧***");
        let sec = app.client_as("secadmin").await;
        let orgs = app.get_json(&sec, "/api/v1/orgs").await.1;
        let org = orgs[0]["id"].as_str().unwrap().to_string();
        let (s, u) = post(
            &app,
            &sec,
            "/api/v1/users",
            json!({"username": "newclerk", "display_name": "新文员",
            "role": "auxiliary", "org_id": org, "mobile": PHONE, "password": "Pingan-Clerk-2026x",
            "scope": [{"kind": "area", "path": "/330681/"}]}),
        )
        .await;
        assert_eq!(s, 201, "{u}");
        assert_eq!(u["mobile"], "139****2345");

        let mut raw = raw_text(
            &app,
            "incidents",
            &[
                "caller_name",
                "caller_phone",
                "caller_name_sealed",
                "caller_phone_sealed",
                "caller_phone_index",
                "description",
                "address",
            ],
        )
        .await;
        raw.extend(
            raw_text(
                &app,
                "places",
                &[
                    "contact_name",
                    "contact_phone",
                    "contact_name_sealed",
                    "contact_phone_sealed",
                    "name",
                    "address",
                ],
            )
            .await,
        );
        raw.extend(raw_text(&app, "users", &["mobile", "mobile_sealed", "display_name"]).await);
        assert!(raw.len() > 40, "read {} values", raw.len());
        let plain: Vec<&String> = raw
            .iter()
            .filter(|v| {
                v.contains(NAME) || v.contains(PHONE) || v.contains("12345") || v.contains("张先生")
            })
            .collect();
        assert!(
            plain.is_empty(),
            "plain personal data in the database: {plain:?}"
        );
        // Not even the demo's: every plain column is empty.
        for (t, c) in [
            ("incidents", "caller_name"),
            ("incidents", "caller_phone"),
            ("places", "contact_name"),
            ("places", "contact_phone"),
            ("users", "mobile"),
        ] {
            let (n,): (i64,) = app
                .db
                .fetch_one(
                    &format!("SELECT COUNT(*) FROM {t} WHERE {c} IS NOT NULL"),
                    args![],
                )
                .await
                .unwrap();
            assert_eq!(n, 0, "{t}.{c} holds plain values");
        }
        let (sealed,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM users WHERE mobile_sealed IS NOT NULL",
                args![],
            )
            .await
            .unwrap();
        assert!(
            sealed >= 2,
            "the demo's and the new account's mobiles are sealed"
        );

        // Revealed for a purpose, the values come back whole.
        let id = i["id"].as_str().unwrap();
        let (s, r) = app
            .get_json(
                &d,
                &format!("/api/v1/incidents/{id}?reveal=caller&purpose=%E5%9B%9E%E8%AE%BF"),
            )
            .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["caller_name"].as_str(), r["caller_phone"].as_str()),
            (Some(NAME), Some(PHONE))
        );
    }
);

both!(
    plain_values_left_from_before_are_sealed_on_open,
    |app: TestApp| async move {
        // As an older version wrote them: plain, nothing sealed.
        let (incident,): (String,) = app
            .db
            .fetch_one("SELECT id FROM incidents ORDER BY id LIMIT 1", args![])
            .await
            .unwrap();
        app.db.execute("UPDATE incidents SET caller_name = ?, caller_phone = ?, caller_name_sealed = NULL, \
            caller_phone_sealed = NULL, caller_phone_index = NULL WHERE id = ?", args![NAME, PHONE, incident.as_str()]).await.unwrap();
        let (user,): (String,) = app
            .db
            .fetch_one("SELECT id FROM users WHERE username = 'officer'", args![])
            .await
            .unwrap();
        app.db
            .execute(
                "UPDATE users SET mobile = ?, mobile_sealed = NULL WHERE id = ?",
                args![PHONE, user.as_str()],
            )
            .await
            .unwrap();

        let cipher = &app.state.cipher;
        assert_eq!(
            pingan_server::rekey::seal_plain(&app.db, cipher)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            pingan_server::rekey::seal_plain(&app.db, cipher)
                .await
                .unwrap(),
            0,
            "once only"
        );

        let (name, phone, sealed_name, sealed_phone, index): (Option<String>, Option<String>, String, String, String) = app.db
            .fetch_one("SELECT caller_name, caller_phone, caller_name_sealed, caller_phone_sealed, caller_phone_index \
                FROM incidents WHERE id = ?", args![incident.as_str()]).await.unwrap();
        assert_eq!((name, phone), (None, None));
        assert_eq!(
            cipher.open("incidents.caller_name", &sealed_name).unwrap(),
            NAME
        );
        assert_eq!(
            cipher
                .open("incidents.caller_phone", &sealed_phone)
                .unwrap(),
            PHONE
        );
        assert_eq!(
            index,
            cipher.phone_index(PHONE),
            "the caller's phone is indexed like a party's"
        );
        let (mobile, sealed): (Option<String>, String) = app
            .db
            .fetch_one(
                "SELECT mobile, mobile_sealed FROM users WHERE id = ?",
                args![user.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(mobile, None);
        assert_eq!(cipher.open("users.mobile", &sealed).unwrap(), PHONE);
    }
);

both!(
    the_same_caller_again_is_a_likely_duplicate,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, "330681109004002").await;
        let call = |type_code: &str, phone: &str| {
            json!({"type_code": type_code, "description": "来电",
            "address": "陈家社区 3 号", "lng": lng, "lat": lat, "caller_phone": phone})
        };
        let (s, first) = post(&app, &d, "/api/v1/incidents", call("200200", PHONE)).await;
        assert_eq!(s, 201, "{first}");
        // Another category (the place rule does not match), the same phone written differently.
        let (s, again) = post(
            &app,
            &d,
            "/api/v1/incidents",
            call("500100", "139-5751-2345"),
        )
        .await;
        assert_eq!(s, 201, "{again}");
        let hints = again["suggestions"]["duplicates"].as_array().unwrap();
        let hint = hints
            .iter()
            .find(|h| h["id"] == first["id"])
            .unwrap_or_else(|| panic!("{again}"));
        assert_eq!(hint["same_caller"], true);
        // Someone else calling about another matter is not.
        let (s, other) = post(&app, &d, "/api/v1/incidents", call("500100", "13700001111")).await;
        assert_eq!(s, 201, "{other}");
        let hints = other["suggestions"]["duplicates"].as_array().unwrap();
        assert!(hints.iter().all(|h| h["same_caller"] == false), "{other}");
    }
);
