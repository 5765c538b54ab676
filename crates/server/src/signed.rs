//! Requests that prove themselves with a shared secret instead of a login (the video platform's
//! camera alerts and heartbeats, partners' inbound events; and what we send partners):
//! `X-Pingan-Timestamp` (Unix seconds) and `X-Pingan-Signature: hmac-sm3=<hex>` (or
//! `hmac-sha256=<hex>` for partners whose systems lack SM3) over `<timestamp>.<raw body>`.

use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use hmac::{Hmac, Mac};

/// The MAC a signature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// HMAC-SM3 (GB/T 32905), the default.
    HmacSm3,
    /// HMAC-SHA256, for partners without SM3.
    HmacSha256,
}

impl Signing {
    pub const ALL: &'static [Signing] = &[Signing::HmacSm3, Signing::HmacSha256];

    /// The prefix in the header, also the stored code.
    pub fn code(self) -> &'static str {
        match self {
            Signing::HmacSm3 => "hmac-sm3",
            Signing::HmacSha256 => "hmac-sha256",
        }
    }

    pub fn parse(s: &str) -> Option<Signing> {
        Self::ALL.iter().copied().find(|x| x.code() == s)
    }

    fn tag(self, secret: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(secret: &str, ts: &str, body: &[u8]) -> Vec<u8> {
            let mut mac =
                <M as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()).expect("any key");
            mac.update(ts.as_bytes());
            mac.update(b".");
            mac.update(body);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Signing::HmacSm3 => run::<Hmac<sm3::Sm3>>(secret, timestamp, body),
            Signing::HmacSha256 => run::<Hmac<sha2::Sha256>>(secret, timestamp, body),
        }
    }

    /// `<code>=<hex>` of `<timestamp>.<body>` under `secret` (what the sender puts in the header).
    pub fn sign(self, secret: &str, timestamp: &str, body: &[u8]) -> String {
        format!(
            "{}={}",
            self.code(),
            hex::encode(self.tag(secret, timestamp, body))
        )
    }
}

/// `hmac-sm3=<hex>` of `<timestamp>.<body>` under `secret`.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    Signing::HmacSm3.sign(secret, timestamp, body)
}

/// Checks HMAC-SM3 signature headers; see [`verify_with`].
pub fn verify(
    secret: &str,
    max_skew_seconds: i64,
    now_seconds: i64,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<()> {
    verify_with(
        Signing::HmacSm3,
        secret,
        max_skew_seconds,
        now_seconds,
        timestamp,
        signature,
        body,
    )
}

/// Checks the signature headers over the raw body under `signing`, then the timestamp's distance from
/// now: a 401 `bad_signature` for anything wrong. The caller checks that a secret is configured.
pub fn verify_with(
    signing: Signing,
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
    let prefix = format!("{}=", signing.code());
    let given = sig
        .strip_prefix(prefix.as_str())
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| {
            unauthorised(&format!(
                "X-Pingan-Signature must be {}=<hex>",
                signing.code()
            ))
        })?;
    let expected = signing.tag(secret, ts, body);
    // Constant-time comparison: every byte is looked at whatever the first difference.
    let same = given.len() == expected.len()
        && given
            .iter()
            .zip(&expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(unauthorised("the signature does not match"));
    }
    // Checked: a signed but absurd timestamp (i64::MIN) must be refused, not overflow.
    let skew = now_seconds.checked_sub(secs).and_then(i64::checked_abs);
    if skew.is_none_or(|s| s > max_skew_seconds) {
        return Err(unauthorised("the timestamp is too far from now (replay?)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_macs_sign_timestamp_dot_body_and_verify_only_their_own() {
        // The signed bytes are `<timestamp>.<body>`, computed here independently.
        let tag = Signing::HmacSha256.tag("Jefe", "what do ya want for nothing?", b"");
        use hmac::Mac;
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?.");
        assert_eq!(tag, m.finalize().into_bytes().to_vec());
        for s in Signing::ALL {
            let sig = s.sign("k", "100", b"{}");
            assert!(sig.starts_with(s.code()));
            assert!(verify_with(*s, "k", 10, 105, Some("100"), Some(&sig), b"{}").is_ok());
            assert!(verify_with(*s, "k", 10, 105, Some("100"), Some(&sig), b"{ }").is_err());
            assert!(verify_with(*s, "k", 10, 200, Some("100"), Some(&sig), b"{}").is_err());
        }
        let sm3 = Signing::HmacSm3.sign("k", "100", b"{}");
        assert!(
            verify_with(
                Signing::HmacSha256,
                "k",
                10,
                105,
                Some("100"),
                Some(&sm3),
                b"{}"
            )
            .is_err()
        );
    }
}
