//! 队伍建设 (training the force): courses and drills (实战演练) with their hours, skill tests and
//! competitions (比武竞赛) with scores, certificates with expiry and reminders, and mentor–mentee
//! pairs (传帮带) with goals and check-ins. The people are the platform's own staff, as attendees,
//! holders and pairs; nothing here is about residents.

use crate::incident::string_enum;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// What a training session is.
    SessionKind {
        /// 业务培训: a course, credited in hours.
        Course = "course",
        /// 实战演练: a drill.
        Drill = "drill",
        /// 技能考核: a skill test, scored against a pass mark.
        SkillTest = "skill_test",
        /// 比武竞赛: a competition, scored and ranked.
        Competition = "competition",
    }
}

impl SessionKind {
    /// Whether attendees get a score.
    pub fn scored(self) -> bool {
        matches!(self, SessionKind::SkillTest | SessionKind::Competition)
    }
}

/// Hours one session credits: 0.5 to 200, in half hours.
pub fn check_hours(hours: f64) -> Result<(), TrainingError> {
    let halves = hours * 2.0;
    if hours.is_finite() && (0.5..=200.0).contains(&hours) && (halves - halves.round()).abs() < 1e-9
    {
        Ok(())
    } else {
        Err(TrainingError::Hours)
    }
}

/// A scored session's maximum (1–1000) and pass mark (within it), when it has one.
pub fn check_scoring(max: f64, pass: Option<f64>) -> Result<(), TrainingError> {
    if !(max.is_finite() && (1.0..=1000.0).contains(&max)) {
        return Err(TrainingError::MaxScore);
    }
    if pass.is_some_and(|p| !(p.is_finite() && (0.0..=max).contains(&p))) {
        return Err(TrainingError::PassScore);
    }
    Ok(())
}

/// An attendee's score: 0 to the session's maximum, in tenths.
pub fn check_score(score: f64, max: f64) -> Result<(), TrainingError> {
    let tenths = score * 10.0;
    if score.is_finite() && (0.0..=max).contains(&score) && (tenths - tenths.round()).abs() < 1e-6 {
        Ok(())
    } else {
        Err(TrainingError::Score)
    }
}

/// Places in a competition: the highest score first, equal scores share a place (1, 2, 2, 4).
/// Attendees without a score have no place.
pub fn places(scores: &[Option<f64>]) -> Vec<Option<usize>> {
    scores
        .iter()
        .map(|s| {
            let s = (*s)?;
            Some(1 + scores.iter().flatten().filter(|o| **o > s).count())
        })
        .collect()
}

/// A mentoring pair's goals: 1 to 10, each 1–200 characters.
pub fn check_goals(goals: &[String]) -> Result<(), TrainingError> {
    if goals.is_empty() || goals.len() > 10 {
        return Err(TrainingError::GoalCount);
    }
    match goals
        .iter()
        .position(|g| g.trim().is_empty() || g.chars().count() > 200)
    {
        Some(i) => Err(TrainingError::Goal(i)),
        None => Ok(()),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrainingError {
    #[error("hours are 0.5 to 200, in half hours")]
    Hours,
    #[error("the maximum score is 1 to 1000")]
    MaxScore,
    #[error("the pass mark is between 0 and the maximum score")]
    PassScore,
    #[error("a score is 0 to the session's maximum, in tenths")]
    Score,
    #[error("name 1 to 10 goals")]
    GoalCount,
    #[error("goal {0} is empty or longer than 200 characters")]
    Goal(usize),
}

/// Where a certificate stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateState {
    /// No expiry, or more than [`REMINDER_DAYS`]\[0\] days left.
    Valid,
    /// Expires within the first reminder window.
    Expiring,
    /// Past its last valid day.
    Expired,
}

impl CertificateState {
    pub fn code(self) -> &'static str {
        match self {
            CertificateState::Valid => "valid",
            CertificateState::Expiring => "expiring",
            CertificateState::Expired => "expired",
        }
    }
}

/// Reminders go out when this many days are left (and once more when it has expired).
pub const REMINDER_DAYS: [i64; 3] = [60, 30, 7];

/// Days from `today` to the last valid day (0 on that day, negative once expired).
pub fn days_left(expires_on: Date, today: Date) -> i64 {
    i64::from((expires_on - today).get_days())
}

pub fn certificate_state(expires_on: Option<Date>, today: Date) -> CertificateState {
    match expires_on.map(|e| days_left(e, today)) {
        None => CertificateState::Valid,
        Some(d) if d < 0 => CertificateState::Expired,
        Some(d) if d <= REMINDER_DAYS[0] => CertificateState::Expiring,
        Some(_) => CertificateState::Valid,
    }
}

/// The reminder stage a certificate has reached on `today`: 0 none, 1–3 as the windows of
/// [`REMINDER_DAYS`] are entered, 4 expired.
pub fn reminder_stage(expires_on: Date, today: Date) -> u8 {
    let d = days_left(expires_on, today);
    if d < 0 {
        return 4;
    }
    REMINDER_DAYS.iter().filter(|w| d <= **w).count() as u8
}

/// The reminder due on `today` given the stage last reminded (`None` when none is due). A stage
/// skipped while the server was down is not sent separately: the holder hears the latest once.
pub fn due_reminder(expires_on: Date, today: Date, reminded: u8) -> Option<u8> {
    let s = reminder_stage(expires_on, today);
    (s > reminded).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn hours_scores_and_goals() {
        assert_eq!(check_hours(2.5), Ok(()));
        assert_eq!(check_hours(0.0), Err(TrainingError::Hours));
        assert_eq!(check_hours(1.25), Err(TrainingError::Hours));
        assert_eq!(check_hours(f64::NAN), Err(TrainingError::Hours));
        assert_eq!(check_scoring(100.0, Some(60.0)), Ok(()));
        assert_eq!(
            check_scoring(100.0, Some(101.0)),
            Err(TrainingError::PassScore)
        );
        assert_eq!(check_scoring(0.0, None), Err(TrainingError::MaxScore));
        assert_eq!(check_score(88.5, 100.0), Ok(()));
        assert_eq!(check_score(88.55, 100.0), Err(TrainingError::Score));
        assert_eq!(check_score(-1.0, 100.0), Err(TrainingError::Score));
        assert_eq!(check_goals(&[]), Err(TrainingError::GoalCount));
        assert_eq!(
            check_goals(&["接处警规范".into(), " ".into()]),
            Err(TrainingError::Goal(1))
        );
        assert_eq!(check_goals(&["接处警规范".into()]), Ok(()));
    }

    #[test]
    fn equal_scores_share_a_place() {
        assert_eq!(
            places(&[Some(90.0), Some(95.0), None, Some(90.0), Some(70.0)]),
            vec![Some(2), Some(1), None, Some(2), Some(4)]
        );
        assert!(SessionKind::Competition.scored());
        assert!(!SessionKind::Drill.scored());
    }

    #[test]
    fn certificates_are_reminded_once_per_window() {
        let exp = date(2027, 3, 31);
        assert_eq!(
            certificate_state(None, date(2027, 1, 1)),
            CertificateState::Valid
        );
        assert_eq!(
            certificate_state(Some(exp), date(2027, 1, 29)),
            CertificateState::Valid
        );
        assert_eq!(
            certificate_state(Some(exp), date(2027, 1, 30)),
            CertificateState::Expiring
        );
        assert_eq!(
            certificate_state(Some(exp), date(2027, 3, 31)),
            CertificateState::Expiring
        );
        assert_eq!(
            certificate_state(Some(exp), date(2027, 4, 1)),
            CertificateState::Expired
        );
        assert_eq!(due_reminder(exp, date(2027, 1, 29), 0), None);
        assert_eq!(due_reminder(exp, date(2027, 1, 30), 0), Some(1));
        assert_eq!(due_reminder(exp, date(2027, 2, 10), 1), None);
        assert_eq!(due_reminder(exp, date(2027, 3, 1), 1), Some(2));
        assert_eq!(due_reminder(exp, date(2027, 3, 24), 2), Some(3));
        assert_eq!(due_reminder(exp, date(2027, 3, 31), 3), None);
        // Down for weeks: only the latest stage is sent.
        assert_eq!(due_reminder(exp, date(2027, 4, 2), 1), Some(4));
        assert_eq!(due_reminder(exp, date(2027, 5, 2), 4), None);
    }
}
