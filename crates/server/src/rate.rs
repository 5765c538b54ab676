//! Rate limits on login and on the public intake channels (等保: brute force and flooding), per client
//! address and minute, counted in the database so every server behind the load balancer sees the same
//! count. A request over the limit is a 429 with `rate_limited` and the seconds to wait.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::http::StatusCode;

const MINUTE: i64 = 60_000_000;

/// Counts a request of `what` from `ip`; refuses it when `per_minute` (0 = no limit) is exceeded.
pub async fn check(
    state: &AppState,
    what: &str,
    ip: Option<&str>,
    per_minute: i64,
) -> ApiResult<()> {
    let Some(ip) = ip else { return Ok(()) };
    if per_minute <= 0 {
        return Ok(());
    }
    let now = state.now();
    let window = now - now.rem_euclid(MINUTE);
    let n = pingan_store::rate::hit(&state.db, &format!("{what}:{ip}"), window).await?;
    if n > per_minute {
        let wait = (window + MINUTE - now) / 1_000_000 + 1;
        return Err(ApiError::Other {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            message: format!("too many requests from your address; try again in {wait} s"),
        });
    }
    Ok(())
}
