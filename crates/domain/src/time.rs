//! Time conventions: instants are stored as UTC microseconds since the epoch (identical on both
//! databases); the local calendar date is Asia/Shanghai, which has been a fixed UTC+8 since 1991, so it is
//! computed here without a time-zone database.

use jiff::Timestamp;

pub const SHANGHAI_OFFSET_SECONDS: i64 = 8 * 3600;

pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `YYYY-MM-DD` in China Standard Time.
pub fn local_date(t: Timestamp) -> String {
    let shifted = Timestamp::from_second(t.as_second() + SHANGHAI_OFFSET_SECONDS)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    shifted.strftime("%Y-%m-%d").to_string()
}

/// 00:00 China Standard Time of `d`, in UTC µs.
pub fn day_start(d: jiff::civil::Date) -> i64 {
    let secs = d
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_second())
        .unwrap_or(0);
    (secs - SHANGHAI_OFFSET_SECONDS) * 1_000_000
}

/// `YYYY-MM-DD HH:MM:SS` in China Standard Time, for people.
pub fn local_datetime(t: Timestamp) -> String {
    let shifted = Timestamp::from_second(t.as_second() + SHANGHAI_OFFSET_SECONDS)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    shifted.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_date_crosses_midnight() {
        let t: Timestamp = "2026-11-27T16:30:00Z".parse().unwrap();
        assert_eq!(local_date(t), "2026-11-28");
        assert_eq!(local_datetime(t), "2026-11-28 00:30:00");
        assert_eq!(from_micros(to_micros(t)), t);
    }
}
