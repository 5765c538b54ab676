//! Configuration: built-in safe defaults, then an optional TOML file, then `PINGAN_*` environment
//! variables (`PINGAN_DATABASE__URL`, `PINGAN_AUTH__LOCKOUT_MINUTES` …; `__` separates sections).
//! `Config::redacted` is what `pingan config print` shows: secrets masked.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub map: MapConfig,
    pub dispatch: DispatchConfig,
    pub mediation: MediationConfig,
    pub crypto: CryptoConfig,
    pub analysis: AnalysisConfig,
    pub cases: CasesConfig,
    pub patrol: PatrolConfig,
    pub validation: ValidationConfig,
    pub tasks: TasksConfig,
    pub risks: RisksConfig,
    pub visits: VisitsConfig,
    pub public_alerts: PublicAlertsConfig,
    pub reports: ReportsConfig,
    pub sharing: SharingConfig,
}

/// A term a deployment adds to a built-in list (a risk category, a visit topic): its code and its
/// names in both languages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub code: String,
    pub zh: String,
    pub en: String,
}

impl Term {
    pub fn name(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::ZhCn => &self.zh,
            crate::i18n::Lang::En => &self.en,
        }
    }
}

/// Checks added terms: a code of 2–32 lower-case letters, digits or `_`, none a built-in code or
/// repeated, names of 1–20 characters.
fn check_terms(what: &str, terms: &[Term], built_in: &[&str]) -> Result<(), String> {
    for (i, t) in terms.iter().enumerate() {
        let code_ok = (2..=32).contains(&t.code.len())
            && t.code.starts_with(|c: char| c.is_ascii_lowercase())
            && t.code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            return Err(format!(
                "{what}[{i}].code must be 2–32 lower-case letters, digits or _"
            ));
        }
        if built_in.contains(&t.code.as_str()) || terms[..i].iter().any(|o| o.code == t.code) {
            return Err(format!(
                "{what}[{i}].code `{}` is already a {what} code",
                t.code
            ));
        }
        for (lang, n) in [("zh", &t.zh), ("en", &t.en)] {
            if !(1..=20).contains(&n.trim().chars().count()) {
                return Err(format!("{what}[{i}].{lang} must be 1–20 characters"));
            }
        }
    }
    Ok(())
}

/// 风险联排: categories beyond the built-in ones (`domain::risk::Category`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RisksConfig {
    pub categories: Vec<Term>,
}

/// 入户走访: topics beyond the built-in ones (`domain::visit::Topic`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct VisitsConfig {
    pub topics: Vec<Term>,
}

/// Public safety alerts (CAP 1.2): who this platform says it is in the alerts it publishes, and the
/// other agencies' CAP feeds (Atom, or single CAP documents) on the internal network it reads every
/// `poll_seconds` on one server (0: never; an alert can always be imported by hand). Plain `http://`
/// only: the binary carries no TLS client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PublicAlertsConfig {
    /// CAP `<sender>`: no spaces or commas (e.g. `pingan@330681.gaj`).
    pub sender: String,
    /// CAP `<senderName>` (e.g. 诸暨市公安局).
    pub sender_name: String,
    pub feeds: Vec<String>,
    pub poll_seconds: u64,
}

impl Default for PublicAlertsConfig {
    fn default() -> Self {
        PublicAlertsConfig {
            sender: "pingan@gaj.local".into(),
            sender_name: "平安 公安分局".into(),
            feeds: Vec::new(),
            poll_seconds: 300,
        }
    }
}

/// Printed reports: the Chromium that prints them to PDF (empty: `chromium`, `chromium-browser` or
/// `google-chrome` on the PATH; none found: PDF answers 503 and pages are printed from the browser).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsConfig {
    pub chromium: String,
}

/// 警网融合 delivery: how often each server looks for partners with events to send (0: delivery off
/// on this server), the retry backoff (doubling from `retry_base_ms` up to `retry_max_ms`, with
/// jitter), how long a partner's lease lasts, the `source` stamped on every event, and the NATS
/// server and JetStream stream partners on the `jetstream` transport are published to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SharingConfig {
    pub poll_ms: u64,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub lease_seconds: u64,
    pub request_timeout_ms: u64,
    pub source: String,
    /// `nats://127.0.0.1:4222`; empty: the JetStream transport is unavailable.
    pub nats_url: String,
    pub nats_stream: String,
    /// First token of every subject; the stream takes `<subject_prefix>.>`.
    pub subject_prefix: String,
    /// Allowed distance of an inbound event's signed timestamp from now.
    pub inbound_max_skew_seconds: i64,
}

impl Default for SharingConfig {
    fn default() -> Self {
        SharingConfig {
            poll_ms: 500,
            retry_base_ms: 1000,
            retry_max_ms: 600_000,
            lease_seconds: 30,
            request_timeout_ms: 10_000,
            source: "/pingan".into(),
            nats_url: String::new(),
            nats_stream: "PINGAN_SHARING".into(),
            subject_prefix: "pingan".into(),
            inbound_max_skew_seconds: 300,
        }
    }
}

/// 交办/督办: when a task is carded (`domain::task::CardRules`: days overdue or without progress for
/// 黄牌 and 红牌) and how often the supervision sweep runs (0: off).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TasksConfig {
    pub cards: pingan_domain::task::CardRules,
    pub sweep_seconds: u64,
}

impl Default for TasksConfig {
    fn default() -> Self {
        TasksConfig {
            cards: pingan_domain::task::CardRules::default(),
            sweep_seconds: 300,
        }
    }
}

/// When a unit's track counts as a check-in at a patrol post: within `checkin_radius_m` for at least
/// `checkin_minutes` inside the post's window; fixes more than `max_gap_minutes` apart break a stay
/// (and show as a gap in the track). A person's shifts are at least `min_rest_hours` apart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PatrolConfig {
    pub checkin_radius_m: f64,
    pub checkin_minutes: f64,
    pub max_gap_minutes: f64,
    pub min_rest_hours: f64,
    /// Raw GPS fixes are kept this many days, then folded into simplified tracks (0: never).
    pub raw_fix_days: i64,
    /// The fold's error bound: every folded-away fix lies within this many metres of the simplified
    /// track at its own instant.
    pub fold_tolerance_m: f64,
    /// How often the fold job runs (0: off).
    pub fold_seconds: u64,
}

impl Default for PatrolConfig {
    fn default() -> Self {
        PatrolConfig {
            checkin_radius_m: 100.0,
            checkin_minutes: 10.0,
            max_gap_minutes: 5.0,
            min_rest_hours: 8.0,
            raw_fix_days: 35,
            fold_tolerance_m: 5.0,
            fold_seconds: 3600,
        }
    }
}

/// Plausibility bounds on the times records carry (the rules themselves are in
/// `pingan_domain::plausible`). Nothing may be later than now plus `clock_skew_seconds`. What is
/// reported as it happens — reports, camera alerts, GPS fixes — may be up to `live_max_age_days` old;
/// what is written up after the fact from the file — case steps, mediation sessions — up to
/// `record_max_age_days`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationConfig {
    pub clock_skew_seconds: i64,
    pub live_max_age_days: i64,
    pub record_max_age_days: i64,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            clock_skew_seconds: 300,
            live_max_age_days: 30,
            record_max_age_days: 3_650,
        }
    }
}

impl ValidationConfig {
    pub fn live(&self, now: i64) -> pingan_domain::plausible::InstantWindow {
        pingan_domain::plausible::InstantWindow::live(
            now,
            self.live_max_age_days,
            self.clock_skew_seconds,
        )
    }

    pub fn record(&self, now: i64) -> pingan_domain::plausible::InstantWindow {
        pingan_domain::plausible::InstantWindow::live(
            now,
            self.record_max_age_days,
            self.clock_skew_seconds,
        )
    }
}

/// 执法监督: how often each server runs the 网上巡查 engine over open cases (0 = only after each recorded
/// step), extra rule-set files (TOML, each with its own `version` and `effective_from`; the built-in
/// sets are always there) — a revised law is a new file, not new code — and a holiday calendar file
/// (the format of `domain/src/calendar/cn.toml`) whose years add to or replace the shipped ones, for
/// the State Council notice of a year the release does not know yet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CasesConfig {
    pub inspect_seconds: u64,
    pub rule_files: Vec<String>,
    pub calendar_file: Option<String>,
}

impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig {
            inspect_seconds: 60,
            rule_files: Vec::new(),
            calendar_file: None,
        }
    }
}

impl CasesConfig {
    /// The built-in rule sets plus every configured file, counting rest days by the shipped
    /// calendar and the configured one; a file that does not parse stops the start.
    pub fn rule_book(&self) -> anyhow::Result<pingan_domain::case_rules::RuleBook> {
        use pingan_domain::calendar::HolidayCalendar;
        use pingan_domain::case_rules::{BUILTIN_RULES, RuleBook, RuleSet};
        let mut sets = BUILTIN_RULES
            .iter()
            .map(|t| RuleSet::from_toml(t))
            .collect::<Result<Vec<_>, _>>()?;
        for f in &self.rule_files {
            let text = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("cases.rule_files: {f}: {e}"))?;
            sets.push(RuleSet::from_toml(&text).map_err(|e| anyhow::anyhow!("{f}: {e}"))?);
        }
        let mut calendar = HolidayCalendar::default_cn();
        if let Some(f) = &self.calendar_file {
            let text = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("cases.calendar_file: {f}: {e}"))?;
            let local = HolidayCalendar::parse(&text)
                .map_err(|e| anyhow::anyhow!("cases.calendar_file: {f}: {e}"))?;
            calendar.replace_years(local);
        }
        Ok(RuleBook::new(sets)?.with_calendar(calendar))
    }
}

/// 信息研判: how often each server checks whether a daily/weekly 研判简报 is due (0 = never; briefs
/// can still be generated through the API).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    pub brief_check_seconds: u64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            brief_check_seconds: 300,
        }
    }
}

/// Dispute mediation (矛盾纠纷化解): grades and tier time limits, follow-up visits, the 民转刑 watch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MediationConfig {
    pub grading: pingan_domain::dispute::GradingRules,
    pub followup: pingan_domain::dispute::FollowUpRules,
    pub watch: pingan_domain::dispute::CriminalWatch,
    /// How often each server checks the tier clocks.
    pub sweep_seconds: u64,
}

impl Default for MediationConfig {
    fn default() -> Self {
        MediationConfig {
            grading: Default::default(),
            followup: Default::default(),
            watch: Default::default(),
            sweep_seconds: 60,
        }
    }
}

/// The SM4 key that seals personal data in the database (GB/T 39786). Either `field_key` (32 hex
/// digits) or a key file; without either, `<data_dir>/field.key` is created on first start — back it
/// up with the database: without it the sealed fields cannot be read. Servers sharing one database
/// must share the key (checked at start-up).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CryptoConfig {
    pub field_key: String,
    pub field_key_id: String,
    /// A file holding the key as 32 hex digits.
    pub field_key_file: String,
    /// Earlier keys still readable during a rotation, as `id:hex`.
    pub old_field_keys: Vec<String>,
    /// While older keys are listed, how often one server (under a lease) re-seals what is still under
    /// them.
    pub rekey_seconds: u64,
}

impl Default for CryptoConfig {
    fn default() -> Self {
        CryptoConfig {
            field_key: String::new(),
            field_key_id: "k1".into(),
            field_key_file: String::new(),
            old_field_keys: Vec::new(),
            rekey_seconds: 600,
        }
    }
}

/// Command and dispatch (指挥调度): clock targets, duplicate/repeat thresholds and the intake channels'
/// credentials.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    pub targets: pingan_domain::incident::ClockTargets,
    pub repeat: pingan_domain::incident::RepeatRules,
    /// HMAC-SM3 key the camera platform signs alert webhooks with; empty = camera webhook off.
    pub camera_webhook_secret: String,
    /// A signature older or newer than this many seconds is refused (replay window).
    pub camera_webhook_max_skew_seconds: i64,
    /// A camera silent this long after a heartbeat counts as offline from then on.
    pub camera_heartbeat_timeout_seconds: i64,
    /// Open311 `api_key`s accepted for POST; empty = anyone may post (like the resident form).
    pub open311_api_keys: Vec<String>,
    /// Level given to reports from the public and cameras until a dispatcher reviews them.
    pub public_report_level: i64,
    /// Reports through the public channels (web form, Open311) per client address per minute (0: no limit).
    pub public_reports_per_ip_per_minute: i64,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            targets: Default::default(),
            repeat: Default::default(),
            camera_webhook_secret: String::new(),
            camera_webhook_max_skew_seconds: 300,
            camera_heartbeat_timeout_seconds: 300,
            open311_api_keys: Vec::new(),
            public_report_level: 3,
            public_reports_per_ip_per_minute: 20,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Loopback by default: expose it deliberately.
    pub listen: String,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Largest accepted file upload (imports), in bytes.
    pub upload_limit_bytes: usize,
    /// Import uploads read, checked or confirmed at once on one server (0: its cores); each holds its
    /// file several times over while it runs.
    pub uploads_at_once: usize,
    /// Uploads that may wait (up to 10 s) for a free place; beyond them the answer is 503 + Retry-After.
    pub uploads_queued: usize,
    /// Where SQLite data and generated files live.
    pub data_dir: String,
    /// Addresses of the load balancers / reverse proxies in front (exact IPs). A request from one of
    /// them is attributed to the client named in `X-Forwarded-For` (the rightmost address that is not
    /// itself a trusted proxy) — for rate limits and the audit log. Empty: the socket's peer counts.
    pub trusted_proxies: Vec<String>,
    /// A connection ready for a request (just accepted, or its first byte arrived after a keep-alive
    /// pause) must deliver the complete request head within this many seconds.
    pub header_timeout_seconds: u64,
    /// A request body must fully arrive within this many seconds of its head.
    pub body_timeout_seconds: u64,
    /// A kept-alive connection with no request in flight is closed after this many silent seconds.
    pub idle_timeout_seconds: u64,
    /// Open connections at most; beyond it a new connection gets 503 + Retry-After and is closed.
    /// Keep it below the process's file-descriptor limit (`ulimit -n`) minus the database pool.
    pub max_connections: usize,
    /// Live-board streams (SSE) one account may hold open at once on one server; more get 429.
    pub streams_per_account: usize,
    /// The live board's safety-net poll of `board_changes`, in ms. Commits wake the board at once
    /// (in this process, and through PostgreSQL `NOTIFY` on every server); this poll only catches
    /// what a reconnecting listener missed.
    pub live_poll_ms: u64,
    /// The longest a server serves its cached copy of configuration (the incident types) when the
    /// notification of a change was lost; changes otherwise reach every server at their commit.
    pub config_cache_seconds: u64,
    /// Where `/metrics` is served: empty (default) — not at all; `token` — on the main address to
    /// requests carrying `Authorization: Bearer <metrics_token>`; or an address such as
    /// `127.0.0.1:9464` — a listener of its own, for the scraper only.
    pub metrics_listen: String,
    /// The bearer token `/metrics` requires when `metrics_listen = "token"` (at least 24 characters).
    pub metrics_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite:PATH` (default: `<data_dir>/pingan.db`) or `postgres://user:pass@host/db`.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// A session unused this long ends (等保: session timeout).
    pub session_idle_minutes: i64,
    /// A session ends this long after login, used or not.
    pub session_absolute_hours: i64,
    /// Failed logins in a row that lock the account.
    pub max_failed_logins: i64,
    pub lockout_minutes: i64,
    /// Login attempts per client address per minute, across all accounts (0: no limit).
    pub login_per_ip_per_minute: i64,
    pub password_min_length: usize,
    /// A new password must differ from this many earlier ones (the current one included).
    pub password_history: usize,
    /// Days before a password must be changed (0: never).
    pub password_max_age_days: i64,
    /// Set the cookie `Secure` flag (turn on behind HTTPS).
    pub cookie_secure: bool,
    /// Password hashes checked at once by one server (each argon2 check holds ~19 MiB while it
    /// runs); 0: the machine's cores.
    pub password_checks_at_once: usize,
    /// Password checks that may wait for a free slot; beyond them a login gets 503 + Retry-After.
    pub password_checks_queued: usize,
    /// How long a queued check waits for a slot before the answer is 503.
    pub password_check_wait_ms: u64,
    /// Identical failures (same account, same refusal) within this window are one audit record plus
    /// one summary with their count, so the append-only log cannot be flooded.
    pub audit_repeat_window_seconds: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MapConfig {
    /// Internal XYZ tile URL template (`http://tiles.internal/{z}/{x}/{y}.png`); empty = no base map.
    pub tile_url: String,
    /// CRS of the tiles: wgs84 or gcj02.
    pub tile_crs: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 20 * 1024 * 1024,
            uploads_at_once: 2,
            uploads_queued: 4,
            data_dir: "data".into(),
            trusted_proxies: Vec::new(),
            header_timeout_seconds: 10,
            body_timeout_seconds: 60,
            idle_timeout_seconds: 60,
            max_connections: 4096,
            streams_per_account: 8,
            live_poll_ms: 1000,
            config_cache_seconds: 5,
            metrics_listen: String::new(),
            metrics_token: String::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            max_connections: 10,
        }
    }
}

impl AuthConfig {
    pub fn password_policy(&self) -> pingan_domain::password::PasswordPolicy {
        pingan_domain::password::PasswordPolicy {
            min_length: self.password_min_length,
            history: self.password_history.max(1),
            max_age_days: self.password_max_age_days,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            max_failed_logins: 10,
            lockout_minutes: 30,
            login_per_ip_per_minute: 60,
            password_min_length: 10,
            password_history: 5,
            password_max_age_days: 90,
            cookie_secure: false,
            password_checks_at_once: 0,
            password_checks_queued: 16,
            password_check_wait_ms: 5_000,
            audit_repeat_window_seconds: 600,
        }
    }
}

impl Default for MapConfig {
    fn default() -> Self {
        MapConfig {
            tile_url: String::new(),
            tile_crs: "wgs84".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("configuration file {0} does not exist")]
    Missing(String),
}

impl Config {
    /// Defaults ← file (if given) ← environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                return Err(ConfigError::Missing(f.display().to_string()));
            }
            fig = fig.merge(Toml::file(f));
        }
        // Only section-qualified variables are settings; others (PINGAN_TEST_POSTGRES_URL …) belong to tools.
        fig = fig.merge(
            Env::prefixed("PINGAN_")
                .filter(|k| k.as_str().contains("__"))
                .split("__"),
        );
        let cfg: Config = fig
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.crypto.rekey_seconds == 0 {
            return bad("crypto.rekey_seconds must be at least 1");
        }
        if self.server.body_limit_bytes < 1024 {
            return bad("server.body_limit_bytes must be at least 1024");
        }
        if !(1..=3_600).contains(&self.server.header_timeout_seconds)
            || !(1..=3_600).contains(&self.server.body_timeout_seconds)
            || !(1..=3_600).contains(&self.server.idle_timeout_seconds)
        {
            return bad(
                "server.header_timeout_seconds, server.body_timeout_seconds and server.idle_timeout_seconds must be between 1 and 3600",
            );
        }
        if !(1..=3600).contains(&self.server.config_cache_seconds) {
            return bad("server.config_cache_seconds must be 1–3600");
        }
        if !(10..=60_000).contains(&self.server.live_poll_ms) {
            return bad("server.live_poll_ms must be 10–60000");
        }
        if self.server.max_connections < 1 || self.server.streams_per_account < 1 {
            return bad("server.max_connections and server.streams_per_account must be positive");
        }
        match self.server.metrics_listen.as_str() {
            "" => {}
            "token" if self.server.metrics_token.len() >= 24 => {}
            "token" => {
                return bad(
                    "server.metrics_token must be at least 24 characters when server.metrics_listen = \"token\"",
                );
            }
            addr if addr.parse::<std::net::SocketAddr>().is_err() => {
                return bad(
                    "server.metrics_listen must be empty, \"token\" or an address such as 127.0.0.1:9464",
                );
            }
            _ => {}
        }
        if let Err(e) = self.tasks.cards.check() {
            return bad(&e.to_string());
        }
        let built_in: Vec<&str> = pingan_domain::risk::Category::ALL
            .iter()
            .map(|c| c.code())
            .collect();
        if let Err(e) = check_terms("risks.categories", &self.risks.categories, &built_in) {
            return bad(&e);
        }
        let built_in: Vec<&str> = pingan_domain::visit::Topic::ALL
            .iter()
            .map(|c| c.code())
            .collect();
        if let Err(e) = check_terms("visits.topics", &self.visits.topics, &built_in) {
            return bad(&e);
        }
        let a = &self.public_alerts;
        if a.sender.is_empty()
            || a.sender
                .chars()
                .any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '&')
        {
            return bad("public_alerts.sender must be non-empty, without spaces, commas, < or &");
        }
        if a.sender_name.trim().is_empty() {
            return bad("public_alerts.sender_name must not be empty");
        }
        if let Some(f) = a.feeds.iter().find(|f| {
            reqwest::Url::parse(f)
                .map(|u| u.scheme() != "http" || u.host_str().is_none())
                .unwrap_or(true)
        }) {
            return bad(&format!(
                "public_alerts.feeds: {f:?} is not an http:// address (the binary carries no TLS client)"
            ));
        }
        if !a.feeds.is_empty() && !(10..=86_400).contains(&a.poll_seconds) && a.poll_seconds != 0 {
            return bad("public_alerts.poll_seconds must be 0 (never) or 10–86400");
        }
        let p = &self.patrol;
        if !(5.0..=2_000.0).contains(&p.checkin_radius_m)
            || !(1.0..=240.0).contains(&p.checkin_minutes)
            || !(0.5..=120.0).contains(&p.max_gap_minutes)
            || !(0.0..=48.0).contains(&p.min_rest_hours)
        {
            return bad(
                "patrol.checkin_radius_m must be 5–2000, patrol.checkin_minutes 1–240, patrol.max_gap_minutes 0.5–120 and patrol.min_rest_hours 0–48",
            );
        }
        // A day is folded only once no fix can arrive for it any more (the ingest takes fixes up to
        // validation.live_max_age_days old).
        if !(p.raw_fix_days == 0 || p.raw_fix_days > self.validation.live_max_age_days)
            || !(0.0..=50.0).contains(&p.fold_tolerance_m)
        {
            return bad(
                "patrol.raw_fix_days must be 0 (keep every fix) or more than validation.live_max_age_days, and patrol.fold_tolerance_m 0–50",
            );
        }
        let v = &self.validation;
        if !(0..=86_400).contains(&v.clock_skew_seconds)
            || !(1..=3_650).contains(&v.live_max_age_days)
            || !(1..=36_500).contains(&v.record_max_age_days)
        {
            return bad(
                "validation.clock_skew_seconds must be 0–86400, validation.live_max_age_days 1–3650 and validation.record_max_age_days 1–36500",
            );
        }
        if self.auth.max_failed_logins < 1 || self.auth.lockout_minutes < 1 {
            return bad("auth.max_failed_logins and auth.lockout_minutes must be positive");
        }
        if self.auth.session_idle_minutes < 1 || self.auth.session_absolute_hours < 1 {
            return bad(
                "auth.session_idle_minutes and auth.session_absolute_hours must be positive",
            );
        }
        if self.auth.password_min_length < 8 {
            return bad("auth.password_min_length must be at least 8");
        }
        if self.auth.password_checks_at_once > 256 || self.auth.password_checks_queued > 4096 {
            return bad(
                "auth.password_checks_at_once must be at most 256 and auth.password_checks_queued at most 4096",
            );
        }
        if !(1..=86_400).contains(&self.auth.audit_repeat_window_seconds) {
            return bad("auth.audit_repeat_window_seconds must be between 1 and 86400");
        }
        self.dispatch
            .targets
            .validate()
            .map_err(|m| ConfigError::Invalid(format!("dispatch.targets.{m}")))?;
        if !(1..=4).contains(&self.dispatch.public_report_level) {
            return bad("dispatch.public_report_level must be 1–4");
        }
        let r = &self.dispatch.repeat;
        if r.duplicate_radius_m <= 0.0
            || r.repeat_radius_m <= 0.0
            || r.duplicate_window_minutes < 1
            || r.repeat_window_days < 1
            || r.repeat_min_count < 2
        {
            return bad(
                "dispatch.repeat: radii and windows must be positive and repeat_min_count at least 2",
            );
        }
        self.mediation
            .grading
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.mediation.followup.days.iter().any(|d| *d < 1)
            || self.mediation.followup.judicial_confirmation_days < 1
        {
            return bad("mediation.followup: days must be positive");
        }
        if self.mediation.watch.window_days < 1 || self.mediation.watch.radius_m <= 0.0 {
            return bad("mediation.watch: window_days and radius_m must be positive");
        }
        if !["wgs84", "gcj02"].contains(&self.map.tile_crs.as_str()) {
            return bad("map.tile_crs must be wgs84 or gcj02");
        }
        Ok(())
    }

    /// The field-encryption keys: `field_key`, else `field_key_file`, else `<data_dir>/field.key`
    /// (created with a fresh random key when missing).
    pub fn field_cipher(&self) -> anyhow::Result<pingan_domain::crypto::FieldCipher> {
        use pingan_domain::crypto::{FieldCipher, FieldKey};
        let c = &self.crypto;
        let hex_key = if !c.field_key.is_empty() {
            c.field_key.clone()
        } else {
            let path = if c.field_key_file.is_empty() {
                Path::new(&self.server.data_dir).join("field.key")
            } else {
                Path::new(&c.field_key_file).to_path_buf()
            };
            if !path.exists() && c.field_key_file.is_empty() {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(&path, &FieldKey::generate_hex())?;
                tracing::warn!(path = %path.display(), "created a new field-encryption key: back it up with the database");
            }
            std::fs::read_to_string(&path)
                .map_err(|e| {
                    anyhow::anyhow!("crypto: cannot read key file {}: {e}", path.display())
                })?
                .trim()
                .to_string()
        };
        let current = FieldKey::new(&c.field_key_id, &hex_key)
            .map_err(|e| anyhow::anyhow!("crypto.field_key: {e}"))?;
        let older = c
            .old_field_keys
            .iter()
            .map(|k| {
                let (id, hex) = k.split_once(':').ok_or_else(|| {
                    anyhow::anyhow!("crypto.old_field_keys: write each as id:hex")
                })?;
                FieldKey::new(id, hex).map_err(|e| anyhow::anyhow!("crypto.old_field_keys: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(FieldCipher::new(current, older))
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite:{}",
                Path::new(&self.server.data_dir).join("pingan.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }

    /// The effective configuration as TOML with secrets masked.
    pub fn redacted(&self) -> String {
        let mut c = self.clone();
        c.database.url = mask_url_password(&self.database_url());
        c.public_alerts.feeds = self
            .public_alerts
            .feeds
            .iter()
            .map(|f| mask_url_password(f))
            .collect();
        if !c.dispatch.camera_webhook_secret.is_empty() {
            c.dispatch.camera_webhook_secret = "***".into();
        }
        c.dispatch.open311_api_keys = c
            .dispatch
            .open311_api_keys
            .iter()
            .map(|_| "***".into())
            .collect();
        if !c.crypto.field_key.is_empty() {
            c.crypto.field_key = "***".into();
        }
        if !c.server.metrics_token.is_empty() {
            c.server.metrics_token = "***".into();
        }
        c.crypto.old_field_keys = c
            .crypto
            .old_field_keys
            .iter()
            .map(|k| format!("{}:***", k.split(':').next().unwrap_or("")))
            .collect();
        toml::to_string_pretty(&c).unwrap_or_default()
    }
}

/// `postgres://u:secret@h/db` → `postgres://u:***@h/db`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Writes a secret readable by the owner only.
/// Writes a new owner-only file whole: through a temporary file linked into place, so a process that
/// starts at the same moment either finds no file or the complete one. An existing file is kept.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("new.{}", std::process::id()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let written = o.open(&tmp).and_then(|mut f| {
        f.write_all(contents.as_bytes())?;
        f.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_safe() {
        let c = Config::default();
        c.validate().unwrap();
        assert!(c.server.listen.starts_with("127.0.0.1"));
        assert_eq!(c.auth.max_failed_logins, 10);
        assert!(c.database_url().starts_with("sqlite:"));
    }

    #[test]
    fn password_is_masked() {
        assert_eq!(
            mask_url_password("postgres://pingan:s3cret@db:5432/p"),
            "postgres://pingan:***@db:5432/p"
        );
        assert_eq!(mask_url_password("sqlite:data/p.db"), "sqlite:data/p.db");
        let mut c = Config::default();
        c.database.url = "postgres://pingan:s3cret@db/p".into();
        assert!(!c.redacted().contains("s3cret"));
    }

    #[test]
    fn file_then_env() {
        let dir = std::env::temp_dir().join(format!("pingan-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("p.toml");
        std::fs::write(
            &f,
            "[auth]\nlockout_minutes = 5\n[server]\nlisten = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.auth.lockout_minutes, 5);
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        std::fs::write(&f, "[auth]\nlockout_minuts = 5\n").unwrap();
        let err = Config::load(Some(&f)).unwrap_err().to_string();
        assert!(err.contains("lockout_minuts"), "{err}");
        assert!(Config::load(Some(&dir.join("nope.toml"))).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
