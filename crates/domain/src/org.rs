//! Organisations that work together in the platform: the bureau and its stations, the 综治 centres,
//! 司法所, township and village committees and partner agencies. They form one tree; a user belongs to one.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 区/县公安局.
    Bureau,
    /// 指挥中心.
    CommandCentre,
    /// 派出所.
    Station,
    /// 社区警务室.
    CommunityPolicePost,
    /// 综治中心.
    CoordinationCentre,
    /// 司法所.
    JusticeOffice,
    /// 乡镇政府/街道办事处.
    TownshipGovernment,
    /// 村委会/居委会.
    VillageCommittee,
    /// 人民调解委员会.
    MediationCommittee,
    /// 群防群治队伍.
    VolunteerTeam,
    /// 协作单位 (fire brigade, court tribunal, labour bureau …).
    PartnerAgency,
}

impl OrgKind {
    pub const ALL: [OrgKind; 11] = [
        OrgKind::Bureau,
        OrgKind::CommandCentre,
        OrgKind::Station,
        OrgKind::CommunityPolicePost,
        OrgKind::CoordinationCentre,
        OrgKind::JusticeOffice,
        OrgKind::TownshipGovernment,
        OrgKind::VillageCommittee,
        OrgKind::MediationCommittee,
        OrgKind::VolunteerTeam,
        OrgKind::PartnerAgency,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Bureau => "bureau",
            OrgKind::CommandCentre => "command_centre",
            OrgKind::Station => "station",
            OrgKind::CommunityPolicePost => "community_police_post",
            OrgKind::CoordinationCentre => "coordination_centre",
            OrgKind::JusticeOffice => "justice_office",
            OrgKind::TownshipGovernment => "township_government",
            OrgKind::VillageCommittee => "village_committee",
            OrgKind::MediationCommittee => "mediation_committee",
            OrgKind::VolunteerTeam => "volunteer_team",
            OrgKind::PartnerAgency => "partner_agency",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        OrgKind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgKind::Bureau => "公安局",
            OrgKind::CommandCentre => "指挥中心",
            OrgKind::Station => "派出所",
            OrgKind::CommunityPolicePost => "社区警务室",
            OrgKind::CoordinationCentre => "综治中心",
            OrgKind::JusticeOffice => "司法所",
            OrgKind::TownshipGovernment => "乡镇政府/街道办",
            OrgKind::VillageCommittee => "村(居)委会",
            OrgKind::MediationCommittee => "人民调解委员会",
            OrgKind::VolunteerTeam => "群防群治队伍",
            OrgKind::PartnerAgency => "协作单位",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn codes_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.code()), Some(k));
        }
        assert_eq!(OrgKind::parse("bank"), None);
    }
}
