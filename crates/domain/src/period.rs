//! Reporting periods (统计周期): a calendar month or quarter in local (China Standard) dates, with the
//! period just before it (环比) and the same period a year before (同比).

use jiff::civil::Date;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    Month,
    Quarter,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
        }
    }
}

/// A month (`2026-11`) or a quarter (`2026-Q4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportPeriod {
    pub kind: PeriodKind,
    pub year: i16,
    /// 1–12 for a month, 1–4 for a quarter.
    pub index: i8,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a period is a month like 2026-11 or a quarter like 2026-Q4")]
pub struct BadPeriod;

impl ReportPeriod {
    pub fn month(year: i16, month: i8) -> Result<Self, BadPeriod> {
        Self::checked(PeriodKind::Month, year, month)
    }

    pub fn quarter(year: i16, quarter: i8) -> Result<Self, BadPeriod> {
        Self::checked(PeriodKind::Quarter, year, quarter)
    }

    fn checked(kind: PeriodKind, year: i16, index: i8) -> Result<Self, BadPeriod> {
        let max = match kind {
            PeriodKind::Month => 12,
            PeriodKind::Quarter => 4,
        };
        if !(1..=max).contains(&index) || !(1900..=2999).contains(&year) {
            return Err(BadPeriod);
        }
        Ok(ReportPeriod { kind, year, index })
    }

    /// `2026-11` or `2026-Q4` (a lower-case q is accepted).
    pub fn parse(s: &str) -> Result<Self, BadPeriod> {
        let s = s.trim();
        let (y, rest) = s.split_once('-').ok_or(BadPeriod)?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadPeriod);
        }
        let year: i16 = y.parse().map_err(|_| BadPeriod)?;
        let digits = |t: &str| -> Result<i8, BadPeriod> {
            if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadPeriod);
            }
            t.parse().map_err(|_| BadPeriod)
        };
        match rest.strip_prefix(['Q', 'q']) {
            Some(q) if q.len() == 1 => Self::quarter(year, digits(q)?),
            Some(_) => Err(BadPeriod),
            None if rest.len() == 2 => Self::month(year, digits(rest)?),
            None => Err(BadPeriod),
        }
    }

    /// The month or quarter holding `d`.
    pub fn containing(kind: PeriodKind, d: Date) -> Self {
        let index = match kind {
            PeriodKind::Month => d.month(),
            PeriodKind::Quarter => (d.month() - 1) / 3 + 1,
        };
        ReportPeriod {
            kind,
            year: d.year(),
            index,
        }
    }

    fn first_month(&self) -> i8 {
        match self.kind {
            PeriodKind::Month => self.index,
            PeriodKind::Quarter => (self.index - 1) * 3 + 1,
        }
    }

    fn months(&self) -> i8 {
        match self.kind {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
        }
    }

    /// The first day.
    pub fn first_day(&self) -> Date {
        Date::new(self.year, self.first_month(), 1).expect("a valid first day")
    }

    /// The day after the last.
    pub fn end_day(&self) -> Date {
        self.first_day()
            .checked_add(jiff::Span::new().months(self.months()))
            .expect("a date in range")
    }

    /// The last day (inclusive).
    pub fn last_day(&self) -> Date {
        self.end_day().yesterday().expect("a date in range")
    }

    pub fn days(&self) -> i64 {
        (self.end_day() - self.first_day()).get_days() as i64
    }

    /// 环比: the month or quarter just before.
    pub fn previous(&self) -> Self {
        Self::containing(self.kind, self.first_day().yesterday().expect("in range"))
    }

    /// The month or quarter just after.
    pub fn next(&self) -> Self {
        Self::containing(self.kind, self.end_day())
    }

    /// 同比: the same month or quarter a year before.
    pub fn year_before(&self) -> Self {
        ReportPeriod {
            year: self.year - 1,
            ..*self
        }
    }
}

impl fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{:04}-{:02}", self.year, self.index),
            PeriodKind::Quarter => write!(f, "{:04}-Q{}", self.year, self.index),
        }
    }
}

/// Whole local days `[from, end)` inside a period: the period itself, or the part of it before `today`
/// ends when it is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySpan {
    pub from: Date,
    /// The day after the last counted.
    pub end: Date,
}

impl DaySpan {
    pub fn days(&self) -> i64 {
        (self.end - self.from).get_days() as i64
    }

    /// The last day counted (inclusive).
    pub fn last(&self) -> Date {
        self.end.yesterday().unwrap_or(self.end)
    }

    pub fn start_micros(&self) -> i64 {
        crate::time::day_start(self.from)
    }

    pub fn end_micros(&self) -> i64 {
        crate::time::day_start(self.end)
    }

    /// The same days a year earlier, by their first and last day (29 February becomes 28
    /// February).
    pub fn year_before(&self) -> DaySpan {
        let back = |d: Date| d.checked_sub(jiff::Span::new().years(1)).unwrap_or(d);
        let last = back(self.last());
        DaySpan {
            from: back(self.from),
            end: last.tomorrow().unwrap_or(last),
        }
    }
}

impl ReportPeriod {
    /// The days counted so far: all of them for a past period, those up to and including `today`
    /// for the running one; `None` for a period that has not begun.
    pub fn counted(&self, today: Date) -> Option<DaySpan> {
        if today < self.first_day() {
            return None;
        }
        let end = self.end_day().min(today.tomorrow().unwrap_or(today));
        Some(DaySpan {
            from: self.first_day(),
            end,
        })
    }

    pub fn whole(&self) -> DaySpan {
        DaySpan {
            from: self.first_day(),
            end: self.end_day(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn months_and_quarters_read_print_and_step() {
        let m = ReportPeriod::parse("2026-11").unwrap();
        assert_eq!(m.to_string(), "2026-11");
        assert_eq!(m.days(), 30);
        assert_eq!(m.previous().to_string(), "2026-10");
        assert_eq!(m.year_before().to_string(), "2025-11");
        assert_eq!(
            ReportPeriod::parse("2026-01")
                .unwrap()
                .previous()
                .to_string(),
            "2025-12"
        );
        assert_eq!(
            ReportPeriod::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        let q = ReportPeriod::parse("2026-q1").unwrap();
        assert_eq!(q.to_string(), "2026-Q1");
        assert_eq!(q.first_day(), date(2026, 1, 1));
        assert_eq!(q.last_day(), date(2026, 3, 31));
        assert_eq!(q.days(), 90);
        assert_eq!(q.previous().to_string(), "2025-Q4");
        assert_eq!(ReportPeriod::parse("2024-Q1").unwrap().days(), 91);
        for bad in [
            "2026-13", "2026-Q5", "2026-Q0", "2026-1", "26-11", "2026/11", "2026-Q", "", "2026-00",
        ] {
            assert_eq!(ReportPeriod::parse(bad), Err(BadPeriod), "{bad}");
        }
    }

    #[test]
    fn a_running_period_counts_up_to_today() {
        let m = ReportPeriod::parse("2026-12").unwrap();
        let span = m.counted(date(2026, 12, 6)).unwrap();
        assert_eq!(
            (span.from, span.last(), span.days()),
            (date(2026, 12, 1), date(2026, 12, 6), 6)
        );
        assert_eq!(m.counted(date(2026, 11, 30)), None);
        assert_eq!(m.counted(date(2027, 2, 1)), Some(m.whole()));
        let leap = DaySpan {
            from: date(2024, 2, 1),
            end: date(2024, 3, 1),
        };
        assert_eq!(leap.year_before().days(), 28);
        // A running February to the 28th of a leap year: last year's 1–28 February, all of it.
        let to_28th = DaySpan {
            from: date(2024, 2, 1),
            end: date(2024, 2, 29),
        };
        assert_eq!(to_28th.year_before().last(), date(2023, 2, 28));
        assert_eq!(to_28th.year_before().days(), 28);
        assert_eq!(
            ReportPeriod::containing(PeriodKind::Quarter, date(2026, 8, 31)).to_string(),
            "2026-Q3"
        );
    }
}
