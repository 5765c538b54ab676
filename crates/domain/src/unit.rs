//! Units on duty (警力): patrol cars, officers, auxiliaries, volunteer teams; their status, and the
//! dispatch recommendation that ranks them for an incident.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// What kind of unit.
    UnitKind {
        /// 巡逻车.
        PatrolCar = "patrol_car",
        /// 民警 on foot or motorbike.
        Officer = "officer",
        /// 辅警.
        Auxiliary = "auxiliary",
        /// 群防群治 team.
        VolunteerTeam = "volunteer_team",
    }
}

string_enum! {
    /// Where a camera (雪亮工程 点位) looks: the kinds a registry records. A camera of another kind is
    /// registered as `other`.
    CameraKind {
        /// 道路.
        Road = "road",
        /// 路口.
        Intersection = "intersection",
        /// 小区/村 出入口.
        CommunityGate = "community_gate",
        /// 广场.
        PublicSquare = "public_square",
        /// 校园周边.
        School = "school",
        /// 医院.
        Hospital = "hospital",
        /// 集贸市场.
        Market = "market",
        /// 车站、码头.
        TransportHub = "transport_hub",
        /// 沿河、水域.
        Waterside = "waterside",
        /// 其他.
        Other = "other",
    }
}

string_enum! {
    /// A unit's status.
    UnitStatus {
        Available = "available",
        /// 动中备勤: on patrol, can be dispatched.
        PatrolAvailable = "patrol_available",
        EnRoute = "en_route",
        OnScene = "on_scene",
        Busy = "busy",
        OffDuty = "off_duty",
    }
}

impl UnitStatus {
    /// Free to take a new incident.
    pub fn is_available(self) -> bool {
        matches!(self, UnitStatus::Available | UnitStatus::PatrolAvailable)
    }
}

/// A unit as the recommender sees it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub status: UnitStatus,
    /// Whether the unit belongs to the incident's responsible station (or a post under it).
    pub same_station: bool,
    /// Straight-line distance to the incident in metres; `None` without a known position.
    pub distance_m: Option<f64>,
}

/// Ranking: available units of the responsible station first, then other available units, then units
/// that are busy (shown, not recommended); within each group nearest first, unknown positions last.
/// Off-duty units are left out.
pub fn rank<'a>(candidates: &'a [Candidate<'a>]) -> Vec<&'a Candidate<'a>> {
    let mut v: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.status != UnitStatus::OffDuty)
        .collect();
    v.sort_by(|a, b| {
        tier(a)
            .cmp(&tier(b))
            .then_with(|| match (a.distance_m, b.distance_m) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.id.cmp(b.id))
    });
    v
}

fn tier(c: &Candidate) -> u8 {
    match (c.status.is_available(), c.same_station) {
        (true, true) => 0,
        (true, false) => 1,
        (false, _) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_station_first_then_nearest() {
        let c = |id, status, same_station, d| Candidate {
            id,
            status,
            same_station,
            distance_m: d,
        };
        let units = vec![
            c("other_near", UnitStatus::Available, false, Some(100.0)),
            c("own_far", UnitStatus::PatrolAvailable, true, Some(5000.0)),
            c("own_near", UnitStatus::Available, true, Some(800.0)),
            c("own_unknown", UnitStatus::Available, true, None),
            c("busy_nearest", UnitStatus::OnScene, true, Some(10.0)),
            c("off", UnitStatus::OffDuty, true, Some(1.0)),
        ];
        let ids: Vec<&str> = rank(&units).into_iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            vec![
                "own_near",
                "own_far",
                "own_unknown",
                "other_near",
                "busy_nearest"
            ]
        );
    }

    #[test]
    fn status_codes_round_trip() {
        for s in UnitStatus::ALL {
            assert_eq!(s.code().parse::<UnitStatus>().unwrap(), *s);
        }
        assert!("asleep".parse::<UnitStatus>().is_err());
    }
}
