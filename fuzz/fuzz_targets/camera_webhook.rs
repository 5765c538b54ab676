//! The camera alert webhook: `CameraHook::verify` (timestamp and HMAC-SM3 signature headers over the
//! raw body, clock skew, JSON body) and `check_camera_alert` (event type, time, snapshot reference).
//! Input: one flag byte, then `timestamp\nsignature\nbody`. Flag bit 0: sign the body as the camera
//! platform would, so the skew and body checks are reached; bit 1: drop the timestamp header; bit 2:
//! drop the signature header; bit 3: flip one bit of the (correct) signature.
//! Properties: a correctly signed request is never refused for its signature, a tampered one always
//! is; an accepted request's timestamp lies within the allowed skew.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use pingan_server::api::public::{CameraHook, camera_signature, check_camera_alert};
use pingan_server::error::ApiError;

const SECRET: &str = "demo-camera-secret";
const NOW: i64 = 1_795_000_000;
const SKEW: i64 = 300;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let ts = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let given_sig = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = Bytes::copy_from_slice(parts.next().unwrap_or_default());
    let signed = flags & 1 != 0;
    let tampered = signed && flags & 8 != 0;
    let mut sig = if signed {
        camera_signature(SECRET, &ts, &body)
    } else {
        given_sig
    };
    if tampered {
        // Flip the lowest bit of the last hex digit: still hex, no longer the MAC.
        let last = sig.pop().unwrap_or('0');
        let flipped = char::from_digit(last.to_digit(16).unwrap_or(0) ^ 1, 16).unwrap_or('0');
        sig.push(flipped);
    }
    let hook = CameraHook {
        secret: SECRET,
        max_skew_seconds: SKEW,
        now_seconds: NOW,
    };
    let ts_header = (flags & 2 == 0).then_some(ts.as_str());
    let sig_header = (flags & 4 == 0).then_some(sig.as_str());
    let result = hook.verify(ts_header, sig_header, &body);
    // By the error itself: a body may quote the message text (serde names unknown fields).
    let refused_signature = matches!(&result,
        Err(ApiError::Other { message, .. }) if message == "the signature does not match");
    if signed && ts_header.is_some() && sig_header.is_some() && ts.parse::<i64>().is_ok() {
        assert_eq!(
            refused_signature, tampered,
            "signature verdict wrong for a signed request"
        );
    }
    let Ok(alert) = result else {
        return;
    };
    let secs: i64 = ts.parse().expect("an accepted timestamp is a number");
    assert!(
        NOW.abs_diff(secs) <= SKEW as u64,
        "accepted a timestamp {secs} outside the skew"
    );
    assert!(!tampered, "accepted a tampered signature");
    if let Ok(checked) = check_camera_alert(&alert) {
        assert!(
            checked
                .snapshot_ref
                .as_deref()
                .is_none_or(|s| (1..=500).contains(&s.chars().count()))
        );
    }
});
