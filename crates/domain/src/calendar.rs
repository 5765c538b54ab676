//! Working days and legal periods as Chinese law counts them.
//!
//! 刑事诉讼法 art. 105 (and the 公安机关 procedure rules after it): periods count in hours, days and
//! months; the starting hour or day is not counted; when the last day is a holiday the period ends on
//! the first day after it — except while a suspect is in custody (在押期间), which ends when it ends.
//! A month counts to the corresponding day of the month it ends in, or that month's last day when
//! there is no such day (民法典 art. 202). Rest days are weekends and statutory holidays, less the
//! weekend days the State Council makes working days (调休); the calendar is data
//! ([`DEFAULT_CALENDAR`], editable per deployment), one year per notice, and a year without one is an
//! error rather than a guess.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

/// The years the project could check against the published notices.
pub const DEFAULT_CALENDAR: &str = include_str!("calendar/cn.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("no holiday calendar for {0}: add that year's State Council notice to the calendar")]
    NoYear(i16),
    #[error("calendar: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Year {
    holidays: BTreeSet<Date>,
    working_weekends: BTreeSet<Date>,
}

/// Rest days per year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HolidayCalendar {
    years: BTreeMap<i16, Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    year: Vec<YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i16,
    #[allow(dead_code)]
    notice: String,
    holidays: Vec<String>,
    working_weekends: Vec<String>,
}

fn date(s: &str) -> Result<Date, CalendarError> {
    s.trim()
        .parse()
        .map_err(|e| CalendarError::Invalid(format!("{s:?} is not a date (YYYY-MM-DD): {e}")))
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl HolidayCalendar {
    /// The calendar of a TOML file like `calendar/cn.toml`: `[[year]]` with `year`, `notice`,
    /// `holidays` (dates or `FROM..TO` ranges) and `working_weekends`.
    pub fn parse(text: &str) -> Result<HolidayCalendar, CalendarError> {
        let file: File = toml::from_str(text).map_err(|e| CalendarError::Invalid(e.to_string()))?;
        let mut years = BTreeMap::new();
        for y in file.year {
            let mut year = Year::default();
            for h in &y.holidays {
                let (from, to) = match h.split_once("..") {
                    Some((a, b)) => (date(a)?, date(b)?),
                    None => (date(h)?, date(h)?),
                };
                if to < from {
                    return Err(CalendarError::Invalid(format!(
                        "{h:?} ends before it starts"
                    )));
                }
                let mut d = from;
                while d <= to {
                    year.holidays.insert(d);
                    d = d
                        .tomorrow()
                        .map_err(|e| CalendarError::Invalid(e.to_string()))?;
                }
            }
            for w in &y.working_weekends {
                let d = date(w)?;
                if !is_weekend(d) {
                    return Err(CalendarError::Invalid(format!(
                        "{w} is a {:?}, not a weekend day",
                        d.weekday()
                    )));
                }
                year.working_weekends.insert(d);
            }
            if let Some(d) = year
                .holidays
                .iter()
                .chain(&year.working_weekends)
                .find(|d| d.year() != y.year)
            {
                return Err(CalendarError::Invalid(format!(
                    "{d} is listed under {}",
                    y.year
                )));
            }
            if years.insert(y.year, year).is_some() {
                return Err(CalendarError::Invalid(format!(
                    "{} is listed twice",
                    y.year
                )));
            }
        }
        Ok(HolidayCalendar { years })
    }

    /// The shipped calendar.
    pub fn default_cn() -> HolidayCalendar {
        HolidayCalendar::parse(DEFAULT_CALENDAR).expect("the shipped calendar parses")
    }

    /// Adds `other`'s years, each replacing this calendar's year of the same number.
    pub fn replace_years(&mut self, other: HolidayCalendar) {
        self.years.extend(other.years);
    }

    /// Years the calendar knows.
    pub fn years(&self) -> Vec<i16> {
        self.years.keys().copied().collect()
    }

    /// A statutory holiday or an ordinary weekend day.
    pub fn is_rest_day(&self, d: Date) -> Result<bool, CalendarError> {
        let y = self
            .years
            .get(&d.year())
            .ok_or(CalendarError::NoYear(d.year()))?;
        Ok(y.holidays.contains(&d) || (is_weekend(d) && !y.working_weekends.contains(&d)))
    }

    /// `d` itself when it is a working day, else the first working day after it.
    pub fn working_day_from(&self, d: Date) -> Result<Date, CalendarError> {
        let mut d = d;
        while self.is_rest_day(d)? {
            d = d
                .tomorrow()
                .map_err(|e| CalendarError::Invalid(e.to_string()))?;
        }
        Ok(d)
    }
}

/// A legal period counted from a starting day (the starting day itself not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(i64),
    Months(i64),
}

/// Whether a rest day at the end moves the period's last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastDay {
    /// The first working day on or after the counted last day (art. 105 ¶4).
    MovesPastRestDays,
    /// Custody: ends when it ends, holiday or not.
    Fixed,
}

impl Period {
    /// The last day of the period that starts on `start`.
    pub fn last_day(
        self,
        start: Date,
        calendar: &HolidayCalendar,
        rule: LastDay,
    ) -> Result<Date, CalendarError> {
        let counted = match self {
            Period::Days(n) => start
                .checked_add(jiff::Span::new().days(n))
                .map_err(|e| CalendarError::Invalid(e.to_string()))?,
            // To the same day of the month it ends in; to that month's last day when there is no such
            // day (jiff clamps: 31 Jan + 1 month = 28/29 Feb) or when the start is itself a month's
            // last day (30 Apr + 1 month = 31 May) — 民法典 art. 202 and the 最高法 interpretation of
            // 刑事诉讼法 on periods counted in months.
            Period::Months(n) => {
                let end = start
                    .checked_add(jiff::Span::new().months(n))
                    .map_err(|e| CalendarError::Invalid(e.to_string()))?;
                if start == start.last_of_month() {
                    end.last_of_month()
                } else {
                    end
                }
            }
        };
        match rule {
            LastDay::Fixed => Ok(counted),
            LastDay::MovesPastRestDays => calendar.working_day_from(counted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_years_follow_the_notices() {
        let c = HolidayCalendar::default_cn();
        assert_eq!(c.years(), vec![2025, 2026]);
        // 国庆 2026: 1–7 Oct off; Sat 10 Oct a working day; Sun 20 Sep a working day.
        for day in 1..=7 {
            assert!(c.is_rest_day(Date::new(2026, 10, day).unwrap()).unwrap());
        }
        assert!(!c.is_rest_day(d("2026-10-10")).unwrap());
        assert!(!c.is_rest_day(d("2026-09-20")).unwrap());
        assert!(
            c.is_rest_day(d("2026-10-11")).unwrap(),
            "an ordinary Sunday"
        );
        assert!(!c.is_rest_day(d("2026-10-08")).unwrap());
        // 春节 2025: 28 Jan – 4 Feb.
        assert!(c.is_rest_day(d("2025-01-28")).unwrap() && c.is_rest_day(d("2025-02-04")).unwrap());
        assert!(
            !c.is_rest_day(d("2025-01-26")).unwrap(),
            "调休: Sunday 26 Jan worked"
        );
        assert_eq!(
            c.is_rest_day(d("2027-01-01")),
            Err(CalendarError::NoYear(2027))
        );
    }

    #[test]
    fn a_three_day_limit_ending_on_a_rest_day_moves_to_the_next_working_day() {
        let c = HolidayCalendar::default_cn();
        let moves = LastDay::MovesPastRestDays;
        // Starting Wednesday 2 Dec 2026: the third day is Saturday 5 Dec → Monday 7 Dec.
        assert_eq!(
            Period::Days(3)
                .last_day(d("2026-12-02"), &c, moves)
                .unwrap(),
            d("2026-12-07")
        );
        // Ending on 1 October 2026 (a holiday through the 7th, the 8th a Thursday).
        assert_eq!(
            Period::Days(3)
                .last_day(d("2026-09-28"), &c, moves)
                .unwrap(),
            d("2026-10-08")
        );
        // Ending on Sunday 20 September 2026, a 调休 working day: it stays.
        assert_eq!(
            Period::Days(3)
                .last_day(d("2026-09-17"), &c, moves)
                .unwrap(),
            d("2026-09-20")
        );
        // Ending on a working day: as counted.
        assert_eq!(
            Period::Days(3)
                .last_day(d("2026-12-01"), &c, moves)
                .unwrap(),
            d("2026-12-04")
        );
    }

    #[test]
    fn custody_is_not_extended_by_holidays() {
        let c = HolidayCalendar::default_cn();
        // 37 days from 26 Aug 2026 end on 2 Oct, inside the National Day holiday: custody ends then.
        let start = d("2026-08-26");
        assert_eq!(
            Period::Days(37)
                .last_day(start, &c, LastDay::Fixed)
                .unwrap(),
            d("2026-10-02")
        );
        assert_eq!(
            Period::Days(37)
                .last_day(start, &c, LastDay::MovesPastRestDays)
                .unwrap(),
            d("2026-10-08")
        );
    }

    #[test]
    fn months_count_to_the_corresponding_day_or_the_months_end() {
        let c = HolidayCalendar::default_cn();
        let fixed = LastDay::Fixed;
        assert_eq!(
            Period::Months(1)
                .last_day(d("2026-01-31"), &c, fixed)
                .unwrap(),
            d("2026-02-28")
        );
        assert_eq!(
            Period::Months(12)
                .last_day(d("2025-01-31"), &c, fixed)
                .unwrap(),
            d("2026-01-31")
        );
        assert_eq!(
            Period::Months(6)
                .last_day(d("2026-03-15"), &c, fixed)
                .unwrap(),
            d("2026-09-15")
        );
        // From a month's last day to the last day of the month it ends in.
        assert_eq!(
            Period::Months(1)
                .last_day(d("2026-04-30"), &c, fixed)
                .unwrap(),
            d("2026-05-31")
        );
        assert_eq!(
            Period::Months(1)
                .last_day(d("2026-02-28"), &c, fixed)
                .unwrap(),
            d("2026-03-31")
        );
        // 31 January 2026 + 1 month = 28 February, a Saturday that is a 调休 working day: it stays.
        assert_eq!(
            Period::Months(1)
                .last_day(d("2026-01-31"), &c, LastDay::MovesPastRestDays)
                .unwrap(),
            d("2026-02-28")
        );
        // A period reaching a year with no calendar says so.
        assert_eq!(
            Period::Months(12).last_day(d("2026-06-01"), &c, LastDay::MovesPastRestDays),
            Err(CalendarError::NoYear(2027))
        );
    }

    #[test]
    fn a_bad_calendar_is_refused_with_its_reason() {
        let bad = "[[year]]\nyear = 2026\nnotice = \"x\"\nholidays = []\nworking_weekends = [\"2026-10-09\"]\n";
        let e = HolidayCalendar::parse(bad).unwrap_err().to_string();
        assert!(
            e.contains("2026-10-09") && e.contains("not a weekend"),
            "{e}"
        );
        let misplaced = "[[year]]\nyear = 2025\nnotice = \"x\"\nholidays = [\"2026-01-01\"]\nworking_weekends = []\n";
        assert!(
            HolidayCalendar::parse(misplaced)
                .unwrap_err()
                .to_string()
                .contains("listed under 2025")
        );
    }
}
