use pingan_server::{AppState, Config, build_app, demo};
use pingan_store::testing::TestDb;
use pingan_store::{Backend, Db};
use serde_json::Value;

pub const CAMERA_SECRET: &str = "test-camera-secret";
/// The SM4 field key the test servers seal personal data with.
pub const FIELD_KEY: &str = "00112233445566778899aabbccddeeff";

pub struct TestApp {
    pub url: String,
    pub db: Db,
    /// The running app's state: tests move its clock.
    pub state: AppState,
    pub logins: Vec<demo::DemoLogin>,
    _t: TestDb,
}

/// A `Drop` impl makes a test body's `async move` capture the whole `TestApp`: without one, a body that
/// uses only `app.db` and `app.state` captures just those fields (edition 2021 precise capture), and the
/// temporary database directory (`_t`) is deleted while the test still runs.
impl Drop for TestApp {
    fn drop(&mut self) {}
}

impl TestApp {
    /// The app over a fresh database holding the demo district (seed 7); `tune` adjusts the config.
    pub async fn spawn(
        backend: Backend,
        name: &str,
        tune: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let t = TestDb::new(backend, name).await?;
        let mut config = Config::default();
        config.server.body_limit_bytes = 64 * 1024;
        config.dispatch.camera_webhook_secret = CAMERA_SECRET.into();
        config.crypto.field_key = FIELD_KEY.into();
        tune(&mut config);
        let state = AppState::new(config, t.db.clone()).expect("state");
        demo::ensure(&t.db, &state.cipher, 7)
            .await
            .expect("demo seed");
        demo::ensure_second_factors(&t.db, &state.cipher, 7)
            .await
            .expect("demo second factors");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = build_app(state.clone());
        let limits = pingan_server::conn::Limits::from_config(&state.config.server);
        tokio::spawn(async move {
            pingan_server::conn::serve(listener, app, limits, std::future::pending())
                .await
                .unwrap();
        });
        Some(TestApp {
            url: format!("http://{addr}"),
            db: t.db.clone(),
            state,
            logins: demo::logins(7),
            _t: t,
        })
    }

    pub fn password(&self, username: &str) -> String {
        self.logins
            .iter()
            .find(|l| l.username == username)
            .expect("demo user")
            .password
            .clone()
    }

    /// A client with a cookie jar, logged in as `username`.
    /// The demo administrators' current TOTP code, by the app's clock.
    pub fn totp(&self, username: &str) -> Option<String> {
        let l = self.logins.iter().find(|l| l.username == username)?;
        let secret =
            pingan_domain::totp::TotpSecret::from_base32(l.totp_secret.as_deref()?).ok()?;
        Some(secret.code_at(self.state.now().div_euclid(1_000_000)))
    }

    pub async fn client_as(&self, username: &str) -> reqwest::Client {
        let c = client();
        let login = |c: reqwest::Client| async move {
            c.post(format!("{}/api/v1/session", self.url))
                .json(&serde_json::json!({"username": username, "password": self.password(username), "totp": self.totp(username)}))
                .send()
                .await
                .unwrap()
        };
        let mut r = login(c.clone()).await;
        if r.status() == 401 && self.totp(username).is_some() {
            // A code is accepted once: a second login within the same 30 s step needs the next code,
            // so move the app's clock on by one step rather than sleep.
            self.state.clock.advance_seconds(30);
            r = login(c.clone()).await;
        }
        assert_eq!(
            r.status(),
            200,
            "login as {username}: {}",
            r.text().await.unwrap()
        );
        c
    }

    pub async fn get_json(&self, c: &reqwest::Client, path: &str) -> (u16, Value) {
        let r = c.get(format!("{}{path}", self.url)).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn audit_head(&self) -> i64 {
        let (seq,): (i64,) = self
            .db
            .fetch_one("SELECT seq FROM audit_head WHERE id = 1", vec![])
            .await
            .unwrap();
        seq
    }

    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = self
            .db
            .fetch_one(&format!("SELECT COUNT(*) FROM {table}"), vec![])
            .await
            .unwrap();
        n
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Asserts the standard error body and returns its code.
pub fn error_code(body: &Value) -> String {
    let e = &body["error"];
    assert!(
        e["message"].is_string(),
        "error body without message: {body}"
    );
    e["code"]
        .as_str()
        .unwrap_or_else(|| panic!("error body without code: {body}"))
        .to_string()
}

/// The average of a grid's outer-ring vertices: inside for the demo's near-convex cells.
pub async fn inside_point(app: &TestApp, c: &reqwest::Client, grid: &str) -> (f64, f64) {
    let (s, g) = app.get_json(c, &format!("/api/v1/grids/{grid}")).await;
    assert_eq!(s, 200, "{g}");
    let ring = if g["geometry"]["type"] == "Polygon" {
        &g["geometry"]["coordinates"][0]
    } else {
        &g["geometry"]["coordinates"][0][0]
    };
    let pts = ring.as_array().unwrap();
    let n = (pts.len() - 1) as f64;
    let sx: f64 = pts[..pts.len() - 1]
        .iter()
        .map(|p| p[0].as_f64().unwrap())
        .sum();
    let sy: f64 = pts[..pts.len() - 1]
        .iter()
        .map(|p| p[1].as_f64().unwrap())
        .sum();
    (sx / n, sy / n)
}

pub async fn post(app: &TestApp, c: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
    let r = c
        .post(format!("{}{path}", app.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// The OpenAPI document the app serves.
pub async fn openapi(app: &TestApp) -> Value {
    let (s, doc) = app.get_json(&client(), "/api/openapi.json").await;
    assert_eq!(s, 200, "{doc}");
    doc
}

/// The statuses an operation documents (`"200"`, `"404"`, …).
pub fn documented(doc: &Value, method: &str, path: &str) -> Vec<String> {
    doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is not in the OpenAPI document"))
        .keys()
        .cloned()
        .collect()
}

/// Checks `value` against a JSON Schema of the OpenAPI document: `$ref`, `type` (with `null`),
/// `properties`, `required`, `additionalProperties`, `items`, `enum`, `oneOf`/`anyOf`/`allOf`. Enough
/// for the schemas utoipa writes; an error names the JSON path of the first mismatch.
pub fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let mut target = doc;
        for part in r.trim_start_matches("#/").split('/') {
            target = &target[part];
        }
        assert!(!target.is_null(), "unresolved {r}");
        return conforms(doc, target, value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, value, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let ok = options
                .iter()
                .filter(|s| conforms(doc, s, value, at).is_ok())
                .count();
            if ok == 0 || (key == "oneOf" && ok > 1) {
                return Err(format!("{at}: {ok} of the {key} options match {value}"));
            }
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {options:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        });
        if !ok {
            return Err(format!("{at}: {value} is not of type {types:?}"));
        }
    }
    if let Value::Object(map) = value {
        for r in schema["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap_or_default();
            if !map.contains_key(r) {
                return Err(format!("{at}: required property `{r}` is missing"));
            }
        }
        let props = schema["properties"].as_object();
        for (k, v) in map {
            match props.and_then(|p| p.get(k)) {
                Some(s) => conforms(doc, s, v, &format!("{at}.{k}"))?,
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => {
                        return Err(format!("{at}: property `{k}` is not in the schema"));
                    }
                    s @ Value::Object(_) => conforms(doc, s, v, &format!("{at}.{k}"))?,
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            conforms(doc, s, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Asserts that an answer is documented for the operation, and its JSON body matches the schema
/// documented for its status.
pub fn assert_documented(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let responses = &doc["paths"][path][method]["responses"];
    let mut response = &responses[status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} answered {status}, which it does not document: {body}"
    );
    if let Some(r) = response["$ref"].as_str() {
        response = &doc["components"]["responses"][r.rsplit('/').next().unwrap()];
    }
    if let Some(schema) = response["content"]["application/json"].get("schema")
        && let Err(e) = conforms(doc, schema, body, "$")
    {
        panic!("{method} {path} {status}: the body does not match its schema: {e}\n{body}");
    }
}

/// The message a page shows beside `field` (`<span id="err-FIELD">…</span>`); panics when there is none.
pub fn message_beside(html: &str, field: &str) -> String {
    let start = html
        .find(&format!("id=\"err-{field}\""))
        .unwrap_or_else(|| panic!("no message beside {field}: {html}"));
    let rest = &html[start..];
    rest[rest.find('>').unwrap() + 1..rest.find("</span>").unwrap()].to_string()
}

/// Inserts one counted incident at (lng, lat) received at `at` (UTC µs), located like intake does.
pub async fn plant_incident(
    app: &TestApp,
    lng: f64,
    lat: f64,
    at: i64,
    type_code: &str,
    address: &str,
) {
    use pingan_store::incidents::{self, NewIncident};
    let loc = pingan_server::locate::locate(&app.db, lng, lat)
        .await
        .expect("in a grid");
    let mut tx = app.db.begin().await.unwrap();
    incidents::insert(
        &mut tx,
        "330681",
        &NewIncident {
            tracking_code: None,
            channel: "call_110".into(),
            type_code: type_code.into(),
            level: 3,
            description: "planted by a test".into(),
            address: address.into(),
            lng,
            lat,
            grid_code: loc.grid_code,
            village_code: loc.village_code,
            area_path: loc.area_path,
            area_type: loc.area_type,
            station_org_id: loc.station_org_id,
            caller_name_sealed: None,
            caller_phone_sealed: None,
            caller_phone_index: None,
            reporter_user_id: None,
            camera_code: None,
            snapshot_ref: None,
            event_type: None,
            reported_at: at,
            received_at: at,
            local_date: pingan_domain::time::local_date(pingan_domain::time::from_micros(at)),
            actor_id: None,
            actor_name: "test".into(),
        },
    )
    .await
    .unwrap();
    tx.commit_audited(vec![]).await.unwrap();
}

/// Runs the patrol tally as it will have run a few hours from now, so yesterday's posts are
/// recorded whatever the hour (a day is recorded an hour after its last window, which may end after
/// midnight).
pub async fn record_patrol_days_as_later(app: &TestApp) {
    let later = AppState::new((*app.state.config).clone(), app.db.clone()).unwrap();
    later.clock.advance_seconds(4 * 3600);
    pingan_server::patrol::tally::record_due(&later)
        .await
        .unwrap();
}

/// The key of the station whose area is `area_path`, as the assessment ranks stations.
pub async fn station_key(app: &TestApp, c: &reqwest::Client, area_path: &str) -> String {
    let (_, r) = app
        .get_json(c, "/api/v1/assessment/ranking?unit_type=station")
        .await;
    r["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["unit"]["area_path"] == area_path)
        .unwrap_or_else(|| panic!("{r}"))["unit"]["key"]
        .as_str()
        .unwrap()
        .to_string()
}
