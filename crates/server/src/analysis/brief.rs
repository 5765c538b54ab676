//! 研判简报: a daily and a weekly brief per district and per police station — the trend table (同比/环比
//! with a test of chance), the Gi* hotspot map and the repeat locations of the last four weeks, the
//! near-repeat table — composed on schedule and kept. Any server may compose: a brief is claimed with
//! a lease in one upsert, so with several servers each brief is composed once, and a server that dies
//! mid-way leaves a lapsed lease the next check takes over.

use super::{Hotspots, NearRepeat, Period, RepeatLocation, Trends};
use crate::error::ApiResult;
use crate::state::AppState;
use pingan_domain::{Scope, ScopeGrant, ScopeKind};
use pingan_store::analysis::{self as store, BriefKey, Selection};
use pingan_store::{Db, args, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Hotspots and repeat locations look back this many days from the period's end: one day holds too
/// few incidents for a map.
pub const LOOKBACK_DAYS: i64 = 28;
/// Gi*/KDE parameters of the brief's map.
pub const CELL_M: f64 = 250.0;
pub const BAND_M: f64 = 400.0;
pub const BANDWIDTH_M: f64 = 250.0;
/// How long one server may take to compose a brief before another may take over.
const LEASE_SECONDS: i64 = 600;

/// Who a brief is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// `district` (an area code) or `station` (an org id).
    pub kind: String,
    pub id: String,
    pub name: String,
    pub area_path: String,
}

/// Every district area and every police station with an area.
pub async fn subjects(db: &Db) -> pingan_store::Result<Vec<Subject>> {
    let mut out: Vec<Subject> = db
        .fetch_all::<(String, String, String)>(
            "SELECT code, name, path FROM areas WHERE level = 'district' ORDER BY path",
            args![],
        )
        .await?
        .into_iter()
        .map(|(id, name, area_path)| Subject {
            kind: "district".into(),
            id,
            name,
            area_path,
        })
        .collect();
    let stations: Vec<(String, String, String)> = db
        .fetch_all(
            "SELECT id, name, area_path FROM orgs WHERE kind = ? AND area_path IS NOT NULL ORDER BY path",
            args![pingan_domain::OrgKind::Station.code()],
        )
        .await?;
    out.extend(stations.into_iter().map(|(id, name, area_path)| Subject {
        kind: "station".into(),
        id,
        name,
        area_path,
    }));
    Ok(out)
}

/// `daily` or `weekly` (Monday to Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Daily,
    Weekly,
}

impl PeriodKind {
    pub fn code(self) -> &'static str {
        match self {
            PeriodKind::Daily => "daily",
            PeriodKind::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "daily" => Some(PeriodKind::Daily),
            "weekly" => Some(PeriodKind::Weekly),
            _ => None,
        }
    }

    /// The period of this kind that contains `day`.
    pub fn containing(self, day: jiff::civil::Date) -> Period {
        match self {
            PeriodKind::Daily => Period { from: day, to: day },
            PeriodKind::Weekly => {
                let back = day.weekday().to_monday_zero_offset() as i64;
                let from = day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day);
                Period {
                    from,
                    to: from.checked_add(jiff::Span::new().days(6)).unwrap_or(from),
                }
            }
        }
    }

    /// The last complete period before `today`.
    pub fn last_complete(self, today: jiff::civil::Date) -> Period {
        let yesterday = today.yesterday().unwrap_or(today);
        match self {
            PeriodKind::Daily => self.containing(yesterday),
            PeriodKind::Weekly => {
                let this_week = self.containing(today);
                self.containing(this_week.from.yesterday().unwrap_or(this_week.from))
            }
        }
    }
}

/// What a kept brief holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BriefContent {
    pub subject_kind: String,
    pub subject_name: String,
    pub area_path: String,
    pub period_kind: String,
    /// Trend table of the period.
    pub trends: Trends,
    /// First and last local date the map and the repeat locations cover.
    pub lookback_from: String,
    pub lookback_to: String,
    pub hotspots: Hotspots,
    /// The ten places with most incidents (≥ 3 within 50 m or at one address).
    pub repeat_locations: Vec<RepeatLocation>,
    pub near_repeat: Option<NearRepeat>,
}

/// The brief reads everything under its subject's area: it is composed by the system, not a user;
/// who may read it is decided when it is read.
fn system_scope() -> Scope {
    Scope::new(vec![ScopeGrant {
        kind: ScopeKind::Area,
        path: "/".into(),
    }])
}

/// Composes the brief of `subject` for `period`.
pub async fn compose(
    state: &AppState,
    subject: &Subject,
    kind: PeriodKind,
    period: Period,
) -> ApiResult<BriefContent> {
    let scope = system_scope();
    let types = state.types.get(&state.db).await?;
    let type_name = |code: &str| {
        types
            .iter()
            .find(|t| t.code == code)
            .map_or_else(|| code.to_string(), |t| t.name_zh.clone())
    };
    let trends = super::trends(
        &state.db,
        &scope,
        &subject.area_path,
        period,
        &[],
        type_name,
    )
    .await?;
    let lookback = Period {
        from: period
            .to
            .checked_sub(jiff::Span::new().days(LOOKBACK_DAYS - 1))
            .unwrap_or(period.from),
        to: period.to,
    };
    let ev = super::load(
        &state.db,
        &scope,
        &Selection {
            area_path: subject.area_path.clone(),
            from: lookback.start_micros(),
            to: lookback.end_micros(),
            types: Vec::new(),
        },
    )
    .await?;
    let area = super::StudyArea::of(&state.db, &scope, &subject.area_path).await?;
    // The kernels are CPU work (a second for a district-year): off the async threads.
    let (hotspots, repeat_locations, near_repeat) = tokio::task::spawn_blocking(move || {
        let hotspots = super::hotspots(&ev, area.as_ref(), CELL_M, BAND_M, BANDWIDTH_M);
        let mut repeat_locations = super::repeat_locations(&ev, 50.0, 3);
        repeat_locations.truncate(10);
        // A test too large for one request is a 422 in the workbench; in a brief the section is
        // left out.
        let near_repeat = if ev.len() >= 2 {
            super::near_repeat(&ev, vec![100.0, 200.0, 400.0], vec![3.0, 7.0, 14.0], 99, 1).ok()
        } else {
            None
        };
        (hotspots, repeat_locations, near_repeat)
    })
    .await
    .map_err(anyhow::Error::from)?;
    Ok(BriefContent {
        subject_kind: subject.kind.clone(),
        subject_name: subject.name.clone(),
        area_path: subject.area_path.clone(),
        period_kind: kind.code().into(),
        trends,
        lookback_from: lookback.from.to_string(),
        lookback_to: lookback.to.to_string(),
        hotspots,
        repeat_locations,
        near_repeat,
    })
}

/// Composes and keeps the brief unless it is kept already or another server is composing it.
/// Returns the id of the brief this call composed.
pub async fn ensure(
    state: &AppState,
    subject: &Subject,
    kind: PeriodKind,
    period: Period,
) -> ApiResult<Option<String>> {
    let now = state.now();
    let key = BriefKey {
        subject_kind: subject.kind.clone(),
        subject_id: subject.id.clone(),
        subject_name: subject.name.clone(),
        area_path: subject.area_path.clone(),
        period_kind: kind.code().into(),
        period_start: period.from.to_string(),
        period_end: period.to.to_string(),
    };
    let Some(id) = store::claim_brief(
        &state.db,
        &key,
        &new_id(),
        crate::jobs::holder(),
        now,
        now + LEASE_SECONDS * 1_000_000,
    )
    .await?
    else {
        return Ok(None);
    };
    let content = compose(state, subject, kind, period).await?;
    let json = serde_json::to_string(&content).map_err(anyhow::Error::from)?;
    let kept =
        store::complete_brief(&state.db, &id, crate::jobs::holder(), state.now(), &json).await?;
    Ok(kept.then_some(id))
}

/// Yesterday's daily and last week's weekly brief for every subject; returns how many were composed.
pub async fn ensure_due(state: &AppState) -> ApiResult<usize> {
    let today = state.today();
    let mut made = 0;
    for subject in subjects(&state.db).await? {
        for kind in [PeriodKind::Daily, PeriodKind::Weekly] {
            if ensure(state, &subject, kind, kind.last_complete(today))
                .await?
                .is_some()
            {
                made += 1;
            }
        }
    }
    Ok(made)
}

/// Checks every `analysis.brief_check_seconds` (0 turns it off) for briefs that are due.
pub fn job(state: &AppState) -> crate::jobs::Job {
    crate::jobs::Job::new(
        "briefs",
        std::time::Duration::from_secs(state.config.analysis.brief_check_seconds),
        |state| Box::pin(async move { Ok(ensure_due(&state).await?) }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn periods_of_briefs() {
        // 2026-11-30 is a Monday.
        let today = date(2026, 11, 30);
        assert_eq!(
            PeriodKind::Daily.last_complete(today),
            Period {
                from: date(2026, 11, 29),
                to: date(2026, 11, 29)
            }
        );
        assert_eq!(
            PeriodKind::Weekly.last_complete(today),
            Period {
                from: date(2026, 11, 23),
                to: date(2026, 11, 29)
            }
        );
        // On a Wednesday the last complete week is still Monday–Sunday before.
        assert_eq!(
            PeriodKind::Weekly.last_complete(date(2026, 12, 2)).from,
            date(2026, 11, 23)
        );
        assert_eq!(
            PeriodKind::Weekly.containing(date(2026, 11, 29)).from,
            date(2026, 11, 23)
        );
    }
}
