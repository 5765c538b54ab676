//! Bounded concurrency for memory-heavy request paths. A `Gate` runs at most `at_once` holders at a
//! time, lets `queued` more wait up to `wait`, and refuses anything beyond at once (`GateFull`, answered
//! 503 + Retry-After), so a burst costs a bounded amount of memory instead of one allocation per
//! request. The bound is per server: memory is per process.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct Gate {
    slots: Arc<Semaphore>,
    size: usize,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    wait: Duration,
}

/// No slot: the server answers 503 with Retry-After.
#[derive(Debug, thiserror::Error)]
#[error("the server is busy with requests like this one; retry in a moment")]
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

impl Gate {
    /// `at_once` 0 means the machine's cores.
    pub fn new(at_once: usize, queued: usize, wait: Duration) -> Gate {
        let size = match at_once {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        Gate {
            slots: Arc::new(Semaphore::new(size)),
            size,
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: queued,
            wait,
        }
    }

    /// How many may hold a slot at once.
    pub fn size(&self) -> usize {
        self.size
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

    fn gate(at_once: usize, queued: usize, wait_ms: u64) -> Gate {
        Gate::new(at_once, queued, Duration::from_millis(wait_ms))
    }

    #[tokio::test]
    async fn beyond_the_slots_and_the_queue_a_caller_is_refused_at_once() {
        let g = gate(1, 1, 60_000);
        let held = g.slot().await.unwrap();
        let g2 = g.clone();
        let queued = tokio::spawn(async move { g2.slot().await.map(|_| ()) });
        // Let the second caller take the one queue place.
        while g.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(g.slot().await.is_err(), "a third caller must not wait");
        drop(held);
        assert!(
            queued.await.unwrap().is_ok(),
            "the queued caller gets the freed slot"
        );
        assert_eq!(g.waiting(), 0);
    }

    #[tokio::test]
    async fn a_queued_caller_gives_up_after_the_wait() {
        let g = gate(1, 4, 20);
        let _held = g.slot().await.unwrap();
        assert!(g.slot().await.is_err());
        assert_eq!(g.waiting(), 0, "the queue place is given back");
    }
}
