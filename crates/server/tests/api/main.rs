//! Black-box API tests: each spawns the real application on a random port over a fresh database.
//! `both!` runs a test on SQLite and on PostgreSQL (`NAME::sqlite`, `NAME::postgres`).

mod helpers;

macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some(app) = helpers::TestApp::spawn(
                    pingan_store::Backend::Sqlite,
                    concat!(stringify!($name), "::sqlite"),
                    |_| {},
                )
                .await
                else {
                    return;
                };
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = helpers::TestApp::spawn(
                    pingan_store::Backend::Postgres,
                    concat!(stringify!($name), "::postgres"),
                    |_| {},
                )
                .await
                else {
                    return;
                };
                ($body)(app).await;
            }
        }
    };
}

/// `both!` with a configuration change.
macro_rules! both_tuned {
    ($name:ident, $tune:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some(app) = helpers::TestApp::spawn(
                    pingan_store::Backend::Sqlite,
                    concat!(stringify!($name), "::sqlite"),
                    $tune,
                )
                .await
                else {
                    return;
                };
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = helpers::TestApp::spawn(
                    pingan_store::Backend::Postgres,
                    concat!(stringify!($name), "::postgres"),
                    $tune,
                )
                .await
                else {
                    return;
                };
                ($body)(app).await;
            }
        }
    };
}

mod analysis;
mod architecture;
mod assessment;
mod auth;
mod authz_matrix;
mod bad_input;
mod cameras;
mod cases;
mod connections;
mod dispatch;
mod documented;
mod handoff;
mod home;
mod jobs;
mod kpi;
mod limits;
mod login_burst;
mod maps;
mod mediation;
mod notifications;
mod page_errors;
mod patrol;
mod places;
mod plausible;
mod public_alerts;
mod publicity;
mod risks;
mod roster;
mod scope;
mod sealed_personal;
mod security;
mod sharing;
mod system;
mod tasks;
mod teams;
mod track_fold;
mod training;
mod visits;
mod zone_import;
