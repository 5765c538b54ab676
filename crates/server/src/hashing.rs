//! Password hashing on request paths, bounded. An argon2id check holds its memory (m_cost, ~19 MiB by
//! default) for as long as it runs, so a burst of logins must not start them all at once: a server runs
//! at most `auth.password_checks_at_once` (default: its cores), lets `auth.password_checks_queued` more
//! wait up to `auth.password_check_wait_ms`, and answers anything beyond with 503 + Retry-After (a
//! `crate::gate::Gate`). The bound is per server (memory is per process); the lockout count, which must
//! hold across servers, lives in the database (see `auth::login`).

use crate::config::AuthConfig;
use crate::gate::Gate;
pub use crate::gate::GateFull;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// The server's slots for password hashing.
#[derive(Clone)]
pub struct HashGate {
    gate: Gate,
    /// Checks and hashes run, for tests and metrics.
    done: Arc<AtomicUsize>,
}

impl HashGate {
    pub fn new(cfg: &AuthConfig) -> HashGate {
        HashGate {
            gate: Gate::new(
                cfg.password_checks_at_once,
                cfg.password_checks_queued,
                Duration::from_millis(cfg.password_check_wait_ms),
            ),
            done: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many hashes may run at once.
    pub fn size(&self) -> usize {
        self.gate.size()
    }

    /// Password checks and hashes run through this gate so far.
    pub fn checks_done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Callers waiting in the queue now.
    pub fn waiting(&self) -> usize {
        self.gate.waiting()
    }

    /// A slot now, or after a short wait in the queue, or `GateFull`; held until the permit drops.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, GateFull> {
        self.gate.slot().await
    }

    /// Verifies `password` against a stored argon2 hash (false for a malformed hash).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, GateFull> {
        let permit = self.slot().await?;
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_password_now(&password, &hash)
        })
        .await
        .unwrap_or(false))
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> Result<anyhow::Result<String>, GateFull> {
        let permit = self.slot().await?;
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_password_now(&password)
        })
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r))
    }
}

/// Hashes a new password off the async runtime. For the host's tools (CLI, demo); request paths go
/// through `state.hashing`, which bounds how many run at once.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_password_now(&password)).await?
}

pub fn hash_password_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Checks a password against a stored hash on this thread (a malformed hash never matches).
pub fn verify_password_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
