//! Time-based one-time passwords (RFC 6238 over RFC 4226), the second factor 等保 level 3 asks for.
//! Parameters are the ones every authenticator app assumes: HMAC-SHA1, 6 digits, 30-second steps. A code
//! is accepted for the step before and after the server's (clock drift), and never twice: the caller
//! stores the last accepted step and passes it back, so a code seen over a shoulder cannot be replayed.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps either side of now that still count.
const DRIFT_STEPS: i64 = 1;
const SECRET_LEN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the code must be 6 digits")]
    Malformed,
    #[error("the code is wrong or expired")]
    Wrong,
    #[error("this code was already used; wait for the next one")]
    Replayed,
    #[error("the secret is not valid base32")]
    BadSecret,
}

/// A shared TOTP secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// 160 random bits, the length RFC 4226 recommends.
    pub fn generate() -> TotpSecret {
        let mut b = vec![0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut b);
        TotpSecret(b)
    }

    pub fn from_bytes(b: &[u8]) -> TotpSecret {
        TotpSecret(b.to_vec())
    }

    pub fn from_base32(s: &str) -> Result<TotpSecret, TotpError> {
        base32_decode(s).map(TotpSecret).ok_or(TotpError::BadSecret)
    }

    /// Unpadded RFC 4648 base32, as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// The `otpauth://` URI an authenticator app imports (by QR code or by pasting).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{}:{}", uri_escape(issuer), uri_escape(account));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.to_base32(),
            uri_escape(issuer)
        )
    }

    /// The code for one time step (RFC 4226 dynamic truncation).
    pub fn code_at_step(&self, step: i64) -> u32 {
        let mut mac =
            <Hmac<Sha1> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(&step.to_be_bytes());
        let h = mac.finalize().into_bytes();
        let offset = (h[h.len() - 1] & 0x0f) as usize;
        let bin = u32::from_be_bytes([
            h[offset] & 0x7f,
            h[offset + 1],
            h[offset + 2],
            h[offset + 3],
        ]);
        bin % 10u32.pow(DIGITS)
    }

    /// The code shown at Unix time `unix_seconds`, zero-padded.
    pub fn code_at(&self, unix_seconds: i64) -> String {
        format!(
            "{:0width$}",
            self.code_at_step(unix_seconds.div_euclid(STEP_SECONDS)),
            width = DIGITS as usize
        )
    }

    /// Checks `code` at `unix_seconds`; `last_step` is the step of the last code this account used.
    /// Returns the step the code belongs to, which the caller stores as the new `last_step`.
    pub fn verify(
        &self,
        code: &str,
        unix_seconds: i64,
        last_step: Option<i64>,
    ) -> Result<i64, TotpError> {
        let code = code.trim().replace(' ', "");
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpError::Malformed);
        }
        let want: u32 = code.parse().map_err(|_| TotpError::Malformed)?;
        let now = unix_seconds.div_euclid(STEP_SECONDS);
        let step = (now - DRIFT_STEPS..=now + DRIFT_STEPS)
            .find(|&s| self.code_at_step(s) == want)
            .ok_or(TotpError::Wrong)?;
        if last_step.is_some_and(|l| step <= l) {
            return Err(TotpError::Replayed);
        }
        Ok(step)
    }
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Accepts lower case, spaces and trailing `=` padding, as people paste secrets.
fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        if c == '=' {
            continue;
        }
        let v = ALPHABET
            .iter()
            .position(|&a| a as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

fn uri_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890")
    }

    /// RFC 6238 appendix B (SHA-1 rows), last 6 of the 8 digits.
    #[test]
    fn rfc6238_vectors() {
        let s = rfc_secret();
        for (t, eight) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(s.code_at(t), eight[2..], "t = {t}");
        }
    }

    #[test]
    fn drift_and_replay() {
        let s = rfc_secret();
        let t = 1_234_567_890;
        let code = s.code_at(t);
        let step = s.verify(&code, t, None).unwrap();
        assert_eq!(step, t / STEP_SECONDS);
        // One step late still counts; two do not.
        assert_eq!(s.verify(&code, t + STEP_SECONDS, None), Ok(step));
        assert_eq!(
            s.verify(&code, t + 3 * STEP_SECONDS, None),
            Err(TotpError::Wrong)
        );
        assert_eq!(s.verify(&code, t, Some(step)), Err(TotpError::Replayed));
        assert_eq!(s.verify("12345", t, None), Err(TotpError::Malformed));
        assert_eq!(s.verify("12a456", t, None), Err(TotpError::Malformed));
    }

    #[test]
    fn base32_round_trip_and_rfc4648_vectors() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw6ytboi======"), Some(b"foobar".to_vec()));
        assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let s = TotpSecret::generate();
        assert_eq!(TotpSecret::from_base32(&s.to_base32()).unwrap(), s);
        assert_eq!(TotpSecret::from_base32("1!"), Err(TotpError::BadSecret));
    }

    #[test]
    fn otpauth_uri() {
        let u = rfc_secret().otpauth_uri("平安", "admin");
        assert!(u.starts_with("otpauth://totp/%E5%B9%B3%E5%AE%89:admin?secret=GEZDGNBVGY3TQOJQ"));
        assert!(u.contains("&digits=6&period=30"));
    }
}
