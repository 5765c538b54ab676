//! Storage tests. Every test runs on SQLite and on PostgreSQL: `both!` expands each into
//! `NAME::sqlite` and `NAME::postgres`, so the test output names both backends.

use pingan_store::Backend;
use pingan_store::testing::TestDb;

macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = TestDb::new(Backend::Sqlite, concat!(stringify!($name), "::sqlite"))
                    .await
                    .unwrap();
                let _keep = t.keep_alive();
                ($body)(t).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) =
                    TestDb::new(Backend::Postgres, concat!(stringify!($name), "::postgres")).await
                else {
                    return;
                };
                ($body)(t).await;
            }
        }
    };
}

mod agreements;
mod areas_orgs;
mod audit_chain;
mod migrations;
mod outbox;
mod patrol_tracks;
mod users_sessions;
