//! One runner for every periodic job (shared kernel). A capability describes its job — a name, a
//! period and a function — and `spawn` runs it: each period one server claims the job's lease in
//! `job_leases` (named `job:<name>`, held for most of a period and renewed while a run lasts longer), runs
//! it, and the others skip that period. A server that dies holding the lease blocks the job only until
//! the lease lapses; then the next server to tick takes it over.

use crate::state::AppState;
use futures::future::BoxFuture;
use pingan_store::{leases, now_micros};
use std::time::Duration;

/// What one run did, for the log: items written (0 = nothing to do).
pub type JobResult = anyhow::Result<usize>;

/// A periodic job.
#[derive(Clone)]
pub struct Job {
    /// Stable name: the lease is `job:<name>`; also the log field.
    pub name: &'static str,
    /// Time between runs; `Duration::ZERO` turns the job off.
    pub period: Duration,
    pub run: fn(AppState) -> BoxFuture<'static, JobResult>,
}

impl Job {
    pub fn new(
        name: &'static str,
        period: Duration,
        run: fn(AppState) -> BoxFuture<'static, JobResult>,
    ) -> Job {
        Job { name, period, run }
    }

    fn lease(&self) -> String {
        format!("job:{}", self.name)
    }

    /// The lease lasts nine tenths of the period, so it has lapsed when the holder's next tick comes
    /// and the next period is free for whichever server ticks first.
    fn lease_micros(&self) -> i64 {
        let period = i64::try_from(self.period.as_micros()).unwrap_or(i64::MAX);
        (period - period / 10).max(1)
    }
}

/// This process's name in leases.
pub fn holder() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| format!("{}-{}", std::process::id(), pingan_store::new_id()))
}

/// One period of `job` as of `now` (UTC µs): `Ok(None)` when another server holds it, else what the
/// run did. While the run lasts, the lease is renewed every half period, so a long run is never
/// taken over by a second server.
pub async fn run_period(
    state: &AppState,
    job: &Job,
    holder: &str,
    now: i64,
) -> anyhow::Result<Option<usize>> {
    let lease = job.lease();
    let span = job.lease_micros();
    if !leases::claim_period(&state.db, &lease, holder, now, now + span).await? {
        return Ok(None);
    }
    let renew = {
        let (db, lease, holder) = (state.db.clone(), lease.clone(), holder.to_string());
        let half = Duration::from_micros(u64::try_from(span / 2).unwrap_or(500_000));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(half).await;
                match leases::renew_lease(&db, &lease, &holder, now_micros() + span).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(lease, "job lease lost while running"),
                    Err(e) => tracing::warn!(lease, error = %e, "job lease renewal failed"),
                }
            }
        })
    };
    let result = (job.run)(state.clone()).await;
    renew.abort();
    result.map(Some)
}

/// Runs every job with a non-zero period on its own interval for as long as the server runs.
pub fn spawn(state: &AppState, jobs: Vec<Job>) {
    for job in jobs.into_iter().filter(|j| !j.period.is_zero()) {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(job.period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match run_period(&state, &job, holder(), now_micros()).await {
                    Ok(None | Some(0)) => {}
                    Ok(Some(n)) => tracing::info!(job = job.name, items = n, "job ran"),
                    Err(e) => tracing::warn!(job = job.name, error = %e, "job failed"),
                }
            }
        });
    }
}
