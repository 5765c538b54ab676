//! Every code the platform stores and exchanges (enum values as serialised), in one list: what pages must
//! never show as text — they show the code's name from the locale files instead. `pingan codes` prints it
//! for the page crawl (tests/browser/crawl.test.mjs).

use crate::area::{AreaLevel, AreaType, GridKind, InspectionKind, InspectionResult, PlaceKind};
use crate::audit::AuditOutcome;
use crate::case::CaseKind;
use crate::case_alert::{AlertAction, AlertStatus};
use crate::case_rules::{self, FindingKind};
use crate::org::OrgKind;
use crate::role::Role;
use crate::scope::ScopeKind;
use crate::{dispute, incident, unit};
use serde::Serialize;

/// A unit variant's serialised name (`rename_all = "snake_case"`).
fn serialised<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// (enum, its codes), every enum of the domain that is stored or exchanged as a code.
pub fn all() -> Vec<(&'static str, Vec<String>)> {
    fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|v| code(*v).to_string()).collect()
    }
    let mut permissions: Vec<String> = Role::ALL
        .iter()
        .flat_map(|r| r.permissions().iter())
        .flat_map(|p| [serialised(p), format!("{p:?}")])
        .collect();
    permissions.sort();
    permissions.dedup();
    vec![
        ("Role", codes(&Role::ALL, Role::code)),
        ("Permission", permissions),
        ("OrgKind", codes(&OrgKind::ALL, OrgKind::code)),
        ("AreaLevel", codes(&AreaLevel::ALL, AreaLevel::code)),
        ("AreaType", codes(AreaType::ALL, AreaType::code)),
        ("GridKind", codes(GridKind::ALL, GridKind::code)),
        (
            "assessment::UnitType",
            codes(
                crate::assessment::UnitType::ALL,
                crate::assessment::UnitType::code,
            ),
        ),
        ("PlaceKind", codes(PlaceKind::ALL, PlaceKind::code)),
        (
            "InspectionKind",
            codes(InspectionKind::ALL, InspectionKind::code),
        ),
        (
            "InspectionResult",
            codes(InspectionResult::ALL, InspectionResult::code),
        ),
        (
            "ScopeKind",
            codes(&[ScopeKind::Area, ScopeKind::Org], ScopeKind::code),
        ),
        (
            "AuditOutcome",
            codes(
                &[AuditOutcome::Ok, AuditOutcome::Denied, AuditOutcome::Failed],
                AuditOutcome::code,
            ),
        ),
        (
            "incident::Channel",
            codes(incident::Channel::ALL, incident::Channel::code),
        ),
        (
            "incident::Status",
            codes(incident::Status::ALL, incident::Status::code),
        ),
        (
            "incident::Action",
            codes(incident::Action::ALL, incident::Action::code),
        ),
        (
            "incident::TransferTarget",
            codes(
                incident::TransferTarget::ALL,
                incident::TransferTarget::code,
            ),
        ),
        (
            "incident::Satisfaction",
            codes(incident::Satisfaction::ALL, incident::Satisfaction::code),
        ),
        (
            "incident::Category",
            codes(&incident::Category::ALL, incident::Category::code),
        ),
        (
            "incident::Stage",
            incident::Stage::ALL.iter().map(serialised).collect(),
        ),
        (
            "unit::UnitKind",
            codes(unit::UnitKind::ALL, unit::UnitKind::code),
        ),
        (
            "unit::UnitStatus",
            codes(unit::UnitStatus::ALL, unit::UnitStatus::code),
        ),
        (
            "unit::CameraKind",
            codes(unit::CameraKind::ALL, unit::CameraKind::code),
        ),
        (
            "patrol::PlanStatus",
            codes(
                crate::patrol::PlanStatus::ALL,
                crate::patrol::PlanStatus::code,
            ),
        ),
        (
            "sharing::EventType",
            codes(
                crate::sharing::EventType::ALL,
                crate::sharing::EventType::code,
            ),
        ),
        (
            "sharing::AgreementStatus",
            codes(
                crate::sharing::AgreementStatus::ALL,
                crate::sharing::AgreementStatus::code,
            ),
        ),
        (
            "patrol::CheckInMethod",
            codes(
                crate::patrol::CheckInMethod::ALL,
                crate::patrol::CheckInMethod::code,
            ),
        ),
        (
            "team::TeamKind",
            codes(crate::team::TeamKind::ALL, crate::team::TeamKind::code),
        ),
        (
            "team::MemberRole",
            codes(crate::team::MemberRole::ALL, crate::team::MemberRole::code),
        ),
        (
            "team::TaskKind",
            codes(crate::team::TaskKind::ALL, crate::team::TaskKind::code),
        ),
        (
            "team::TaskStatus",
            codes(crate::team::TaskStatus::ALL, crate::team::TaskStatus::code),
        ),
        (
            "team::LedgerKind",
            codes(crate::team::LedgerKind::ALL, crate::team::LedgerKind::code),
        ),
        (
            "task::Status",
            codes(crate::task::Status::ALL, crate::task::Status::code),
        ),
        (
            "task::Card",
            codes(crate::task::Card::ALL, crate::task::Card::code),
        ),
        (
            "task::CardReason",
            codes(crate::task::CardReason::ALL, crate::task::CardReason::code),
        ),
        (
            "task::EventKind",
            codes(crate::task::EventKind::ALL, crate::task::EventKind::code),
        ),
        (
            "task::ExtensionStatus",
            codes(
                crate::task::ExtensionStatus::ALL,
                crate::task::ExtensionStatus::code,
            ),
        ),
        (
            "task::LinkKind",
            codes(crate::task::LinkKind::ALL, crate::task::LinkKind::code),
        ),
        (
            "risk::Category",
            codes(crate::risk::Category::ALL, crate::risk::Category::code),
        ),
        (
            "risk::RiskLevel",
            codes(crate::risk::RiskLevel::ALL, crate::risk::RiskLevel::code),
        ),
        (
            "risk::RiskStatus",
            codes(crate::risk::RiskStatus::ALL, crate::risk::RiskStatus::code),
        ),
        (
            "risk::RiskSource",
            codes(crate::risk::RiskSource::ALL, crate::risk::RiskSource::code),
        ),
        (
            "risk::RiskEventKind",
            codes(
                crate::risk::RiskEventKind::ALL,
                crate::risk::RiskEventKind::code,
            ),
        ),
        (
            "risk::CheckResult",
            codes(
                crate::risk::CheckResult::ALL,
                crate::risk::CheckResult::code,
            ),
        ),
        (
            "visit::Topic",
            codes(crate::visit::Topic::ALL, crate::visit::Topic::code),
        ),
        (
            "visit::VisitIssueKind",
            codes(
                crate::visit::VisitIssueKind::ALL,
                crate::visit::VisitIssueKind::code,
            ),
        ),
        (
            "training::SessionKind",
            codes(
                crate::training::SessionKind::ALL,
                crate::training::SessionKind::code,
            ),
        ),
        (
            "publicity::Setting",
            codes(
                crate::publicity::Setting::ALL,
                crate::publicity::Setting::code,
            ),
        ),
        (
            "dispute::Source",
            codes(dispute::Source::ALL, dispute::Source::code),
        ),
        (
            "dispute::Tier",
            codes(dispute::Tier::ALL, dispute::Tier::code),
        ),
        (
            "dispute::Status",
            codes(dispute::Status::ALL, dispute::Status::code),
        ),
        (
            "dispute::Action",
            codes(dispute::Action::ALL, dispute::Action::code),
        ),
        (
            "dispute::TransferTo",
            codes(dispute::TransferTo::ALL, dispute::TransferTo::code),
        ),
        (
            "dispute::PartyRole",
            codes(dispute::PartyRole::ALL, dispute::PartyRole::code),
        ),
        (
            "dispute::PartyKind",
            codes(dispute::PartyKind::ALL, dispute::PartyKind::code),
        ),
        (
            "dispute::AgreementForm",
            codes(dispute::AgreementForm::ALL, dispute::AgreementForm::code),
        ),
        (
            "dispute::FollowUpResult",
            codes(dispute::FollowUpResult::ALL, dispute::FollowUpResult::code),
        ),
        (
            "CaseKind",
            codes(
                &[CaseKind::Administrative, CaseKind::Criminal],
                CaseKind::code,
            ),
        ),
        (
            "case::STEPS",
            crate::case::STEPS.iter().map(|s| s.0.to_string()).collect(),
        ),
        ("AlertStatus", codes(&AlertStatus::ALL, AlertStatus::code)),
        (
            "AlertAction",
            codes(
                &[
                    AlertAction::Comment,
                    AlertAction::Explain,
                    AlertAction::Accept,
                    AlertAction::Escalate,
                ],
                AlertAction::code,
            ),
        ),
        (
            "FindingKind",
            codes(
                &[
                    FindingKind::Approaching,
                    FindingKind::Overdue,
                    FindingKind::MissingStep,
                    FindingKind::OutOfOrder,
                ],
                FindingKind::code,
            ),
        ),
        (
            "case_rules::Severity",
            [
                case_rules::Severity::Low,
                case_rules::Severity::Medium,
                case_rules::Severity::High,
            ]
            .iter()
            .map(serialised)
            .collect(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_gives_its_codes() {
        let all = all();
        for (name, codes) in &all {
            assert!(!codes.is_empty(), "{name} has no codes");
            assert!(
                codes.iter().all(|c| !c.is_empty()),
                "{name} has an empty code"
            );
        }
        let flat: Vec<&str> = all
            .iter()
            .flat_map(|(_, c)| c.iter().map(String::as_str))
            .collect();
        for c in [
            "call_110",
            "applicant",
            "community_gate",
            "urban",
            "AreaRead",
            "area_read",
            "missing_step",
        ] {
            assert!(flat.contains(&c), "{c} is listed");
        }
    }
}
