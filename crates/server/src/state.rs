//! What every handler shares: configuration, the database, the translations and the metrics handle.
//! Nothing here is state another server process would need: sessions, locks and counters live in the
//! database, so several `pingan serve` processes can share one PostgreSQL.

use crate::config::Config;
use crate::i18n::I18n;
use pingan_store::Db;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub i18n: Arc<I18n>,
}

impl AppState {
    pub fn new(config: Config, db: Db) -> Self {
        AppState {
            config: Arc::new(config),
            db,
            i18n: Arc::new(I18n::load()),
        }
    }
}
