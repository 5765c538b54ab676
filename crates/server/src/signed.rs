//! Requests that prove themselves with a shared secret instead of a login (the video platform's
//! camera alerts and heartbeats): `X-Pingan-Timestamp` (Unix seconds) and
//! `X-Pingan-Signature: hmac-sm3=<hex>` over `<timestamp>.<raw body>`.

use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use hmac::{Hmac, Mac};

type HmacSm3 = Hmac<sm3::Sm3>;

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> HmacSm3 {
    let mut mac = HmacSm3::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `hmac-sm3=<hex>` of `<timestamp>.<body>` under `secret` (what the sender puts in the header).
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "hmac-sm3={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Checks the signature headers over the raw body, then the timestamp's distance from now: a 401
/// `bad_signature` for anything wrong. The caller checks that a secret is configured.
pub fn verify(
    secret: &str,
    max_skew_seconds: i64,
    now_seconds: i64,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<()> {
    let unauthorised =
        |m: &str| ApiError::bad_request_status(StatusCode::UNAUTHORIZED, "bad_signature", m);
    let ts = timestamp.ok_or_else(|| unauthorised("X-Pingan-Timestamp is missing"))?;
    let secs: i64 = ts
        .parse()
        .map_err(|_| unauthorised("X-Pingan-Timestamp must be Unix seconds"))?;
    let sig = signature.ok_or_else(|| unauthorised("X-Pingan-Signature is missing"))?;
    let given = sig
        .strip_prefix("hmac-sm3=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| unauthorised("X-Pingan-Signature must be hmac-sm3=<hex>"))?;
    // Constant-time comparison through the MAC's own verifier.
    if mac(secret, ts, body).verify_slice(&given).is_err() {
        return Err(unauthorised("the signature does not match"));
    }
    // Checked: a signed but absurd timestamp (i64::MIN) must be refused, not overflow.
    let skew = now_seconds.checked_sub(secs).and_then(i64::checked_abs);
    if skew.is_none_or(|s| s > max_skew_seconds) {
        return Err(unauthorised("the timestamp is too far from now (replay?)"));
    }
    Ok(())
}
