//! Plausibility rules shared by every way data enters (API, pages, imports, devices): a value can be
//! well-formed and still impossible — a report filed in year 1, a patrol car at 1e300 m/s, a dispute
//! over 9.2 quintillion yuan. Each rule names what it refuses so the caller can point at the field.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Why a value is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Implausible {
    #[error("must be an RFC 3339 time like 2026-11-28T08:30:00+08:00")]
    NotATime,
    #[error("the UTC offset must be between -14:00 and +14:00")]
    Offset,
    #[error("must not be before {0}")]
    TooEarly(String),
    #[error("must not be after {0} (allowing for clock skew)")]
    TooLate(String),
    #[error("must be a speed between 0 and {MAX_SPEED_MPS} m/s")]
    Speed,
    #[error("must be a heading between 0 and 360 degrees")]
    Heading,
    #[error("must be a whole number of yuan between 0 and {MAX_YUAN}")]
    Money,
    #[error("must be a date like 2026-12-31")]
    NotADate,
}

/// Offsets in use on Earth run from −12:00 to +14:00; RFC 3339 parsers accept up to ±23:59 or more.
pub const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

/// Parses an RFC 3339 instant (UTC microseconds), refusing offsets no place on Earth uses.
pub fn parse_instant(text: &str) -> Result<i64, Implausible> {
    let t: Timestamp = text.parse().map_err(|_| Implausible::NotATime)?;
    if offset_seconds(text).is_none_or(|s| s.abs() > MAX_OFFSET_SECONDS) {
        return Err(Implausible::Offset);
    }
    Ok(t.as_microsecond())
}

/// The offset written at the end of an RFC 3339 time (`Z` is 0), in seconds.
fn offset_seconds(text: &str) -> Option<i32> {
    let text = text.trim();
    // An RFC 9557 suffix (`[Asia/Shanghai]`) follows the offset; the offset is what is checked.
    let text = text.split('[').next().unwrap_or(text);
    if text.ends_with(['Z', 'z']) {
        return Some(0);
    }
    let time_at = text.find(['T', 't', ' '])?;
    let sign_at = text[time_at..].rfind(['+', '-', '\u{2212}'])? + time_at;
    let sign = if text[sign_at..].starts_with('+') {
        1
    } else {
        -1
    };
    let digits: String = text[sign_at..]
        .chars()
        .skip(1)
        .filter(|c| *c != ':')
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 6 {
        return None;
    }
    let part = |r: std::ops::Range<usize>| digits.get(r).map_or(Some(0), |s| s.parse::<i32>().ok());
    Some(sign * (part(0..2)? * 3600 + part(2..4)? * 60 + part(4..6)?))
}

/// The span of instants a kind of record may carry, relative to now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstantWindow {
    pub earliest: i64,
    pub latest: i64,
}

impl InstantWindow {
    /// Something reported as it happens (a report, a GPS fix, a session held): at most `max_age_days`
    /// old and no later than now plus the clock skew.
    pub fn live(now: i64, max_age_days: i64, skew_seconds: i64) -> InstantWindow {
        InstantWindow {
            earliest: now.saturating_sub(max_age_days.saturating_mul(MICROS_PER_DAY)),
            latest: now.saturating_add(skew_seconds.saturating_mul(1_000_000)),
        }
    }

    /// History brought in deliberately (imports, the demo's past year): back to `max_age_years`.
    pub fn history(now: i64, max_age_years: i64, skew_seconds: i64) -> InstantWindow {
        InstantWindow::live(now, max_age_years.saturating_mul(366), skew_seconds)
    }

    pub fn check(&self, at: i64) -> Result<i64, Implausible> {
        let show = |us: i64| {
            Timestamp::from_microsecond(us)
                .map(crate::time::local_datetime)
                .unwrap_or_default()
        };
        if at < self.earliest {
            return Err(Implausible::TooEarly(show(self.earliest)));
        }
        if at > self.latest {
            return Err(Implausible::TooLate(show(self.latest)));
        }
        Ok(at)
    }
}

/// Faster than anything a unit drives or flies on patrol (540 km/h).
pub const MAX_SPEED_MPS: f64 = 150.0;

/// A speed over ground in m/s.
pub fn speed_mps(v: f64) -> Result<f64, Implausible> {
    if v.is_finite() && (0.0..=MAX_SPEED_MPS).contains(&v) {
        Ok(v)
    } else {
        Err(Implausible::Speed)
    }
}

/// A heading in degrees clockwise from north; 360 is the same as 0 and is stored as 0.
pub fn heading_degrees(v: f64) -> Result<f64, Implausible> {
    if v.is_finite() && (0.0..=360.0).contains(&v) {
        Ok(if v == 360.0 { 0.0 } else { v })
    } else {
        Err(Implausible::Heading)
    }
}

/// 100 亿元: above any sum a grassroots dispute is about, far below what overflows in fen.
pub const MAX_YUAN: i64 = 10_000_000_000;

/// An amount of money as a whole number of 分 (fen), the unit sums are kept and added in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fen(i64);

impl Fen {
    pub fn from_yuan(yuan: i64) -> Result<Fen, Implausible> {
        if (0..=MAX_YUAN).contains(&yuan) {
            Ok(Fen(yuan * 100))
        } else {
            Err(Implausible::Money)
        }
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// Whole yuan (amounts entered in yuan come back exactly).
    pub fn yuan(self) -> i64 {
        self.0 / 100
    }
}

/// The span of calendar dates a kind of record may name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateWindow {
    pub earliest: Date,
    pub latest: Date,
}

impl DateWindow {
    /// Due dates of the terms of a mediation agreement: an old agreement may be recorded late (ten
    /// years back), instalments may run long (thirty years ahead).
    pub fn agreement_terms(today: Date) -> DateWindow {
        DateWindow {
            earliest: today.checked_sub(10.years()).unwrap_or(Date::MIN),
            latest: today.checked_add(30.years()).unwrap_or(Date::MAX),
        }
    }

    pub fn parse(&self, text: &str) -> Result<Date, Implausible> {
        let d: Date = text.trim().parse().map_err(|_| Implausible::NotADate)?;
        if d < self.earliest {
            return Err(Implausible::TooEarly(self.earliest.to_string()));
        }
        if d > self.latest {
            return Err(Implausible::TooLate(self.latest.to_string()));
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_796_000_000_000_000; // 2026-11-29

    #[test]
    fn the_values_the_probe_sent_are_refused() {
        let live = InstantWindow::live(NOW, 30, 300);
        for t in [
            "0001-01-01T00:00:00Z",
            "-000001-01-01T00:00:00Z",
            "1900-01-01T00:00:00+08:00",
            "2099-01-01T00:00:00+08:00",
        ] {
            let r = parse_instant(t).and_then(|us| live.check(us));
            assert!(r.is_err(), "{t} was accepted");
        }
        assert_eq!(
            parse_instant("2026-11-28T08:30:00+25:00"),
            Err(Implausible::Offset)
        );
        assert_eq!(speed_mps(-1e300), Err(Implausible::Speed));
        assert_eq!(heading_degrees(1e300), Err(Implausible::Heading));
        assert_eq!(Fen::from_yuan(i64::MAX), Err(Implausible::Money));
        let today: Date = "2026-11-29".parse().unwrap();
        assert!(
            DateWindow::agreement_terms(today)
                .parse("0001-01-01")
                .is_err()
        );
    }

    #[test]
    fn ordinary_values_pass() {
        assert_eq!(parse_instant("2026-11-28T08:30:00Z").map(|_| ()), Ok(()));
        assert_eq!(
            parse_instant("2026-11-28T08:30:00-12:00").map(|_| ()),
            Ok(())
        );
        assert_eq!(
            parse_instant("2026-11-28T08:30:00+14:00").map(|_| ()),
            Ok(())
        );
        assert_eq!(
            parse_instant("2026-11-28T08:30:00+14:01"),
            Err(Implausible::Offset)
        );
        assert_eq!(
            parse_instant("2026-11-28 08:30:00+08:00").map(|_| ()),
            Ok(())
        );
        assert_eq!(heading_degrees(360.0), Ok(0.0));
        assert_eq!(
            Fen::from_yuan(96_000).map(|f| (f.fen(), f.yuan())),
            Ok((9_600_000, 96_000))
        );
    }

    proptest! {
        #[test]
        fn an_instant_passes_exactly_when_inside_its_window(
            at in any::<i64>(), age in 0i64..100_000, skew in 0i64..86_400,
        ) {
            let w = InstantWindow::live(NOW, age, skew);
            let inside = at >= NOW - age * MICROS_PER_DAY && at <= NOW + skew * 1_000_000;
            prop_assert_eq!(w.check(at).is_ok(), inside);
        }

        #[test]
        fn an_offset_passes_exactly_when_a_place_uses_it(h in 0i32..100, m in 0i32..60, minus in any::<bool>()) {
            let text = format!("2026-11-28T08:30:00{}{h:02}:{m:02}", if minus { '-' } else { '+' });
            let ok = h * 3600 + m * 60 <= MAX_OFFSET_SECONDS;
            match parse_instant(&text) {
                Ok(_) => prop_assert!(ok, "{} accepted", text),
                Err(e) => prop_assert!(!ok || e != Implausible::Offset, "{} refused: {:?}", text, e),
            }
        }

        #[test]
        fn a_speed_passes_exactly_in_its_physical_range(v in any::<f64>()) {
            prop_assert_eq!(speed_mps(v).is_ok(), v.is_finite() && (0.0..=MAX_SPEED_MPS).contains(&v));
        }

        #[test]
        fn a_heading_passes_exactly_on_the_compass_and_stays_below_360(v in any::<f64>()) {
            match heading_degrees(v) {
                Ok(h) => prop_assert!((0.0..360.0).contains(&h) && (0.0..=360.0).contains(&v)),
                Err(_) => prop_assert!(!(v.is_finite() && (0.0..=360.0).contains(&v))),
            }
        }

        #[test]
        fn money_is_bounded_and_exact_in_fen(y in any::<i64>()) {
            match Fen::from_yuan(y) {
                Ok(f) => prop_assert!((0..=MAX_YUAN).contains(&y) && f.fen() == y * 100 && f.yuan() == y),
                Err(_) => prop_assert!(!(0..=MAX_YUAN).contains(&y)),
            }
        }

        #[test]
        fn a_due_date_passes_exactly_inside_its_window(days in -40_000i32..40_000) {
            let today: Date = "2026-11-29".parse().unwrap();
            let w = DateWindow::agreement_terms(today);
            if let Ok(d) = today.checked_add(days.days()) {
                let r = w.parse(&d.to_string());
                prop_assert_eq!(r.is_ok(), d >= w.earliest && d <= w.latest);
            }
        }
    }
}
