//! 雪亮工程 cameras as the map and investigators need them: who owns a camera, where it looks (a
//! sector: direction, field of view, range), whether it was online at an instant (from heartbeats),
//! and the footage request (调取) — asked with a linked incident or case and a purpose, decided by
//! the station chief, its export recorded. No video is processed here and there is no face
//! recognition: footage is exported and handled under the request's record.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// Who runs a camera.
    CameraOwner {
        /// 公安自建.
        PublicSecurity = "public_security",
        /// 社区/村 (综治 built, community run).
        Community = "community",
        /// 企业/单位.
        Enterprise = "enterprise",
    }
}

/// Where a camera looks: `direction_deg` clockwise from north, a field of view `fov_deg` wide
/// centred on it, out to `range_m` metres. A dome camera that turns is a 360° sector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub direction_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SectorError {
    #[error("direction_deg must be 0 to under 360")]
    Direction,
    #[error("fov_deg must be over 0 and at most 360")]
    FieldOfView,
    #[error("range_m must be over 0 and at most 2000")]
    Range,
}

/// Longest range a sector may claim (a long-range PTZ camera on a mast).
pub const MAX_RANGE_M: f64 = 2000.0;
const EPS: f64 = 1e-9;

impl Sector {
    pub fn check(&self) -> Result<(), SectorError> {
        if !(0.0..360.0).contains(&self.direction_deg) {
            return Err(SectorError::Direction);
        }
        if !(self.fov_deg > 0.0 && self.fov_deg <= 360.0) {
            return Err(SectorError::FieldOfView);
        }
        if !(self.range_m > 0.0 && self.range_m <= MAX_RANGE_M) {
            return Err(SectorError::Range);
        }
        Ok(())
    }

    /// Whether a point `east` and `north` metres from the camera lies in the sector: within the
    /// range (a point exactly on it counts) and within half the field of view of the direction,
    /// measured the short way round (350° and 10° are 20° apart). The camera's own spot counts.
    pub fn contains(&self, east: f64, north: f64) -> bool {
        let dist = east.hypot(north);
        if dist > self.range_m * (1.0 + EPS) {
            return false;
        }
        if dist == 0.0 || self.fov_deg >= 360.0 {
            return true;
        }
        let off = bearing_diff(bearing_deg(east, north), self.direction_deg);
        off <= self.fov_deg / 2.0 + EPS
    }
}

/// Clockwise from north, 0 to under 360.
pub fn bearing_deg(east: f64, north: f64) -> f64 {
    let b = east.atan2(north).to_degrees();
    if b < 0.0 { b + 360.0 } else { b }
}

/// The angle between two bearings the short way round, 0–180.
pub fn bearing_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 { 360.0 - d } else { d }
}

/// Whether a camera was online at `t` by its heartbeats: the last recorded status change at or
/// before `t` says so, and `t` is not in the silence after its latest heartbeat (longer than
/// `timeout`, which no later heartbeat has recorded yet). `None`: no heartbeat ever (the
/// registry's status is all there is).
pub fn online_at(
    changes: &[(i64, bool)],
    last_heartbeat: Option<i64>,
    timeout: i64,
    t: i64,
) -> Option<bool> {
    let last_heartbeat = last_heartbeat?;
    let status = changes
        .iter()
        .filter(|(at, _)| *at <= t)
        .max_by_key(|(at, _)| *at)
        .map(|(_, online)| *online)?;
    Some(status && t <= last_heartbeat + timeout)
}

/// The status changes one heartbeat adds, given the camera's current status and latest
/// heartbeat: an offline change at `last + timeout` when the camera fell silent longer than the
/// timeout while online, then a change to `online` at `at` when that differs. A heartbeat older
/// than the latest, or at the same instant, adds nothing (it arrived late, or says again what that
/// instant already recorded: a second change at one instant would contradict the first).
pub fn heartbeat_changes(
    current_online: Option<bool>,
    last_heartbeat: Option<i64>,
    timeout: i64,
    at: i64,
    online: bool,
) -> Vec<(i64, bool)> {
    if last_heartbeat.is_some_and(|l| at <= l) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut status = current_online;
    if let (Some(true), Some(last)) = (status, last_heartbeat)
        && at - last > timeout
    {
        out.push((last + timeout, false));
        status = Some(false);
    }
    if status != Some(online) {
        out.push((at, online));
    }
    out
}

string_enum! {
    /// Where a footage request (调取) stands.
    FootageStatus {
        /// 待审批.
        Requested = "requested",
        /// 已批准.
        Approved = "approved",
        /// 不予批准.
        Refused = "refused",
        /// 已导出.
        Exported = "exported",
    }
}

/// What may be done to a request next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FootageStep {
    Approve,
    Refuse,
    Export,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FootageError {
    #[error("a request that is {0} cannot be {1}")]
    Step(&'static str, &'static str),
    #[error("the requester cannot decide their own request")]
    OwnRequest,
}

impl FootageStatus {
    /// The status after `step`, or why it is not allowed: only a requested request is decided, and
    /// only an approved one exported; nobody decides their own request.
    pub fn after(
        self,
        step: FootageStep,
        actor_is_requester: bool,
    ) -> Result<FootageStatus, FootageError> {
        let verb = match step {
            FootageStep::Approve => "approved",
            FootageStep::Refuse => "refused",
            FootageStep::Export => "exported",
        };
        match (self, step) {
            (FootageStatus::Requested, FootageStep::Approve | FootageStep::Refuse)
                if actor_is_requester =>
            {
                Err(FootageError::OwnRequest)
            }
            (FootageStatus::Requested, FootageStep::Approve) => Ok(FootageStatus::Approved),
            (FootageStatus::Requested, FootageStep::Refuse) => Ok(FootageStatus::Refused),
            (FootageStatus::Approved, FootageStep::Export) => Ok(FootageStatus::Exported),
            _ => Err(FootageError::Step(self.code(), verb)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_bearing(b: f64, d: f64) -> (f64, f64) {
        (d * b.to_radians().sin(), d * b.to_radians().cos())
    }

    #[test]
    fn a_sector_across_north_wraps() {
        // Looking at 350° with 40° of view: 330° to 10°.
        let s = Sector {
            direction_deg: 350.0,
            fov_deg: 40.0,
            range_m: 100.0,
        };
        for (b, inside) in [
            (350.0, true),
            (0.0, true),
            (9.9, true),
            (10.0, true),
            (10.1, false),
            (330.0, true),
            (329.9, false),
            (180.0, false),
        ] {
            let (e, n) = at_bearing(b, 50.0);
            assert_eq!(s.contains(e, n), inside, "bearing {b}");
        }
        // And the other way: looking at 10° with 40°: -10° (350°) to 30°.
        let t = Sector {
            direction_deg: 10.0,
            ..s
        };
        let (e, n) = at_bearing(350.0, 50.0);
        assert!(t.contains(e, n));
        let (e, n) = at_bearing(349.0, 50.0);
        assert!(!t.contains(e, n));
    }

    #[test]
    fn the_range_is_inclusive_and_the_camera_spot_counts() {
        let s = Sector {
            direction_deg: 90.0,
            fov_deg: 60.0,
            range_m: 100.0,
        };
        assert!(s.contains(100.0, 0.0), "exactly on the range");
        assert!(!s.contains(100.001, 0.0));
        assert!(s.contains(0.0, 0.0));
        let dome = Sector {
            fov_deg: 360.0,
            ..s
        };
        assert!(dome.contains(-70.0, -70.0));
        assert!(!dome.contains(-80.0, -80.0));
        assert_eq!(
            Sector {
                direction_deg: 360.0,
                ..s
            }
            .check(),
            Err(SectorError::Direction)
        );
        assert_eq!(
            Sector { fov_deg: 0.0, ..s }.check(),
            Err(SectorError::FieldOfView)
        );
        assert_eq!(
            Sector {
                range_m: 2001.0,
                ..s
            }
            .check(),
            Err(SectorError::Range)
        );
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn online_by_heartbeats_with_silences() {
        const MIN: i64 = 60_000_000;
        let timeout = 5 * MIN;
        // Online at 0; heartbeats until 10 min; silent until 30 min, when it beats again.
        let mut changes = heartbeat_changes(None, None, timeout, 0, true);
        assert_eq!(changes, vec![(0, true)]);
        assert!(heartbeat_changes(Some(true), Some(9 * MIN), timeout, 10 * MIN, true).is_empty());
        // A ten-minute silence after a single beat at 0 would have ended it at 5 min.
        assert_eq!(
            heartbeat_changes(Some(true), Some(0), timeout, 10 * MIN, true),
            vec![(5 * MIN, false), (10 * MIN, true)]
        );
        changes.extend(heartbeat_changes(
            Some(true),
            Some(10 * MIN),
            timeout,
            30 * MIN,
            true,
        ));
        assert_eq!(
            changes,
            vec![(0, true), (15 * MIN, false), (30 * MIN, true)]
        );
        let last = Some(30 * MIN);
        assert_eq!(online_at(&changes, last, timeout, 12 * MIN), Some(true));
        assert_eq!(online_at(&changes, last, timeout, 15 * MIN), Some(false));
        assert_eq!(online_at(&changes, last, timeout, 20 * MIN), Some(false));
        assert_eq!(online_at(&changes, last, timeout, 31 * MIN), Some(true));
        // After the latest heartbeat, online only within the timeout.
        assert_eq!(online_at(&changes, last, timeout, 35 * MIN), Some(true));
        assert_eq!(online_at(&changes, last, timeout, 36 * MIN), Some(false));
        // Before the first record, and without heartbeats, nothing is known.
        assert_eq!(online_at(&changes, last, timeout, -1), None);
        assert_eq!(online_at(&[], None, timeout, 0), None);
        // Reported offline, then a late heartbeat from before: nothing changes.
        assert_eq!(
            heartbeat_changes(Some(false), Some(40 * MIN), timeout, 41 * MIN, false),
            vec![]
        );
        assert!(heartbeat_changes(Some(true), Some(40 * MIN), timeout, 39 * MIN, false).is_empty());
        // The same instant again, with the other status: the first word stands.
        assert!(heartbeat_changes(Some(true), Some(40 * MIN), timeout, 40 * MIN, false).is_empty());
    }

    #[test]
    fn a_request_is_decided_by_someone_else_then_exported() {
        use FootageStatus::*;
        use FootageStep::*;
        assert_eq!(Requested.after(Approve, false), Ok(Approved));
        assert_eq!(
            Requested.after(Approve, true),
            Err(FootageError::OwnRequest)
        );
        assert_eq!(Requested.after(Refuse, false), Ok(Refused));
        assert_eq!(Approved.after(Export, true), Ok(Exported));
        assert!(Requested.after(Export, false).is_err());
        assert!(Refused.after(Export, false).is_err());
        assert!(Approved.after(Approve, false).is_err());
        assert!(Exported.after(Refuse, false).is_err());
    }
}
