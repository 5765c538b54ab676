//! Roles and permissions. A role is what a person does (民警, 网格员, 调解员 …); a permission is one thing the
//! system lets a caller do. Every handler asks `role.can(Permission::X)`: the table below is the only place
//! that maps roles to permissions, so there are no role-string comparisons anywhere else.
//!
//! The three administrator roles are separated as 等保 2.0 level 3 asks: the system administrator runs the
//! system and the organisation tree, the security administrator manages accounts and grants, the auditor
//! reads and verifies the audit log. None holds the others' permissions.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user does in the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: configuration and the organisation tree.
    Admin,
    /// 安全管理员: accounts, roles, scopes, unlocks.
    SecurityAdmin,
    /// 审计员: reads and verifies the audit log.
    Auditor,
    /// 指挥中心调度员.
    Dispatcher,
    /// 派出所所长.
    StationChief,
    /// 民警.
    Officer,
    /// 辅警.
    Auxiliary,
    /// 网格员.
    GridWorker,
    /// 人民调解员.
    Mediator,
    /// 群防队员.
    Volunteer,
    /// 综治干部.
    Coordinator,
    /// 法制/督察 (legal supervisor).
    LegalSupervisor,
    /// 领导 (read-only overview).
    Leader,
    /// 协作单位 (partner agency).
    Partner,
}

impl Role {
    pub const ALL: [Role; 14] = [
        Role::Admin,
        Role::SecurityAdmin,
        Role::Auditor,
        Role::Dispatcher,
        Role::StationChief,
        Role::Officer,
        Role::Auxiliary,
        Role::GridWorker,
        Role::Mediator,
        Role::Volunteer,
        Role::Coordinator,
        Role::LegalSupervisor,
        Role::Leader,
        Role::Partner,
    ];

    /// Stable code used in the database, the API and configuration.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecurityAdmin => "security_admin",
            Role::Auditor => "auditor",
            Role::Dispatcher => "dispatcher",
            Role::StationChief => "station_chief",
            Role::Officer => "officer",
            Role::Auxiliary => "auxiliary",
            Role::GridWorker => "grid_worker",
            Role::Mediator => "mediator",
            Role::Volunteer => "volunteer",
            Role::Coordinator => "coordinator",
            Role::LegalSupervisor => "legal_supervisor",
            Role::Leader => "leader",
            Role::Partner => "partner",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::Auditor => "审计员",
            Role::Dispatcher => "指挥调度员",
            Role::StationChief => "派出所所长",
            Role::Officer => "民警",
            Role::Auxiliary => "辅警",
            Role::GridWorker => "网格员",
            Role::Mediator => "调解员",
            Role::Volunteer => "群防队员",
            Role::Coordinator => "综治干部",
            Role::LegalSupervisor => "法制督察",
            Role::Leader => "领导",
            Role::Partner => "协作单位",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "System administrator",
            Role::SecurityAdmin => "Security administrator",
            Role::Auditor => "Auditor",
            Role::Dispatcher => "Dispatcher",
            Role::StationChief => "Station chief",
            Role::Officer => "Police officer",
            Role::Auxiliary => "Auxiliary officer",
            Role::GridWorker => "Grid worker",
            Role::Mediator => "Mediator",
            Role::Volunteer => "Volunteer",
            Role::Coordinator => "Coordinator",
            Role::LegalSupervisor => "Legal supervisor",
            Role::Leader => "Leader",
            Role::Partner => "Partner agency",
        }
    }

    /// The three administrator roles (三员): their accounts must use a second factor, and they are never
    /// granted through the application — see [`Role::assignable_online`].
    pub fn is_administrative(self) -> bool {
        matches!(self, Role::Admin | Role::SecurityAdmin | Role::Auditor)
    }

    /// Whether the security administrator may give this role to an account through the API. The three
    /// administrator roles are provisioned only on the server host (`pingan user add`): otherwise the
    /// security administrator could make an auditor account and read the log of their own actions.
    pub fn assignable_online(self) -> bool {
        !self.is_administrative()
    }

    pub fn can(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// The one role → permission table.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                SystemConfigure,
                OrgManage,
                AreaRead,
                AreaManage,
                GridManage,
                OrgRead,
                SharingRead,
                SharingManage,
            ],
            Role::SecurityAdmin => &[
                UserRead,
                UserManage,
                ScopeGrant,
                OrgRead,
                AreaRead,
                SharingRead,
                SharingApprove,
            ],
            Role::Auditor => &[
                AuditRead,
                AuditVerify,
                OrgRead,
                AreaRead,
                UserRead,
                SharingRead,
            ],
            Role::Dispatcher => &[
                PublicAlertRead,
                PublicAlertCompose,
                AreaRead,
                OrgRead,
                IncidentRead,
                IncidentIntake,
                IncidentDispatch,
                UnitRead,
                UnitManage,
                PersonalDataReveal,
                AnalysisRead,
                CameraRead,
                FootageRequest,
                // Dispatchers train too: their own record and the sessions held for them.
                TrainingRead,
            ],
            Role::StationChief => &[
                PublicAlertRead,
                PublicAlertCompose,
                PublicAlertApprove,
                AreaRead,
                OrgRead,
                UserRead,
                IncidentRead,
                IncidentIntake,
                IncidentDispatch,
                UnitRead,
                UnitManage,
                CaseRead,
                CaseManage,
                DisputeRead,
                DisputeManage,
                PatrolRead,
                PatrolManage,
                TeamRead,
                TeamManage,
                GridRead,
                PlaceRead,
                PlaceManage,
                AnalysisRead,
                PersonalDataReveal,
                TaskRead,
                TaskManage,
                RiskRead,
                RiskReport,
                RiskManage,
                PublicityManage,
                PublicityRecord,
                CameraRead,
                FootageRequest,
                FootageApprove,
                TrainingRead,
                TrainingManage,
                KpiRead,
                AssessmentManage,
            ],
            Role::Officer => &[
                PublicAlertRead,
                PublicAlertCompose,
                AreaRead,
                OrgRead,
                IncidentRead,
                IncidentIntake,
                IncidentRespond,
                UnitRead,
                CaseRead,
                CaseManage,
                DisputeRead,
                DisputeManage,
                PatrolRead,
                TeamRead,
                TeamManage,
                GridRead,
                PlaceRead,
                PlaceManage,
                PersonalDataReveal,
                TaskRead,
                RiskRead,
                RiskReport,
                VisitRecord,
                PublicityRecord,
                CameraRead,
                FootageRequest,
                TrainingRead,
            ],
            Role::Auxiliary => &[
                AreaRead,
                OrgRead,
                IncidentRead,
                IncidentRespond,
                UnitRead,
                PatrolRead,
                TeamRead,
                GridRead,
                PlaceRead,
                DisputeRead,
                TaskRead,
                TrainingRead,
            ],
            Role::GridWorker => &[
                PublicAlertRead,
                AreaRead,
                OrgRead,
                IncidentReport,
                GridRead,
                GridWork,
                TeamRead,
                PlaceRead,
                PlaceManage,
                DisputeRead,
                DisputeManage,
                TaskRead,
                RiskRead,
                RiskReport,
                VisitRecord,
                PublicityRecord,
                TrainingRead,
            ],
            Role::Mediator => &[
                PublicAlertRead,
                AreaRead,
                OrgRead,
                DisputeRead,
                DisputeManage,
                PersonalDataReveal,
                TaskRead,
                GridRead,
                PublicityRecord,
                TrainingRead,
            ],
            Role::Volunteer => &[AreaRead, TeamReport, PatrolRead, TrainingRead],
            Role::Coordinator => &[
                PublicAlertRead,
                PublicAlertCompose,
                PublicAlertApprove,
                AreaRead,
                OrgRead,
                UserRead,
                GridRead,
                GridManage,
                GridWork,
                TeamRead,
                TeamManage,
                PlaceRead,
                PlaceManage,
                DisputeRead,
                DisputeManage,
                DisputeSupervise,
                TaskRead,
                TaskManage,
                RiskRead,
                RiskReport,
                RiskManage,
                VisitRecord,
                PublicityManage,
                PublicityRecord,
                AnalysisRead,
                KpiRead,
                AssessmentManage,
                AssessmentDefine,
                TrainingRead,
                TrainingManage,
                PersonalDataReveal,
                IncidentRead,
            ],
            Role::LegalSupervisor => &[
                PublicAlertRead,
                AreaRead,
                OrgRead,
                CaseRead,
                CaseSupervise,
                PersonalDataReveal,
                IncidentRead,
                KpiRead,
                TaskRead,
            ],
            Role::Leader => &[
                PublicAlertRead,
                AreaRead,
                OrgRead,
                IncidentRead,
                UnitRead,
                CaseRead,
                DisputeRead,
                PatrolRead,
                TeamRead,
                GridRead,
                PlaceRead,
                AnalysisRead,
                TaskRead,
                RiskRead,
                CameraRead,
                KpiRead,
                TrainingRead,
            ],
            Role::Partner => &[
                PublicAlertRead,
                AreaRead,
                DisputeRead,
                TaskRead,
                IncidentRead,
                SharingOwn,
            ],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// One thing the platform lets a caller do. Names say the object first, then the verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    SystemConfigure,
    OrgRead,
    OrgManage,
    AreaRead,
    AreaManage,
    UserRead,
    UserManage,
    ScopeGrant,
    AuditRead,
    AuditVerify,
    /// See personal data unmasked (with a stated purpose; every use audited).
    PersonalDataReveal,
    IncidentRead,
    IncidentIntake,
    IncidentReport,
    IncidentDispatch,
    IncidentRespond,
    UnitRead,
    UnitManage,
    CameraRead,
    /// Ask for a camera's footage (调取), linked to an incident or case in reach.
    FootageRequest,
    /// Decide footage requests (the station chief).
    FootageApprove,
    GridRead,
    GridManage,
    GridWork,
    PlaceRead,
    PlaceManage,
    PatrolRead,
    PatrolManage,
    /// See 群防群治 teams, their members, duties, tasks and ledger.
    TeamRead,
    /// Form teams, add members, schedule duties and tasks, confirm work and adjust points.
    TeamManage,
    /// Report an issue as a team member (channel `volunteer`).
    TeamReport,
    DisputeRead,
    DisputeManage,
    DisputeSupervise,
    CaseRead,
    CaseManage,
    CaseSupervise,
    TaskRead,
    TaskManage,
    RiskRead,
    /// Register a risk found, answer a screening campaign's checklist for a grid in scope.
    RiskReport,
    /// Order rectifications, re-inspect, close risks, run screening campaigns.
    RiskManage,
    /// Record a household or place visit (入户走访) in a grid in scope.
    VisitRecord,
    /// Run legal-publicity campaigns (法治宣传): targets per setting.
    PublicityManage,
    /// Record a publicity event held in a grid in scope.
    PublicityRecord,
    /// See public safety alerts (CAP), composed here or received from other agencies.
    PublicAlertRead,
    /// Compose an alert (with its update or cancel) for approval; import one received.
    PublicAlertCompose,
    /// Approve (publish) or reject an alert someone else composed.
    PublicAlertApprove,
    AnalysisRead,
    KpiRead,
    /// 考核: enter and confirm manual items (a second person confirms), settle a period's scores.
    AssessmentManage,
    /// 考核: define a unit type's indicators and weights (a new version of its scheme).
    AssessmentDefine,
    TrainingRead,
    TrainingManage,
    /// 警网融合: see every partner's agreements, delivery status, dead letters and inbound events.
    SharingRead,
    /// Draft agreements, set a partner's endpoint and keys, replay deliveries, revoke.
    SharingManage,
    /// Approve (or revoke) an agreement: the security administrator, never its drafter.
    SharingApprove,
    /// A partner's own page: what it receives, under which agreement, and what it sent in.
    SharingOwn,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn administrators_are_separated() {
        // 三员分立: no admin role holds another admin role's core permission.
        assert!(Role::Admin.can(Permission::SystemConfigure));
        assert!(!Role::Admin.can(Permission::UserManage));
        assert!(!Role::Admin.can(Permission::AuditRead));
        assert!(Role::SecurityAdmin.can(Permission::UserManage));
        assert!(!Role::SecurityAdmin.can(Permission::AuditRead));
        assert!(!Role::SecurityAdmin.can(Permission::SystemConfigure));
        assert!(Role::Auditor.can(Permission::AuditRead));
        assert!(!Role::Auditor.can(Permission::UserManage));
        assert!(!Role::Auditor.can(Permission::SystemConfigure));
    }

    #[test]
    fn leader_is_read_only() {
        for p in Role::Leader.permissions() {
            let name = format!("{p:?}");
            assert!(
                name.ends_with("Read"),
                "leader holds non-read permission {name}"
            );
        }
    }

    #[test]
    fn every_role_can_see_some_area() {
        for r in Role::ALL {
            assert!(r.can(Permission::AreaRead) || r == Role::Auditor, "{r}");
        }
    }
}
