//! Password hashing on request paths, bounded. An argon2id check holds its memory (m_cost, ~19 MiB by
//! default) for as long as it runs, so a burst of logins must not start them all at once: a server runs
//! at most `auth.password_checks_at_once` (default: its cores), lets `auth.password_checks_queued` more
//! wait up to `auth.password_check_wait_ms`, and answers anything beyond with 503 + Retry-After. The
//! bound is per server (memory is per process); the lockout count, which must hold across servers,
//! lives in the database (see `auth::login`).

use crate::config::AuthConfig;
use crate::error::ApiError;
use axum::http::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The server's slots for password hashing.
#[derive(Clone)]
pub struct HashGate {
    slots: Arc<Semaphore>,
    size: usize,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    wait: Duration,
    /// Checks and hashes run, for tests and metrics.
    done: Arc<AtomicUsize>,
}

/// No slot for a password check: the server answers 503 with Retry-After.
#[derive(Debug, thiserror::Error)]
#[error("too many sign-ins are being checked; retry in a moment")]
pub struct GateFull;

impl From<GateFull> for ApiError {
    fn from(e: GateFull) -> Self {
        ApiError::Other {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "busy",
            message: e.to_string(),
        }
    }
}

impl HashGate {
    pub fn new(cfg: &AuthConfig) -> HashGate {
        let size = match cfg.password_checks_at_once {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        HashGate {
            slots: Arc::new(Semaphore::new(size)),
            size,
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: cfg.password_checks_queued,
            wait: Duration::from_millis(cfg.password_check_wait_ms),
            done: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many hashes may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Password checks and hashes run through this gate so far.
    pub fn checks_done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Callers waiting in the queue now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// A slot now, or after a short wait in the queue, or `GateFull`; held until the permit drops.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, GateFull> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(p);
        }
        // Join the queue only while it has room; the counter is given back however the wait ends.
        let joined = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_waiting).then_some(n + 1)
            })
            .is_ok();
        if !joined {
            return Err(GateFull);
        }
        let _leave = Leave(&self.waiting);
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(GateFull),
        }
    }

    /// Verifies `password` against a stored argon2 hash (false for a malformed hash).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, GateFull> {
        let permit = self.slot().await?;
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            crate::auth::verify_password_now(&password, &hash)
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
            crate::auth::hash_password_now(&password)
        })
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r))
    }
}

struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(at_once: usize, queued: usize, wait_ms: u64) -> HashGate {
        HashGate::new(&AuthConfig {
            password_checks_at_once: at_once,
            password_checks_queued: queued,
            password_check_wait_ms: wait_ms,
            ..AuthConfig::default()
        })
    }

    #[tokio::test]
    async fn beyond_the_slots_and_the_queue_a_caller_is_refused_at_once() {
        let g = gate(1, 1, 60_000);
        let held = g.slot().await.unwrap();
        let g2 = g.clone();
        let queued = tokio::spawn(async move { g2.slot().await.map(|_| ()) });
        // Let the second caller take the one queue place.
        while g.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(g.slot().await.is_err(), "a third caller must not wait");
        drop(held);
        assert!(
            queued.await.unwrap().is_ok(),
            "the queued caller gets the freed slot"
        );
        assert_eq!(g.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_queued_caller_gives_up_after_the_wait() {
        let g = gate(1, 4, 20);
        let _held = g.slot().await.unwrap();
        assert!(g.slot().await.is_err());
        assert_eq!(
            g.waiting.load(Ordering::Acquire),
            0,
            "the queue place is given back"
        );
    }
}
