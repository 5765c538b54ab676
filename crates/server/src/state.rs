//! What every handler shares: configuration, the database, the translations, the clock and the live
//! feed. Nothing here is state another server process would need: sessions, locks and counters live in
//! the database, and the live feed is filled from the database's change table, so several
//! `pingan serve` processes can share one PostgreSQL.

use crate::config::Config;
use crate::i18n::I18n;
use crate::live::LiveFeed;
use pingan_store::Db;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub i18n: Arc<I18n>,
    pub clock: Clock,
    pub live: LiveFeed,
    /// Incident type names for display, re-read from the database every few seconds.
    pub types: TypeCache,
    /// Seals and opens personal-data fields (SM4-GCM).
    pub cipher: Arc<pingan_domain::crypto::FieldCipher>,
    /// 网上巡查 rule sets (the default and `cases.rule_files`).
    pub rules: Arc<pingan_domain::case_rules::RuleBook>,
    /// Bounds the password hashes running at once (memory).
    pub hashing: crate::hashing::HashGate,
    /// Bounds the import uploads being read, checked or confirmed at once (each holds its file, up to
    /// `server.upload_limit_bytes`, several times over).
    pub uploads: crate::gate::Gate,
    /// Bounds the PDF prints running at once (each a Chromium process).
    pub pdf: crate::gate::Gate,
    /// The map search's index of names (rebuilt at most once a minute).
    pub gazetteer: crate::names::NameCache,
}

impl AppState {
    /// Drops cached configuration whenever any server changes it (woken by `pingan_store::wake`).
    /// Runs for as long as the process does; `serve` starts it once.
    pub fn follow_changes(&self) {
        let types = self.types.clone();
        tokio::spawn(async move {
            let changed = pingan_store::wake::woken(pingan_store::wake::Topic::Config);
            loop {
                changed.notified().await;
                types.invalidate();
            }
        });
    }

    /// Must be called inside a Tokio runtime: it starts the live feed's poller. Fails when the
    /// field-encryption key cannot be read or made.
    pub fn new(config: Config, db: Db) -> anyhow::Result<Self> {
        let cipher = Arc::new(config.field_cipher()?);
        let rules = Arc::new(config.cases.rule_book()?);
        let types_ttl = std::time::Duration::from_secs(config.server.config_cache_seconds);
        let live = LiveFeed::start(
            db.clone(),
            std::time::Duration::from_millis(config.server.live_poll_ms),
        );
        let hashing = crate::hashing::HashGate::new(&config.auth);
        let uploads = crate::gate::Gate::new(
            config.server.uploads_at_once,
            config.server.uploads_queued,
            std::time::Duration::from_secs(10),
        );
        let pdf = crate::gate::Gate::new(1, 8, std::time::Duration::from_secs(60));
        Ok(AppState {
            gazetteer: Default::default(),
            pdf,
            hashing,
            uploads,
            cipher,
            rules,
            config: Arc::new(config),
            db,
            i18n: Arc::new(I18n::load()),
            clock: Clock::default(),
            live,
            types: TypeCache::new(types_ttl),
        })
    }

    /// Refuses to run with a field key other than the one the database's sealed fields were written
    /// with (the first server to start records the key's check value).
    pub async fn check_field_key(&self) -> anyhow::Result<()> {
        let fp = self.cipher.fingerprint();
        let held = pingan_store::settings::get_or_insert(&self.db, "field_key_check", &fp).await?;
        let current_id = fp.split(':').next().unwrap_or("");
        let held_id = held.split(':').next().unwrap_or("");
        if held != fp && held_id != current_id && self.cipher.knows(held_id) {
            // A rotation: the held key is now an older key of ours; from here on the new key is the
            // one every server must share. Compare-and-swap, so two servers starting together agree.
            pingan_store::settings::swap(&self.db, "field_key_check", &held, &fp).await?;
            return Ok(());
        }
        if held != fp && held_id == current_id {
            anyhow::bail!(
                "crypto: this server's field key {current_id} differs from the one this database was written with; \
                 configure the same crypto.field_key on every server (or restore the key file)"
            );
        }
        Ok(())
    }

    /// Now, in UTC microseconds, by the state's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The local date (China Standard Time) today by the state's clock.
    pub fn today(&self) -> jiff::civil::Date {
        pingan_domain::time::local_date(pingan_domain::time::from_micros(self.now()))
            .parse()
            .unwrap_or(jiff::civil::date(2026, 1, 1))
    }
}

/// Wall-clock time plus an offset that only tests move, so response clocks can be checked without
/// sleeping.
#[derive(Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        pingan_store::now_micros() + self.offset_micros.load(Ordering::Relaxed)
    }

    pub fn advance_seconds(&self, s: i64) {
        self.offset_micros
            .fetch_add(s * 1_000_000, Ordering::Relaxed);
    }
}

type CachedTypes = Option<(
    std::time::Instant,
    Arc<Vec<pingan_store::incidents::TypeRow>>,
)>;

/// The incident type table for labels. Display only: intake checks a type against the database itself.
/// A change on any server drops every server's copy at its commit (`pingan_store::wake`, see
/// [`AppState::follow_changes`]); `server.config_cache_seconds` bounds the age of a copy whose
/// notification was lost.
#[derive(Clone)]
pub struct TypeCache {
    inner: Arc<std::sync::Mutex<CachedTypes>>,
    ttl: std::time::Duration,
}

impl TypeCache {
    pub fn new(ttl: std::time::Duration) -> TypeCache {
        TypeCache {
            inner: Arc::default(),
            ttl,
        }
    }

    pub async fn get(
        &self,
        db: &Db,
    ) -> pingan_store::Result<Arc<Vec<pingan_store::incidents::TypeRow>>> {
        if let Some((at, rows)) = self.inner.lock().expect("type cache lock").as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(rows.clone());
        }
        let rows = Arc::new(pingan_store::incidents::types(db).await?);
        *self.inner.lock().expect("type cache lock") =
            Some((std::time::Instant::now(), rows.clone()));
        Ok(rows)
    }

    pub fn invalidate(&self) {
        *self.inner.lock().expect("type cache lock") = None;
    }
}
