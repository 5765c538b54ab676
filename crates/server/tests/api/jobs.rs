//! The background-job runner (`pingan_server::jobs`): with several servers on one database exactly one
//! runs each period of a job, and a lease left by a dead server is taken over once it lapses.

use super::*;
use helpers::*;
use pingan_server::jobs::{Job, run_period};
use std::time::Duration;

/// A run answers `Some(1)`; a period skipped because another server holds it, `None`.
fn slow_job(name: &'static str) -> Job {
    Job::new(name, Duration::from_secs(60), |_| {
        Box::pin(async {
            // Long enough that the other servers all try while this run holds the lease.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(1)
        })
    })
}

// Eight "servers" (holders) tick the same period at once, twice over: one run per period.
both!(
    several_servers_run_a_period_once,
    |app: TestApp| async move {
        let job = slow_job("test_once");
        let now = pingan_store::now_micros();
        let tick = |at: i64| {
            let calls = (0..8).map(|i| {
                let (state, job) = (app.state.clone(), job.clone());
                tokio::spawn(async move {
                    run_period(&state, &job, &format!("server-{i}"), at)
                        .await
                        .unwrap()
                })
            });
            futures::future::join_all(calls)
        };
        let ran: Vec<_> = tick(now).await.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(ran.iter().filter(|r| **r == Some(1)).count(), 1, "{ran:?}");
        assert_eq!(ran.iter().filter(|r| r.is_none()).count(), 7, "{ran:?}");
        // Later in the same period: nobody runs it again.
        let again: Vec<_> = tick(now + 30_000_000)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert!(again.iter().all(Option::is_none), "{again:?}");
        // The next period: again exactly one.
        let next: Vec<_> = tick(now + 61_000_000)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            next.iter().filter(|r| **r == Some(1)).count(),
            1,
            "{next:?}"
        );
    }
);

// A server claims the job and dies (its lease stays): another server is refused until the lease
// lapses, then takes the job over.
both!(a_lapsed_lease_is_taken_over, |app: TestApp| async move {
    let job = Job::new("test_lapse", Duration::from_secs(60), |_| {
        Box::pin(async { Ok(0) })
    });
    let now = pingan_store::now_micros();
    assert!(
        pingan_store::leases::claim_period(
            &app.db,
            "job:test_lapse",
            "dead-server",
            now,
            now + 60_000_000
        )
        .await
        .unwrap()
    );
    let refused = run_period(&app.state, &job, "live-server", now + 10_000_000)
        .await
        .unwrap();
    assert_eq!(refused, None, "the dead server's lease still holds");
    let taken = run_period(&app.state, &job, "live-server", now + 61_000_000)
        .await
        .unwrap();
    assert_eq!(taken, Some(0), "the lapsed lease is taken over");
    let (holder,): (String,) = app
        .db
        .fetch_one(
            "SELECT holder FROM job_leases WHERE name = 'job:test_lapse'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(holder, "live-server");
});
