//! The authorization matrix: every API route × every role × an object in the caller's scope and one
//! outside it, with the expected decision taken from one table (`ROUTES` + `Role::permissions`).
//!
//! Each role gets two accounts: *wide* (the whole system in scope) and *narrow* (scoped to a village
//! that holds nothing), authenticated by API tokens. For every route the test expects:
//! - a role without the route's permission: 403 (a narrow account may get 404 for an object route,
//!   with nothing of the object in the body);
//! - a role with it, wide: neither 401, 403 nor 404 (the object exists and is in scope);
//! - a role with it, narrow: 404 for an object route, with nothing of the object in the body; for a
//!   collection, none of the fixture objects' ids in the body;
//! - never a 5xx.
//!
//! Every write sends a valid body (`bodies`), so what answers is the handler's decision, not the
//! request parser: a handler that validated before checking the permission would answer 422 to a
//! role that lacks it, and fail here. Valid bodies succeed for the first role allowed and change
//! state (a later one may get 409); the routes are ordered so that each still finds its object.
//!
//! The table must name exactly the routes the OpenAPI document lists, and `bodies` exactly the ones
//! it documents a JSON body for, so a new route cannot be added without deciding who may call it and
//! how the matrix calls it.

use super::*;
use helpers::*;
use pingan_domain::{Permission as P, Role, ScopeGrant, ScopeKind};
use pingan_store::{sessions, users};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug)]
enum Need {
    /// No authentication (public intake, health, login).
    Public,
    /// A machine caller proving itself with a signature (the camera webhook): 401 without one.
    Signed,
    /// The metrics scraper's own token (`server.metrics_token`): without it the route is not there
    /// (404), whatever account token is presented.
    ScrapeToken,
    /// Any authenticated caller (own session, own notifications, reference vocabularies).
    Authenticated,
    /// A signed-in session, whatever the role: an API token is refused (403), as the matrix's are.
    Session,
    Perm(P),
    /// Any one of these.
    AnyOf(&'static [P]),
    /// Every permission of any one of these groups.
    AnyGroup(&'static [&'static [P]]),
    /// All of these.
    All(&'static [P]),
}

impl Need {
    fn allows(self, role: Role) -> bool {
        match self {
            Need::Public | Need::Signed | Need::Authenticated => true,
            Need::ScrapeToken => false,
            Need::Session => false,
            Need::Perm(p) => role.can(p),
            Need::AnyOf(ps) => ps.iter().any(|&p| role.can(p)),
            Need::AnyGroup(gs) => gs.iter().any(|g| g.iter().all(|&p| role.can(p))),
            Need::All(ps) => ps.iter().all(|&p| role.can(p)),
        }
    }
}

/// The object a route's path names (its scope decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Obj {
    None,
    Area,
    Grid,
    Org,
    User,
    Incident,
    Dispute,
    DisputeParty,
    Case,
    CaseParty,
    CaseAlert,
    CaseSample,
    Place,
    Unit,
    Brief,
    Campaign,
    CampaignGrid,
    PatrolZone,
    PatrolPlan,
    PatrolShift,
    Camera,
    FootageRequest,
    Team,
    /// A team and one of its members (the one who leaves).
    TeamMember,
    TeamDuty,
    TeamTask,
    Meeting,
    /// A meeting and one of its decisions.
    MeetingDecision,
    /// The fixture task: led by the matrix's organisation (so every wide account is a participant),
    /// with an extension request waiting.
    Task,
    /// A demo risk still open (no order yet).
    Risk,
    RiskCampaign,
    /// A grid of the demo risk campaign nobody has answered yet.
    RiskCampaignGrid,
    Visit,
    PublicityCampaign,
    /// The demo alert waiting for approval.
    PublicAlert,
    /// A demo village (scored as a unit).
    AssessmentUnit,
    /// The demo manual item still awaiting its second person.
    AssessmentItem,
    /// The demo course held for 陈家社区 (not an area above the narrow accounts' village).
    TrainingSession,
    /// That course and the demo grid worker who attended it.
    TrainingAttendee,
    /// The demo grid worker, whose training record is read.
    StaffPerson,
    /// The demo mentoring pair.
    Mentorship,
}

struct Route {
    method: &'static str,
    path: &'static str,
    need: Need,
    obj: Obj,
}

const fn r(method: &'static str, path: &'static str, need: Need, obj: Obj) -> Route {
    Route {
        method,
        path,
        need,
        obj,
    }
}

use Need::*;
use Obj::None as Coll;

/// Who reads other people's training records: training managers, and statistics readers who may
/// read training.
const TRAINING_RECORDS: &[&[P]] = &[&[P::TrainingManage], &[P::KpiRead, P::TrainingRead]];

const ROUTES: &[Route] = &[
    // Session and public endpoints.
    r("post", "/api/v1/session", Public, Coll),
    r("delete", "/api/v1/session", Authenticated, Coll),
    r("get", "/api/v1/me", Authenticated, Coll),
    r("get", "/api/v1/tokens", Authenticated, Coll),
    r("post", "/api/v1/tokens", Session, Coll),
    r("delete", "/api/v1/tokens/{id}", Authenticated, Coll),
    r("put", "/api/v1/session/password", Authenticated, Coll),
    r("post", "/api/v1/session/totp", Authenticated, Coll),
    r("put", "/api/v1/session/totp", Authenticated, Coll),
    r("get", "/healthz", Public, Coll),
    r("get", "/readyz", Public, Coll),
    r("get", "/metrics", ScrapeToken, Coll),
    r("get", "/api/v1/public/areas", Public, Coll),
    r("post", "/api/v1/public/reports", Public, Coll),
    r("get", "/api/v1/public/reports/{code}", Public, Coll),
    r("get", "/api/v1/public/search", Public, Coll),
    r("get", "/api/v1/public/labels", Public, Coll),
    r("get", "/api/v1/basemap", Public, Coll),
    r("get", "/basemap/{z}/{x}/{y}", Public, Coll),
    r("get", "/api/v1/geo/search", Authenticated, Coll),
    r("post", "/api/v1/hooks/camera", Signed, Coll),
    // Areas, grids, organisations, accounts.
    r("get", "/api/v1/areas", Perm(P::AreaRead), Coll),
    r("post", "/api/v1/areas", Perm(P::AreaManage), Coll),
    r("get", "/api/v1/areas/{code}", Perm(P::AreaRead), Obj::Area),
    r("get", "/api/v1/grids", Perm(P::AreaRead), Coll),
    r("get", "/api/v1/grids/{code}", Perm(P::AreaRead), Obj::Grid),
    r(
        "get",
        "/api/v1/grids/{code}/card",
        Perm(P::AreaRead),
        Obj::Grid,
    ),
    r(
        "put",
        "/api/v1/grids/{code}/workers",
        Perm(P::GridManage),
        Obj::Grid,
    ),
    r("get", "/api/v1/geo/areas", Perm(P::AreaRead), Coll),
    r("get", "/api/v1/geo/grids", Perm(P::AreaRead), Coll),
    r("get", "/api/v1/orgs", Perm(P::OrgRead), Coll),
    r("post", "/api/v1/orgs", Perm(P::OrgManage), Coll),
    r("get", "/api/v1/orgs/{id}", Perm(P::OrgRead), Obj::Org),
    r("get", "/api/v1/users", Perm(P::UserRead), Coll),
    r("post", "/api/v1/users", Perm(P::UserManage), Coll),
    r("get", "/api/v1/users/{id}", Perm(P::UserRead), Obj::User),
    r(
        "patch",
        "/api/v1/users/{id}",
        Perm(P::UserManage),
        Obj::User,
    ),
    r(
        "post",
        "/api/v1/users/{id}/password",
        Perm(P::UserManage),
        Obj::User,
    ),
    r(
        "delete",
        "/api/v1/users/{id}/totp",
        Perm(P::UserManage),
        Obj::User,
    ),
    r(
        "post",
        "/api/v1/users/{id}/unlock",
        Perm(P::UserManage),
        Obj::User,
    ),
    r("get", "/api/v1/audit", Perm(P::AuditRead), Coll),
    r("get", "/api/v1/audit/verify", Perm(P::AuditVerify), Coll),
    // 指挥调度.
    r("get", "/api/v1/incidents", Perm(P::IncidentRead), Coll),
    // A 110 call needs IncidentIntake; the matrix's body records a patrol finding, which reporters
    // and responders may record too.
    r(
        "post",
        "/api/v1/incidents",
        AnyOf(&[P::IncidentIntake, P::IncidentReport, P::IncidentRespond]),
        Coll,
    ),
    r(
        "get",
        "/api/v1/incidents/{id}",
        Perm(P::IncidentRead),
        Obj::Incident,
    ),
    r(
        "post",
        "/api/v1/incidents/{id}/actions",
        AnyOf(&[P::IncidentDispatch, P::IncidentRespond]),
        Obj::Incident,
    ),
    r(
        "get",
        "/api/v1/incidents/{id}/recommendations",
        Perm(P::IncidentDispatch),
        Obj::Incident,
    ),
    r("get", "/api/v1/incident-types", Authenticated, Coll),
    r(
        "put",
        "/api/v1/incident-types/{code}",
        Perm(P::SystemConfigure),
        Coll,
    ),
    r(
        "get",
        "/api/v1/board",
        Perm(P::IncidentRead), // units appear on it only with UnitRead
        Coll,
    ),
    r("get", "/api/v1/board/stream", Perm(P::IncidentRead), Coll),
    r("get", "/api/v1/units", Perm(P::UnitRead), Coll),
    r("post", "/api/v1/units", Perm(P::UnitManage), Coll),
    // A crew (IncidentRespond) may also set its own unit's status; the matrix's accounts crew none.
    r(
        "put",
        "/api/v1/units/{id}/status",
        Perm(P::UnitManage),
        Obj::Unit,
    ),
    r("post", "/api/v1/units/positions", Perm(P::UnitManage), Coll),
    r("get", "/api/v1/cameras", Perm(P::CameraRead), Coll),
    r("post", "/api/v1/cameras", Perm(P::UnitManage), Coll),
    // 信息研判.
    r(
        "get",
        "/api/v1/analysis/hotspots",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/analysis/repeat-locations",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/analysis/near-repeat",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/analysis/trends",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r("get", "/api/v1/briefs", Perm(P::AnalysisRead), Coll),
    r("post", "/api/v1/briefs", Perm(P::AnalysisRead), Coll),
    r(
        "get",
        "/api/v1/briefs/{id}",
        Perm(P::AnalysisRead),
        Obj::Brief,
    ),
    // 网格化: places.
    r("get", "/api/v1/places", Perm(P::PlaceRead), Coll),
    r("post", "/api/v1/places", Perm(P::PlaceManage), Coll),
    r("get", "/api/v1/places/{id}", Perm(P::PlaceRead), Obj::Place),
    r(
        "get",
        "/api/v1/places/{id}/inspections",
        Perm(P::PlaceRead),
        Obj::Place,
    ),
    r(
        "post",
        "/api/v1/places/{id}/inspections",
        Perm(P::PlaceManage),
        Obj::Place,
    ),
    // 矛盾纠纷化解.
    r("get", "/api/v1/disputes", Perm(P::DisputeRead), Coll),
    r("post", "/api/v1/disputes", Perm(P::DisputeManage), Coll),
    r(
        "post",
        "/api/v1/disputes/grade-suggestion",
        Perm(P::DisputeRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/disputes/{id}",
        Perm(P::DisputeRead),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/parties/{party_id}/reveal",
        All(&[P::DisputeRead, P::PersonalDataReveal]),
        Obj::DisputeParty,
    ),
    // The steps on the one fixture dispute, in an order that lets each succeed for the first role
    // allowed: it is still mediating for extensions, then agreed (follow-ups fall due), then closed.
    r(
        "post",
        "/api/v1/disputes/{id}/orgs",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/sessions",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/extensions",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/extensions/{extension_id}",
        Perm(P::DisputeSupervise),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/agreement",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/followups/{followup_id}",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/actions",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r("get", "/api/v1/disputes-kpi", Perm(P::DisputeRead), Coll),
    r("get", "/api/v1/dispute-types", Authenticated, Coll),
    r(
        "put",
        "/api/v1/dispute-types/{code}",
        Perm(P::SystemConfigure),
        Coll,
    ),
    r("get", "/api/v1/notifications", Authenticated, Coll),
    r("post", "/api/v1/notifications/read", Authenticated, Coll),
    r(
        "post",
        "/api/v1/notifications/{id}/read",
        Authenticated,
        Coll,
    ),
    r(
        "get",
        "/api/v1/screening-campaigns",
        Perm(P::DisputeRead),
        Coll,
    ),
    r(
        "post",
        "/api/v1/screening-campaigns",
        Perm(P::DisputeSupervise),
        Coll,
    ),
    r(
        "get",
        "/api/v1/screening-campaigns/{id}",
        Perm(P::DisputeRead),
        Obj::Campaign,
    ),
    r(
        "post",
        "/api/v1/screening-campaigns/{id}/grids/{grid_code}",
        Perm(P::DisputeManage),
        Obj::CampaignGrid,
    ),
    // 执法监督.
    r("get", "/api/v1/cases", Perm(P::CaseRead), Coll),
    r("post", "/api/v1/cases", Perm(P::CaseManage), Coll),
    r("get", "/api/v1/cases/{id}", Perm(P::CaseRead), Obj::Case),
    r(
        "post",
        "/api/v1/cases/{id}/steps",
        Perm(P::CaseManage),
        Obj::Case,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/parties",
        Perm(P::CaseManage),
        Obj::Case,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/parties/{party_id}/reveal",
        All(&[P::CaseRead, P::PersonalDataReveal]),
        Obj::CaseParty,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/documents",
        Perm(P::CaseManage),
        Obj::Case,
    ),
    r(
        "get",
        "/api/v1/cases/{id}/reviews",
        Perm(P::CaseRead),
        Obj::Case,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/reviews",
        Perm(P::CaseSupervise),
        Obj::Case,
    ),
    r("get", "/api/v1/case-steps", Perm(P::CaseRead), Coll),
    r("get", "/api/v1/case-rules", Perm(P::CaseRead), Coll),
    r("get", "/api/v1/case-alerts", Perm(P::CaseRead), Coll),
    r(
        "get",
        "/api/v1/case-alerts/{id}",
        Perm(P::CaseRead),
        Obj::CaseAlert,
    ),
    r(
        "post",
        "/api/v1/case-alerts/{id}/actions",
        Perm(P::CaseRead),
        Obj::CaseAlert,
    ),
    r(
        "get",
        "/api/v1/case-inspection/replay",
        Perm(P::CaseSupervise),
        Coll,
    ),
    r("post", "/api/v1/case-samples", Perm(P::CaseSupervise), Coll),
    r(
        "get",
        "/api/v1/case-samples/{id}",
        Perm(P::CaseRead),
        Obj::CaseSample,
    ),
    r(
        "post",
        "/api/v1/case-samples/{id}/findings",
        Perm(P::CaseSupervise),
        Obj::CaseSample,
    ),
    r("get", "/api/v1/case-rubrics", Perm(P::CaseRead), Coll),
    r("post", "/api/v1/case-rubrics", Perm(P::CaseSupervise), Coll),
    r("get", "/api/v1/case-stats", Perm(P::CaseRead), Coll),
    r("get", "/api/v1/case-stats/export", Perm(P::CaseRead), Coll),
    // 分片布警: the draft is edited before it is published.
    r("get", "/api/v1/patrol-zones", Perm(P::PatrolRead), Coll),
    r("post", "/api/v1/patrol-zones", Perm(P::PatrolManage), Coll),
    r(
        "post",
        "/api/v1/patrol-zones/import",
        Perm(P::PatrolManage),
        Coll,
    ),
    r(
        "get",
        "/api/v1/patrol-zones/{id}",
        Perm(P::PatrolRead),
        Obj::PatrolZone,
    ),
    r("get", "/api/v1/patrol-plans", Perm(P::PatrolRead), Coll),
    r("post", "/api/v1/patrol-plans", Perm(P::PatrolManage), Coll),
    r(
        "get",
        "/api/v1/patrol-plans/{id}",
        Perm(P::PatrolRead),
        Obj::PatrolPlan,
    ),
    r(
        "put",
        "/api/v1/patrol-plans/{id}/posts",
        Perm(P::PatrolManage),
        Obj::PatrolPlan,
    ),
    r(
        "post",
        "/api/v1/patrol-plans/{id}/publish",
        Perm(P::PatrolManage),
        Obj::PatrolPlan,
    ),
    r(
        "get",
        "/api/v1/patrol-plans/{id}/check-ins",
        Perm(P::PatrolRead),
        Obj::PatrolPlan,
    ),
    // By hand: a responder (or someone rostered on the zone now, which no matrix account is).
    r(
        "post",
        "/api/v1/patrol-plans/{id}/check-ins",
        All(&[P::PatrolRead, P::IncidentRespond]),
        Obj::PatrolPlan,
    ),
    r(
        "get",
        "/api/v1/patrol-plans/{id}/coverage",
        Perm(P::PatrolRead),
        Obj::PatrolPlan,
    ),
    r(
        "get",
        "/api/v1/units/{id}/track",
        Perm(P::PatrolRead),
        Obj::Unit,
    ),
    // 排班: a refused or skipped booking is still an answer the role may have.
    r("get", "/api/v1/patrol-shifts", Perm(P::PatrolRead), Coll),
    r("post", "/api/v1/patrol-shifts", Perm(P::PatrolManage), Coll),
    r(
        "get",
        "/api/v1/patrol-shifts/{id}",
        Perm(P::PatrolRead),
        Obj::PatrolShift,
    ),
    r(
        "post",
        "/api/v1/patrol-shifts/{id}/cancel",
        Perm(P::PatrolManage),
        Obj::PatrolShift,
    ),
    r(
        "post",
        "/api/v1/patrol-shifts/copy-week",
        Perm(P::PatrolManage),
        Coll,
    ), // 雪亮工程: the fixture request was filed by the wide officer; the wide chief decides it first.
    r("get", "/api/v1/camera-sites", Perm(P::CameraRead), Coll),
    r(
        "put",
        "/api/v1/camera-sites/{code}/sector",
        Perm(P::UnitManage),
        Obj::Camera,
    ),
    r(
        "get",
        "/api/v1/camera-sites/witnesses",
        Perm(P::CameraRead),
        Coll,
    ),
    r("post", "/api/v1/hooks/camera-heartbeat", Signed, Coll),
    r("get", "/api/v1/footage-requests", Perm(P::CameraRead), Coll),
    r(
        "post",
        "/api/v1/footage-requests",
        Perm(P::FootageRequest),
        Coll,
    ),
    r(
        "get",
        "/api/v1/footage-requests/{id}",
        Perm(P::CameraRead),
        Obj::FootageRequest,
    ),
    r(
        "post",
        "/api/v1/footage-requests/{id}/approve",
        Perm(P::FootageApprove),
        Obj::FootageRequest,
    ),
    r(
        "post",
        "/api/v1/footage-requests/{id}/refuse",
        Perm(P::FootageApprove),
        Obj::FootageRequest,
    ),
    r(
        "post",
        "/api/v1/footage-requests/{id}/export",
        Perm(P::FootageRequest),
        Obj::FootageRequest,
    ),
    // 群防群治: the fixture team is the demo volunteers; the member who leaves is not the one the
    // bodies put on duties, tasks and the ledger.
    r("get", "/api/v1/teams", Perm(P::TeamRead), Coll),
    r("post", "/api/v1/teams", Perm(P::TeamManage), Coll),
    r("get", "/api/v1/teams/{id}", Perm(P::TeamRead), Obj::Team),
    r(
        "get",
        "/api/v1/teams/{id}/members",
        Perm(P::TeamRead),
        Obj::Team,
    ),
    r(
        "post",
        "/api/v1/teams/{id}/members",
        Perm(P::TeamManage),
        Obj::Team,
    ),
    r(
        "post",
        "/api/v1/teams/{id}/members/{member_id}/leave",
        Perm(P::TeamManage),
        Obj::TeamMember,
    ),
    r(
        "get",
        "/api/v1/teams/{id}/duties",
        Perm(P::TeamRead),
        Obj::Team,
    ),
    r(
        "post",
        "/api/v1/teams/{id}/duties",
        Perm(P::TeamManage),
        Obj::Team,
    ),
    r(
        "get",
        "/api/v1/team-duties/{id}",
        Perm(P::TeamRead),
        Obj::TeamDuty,
    ),
    r(
        "post",
        "/api/v1/team-duties/{id}/attendance",
        Perm(P::TeamManage),
        Obj::TeamDuty,
    ),
    r(
        "post",
        "/api/v1/team-duties/{id}/cancel",
        Perm(P::TeamManage),
        Obj::TeamDuty,
    ),
    r(
        "get",
        "/api/v1/teams/{id}/tasks",
        Perm(P::TeamRead),
        Obj::Team,
    ),
    r(
        "post",
        "/api/v1/teams/{id}/tasks",
        Perm(P::TeamManage),
        Obj::Team,
    ),
    r(
        "get",
        "/api/v1/team-tasks/{id}",
        Perm(P::TeamRead),
        Obj::TeamTask,
    ),
    r(
        "post",
        "/api/v1/team-tasks/{id}/cancel",
        Perm(P::TeamManage),
        Obj::TeamTask,
    ),
    r(
        "post",
        "/api/v1/team-tasks/{id}/done",
        Perm(P::TeamManage),
        Obj::TeamTask,
    ),
    r(
        "get",
        "/api/v1/teams/{id}/ledger",
        Perm(P::TeamRead),
        Obj::Team,
    ),
    r(
        "post",
        "/api/v1/teams/{id}/ledger",
        Perm(P::TeamManage),
        Obj::Team,
    ),
    r("get", "/api/v1/me/team-work", Authenticated, Coll),
    // 联席会议 and 交办/督办: the fixture meeting is the demo's; the fixture task has an extension
    // request waiting, decided by the first supervisor; its later steps meet a changed task (409).
    r("get", "/api/v1/meetings", Perm(P::TaskRead), Coll),
    r("post", "/api/v1/meetings", Perm(P::TaskManage), Coll),
    r(
        "get",
        "/api/v1/meetings/{id}",
        Perm(P::TaskRead),
        Obj::Meeting,
    ),
    r(
        "put",
        "/api/v1/meetings/{id}/minutes",
        Perm(P::TaskManage),
        Obj::Meeting,
    ),
    r(
        "post",
        "/api/v1/meetings/{id}/decisions",
        Perm(P::TaskManage),
        Obj::Meeting,
    ),
    r(
        "post",
        "/api/v1/meetings/{id}/decisions/{decision_id}/tasks",
        Perm(P::TaskManage),
        Obj::MeetingDecision,
    ),
    r(
        "post",
        "/api/v1/meetings/{id}/attachments",
        Perm(P::TaskManage),
        Obj::Meeting,
    ),
    r("get", "/api/v1/tasks", Perm(P::TaskRead), Coll),
    r("post", "/api/v1/tasks", Perm(P::TaskManage), Coll),
    r("get", "/api/v1/tasks/{id}", Perm(P::TaskRead), Obj::Task),
    r(
        "post",
        "/api/v1/tasks/{id}/progress",
        Perm(P::TaskRead),
        Obj::Task,
    ),
    r(
        "post",
        "/api/v1/tasks/{id}/extensions",
        Perm(P::TaskRead),
        Obj::Task,
    ),
    r(
        "post",
        "/api/v1/tasks/{id}/extensions/{ext_id}/approve",
        Perm(P::TaskManage),
        Obj::Task,
    ),
    r(
        "post",
        "/api/v1/tasks/{id}/extensions/{ext_id}/refuse",
        Perm(P::TaskManage),
        Obj::Task,
    ),
    r(
        "post",
        "/api/v1/tasks/{id}/submit",
        Perm(P::TaskRead),
        Obj::Task,
    ),
    r(
        "post",
        "/api/v1/tasks/{id}/accept",
        Perm(P::TaskManage),
        Obj::Task,
    ),
    r(
        "post",
        "/api/v1/tasks/{id}/return",
        Perm(P::TaskManage),
        Obj::Task,
    ),
    r(
        "post",
        "/api/v1/tasks/{id}/cancel",
        Perm(P::TaskManage),
        Obj::Task,
    ),
    r("get", "/api/v1/task-figures", Perm(P::TaskRead), Coll),
    // 风险联排.
    r("get", "/api/v1/risks", Perm(P::RiskRead), Coll),
    r("post", "/api/v1/risks", Perm(P::RiskReport), Coll),
    r("get", "/api/v1/risks/{id}", Perm(P::RiskRead), Obj::Risk),
    r(
        "post",
        "/api/v1/risks/{id}/order",
        Perm(P::RiskManage),
        Obj::Risk,
    ),
    r(
        "post",
        "/api/v1/risks/{id}/reinspection",
        Perm(P::RiskManage),
        Obj::Risk,
    ),
    r(
        "post",
        "/api/v1/risks/{id}/closure",
        Perm(P::RiskManage),
        Obj::Risk,
    ),
    r("get", "/api/v1/risk-campaigns", Perm(P::RiskRead), Coll),
    r("post", "/api/v1/risk-campaigns", Perm(P::RiskManage), Coll),
    r(
        "get",
        "/api/v1/risk-campaigns/{id}",
        Perm(P::RiskRead),
        Obj::RiskCampaign,
    ),
    r(
        "get",
        "/api/v1/risk-campaigns/{id}/grids/{grid_code}",
        Perm(P::RiskRead),
        Obj::RiskCampaignGrid,
    ),
    r(
        "post",
        "/api/v1/risk-campaigns/{id}/grids/{grid_code}/answers",
        Perm(P::RiskReport),
        Obj::RiskCampaignGrid,
    ),
    r(
        "post",
        "/api/v1/risk-campaigns/{id}/grids/{grid_code}/report",
        Perm(P::RiskReport),
        Obj::RiskCampaignGrid,
    ),
    // 入户走访.
    r("get", "/api/v1/visits", Perm(P::GridRead), Coll),
    r("post", "/api/v1/visits", Perm(P::VisitRecord), Coll),
    r("get", "/api/v1/visits/{id}", Perm(P::GridRead), Obj::Visit),
    r("get", "/api/v1/visit-coverage", Perm(P::GridRead), Coll),
    r(
        "get",
        "/api/v1/grids/{code}/households",
        Perm(P::GridRead),
        Obj::Grid,
    ),
    r("post", "/api/v1/households", Perm(P::VisitRecord), Coll),
    // 法治宣传.
    r(
        "get",
        "/api/v1/publicity-campaigns",
        Perm(P::AreaRead),
        Coll,
    ),
    r(
        "post",
        "/api/v1/publicity-campaigns",
        Perm(P::PublicityManage),
        Coll,
    ),
    r(
        "get",
        "/api/v1/publicity-campaigns/{id}",
        Perm(P::AreaRead),
        Obj::PublicityCampaign,
    ),
    r(
        "post",
        "/api/v1/publicity-campaigns/{id}/events",
        Perm(P::PublicityRecord),
        Obj::PublicityCampaign,
    ),
    // 警网融合: agreements and partners are the deployment's, not an area's.
    r(
        "get",
        "/api/v1/sharing/agreements",
        Perm(P::SharingRead),
        Coll,
    ),
    r(
        "post",
        "/api/v1/sharing/agreements",
        Perm(P::SharingManage),
        Coll,
    ),
    r(
        "post",
        "/api/v1/sharing/agreements/{id}/approve",
        Perm(P::SharingApprove),
        Coll,
    ),
    r(
        "post",
        "/api/v1/sharing/agreements/{id}/revoke",
        AnyOf(&[P::SharingManage, P::SharingApprove]),
        Coll,
    ),
    r(
        "get",
        "/api/v1/sharing/partners",
        Perm(P::SharingRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/sharing/partners/{id}",
        Perm(P::SharingRead),
        Coll,
    ),
    r(
        "put",
        "/api/v1/sharing/partners/{id}/endpoint",
        Perm(P::SharingManage),
        Coll,
    ),
    r(
        "post",
        "/api/v1/sharing/partners/{id}/keys",
        Perm(P::SharingManage),
        Coll,
    ),
    r(
        "post",
        "/api/v1/sharing/partners/{id}/replay",
        Perm(P::SharingManage),
        Coll,
    ),
    r("get", "/api/v1/sharing/mine", Perm(P::SharingOwn), Coll),
    r("post", "/api/v1/sharing/inbound/{partner}", Signed, Coll),
    // 队伍建设.
    r(
        "get",
        "/api/v1/training/sessions",
        Perm(P::TrainingRead),
        Coll,
    ),
    r(
        "post",
        "/api/v1/training/sessions",
        Perm(P::TrainingManage),
        Coll,
    ),
    r(
        "get",
        "/api/v1/training/sessions/{id}",
        Perm(P::TrainingRead),
        Obj::TrainingSession,
    ),
    r(
        "put",
        "/api/v1/training/sessions/{id}/attendees/{user_id}",
        Perm(P::TrainingManage),
        Obj::TrainingAttendee,
    ),
    r(
        "post",
        "/api/v1/training/certificates",
        Perm(P::TrainingManage),
        Coll,
    ),
    r(
        "get",
        "/api/v1/training/certificates/expiring",
        AnyGroup(TRAINING_RECORDS),
        Coll,
    ),
    r(
        "get",
        "/api/v1/training/mentorships",
        Perm(P::TrainingRead),
        Coll,
    ),
    r(
        "post",
        "/api/v1/training/mentorships",
        Perm(P::TrainingManage),
        Coll,
    ),
    r(
        "get",
        "/api/v1/training/mentorships/{id}",
        AnyGroup(TRAINING_RECORDS),
        Obj::Mentorship,
    ),
    r(
        "post",
        "/api/v1/training/mentorships/{id}/checkins",
        Perm(P::TrainingManage),
        Obj::Mentorship,
    ),
    r(
        "post",
        "/api/v1/training/mentorships/{id}/closure",
        Perm(P::TrainingManage),
        Obj::Mentorship,
    ),
    r(
        "get",
        "/api/v1/training/people",
        AnyGroup(TRAINING_RECORDS),
        Coll,
    ),
    r(
        "get",
        "/api/v1/training/people/{user_id}",
        AnyGroup(TRAINING_RECORDS),
        Obj::StaffPerson,
    ),
    // 考核.
    r("get", "/api/v1/assessment/schemes", Perm(P::KpiRead), Coll),
    r(
        "post",
        "/api/v1/assessment/schemes",
        Perm(P::AssessmentDefine),
        Coll,
    ),
    r("get", "/api/v1/assessment/ranking", Perm(P::KpiRead), Coll),
    r(
        "get",
        "/api/v1/assessment/units/{unit_type}/{key}",
        Perm(P::KpiRead),
        Obj::AssessmentUnit,
    ),
    r(
        "post",
        "/api/v1/assessment/items",
        Perm(P::AssessmentManage),
        Coll,
    ),
    r(
        "post",
        "/api/v1/assessment/items/{id}/confirmation",
        Perm(P::AssessmentManage),
        Obj::AssessmentItem,
    ),
    r(
        "post",
        "/api/v1/assessment/settlements",
        Perm(P::AssessmentManage),
        Coll,
    ),
    // 指标看板.
    r("get", "/api/v1/kpi/dashboard", Perm(P::KpiRead), Coll),
    r("get", "/api/v1/kpi/records", Perm(P::KpiRead), Coll),
    // 预警信息发布 (CAP 1.2).
    r(
        "get",
        "/api/v1/public-alert-feeds",
        Perm(P::PublicAlertCompose),
        Coll,
    ),
    r(
        "get",
        "/api/v1/public-alerts",
        Perm(P::PublicAlertRead),
        Coll,
    ),
    r(
        "post",
        "/api/v1/public-alerts",
        Perm(P::PublicAlertCompose),
        Coll,
    ),
    r(
        "post",
        "/api/v1/public-alerts/imports",
        Perm(P::PublicAlertCompose),
        Coll,
    ),
    r(
        "get",
        "/api/v1/public-alerts/{id}",
        Perm(P::PublicAlertRead),
        Obj::PublicAlert,
    ),
    r(
        "post",
        "/api/v1/public-alerts/{id}/decision",
        Perm(P::PublicAlertApprove),
        Obj::PublicAlert,
    ),
];

/// Ids of one object of each kind, straight from the database (all in the wide accounts' scope,
/// none in the narrow ones').
async fn fixtures(app: &TestApp) -> BTreeMap<Obj, (String, String)> {
    async fn one(app: &TestApp, sql: &str) -> Option<(String, String)> {
        let rows: Vec<(String, String)> = app.db.fetch_all(sql, vec![]).await.unwrap();
        rows.into_iter().next()
    }
    let queries: &[(Obj, &str)] = &[
        (
            Obj::Area,
            "SELECT code, '' FROM areas WHERE level = 'village' ORDER BY code LIMIT 1",
        ),
        (
            Obj::Grid,
            "SELECT code, '' FROM grids ORDER BY code LIMIT 1",
        ),
        (
            Obj::Org,
            "SELECT id, '' FROM orgs ORDER BY path DESC LIMIT 1",
        ),
        (
            Obj::User,
            "SELECT id, '' FROM users WHERE username = 'officer'",
        ),
        (
            Obj::Incident,
            "SELECT id, '' FROM incidents ORDER BY id LIMIT 1",
        ),
        // Still mediating, so every step on it is possible once.
        (
            Obj::Dispute,
            "SELECT id, '' FROM disputes WHERE status = 'mediating' ORDER BY id LIMIT 1",
        ),
        (
            Obj::DisputeParty,
            "SELECT dispute_id, id FROM dispute_parties ORDER BY id LIMIT 1",
        ),
        (Obj::Case, "SELECT id, '' FROM cases ORDER BY id LIMIT 1"),
        (
            Obj::CaseParty,
            "SELECT case_id, id FROM case_parties ORDER BY id LIMIT 1",
        ),
        (
            Obj::CaseAlert,
            "SELECT id, '' FROM case_alerts ORDER BY id LIMIT 1",
        ),
        (
            Obj::CaseSample,
            "SELECT id, '' FROM case_samples ORDER BY id LIMIT 1",
        ),
        (Obj::Place, "SELECT id, '' FROM places ORDER BY id LIMIT 1"),
        (Obj::Unit, "SELECT id, '' FROM units ORDER BY id LIMIT 1"),
        (Obj::Brief, "SELECT id, '' FROM briefs ORDER BY id LIMIT 1"),
        (
            Obj::Campaign,
            "SELECT id, '' FROM screening_campaigns ORDER BY id LIMIT 1",
        ),
        (
            Obj::CampaignGrid,
            "SELECT campaign_id, grid_code FROM campaign_grids ORDER BY campaign_id LIMIT 1",
        ),
        (
            Obj::PatrolZone,
            "SELECT id, '' FROM patrol_zones ORDER BY id LIMIT 1",
        ),
        (
            Obj::PatrolPlan,
            "SELECT id, '' FROM patrol_plans ORDER BY id LIMIT 1",
        ),
        (
            Obj::PatrolShift,
            "SELECT id, '' FROM patrol_shifts ORDER BY id LIMIT 1",
        ),
        (
            Obj::Camera,
            "SELECT code, '' FROM cameras ORDER BY code LIMIT 1",
        ),
        (
            Obj::FootageRequest,
            "SELECT id, '' FROM footage_requests ORDER BY id LIMIT 1",
        ),
        (
            Obj::Team,
            "SELECT id, '' FROM teams WHERE kind = 'peace_volunteers' ORDER BY id LIMIT 1",
        ),
        (
            Obj::TeamMember,
            "SELECT m.team_id, m.id FROM team_members m JOIN teams t ON t.id = m.team_id \
             WHERE t.kind = 'peace_volunteers' AND m.name = '周大姐'",
        ),
        (
            Obj::TeamDuty,
            "SELECT id, '' FROM team_duties WHERE confirmed_at IS NULL ORDER BY starts_at LIMIT 1",
        ),
        (
            Obj::TeamTask,
            "SELECT id, '' FROM team_tasks WHERE status = 'open' ORDER BY due_at LIMIT 1",
        ),
        (
            Obj::Meeting,
            "SELECT id, '' FROM meetings ORDER BY id LIMIT 1",
        ),
        (
            Obj::MeetingDecision,
            "SELECT meeting_id, id FROM meeting_decisions ORDER BY id LIMIT 1",
        ),
        (
            Obj::Task,
            "SELECT id, '' FROM tasks WHERE title = '矩阵固定督办事项'",
        ),
        (
            Obj::Risk,
            "SELECT id, '' FROM risks WHERE status = 'open' ORDER BY id LIMIT 1",
        ),
        (
            Obj::RiskCampaign,
            "SELECT id, '' FROM risk_campaigns ORDER BY id LIMIT 1",
        ),
        (
            Obj::RiskCampaignGrid,
            "SELECT g.campaign_id, g.grid_code FROM risk_campaign_grids g WHERE NOT EXISTS \
             (SELECT 1 FROM risk_campaign_checks k WHERE k.campaign_id = g.campaign_id AND k.grid_code = g.grid_code) \
             ORDER BY g.grid_code LIMIT 1",
        ),
        (Obj::Visit, "SELECT id, '' FROM visits ORDER BY id LIMIT 1"),
        (
            Obj::PublicityCampaign,
            "SELECT id, '' FROM publicity_campaigns ORDER BY id LIMIT 1",
        ),
        (
            Obj::PublicAlert,
            "SELECT id, '' FROM public_alerts WHERE state = 'pending' ORDER BY id LIMIT 1",
        ),
        (
            Obj::AssessmentUnit,
            "SELECT code, 'village' FROM areas WHERE level = 'village' AND path LIKE '/330681/330681109/%' \
             ORDER BY code LIMIT 1",
        ),
        (
            Obj::AssessmentItem,
            "SELECT id, '' FROM assessment_items WHERE confirmed_at IS NULL ORDER BY id LIMIT 1",
        ),
        (
            Obj::TrainingSession,
            "SELECT id, '' FROM training_sessions WHERE area_path = '/330681/330681109/330681109004/' \
             ORDER BY id LIMIT 1",
        ),
        (
            Obj::TrainingAttendee,
            "SELECT s.id, u.id FROM training_sessions s JOIN users u ON u.username = 'gridworker' \
             WHERE s.area_path = '/330681/330681109/330681109004/' ORDER BY s.id LIMIT 1",
        ),
        (
            Obj::StaffPerson,
            "SELECT id, '' FROM users WHERE username = 'gridworker'",
        ),
        (
            Obj::Mentorship,
            "SELECT id, '' FROM mentorships WHERE status = 'active' ORDER BY id LIMIT 1",
        ),
    ];
    let mut out = BTreeMap::new();
    for (obj, sql) in queries {
        let f = one(app, sql)
            .await
            .unwrap_or_else(|| panic!("the matrix needs a {obj:?} in the test database ({sql})"));
        out.insert(*obj, f);
    }
    out
}

type Fixtures = BTreeMap<Obj, (String, String)>;
/// A route by method and path.
type Key = (&'static str, &'static str);

/// What the request bodies and URLs need besides the route's own object.
struct Known {
    /// A point inside a demo grid of 陈家社区: in the wide accounts' scope, outside the narrow ones'.
    lng: f64,
    lat: f64,
    /// The organisation of the matrix's accounts.
    org: String,
    /// 枫桥派出所, the demo officer's station.
    station: String,
    /// The demo grid worker, assigned to the fixture grid.
    grid_worker: String,
    /// The demo village mediator (mentored by the grid worker in the matrix's pair).
    village_mediator: String,
    /// A type each (code, name_zh, name_en): put back as it is.
    incident_type: (String, String, String),
    dispute_type: (String, String, String),
    /// The fixture unit's status, when a unit's status may be set to it (else busy, always allowed).
    unit_status: String,
    rubric: String,
    /// A case in the fixture sample.
    sample_case: String,
    /// The fixture patrol zone and its plan's `updated_at` (the draft as made).
    patrol_zone: String,
    patrol_plan_updated_at: i64,
    /// An extension of the fixture dispute, requested by the wide mediator (a supervisor decides).
    extension: String,
    /// A follow-up visit of the fixture dispute, due once its agreement is recorded (looked up when
    /// the route comes; until then none).
    followup: Option<String>,
    leader_password: String,
    yesterday: String,
    /// The demo partner organisation (its endpoint set) and a pending agreement with it.
    partner: String,
    agreement: String,
    /// A camera and an incident, for a footage request.
    camera: String,
    incident: String,
    /// A member of the fixture team who stays on it.
    team_member: String,
    /// The fixture task as made, its waiting extension request, and its lead (a matrix account).
    task_updated_at: i64,
    task_extension: String,
    task_lead: String,
    meeting_updated_at: i64,
    /// The fixture risk as read, and a grid to register risks in.
    risk_updated_at: i64,
    grid: String,
    /// Days 200 and 300 from today: a new task's deadline, a later one.
    soon: String,
    later: String,
}

async fn known(app: &TestApp, f: &Fixtures, org: &str, (lng, lat): (f64, f64)) -> Known {
    async fn one<T: pingan_store::db::Record>(
        app: &TestApp,
        sql: &str,
        args: Vec<pingan_store::Value>,
    ) -> T {
        app.db
            .fetch_one(sql, args)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
    let (station,): (String,) = one(
        app,
        "SELECT org_id FROM users WHERE username = 'officer'",
        vec![],
    )
    .await;
    let (grid_worker,): (String,) = one(
        app,
        "SELECT id FROM users WHERE username = 'gridworker'",
        vec![],
    )
    .await;
    let (village_mediator,): (String,) = one(
        app,
        "SELECT id FROM users WHERE username = 'villagemediator'",
        vec![],
    )
    .await;
    let incident_type: (String, String, String) = one(
        app,
        "SELECT code, name_zh, name_en FROM incident_types WHERE active ORDER BY code LIMIT 1",
        vec![],
    )
    .await;
    let dispute_type: (String, String, String) = one(
        app,
        "SELECT code, name_zh, name_en FROM dispute_types WHERE active ORDER BY code LIMIT 1",
        vec![],
    )
    .await;
    let (unit_status,): (String,) = one(
        app,
        "SELECT status FROM units WHERE id = ?",
        pingan_store::args![f[&Obj::Unit].0.as_str()],
    )
    .await;
    let unit_status =
        if ["available", "patrol_available", "busy", "off_duty"].contains(&unit_status.as_str()) {
            unit_status
        } else {
            "busy".into()
        };
    let (rubric,): (String,) = one(
        app,
        "SELECT id FROM case_rubrics ORDER BY id LIMIT 1",
        vec![],
    )
    .await;
    let (sample_case,): (String,) = one(
        app,
        "SELECT case_id FROM case_sample_items WHERE sample_id = ? ORDER BY case_id LIMIT 1",
        pingan_store::args![f[&Obj::CaseSample].0.as_str()],
    )
    .await;
    let (patrol_zone, patrol_plan_updated_at): (String, i64) = one(
        app,
        "SELECT zone_id, updated_at FROM patrol_plans WHERE id = ?",
        pingan_store::args![f[&Obj::PatrolPlan].0.as_str()],
    )
    .await;
    let (extension,): (String,) = one(
        app,
        "SELECT id FROM dispute_extensions WHERE dispute_id = ? AND approved IS NULL ORDER BY id LIMIT 1",
        pingan_store::args![f[&Obj::Dispute].0.as_str()],
    )
    .await;
    let (team_member,): (String,) = one(
        app,
        "SELECT id FROM team_members WHERE team_id = ? AND name = '陈阿姨'",
        pingan_store::args![f[&Obj::Team].0.as_str()],
    )
    .await;
    let (task_updated_at, task_lead): (i64, String) = one(
        app,
        "SELECT updated_at, lead_user_id FROM tasks WHERE id = ?",
        pingan_store::args![f[&Obj::Task].0.as_str()],
    )
    .await;
    let (task_extension,): (String,) = one(
        app,
        "SELECT id FROM task_extensions WHERE task_id = ? AND status = 'pending'",
        pingan_store::args![f[&Obj::Task].0.as_str()],
    )
    .await;
    let (meeting_updated_at,): (i64,) = one(
        app,
        "SELECT updated_at FROM meetings WHERE id = ?",
        pingan_store::args![f[&Obj::Meeting].0.as_str()],
    )
    .await;
    let (risk_updated_at,): (i64,) = one(
        app,
        "SELECT updated_at FROM risks WHERE id = ?",
        pingan_store::args![f[&Obj::Risk].0.as_str()],
    )
    .await;
    let (partner,): (String,) = one(
        app,
        "SELECT id FROM orgs WHERE kind = 'partner_agency' ORDER BY id LIMIT 1",
        pingan_store::args![],
    )
    .await;
    let admin = app.client_as("admin").await;
    let r = admin
        .put(format!(
            "{}/api/v1/sharing/partners/{partner}/endpoint",
            app.url
        ))
        .json(&serde_json::json!({"transport": "webhook", "url": "http://127.0.0.1:9/matrix"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "matrix partner endpoint");
    let (s, a) = post(
        app,
        &admin,
        "/api/v1/sharing/agreements",
        serde_json::json!({"partner_org_id": partner, "fields": {"incident.received": ["number"]},
            "area_paths": ["/330681/"], "purpose": "矩阵", "valid_from": "2026-01-01",
            "valid_to": "2099-12-31"}),
    )
    .await;
    assert_eq!(s, 201, "matrix agreement: {a}");
    let agreement = a["id"].as_str().unwrap().to_string();
    let day = |n: i64| {
        jiff::Zoned::now()
            .date()
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    Known {
        partner,
        agreement,
        soon: day(200),
        later: day(300),
        task_updated_at,
        task_extension,
        task_lead,
        meeting_updated_at,
        risk_updated_at,
        grid: f[&Obj::Grid].0.clone(),
        team_member,
        lng,
        lat,
        org: org.to_string(),
        station,
        grid_worker,
        village_mediator,
        incident_type,
        dispute_type,
        unit_status,
        rubric,
        sample_case,
        patrol_zone,
        patrol_plan_updated_at,
        extension,
        followup: None,
        leader_password: app.password("leader"),
        yesterday: jiff::Zoned::now().date().yesterday().unwrap().to_string(),
        camera: f[&Obj::Camera].0.clone(),
        incident: f[&Obj::Incident].0.clone(),
    }
}

/// A follow-up visit of the dispute still to be recorded.
async fn due_followup(app: &TestApp, dispute: &str) -> Option<String> {
    let rows: Vec<(String,)> = app
        .db
        .fetch_all(
            "SELECT id FROM dispute_followups WHERE dispute_id = ? AND done_at IS NULL ORDER BY due_at, id LIMIT 1",
            pingan_store::args![dispute],
        )
        .await
        .unwrap();
    rows.into_iter().next().map(|(id,)| id)
}

/// One valid body per route that takes JSON: it passes parsing and the handler's field checks, so a
/// refusal can only be the decision. Roles allowed succeed with it (or meet a state they cannot
/// change, 409); the bodies never touch the matrix's own accounts.
fn bodies(k: &Known) -> BTreeMap<Key, serde_json::Value> {
    use serde_json::json;
    let (lng, lat) = (k.lng, k.lat);
    let (it_code, it_zh, it_en) = &k.incident_type;
    let (dt_code, dt_zh, dt_en) = &k.dispute_type;
    let sm3 = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
    [
        // Session and public endpoints. The demo leader signs in; the own-account changes are well
        // formed but fail on the check after parsing (the matrix's accounts have no password and no
        // enrolled authenticator), so the accounts stay as they are.
        (
            ("post", "/api/v1/session"),
            json!({"username": "leader", "password": k.leader_password}),
        ),
        (("post", "/api/v1/tokens"), json!({"name": "matrix-minted"})),
        (
            ("put", "/api/v1/session/password"),
            json!({"current_password": "Not-The-Password-1", "new_password": "Matrix-Changed-2026"}),
        ),
        (("put", "/api/v1/session/totp"), json!({"code": "000000"})),
        (
            ("post", "/api/v1/public/reports"),
            json!({"description": "矩阵：路灯坏了", "address": "陈家社区路口", "lng": lng, "lat": lat}),
        ),
        (
            ("post", "/api/v1/hooks/camera"),
            json!({"camera_id": "matrix-cam", "event_type": "fight", "occurred_at": "2026-11-01T08:00:00+08:00"}),
        ),
        // Areas, grids, organisations, accounts.
        (
            ("post", "/api/v1/areas"),
            json!({"code": "330681109998", "parent_code": "330681109", "name": "矩阵新村"}),
        ),
        (
            ("put", "/api/v1/grids/{code}/workers"),
            json!({"lead": k.grid_worker, "members": []}),
        ),
        (
            ("post", "/api/v1/orgs"),
            json!({"parent_id": k.org, "name": "矩阵警务室", "kind": "community_police_post", "area_code": "330681109004"}),
        ),
        (
            ("post", "/api/v1/users"),
            json!({"username": "matrixnew", "display_name": "矩阵新用户", "role": "officer", "org_id": k.station,
                "password": "Pingan-Matrix-2026", "scope": [{"kind": "area", "path": "/330681/330681109/"}]}),
        ),
        // On the demo officer: re-enabling leaves it as it is.
        (("patch", "/api/v1/users/{id}"), json!({"disabled": false})),
        (
            ("post", "/api/v1/users/{id}/password"),
            json!({"password": "Pingan-Reset-2026"}),
        ),
        // 指挥调度.
        (
            ("post", "/api/v1/incidents"),
            json!({"channel": "patrol", "type_code": it_code, "description": "矩阵：巡逻发现有人打架",
                "address": "陈家社区东门", "lng": lng, "lat": lat}),
        ),
        // A responder's step: it needs no unit to parse, and a dispatcher may take it too.
        (
            ("post", "/api/v1/incidents/{id}/actions"),
            json!({"action": "acknowledge"}),
        ),
        (
            ("put", "/api/v1/incident-types/{code}"),
            json!({"code": it_code, "name_zh": it_zh, "name_en": it_en, "active": true}),
        ),
        (
            ("post", "/api/v1/units"),
            json!({"call_sign": "矩阵1号车", "name": "矩阵巡逻车", "kind": "patrol_car", "org_id": k.station}),
        ),
        (
            ("put", "/api/v1/units/{id}/status"),
            json!({"status": k.unit_status}),
        ),
        (
            ("post", "/api/v1/units/positions"),
            json!({"pings": [{"device_id": "matrix-gps", "at": "2026-11-01T08:00:00+08:00", "lng": lng, "lat": lat}]}),
        ),
        (
            ("post", "/api/v1/cameras"),
            json!({"code": "matrix-cam", "name": "矩阵摄像头", "kind": "road", "lng": lng, "lat": lat}),
        ),
        // 信息研判.
        (
            ("post", "/api/v1/briefs"),
            json!({"subject_kind": "district", "subject_id": "330681", "period_kind": "daily", "date": k.yesterday}),
        ),
        // 网格化.
        (
            ("post", "/api/v1/places"),
            json!({"name": "矩阵便利店", "kind": "shop", "address": "陈家社区 5 号", "lng": lng, "lat": lat}),
        ),
        (
            ("post", "/api/v1/places/{id}/inspections"),
            json!({"kind": "security", "findings": "矩阵检查：无异常", "result": "pass"}),
        ),
        // 矛盾纠纷化解.
        (
            ("post", "/api/v1/disputes"),
            json!({"type_code": dt_code, "title": "矩阵邻里纠纷", "description": "楼上漏水，协商未果",
                "address": "陈家社区 7 号", "lng": lng, "lat": lat}),
        ),
        (
            ("post", "/api/v1/disputes/grade-suggestion"),
            json!({"people_involved": 3}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/parties/{party_id}/reveal"),
            json!({"purpose": "矩阵：核实当事人身份"}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/orgs"),
            json!({"org_name": "枫桥司法所", "org_kind": "justice_office"}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/sessions"),
            json!({"place": "陈家社区调解室", "attendees": "双方当事人", "notes": "矩阵：第一次调解"}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/extensions"),
            json!({"days": 7, "reason": "矩阵：当事人外出务工"}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/extensions/{extension_id}"),
            json!({"approve": true, "note": "矩阵：同意"}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/agreement"),
            json!({"facts": "楼上漏水", "issues": "维修费用", "responsibilities": "楼上承担维修",
                "terms": [{"content": "楼上修复水管", "performer": "楼上住户", "due_date": "2099-12-31"}],
                "mediator": "孙调解", "committee": "枫桥镇人民调解委员会"}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/followups/{followup_id}"),
            json!({"result": "performed", "note": "矩阵：已履行"}),
        ),
        (
            ("post", "/api/v1/disputes/{id}/actions"),
            json!({"action": "close", "note": "矩阵：协议已履行"}),
        ),
        (
            ("put", "/api/v1/dispute-types/{code}"),
            json!({"code": dt_code, "name_zh": dt_zh, "name_en": dt_en, "active": true}),
        ),
        (
            ("post", "/api/v1/screening-campaigns"),
            json!({"name": "矩阵排查二", "area_path": "/330681/330681109/", "starts_on": k.yesterday, "ends_on": k.yesterday}),
        ),
        (
            ("post", "/api/v1/screening-campaigns/{id}/grids/{grid_code}"),
            json!({"note": "矩阵：已排查"}),
        ),
        // 执法监督.
        (
            ("post", "/api/v1/cases"),
            json!({"kind": "administrative", "title": "矩阵治安案", "summary": "矩阵：夜间噪声扰民",
                "station_org_id": k.station, "officers": ["officer"]}),
        ),
        (("post", "/api/v1/cases/{id}/steps"), json!({"step": "receipt"})),
        (
            ("post", "/api/v1/cases/{id}/parties"),
            json!({"role": "witness", "name": "矩阵证人"}),
        ),
        (
            ("post", "/api/v1/cases/{id}/parties/{party_id}/reveal"),
            json!({"purpose": "矩阵：核实当事人身份"}),
        ),
        (
            ("post", "/api/v1/cases/{id}/documents"),
            json!({"name": "矩阵询问笔录.pdf", "kind": "询问笔录", "size_bytes": 1024, "sm3": sm3}),
        ),
        (
            ("post", "/api/v1/cases/{id}/reviews"),
            json!({"rubric_id": k.rubric, "deductions": []}),
        ),
        (
            ("post", "/api/v1/case-alerts/{id}/actions"),
            json!({"action": "comment", "note": "矩阵批注"}),
        ),
        (
            ("post", "/api/v1/case-samples"),
            json!({"per_stratum": 1, "status": "all"}),
        ),
        (
            ("post", "/api/v1/case-samples/{id}/findings"),
            json!({"case_id": k.sample_case, "finding": "矩阵：卷宗齐全"}),
        ),
        (("post", "/api/v1/case-rubrics"), rubric("矩阵评查二")),
        // 分片布警: a zone 200 m square at the fixture point, a plan of its neighbour, one post.
        (
            ("post", "/api/v1/patrol-zones"),
            json!({"station_org_id": k.station, "name": "矩阵巡区二", "geometry": square(lng, lat, 0.001)}),
        ),
        (
            ("post", "/api/v1/patrol-zones/import"),
            json!({"station_org_id": k.station, "dry_run": true, "layer": {"type": "FeatureCollection",
                   "features": [{"type": "Feature", "properties": {"name": "矩阵导入巡区"}, "geometry": square(lng, lat, 0.0005)}]}}),
        ),
        (
            ("post", "/api/v1/patrol-plans"),
            json!({"zone_id": k.patrol_zone, "k": 1, "radius_m": 200.0, "valid_from": k.yesterday, "valid_to": k.yesterday}),
        ),
        (
            ("put", "/api/v1/patrol-plans/{id}/posts"),
            json!({"posts": [{"lng": lng, "lat": lat, "window": {"start_hour": 20, "hours": 3}}], "updated_at": k.patrol_plan_updated_at}),
        ),
        (
            ("post", "/api/v1/patrol-shifts"),
            json!({"zone_id": k.patrol_zone, "mode": "foot", "starts_at": "2031-03-03T08:00:00+08:00",
                   "ends_at": "2031-03-03T16:00:00+08:00", "crew": [{"user_id": k.grid_worker, "seconded": true}]}),
        ),
        (
            ("post", "/api/v1/patrol-plans/{id}/check-ins"),
            json!({"post": 1, "lng": lng, "lat": lat}),
        ),
        (
            ("post", "/api/v1/patrol-shifts/copy-week"),
            json!({"station_org_id": k.station, "week_of": "2031-02-24"}),
        ),
        (
            ("put", "/api/v1/camera-sites/{code}/sector"),
            json!({"owner": "community", "sector": {"direction_deg": 90.0, "fov_deg": 60.0, "range_m": 80.0}}),
        ),
        (
            ("post", "/api/v1/hooks/camera-heartbeat"),
            json!({"heartbeats": [{"camera_id": "matrix-cam", "online": true, "at": "2026-11-01T08:00:00+08:00"}]}),
        ),
        (
            ("post", "/api/v1/footage-requests"),
            json!({"camera_code": k.camera, "incident_id": k.incident, "purpose": "矩阵：查看打架经过",
                   "from": "2026-11-01T08:00:00+08:00", "to": "2026-11-01T09:00:00+08:00"}),
        ),
        (
            ("post", "/api/v1/footage-requests/{id}/approve"),
            json!({"note": "同意调取"}),
        ),
        (
            ("post", "/api/v1/footage-requests/{id}/refuse"),
            json!({"note": "理由不充分"}),
        ),
        (
            ("post", "/api/v1/footage-requests/{id}/export"),
            json!({"export_ref": "矩阵-导出-001"}),
        ),
        (
            ("post", "/api/v1/teams"),
            json!({"name": "矩阵护校队", "kind": "peace_volunteers", "org_id": k.org}),
        ),
        (("post", "/api/v1/teams/{id}/members"), json!({"name": "矩阵队员"})),
        (
            ("post", "/api/v1/teams/{id}/duties"),
            json!({"place": "矩阵路口", "starts_at": "2031-03-03T19:00:00+08:00",
                   "ends_at": "2031-03-03T21:00:00+08:00", "member_ids": [k.team_member]}),
        ),
        (
            ("post", "/api/v1/team-duties/{id}/attendance"),
            json!({"present": []}),
        ),
        (
            ("post", "/api/v1/teams/{id}/tasks"),
            json!({"kind": "publicity", "title": "矩阵宣传", "due_at": "2031-03-03T18:00:00+08:00",
                   "member_ids": [k.team_member]}),
        ),
        (
            ("post", "/api/v1/team-tasks/{id}/done"),
            json!({"work_minutes": 60}),
        ),
        (
            ("post", "/api/v1/teams/{id}/ledger"),
            json!({"member_id": k.team_member, "points": 1, "note": "矩阵奖励"}),
        ),
        (
            ("post", "/api/v1/meetings"),
            json!({"title": "矩阵联席会议", "org_id": k.org, "held_at": "2026-11-01T09:00:00+08:00"}),
        ),
        (
            ("put", "/api/v1/meetings/{id}/minutes"),
            json!({"minutes": "矩阵纪要", "updated_at": k.meeting_updated_at}),
        ),
        (
            ("post", "/api/v1/meetings/{id}/decisions"),
            json!({"text": "矩阵决议"}),
        ),
        (
            ("post", "/api/v1/meetings/{id}/decisions/{decision_id}/tasks"),
            json!({"title": "矩阵决议任务", "lead_org_id": k.org, "lead_user_id": k.task_lead, "due_on": k.soon}),
        ),
        (
            ("post", "/api/v1/meetings/{id}/attachments"),
            json!({"name": "矩阵附件", "sm3": sm3, "reference": "矩阵-001"}),
        ),
        (
            ("post", "/api/v1/tasks"),
            json!({"title": "矩阵督办", "lead_org_id": k.org, "lead_user_id": k.task_lead, "due_on": k.soon}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/progress"),
            json!({"note": "矩阵进展", "percent": 50, "updated_at": k.task_updated_at}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/extensions"),
            json!({"due_on": k.later, "reason": "矩阵延期", "updated_at": k.task_updated_at}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/extensions/{ext_id}/approve"),
            json!({}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/extensions/{ext_id}/refuse"),
            json!({"note": "矩阵不予延期"}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/submit"),
            json!({"note": "矩阵完成", "updated_at": k.task_updated_at}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/accept"),
            json!({"updated_at": k.task_updated_at}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/return"),
            json!({"note": "矩阵退回", "updated_at": k.task_updated_at}),
        ),
        (
            ("post", "/api/v1/tasks/{id}/cancel"),
            json!({"note": "矩阵撤销", "updated_at": k.task_updated_at}),
        ),
        (
            ("post", "/api/v1/risks"),
            json!({"title": "矩阵风险", "category": "fire", "level": "low", "grid_code": k.grid}),
        ),
        (
            ("post", "/api/v1/risks/{id}/order"),
            json!({"requirement": "矩阵整改", "lead_org_id": k.org, "lead_user_id": k.task_lead,
                   "due_on": k.soon, "updated_at": k.risk_updated_at}),
        ),
        (
            ("post", "/api/v1/risks/{id}/reinspection"),
            json!({"passed": true, "updated_at": k.risk_updated_at}),
        ),
        (
            ("post", "/api/v1/risks/{id}/closure"),
            json!({"note": "矩阵销号", "updated_at": k.risk_updated_at}),
        ),
        (
            ("post", "/api/v1/risk-campaigns"),
            json!({"name": "矩阵联排", "area_path": "/330681/", "starts_on": "2026-11-01",
                   "ends_on": "2026-11-30", "checklist": [{"text": "矩阵检查项", "category": "fire"}]}),
        ),
        (
            ("post", "/api/v1/risk-campaigns/{id}/grids/{grid_code}/answers"),
            json!({"seq": 1, "result": "fine"}),
        ),
        (
            ("post", "/api/v1/risk-campaigns/{id}/grids/{grid_code}/report"),
            json!({}),
        ),
        (
            ("post", "/api/v1/visits"),
            json!({"grid_code": k.grid, "household_address": "矩阵门牌1号", "topics": ["anti_fraud"]}),
        ),
        (
            ("post", "/api/v1/sharing/agreements"),
            json!({"partner_org_id": k.partner, "fields": {"incident.received": ["number"]},
                   "area_paths": ["/330681/"], "purpose": "矩阵", "valid_from": "2026-01-01",
                   "valid_to": "2099-12-31"}),
        ),
        (
            ("post", "/api/v1/sharing/agreements/{id}/revoke"),
            json!({"reason": "矩阵"}),
        ),
        (
            ("put", "/api/v1/sharing/partners/{id}/endpoint"),
            json!({"transport": "webhook", "url": "http://127.0.0.1:9/matrix"}),
        ),
        (
            ("post", "/api/v1/sharing/partners/{id}/replay"),
            json!({"after_position": 0}),
        ),
        (
            ("post", "/api/v1/publicity-campaigns"),
            json!({"name": "矩阵宣传", "area_path": "/330681/", "starts_on": "2026-11-01",
                   "ends_on": "2026-11-30", "targets": [{"setting": "school", "events": 1}]}),
        ),
        (
            ("post", "/api/v1/training/sessions"),
            json!({"kind": "drill", "title": "矩阵演练", "trainer": "矩阵", "hours": 2,
                   "starts_at": "2026-11-01T09:00:00+08:00", "area_path": "/330681/"}),
        ),
        (
            ("put", "/api/v1/training/sessions/{id}/attendees/{user_id}"),
            json!({"hours": 2}),
        ),
        (
            ("post", "/api/v1/training/certificates"),
            json!({"user_id": k.grid_worker, "name": "矩阵证书", "issuer": "矩阵",
                   "issued_on": "2026-01-01", "expires_on": "2029-01-01"}),
        ),
        (
            ("post", "/api/v1/training/mentorships"),
            json!({"mentor_id": k.grid_worker, "mentee_id": k.village_mediator,
                   "started_on": "2026-11-01", "ends_on": "2027-11-01", "goals": ["矩阵目标"]}),
        ),
        (
            ("post", "/api/v1/training/mentorships/{id}/checkins"),
            json!({"held_on": "2026-11-15", "note": "矩阵见面"}),
        ),
        (
            ("post", "/api/v1/training/mentorships/{id}/closure"),
            json!({"status": "completed", "outcome": "矩阵成效"}),
        ),
        (
            ("post", "/api/v1/publicity-campaigns/{id}/events"),
            json!({"setting": "school", "place": "矩阵小学", "grid_code": k.grid, "attendance": 10}),
        ),
        (
            ("post", "/api/v1/public-alerts"),
            json!({"categories": ["Security"], "event": "矩阵预警", "urgency": "Expected",
                   "severity": "Minor", "certainty": "Likely", "headline": "矩阵预警",
                   "description": "矩阵", "grid_codes": [k.grid]}),
        ),
        (
            ("post", "/api/v1/public-alerts/imports"),
            json!({"document": "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>M-1</identifier>\
                <sender>m@example</sender><sent>2026-12-01T08:00:00+08:00</sent><status>Actual</status>\
                <msgType>Alert</msgType><scope>Public</scope></alert>"}),
        ),
        (
            ("post", "/api/v1/public-alerts/{id}/decision"),
            json!({"approve": true}),
        ),
        (
            ("post", "/api/v1/assessment/schemes"),
            json!({"unit_type": "grid", "effective_from": "2999-01", "indicators": []}),
        ),
        (
            ("post", "/api/v1/assessment/items"),
            json!({"unit_type": "village", "unit_key": "none", "period": "2026-Q1",
                "indicator": "key_work", "points": 1, "evidence": "台账检查"}),
        ),
        (
            ("post", "/api/v1/assessment/settlements"),
            json!({"unit_type": "village", "period": "2999-Q1"}),
        ),
        (
            ("post", "/api/v1/households"),
            json!({"grid_code": k.grid, "address": "矩阵门牌2号"}),
        ),
    ]
    .into_iter()
    .collect()
}

/// A GeoJSON square of half-side `d` degrees around (lng, lat).
fn square(lng: f64, lat: f64, d: f64) -> serde_json::Value {
    serde_json::json!({"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]]})
}

/// A 评查 rubric of two items.
fn rubric(name: &str) -> serde_json::Value {
    serde_json::json!({"rubric": {"name": name, "items": [
        {"code": "facts", "name": "事实认定", "points": 40, "deductions": [{"code": "facts_unclear", "name": "主要事实不清", "points": 20}]},
        {"code": "procedure", "name": "程序规范", "points": 60, "deductions": [{"code": "late_notice", "name": "未按时告知", "points": 5}]}
    ]}})
}

/// An account with a bearer token; `wide` sees the whole system, narrow only an empty village.
async fn account(app: &TestApp, role: Role, wide: bool, org_id: &str) -> String {
    let name = format!(
        "m-{}-{}",
        role.code().replace('_', "-"),
        if wide { "wide" } else { "narrow" }
    );
    let grants = if wide {
        vec![
            ScopeGrant {
                kind: ScopeKind::Area,
                path: "/".into(),
            },
            ScopeGrant {
                kind: ScopeKind::Org,
                path: "/".into(),
            },
        ]
    } else {
        vec![ScopeGrant {
            kind: ScopeKind::Area,
            path: "/330681/330681109/330681109999/".into(),
        }]
    };
    let mut tx = app.db.begin().await.unwrap();
    let id = users::insert(
        &mut tx,
        &users::NewUser {
            username: name.clone(),
            display_name: name.clone(),
            role,
            org_id: Some(org_id.to_string()),
            mobile_sealed: None,
            password_hash: "unused: the matrix authenticates by token".into(),
            grants,
        },
    )
    .await
    .unwrap();
    let token = format!("pat_matrix_{name}");
    sessions::create_token(&mut tx, &id, "matrix", &token, None)
        .await
        .unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    token
}

/// Lists that are whole-system by design, whatever the caller's data scope: the audit log is the
/// auditor's, and an auditor must see every record to audit anything.
const SYSTEM_WIDE: &[&str] = &[
    "/api/v1/audit",
    "/api/v1/sharing/agreements",
    "/api/v1/sharing/partners",
    "/api/v1/sharing/partners/{id}",
];

/// Required query parameters, so the decision (not the parameter check) is what answers.
const QUERIES: &[(&str, &str)] = &[
    ("/api/v1/disputes-kpi", "?from=2026-01-01&to=2026-12-31"),
    ("/api/v1/task-figures", "?from=2026-01-01&to=2026-12-31"),
    ("/api/v1/visit-coverage", "?from=2026-11-01&to=2026-11-30"),
    ("/api/v1/assessment/ranking", "?unit_type=village"),
    (
        "/api/v1/kpi/records",
        "?measure=incidents.received&from=2026-11-01&to=2026-11-30",
    ),
    (
        "/api/v1/units/{id}/track",
        "?from=2026-11-01T00:00:00%2B08:00&to=2026-11-02T00:00:00%2B08:00",
    ),
    (
        "/api/v1/case-inspection/replay",
        "?as_of=2026-11-01T00:00:00%2B08:00",
    ),
    (
        "/api/v1/camera-sites/witnesses",
        "?lng=120.37&lat=29.61&at=2026-11-01T08:00:00%2B08:00",
    ),
];

fn leaks(body: &str, (first, second): &(String, String)) -> bool {
    body.contains(first.as_str()) || (!second.is_empty() && body.contains(second.as_str()))
}

/// The route's URL with real ids, and whether it names a sub-object by a made-up id (then 404 is the
/// answer after the decision).
fn url_of(route: &Route, f: &Fixtures, k: &Known) -> (String, bool) {
    let (first, second) = f
        .get(&route.obj)
        .cloned()
        .unwrap_or_else(|| ("none".into(), "none".into()));
    // The type tables are not scoped: their routes are collections, named by a real code.
    let sharing = if route.path.starts_with("/api/v1/sharing/partners/")
        || route.path.starts_with("/api/v1/sharing/inbound/")
    {
        Some(k.partner.as_str())
    } else if route.path.starts_with("/api/v1/sharing/agreements/") {
        Some(k.agreement.as_str())
    } else {
        None
    };
    let code = match route.path {
        "/api/v1/incident-types/{code}" => k.incident_type.0.as_str(),
        "/api/v1/dispute-types/{code}" => k.dispute_type.0.as_str(),
        _ if route.obj == Coll => "none",
        _ => first.as_str(),
    };
    let followup = k.followup.as_deref().unwrap_or("none");
    let mut p = route.path.to_string();
    for (placeholder, value) in [
        ("{id}", sharing.unwrap_or(first.as_str())),
        ("{partner}", sharing.unwrap_or("none")),
        ("{code}", code),
        ("{party_id}", second.as_str()),
        ("{member_id}", second.as_str()),
        ("{grid_code}", second.as_str()),
        ("{extension_id}", k.extension.as_str()),
        ("{ext_id}", k.task_extension.as_str()),
        ("{decision_id}", second.as_str()),
        ("{followup_id}", followup),
        ("{unit_type}", second.as_str()),
        ("{key}", first.as_str()),
        (
            "{user_id}",
            if route.obj == Obj::TrainingAttendee {
                second.as_str()
            } else {
                first.as_str()
            },
        ),
    ] {
        p = p.replace(placeholder, value);
    }
    // The matrix's accounts are not in a partner organisation: theirs is not found.
    let fake = (route.path.contains("{followup_id}") && k.followup.is_none())
        || route.path == "/api/v1/sharing/mine";
    if let Some((_, q)) = QUERIES.iter().find(|(path, _)| *path == route.path) {
        p.push_str(q);
    }
    (p, fake)
}

async fn call(
    app: &TestApp,
    route: &Route,
    url: &str,
    body: Option<&serde_json::Value>,
    token: Option<&str>,
) -> (u16, String) {
    let c = client();
    let method = reqwest::Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
    let mut req = c.request(method, format!("{}{url}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    // The live board streams forever: the status is the decision.
    if route.path.ends_with("/stream") {
        return (status, String::new());
    }
    (status, resp.text().await.unwrap_or_default())
}

/// The documented routes, and those of them that take a JSON body.
async fn documented(app: &TestApp) -> (BTreeSet<(String, String)>, BTreeSet<(String, String)>) {
    let (_, doc) = app.get_json(&client(), "/api/openapi.json").await;
    let mut routes = BTreeSet::new();
    let mut json_body = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.clone(), path.clone()));
                if !op["requestBody"]["content"]["application/json"].is_null() {
                    json_body.insert((method.clone(), path.clone()));
                }
            }
        }
    }
    (routes, json_body)
}

fn owned(keys: impl IntoIterator<Item = Key>) -> BTreeSet<(String, String)> {
    keys.into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

both!(authorization_matrix, |app: TestApp| async move {
    pingan_server::mediation::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::cases::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::teams::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::meetings::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::risks::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::visits::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::publicity::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::training::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::assessment::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::public_alerts::demo::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    let table = owned(ROUTES.iter().map(|r| (r.method, r.path)));
    assert_eq!(table.len(), ROUTES.len(), "a route is listed twice");
    let (docs, with_body) = documented(&app).await;
    let missing: Vec<_> = docs.difference(&table).collect();
    let stale: Vec<_> = table.difference(&docs).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes not in the matrix: {missing:?}; in the matrix but not served: {stale:?}"
    );

    let (org_id,): (String,) = app
        .db
        .fetch_one("SELECT id FROM orgs ORDER BY path LIMIT 1", vec![])
        .await
        .unwrap();
    let point = make_fixtures(&app, &org_id).await;
    let f = fixtures(&app).await;
    entitle(&app, &f, &org_id).await;
    let mut k = known(&app, &f, &org_id, point).await;
    let bodies = bodies(&k);
    let given = owned(bodies.keys().copied());
    let unbodied: Vec<_> = with_body.difference(&given).collect();
    let stray: Vec<_> = given.difference(&with_body).collect();
    assert!(
        unbodied.is_empty() && stray.is_empty(),
        "routes taking JSON without a body in `bodies`: {unbodied:?}; bodies for routes that take none: {stray:?}"
    );
    let mut failures = Vec::new();
    let mut checked = 0;
    for route in ROUTES {
        if route.path.contains("{followup_id}") {
            k.followup = due_followup(&app, &f[&Obj::Dispute].0).await;
        }
        let (url, fake_sub) = url_of(route, &f, &k);
        let body = bodies.get(&(route.method, route.path));
        if matches!(route.need, Signed) {
            let (s, _) = call(&app, route, &url, body, None).await;
            checked += 1;
            if s != 401 {
                failures.push(format!(
                    "{} {url} unsigned: {s}, expected 401",
                    route.method
                ));
            }
            continue;
        }
        if matches!(route.need, ScrapeToken) {
            let (s, _) = call(&app, route, &url, body, None).await;
            checked += 1;
            if s != 404 {
                failures.push(format!(
                    "{} {url} without the scrape token: {s}, expected 404",
                    route.method
                ));
            }
            for role in Role::ALL {
                let token = account_token(&app, role, true, &org_id).await;
                let (s, _) = call(&app, route, &url, body, Some(&token)).await;
                checked += 1;
                if s != 404 {
                    failures.push(format!(
                        "{} {url} with the API token of {}: {s}, expected 404",
                        route.method,
                        role.code()
                    ));
                }
            }
            continue;
        }
        if matches!(route.need, Public) {
            let (s, _) = call(&app, route, &url, body, None).await;
            checked += 1;
            if s == 401 || s == 403 || s >= 500 {
                failures.push(format!(
                    "{} {url} unauthenticated: {s}, expected a public answer",
                    route.method
                ));
            }
            continue;
        }
        // Without credentials, every other route is 401.
        let (s, _) = call(&app, route, &url, body, None).await;
        if s != 401 {
            failures.push(format!(
                "{} {url} unauthenticated: {s}, expected 401",
                route.method
            ));
        }
        for role in Role::ALL {
            for wide in [true, false] {
                let token = account_token(&app, role, wide, &org_id).await;
                let (s, resp) = call(&app, route, &url, body, Some(&token)).await;
                checked += 1;
                if route.method == "delete" && route.path == "/api/v1/session" {
                    // Logging out with a token revokes it: prove it, then give the account its token back.
                    let me = r("get", "/api/v1/me", Authenticated, Coll);
                    let (after, _) = call(&app, &me, "/api/v1/me", None, Some(&token)).await;
                    if after != 401 {
                        failures.push(format!(
                            "token of {} still works after logout: {after}",
                            role.code()
                        ));
                    }
                    app.db
                        .execute(
                            "UPDATE api_tokens SET revoked_at = NULL WHERE name = 'matrix'",
                            vec![],
                        )
                        .await
                        .unwrap();
                }
                let who = format!(
                    "{} {url} as {}/{}",
                    route.method,
                    role.code(),
                    if wide { "wide" } else { "narrow" }
                );
                if s >= 500 {
                    failures.push(format!("{who}: {s} {resp}"));
                    continue;
                }
                if !route.need.allows(role) {
                    // Out of scope as well: 404 refuses just as well, as long as nothing leaks.
                    let hidden =
                        !wide && route.obj != Coll && s == 404 && !leaks(&resp, &f[&route.obj]);
                    if !(s == 403 || hidden) {
                        failures.push(format!(
                            "{who}: {s}, expected 403 (role lacks {:?}) ({resp})",
                            route.need
                        ));
                    }
                    continue;
                }
                if matches!(route.need, Authenticated) {
                    if s == 401 || s == 403 {
                        failures.push(format!("{who}: {s}, expected an authenticated answer"));
                    }
                    continue;
                }
                if wide {
                    if s == 401 || s == 403 || (s == 404 && !fake_sub) {
                        failures.push(format!(
                            "{who}: {s}, expected the route to be open to this role ({resp})"
                        ));
                    }
                } else if route.obj != Coll {
                    if s != 404 || leaks(&resp, &f[&route.obj]) {
                        failures.push(format!(
                            "{who}: {s}, expected 404 and nothing of the object ({resp})"
                        ));
                    }
                } else if route.method == "get" && !SYSTEM_WIDE.contains(&route.path) {
                    let leaked: Vec<&str> = f
                        .values()
                        .map(|(a, _)| a.as_str())
                        .filter(|id| id.len() > 12 && resp.contains(id))
                        .collect();
                    if !leaked.is_empty() {
                        failures.push(format!("{who}: {s}, lists out-of-scope objects {leaked:?}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} decisions wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked > ROUTES.len() * 20,
        "only {checked} decisions checked"
    );
});

/// One token per role and width, created on first use.
async fn account_token(app: &TestApp, role: Role, wide: bool, org_id: &str) -> String {
    let name = format!(
        "m-{}-{}",
        role.code().replace('_', "-"),
        if wide { "wide" } else { "narrow" }
    );
    let token = format!("pat_matrix_{name}");
    if users::by_username(&app.db, &name).await.unwrap().is_none() {
        return account(app, role, wide, org_id).await;
    }
    token
}

/// Only a case's handling officers (besides its station chief and supervisors) add or see its people:
/// the wide officer handles the fixture cases, as a wide account has its objects in reach.
async fn entitle(app: &TestApp, f: &Fixtures, org_id: &str) {
    account_token(app, Role::Officer, true, org_id).await;
    let officer = users::by_username(&app.db, "m-officer-wide")
        .await
        .unwrap()
        .unwrap()
        .id;
    let cases: BTreeSet<&str> = [&f[&Obj::Case].0, &f[&Obj::CaseParty].0]
        .into_iter()
        .map(String::as_str)
        .collect();
    for case in cases {
        app.db
            .execute(
                "INSERT INTO case_officers (case_id, user_id, lead) VALUES (?, ?, ?)",
                pingan_store::args![case, officer.as_str(), false],
            )
            .await
            .unwrap();
    }
}

/// Objects the demo does not hold yet, made through the API by wide accounts of the roles that make
/// them. Returns a point inside a demo grid, for the bodies that need a location.
async fn make_fixtures(app: &TestApp, org_id: &str) -> (f64, f64) {
    let (case_id,): (String,) = app
        .db
        .fetch_one("SELECT id FROM cases ORDER BY id LIMIT 1", vec![])
        .await
        .unwrap();
    let (dispute_id,): (String,) = app
        .db
        .fetch_one(
            "SELECT id FROM disputes WHERE status = 'mediating' ORDER BY id LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
    let today = jiff::Zoned::now().date();
    let (lng, lat) = inside_point(app, &app.client_as("gridworker").await, "330681109004001").await;
    // A patrol zone around the point with one incident of yesterday evening in it.
    let (station,): (String,) = app
        .db
        .fetch_one(
            "SELECT org_id FROM users WHERE username = 'officer'",
            vec![],
        )
        .await
        .unwrap();
    plant_incident(
        app,
        lng,
        lat,
        app.state.now() - 20 * 3_600_000_000,
        "100100",
        "陈家社区 3 号",
    )
    .await;
    let chief = account_token(app, Role::StationChief, true, org_id).await;
    let r = client()
        .post(format!("{}/api/v1/patrol-zones", app.url))
        .bearer_auth(&chief)
        .json(&serde_json::json!({"station_org_id": station, "name": "矩阵巡区", "geometry": square(lng, lat, 0.002)}))
        .send()
        .await
        .unwrap();
    let zone: serde_json::Value = r.json().await.unwrap();
    let zone_id = zone["id"].as_str().expect("a fixture zone").to_string();
    let (grid_worker,): (String,) = app
        .db
        .fetch_one("SELECT id FROM users WHERE username = 'volunteer'", vec![])
        .await
        .unwrap();
    let r = client()
        .post(format!("{}/api/v1/patrol-shifts", app.url))
        .bearer_auth(&chief)
        .json(&serde_json::json!({"zone_id": zone_id, "mode": "stakeout", "starts_at": "2031-02-24T19:00:00+08:00",
            "ends_at": "2031-02-24T23:00:00+08:00", "crew": [{"user_id": grid_worker, "seconded": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        201,
        "fixture shift: {}",
        r.text().await.unwrap()
    );
    let (camera,): (String,) = app
        .db
        .fetch_one("SELECT code FROM cameras ORDER BY code LIMIT 1", vec![])
        .await
        .unwrap();
    let (incident,): (String,) = app
        .db
        .fetch_one("SELECT id FROM incidents ORDER BY id LIMIT 1", vec![])
        .await
        .unwrap();
    let officer = account_token(app, Role::Officer, true, org_id).await;
    let r = client()
        .post(format!("{}/api/v1/footage-requests", app.url))
        .bearer_auth(&officer)
        .json(&serde_json::json!({"camera_code": camera, "incident_id": incident, "purpose": "矩阵：调取案发经过",
            "from": "2026-11-01T08:00:00+08:00", "to": "2026-11-01T10:00:00+08:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        201,
        "fixture footage request: {}",
        r.text().await.unwrap()
    );
    // The fixture task: led by the matrix's organisation, its extension asked for by its lead.
    let auxiliary = account_token(app, Role::Auxiliary, true, org_id).await;
    let lead = users::by_username(&app.db, "m-auxiliary-wide")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = client()
        .post(format!("{}/api/v1/tasks", app.url))
        .bearer_auth(&chief)
        .json(&serde_json::json!({"title": "矩阵固定督办事项", "lead_org_id": org_id,
            "lead_user_id": lead, "due_on": today.checked_add(jiff::Span::new().days(100)).unwrap().to_string()}))
        .send()
        .await
        .unwrap();
    let task: serde_json::Value = r.json().await.unwrap();
    assert!(task["id"].is_string(), "fixture task: {task}");
    let r = client()
        .post(format!(
            "{}/api/v1/tasks/{}/extensions",
            app.url,
            task["id"].as_str().expect("a fixture task")
        ))
        .bearer_auth(&auxiliary)
        .json(&serde_json::json!({"due_on": today.checked_add(jiff::Span::new().days(120)).unwrap().to_string(), "reason": "矩阵：等待配合单位",
            "updated_at": task["updated_at"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        201,
        "fixture extension: {}",
        r.text().await.unwrap()
    );
    let made: [(Role, String, serde_json::Value); 8] = [
        (
            Role::StationChief,
            "/api/v1/patrol-plans".into(),
            serde_json::json!({"zone_id": zone_id, "k": 1, "valid_from": today.to_string(), "valid_to": today.to_string()}),
        ),
        (
            Role::GridWorker,
            "/api/v1/places".into(),
            serde_json::json!({"name": "矩阵小超市", "kind": "shop", "address": "陈家社区 3 号", "lng": lng, "lat": lat}),
        ),
        (
            Role::Officer,
            format!("/api/v1/cases/{case_id}/parties"),
            serde_json::json!({"role": "victim", "name": "王五"}),
        ),
        (
            Role::LegalSupervisor,
            "/api/v1/case-samples".into(),
            serde_json::json!({"per_stratum": 5, "status": "all"}),
        ),
        (
            Role::LegalSupervisor,
            "/api/v1/case-rubrics".into(),
            rubric("矩阵评查"),
        ),
        (
            Role::Leader,
            "/api/v1/briefs".into(),
            serde_json::json!({"subject_kind": "district", "subject_id": "330681", "period_kind": "daily", "date": today.yesterday().unwrap().to_string()}),
        ),
        (
            Role::Coordinator,
            "/api/v1/screening-campaigns".into(),
            serde_json::json!({"name": "矩阵排查", "area_path": "/330681/330681109/", "starts_on": today.to_string(), "ends_on": today.to_string()}),
        ),
        // Decided in the matrix by a supervisor: someone other than who asked.
        (
            Role::Mediator,
            format!("/api/v1/disputes/{dispute_id}/extensions"),
            serde_json::json!({"days": 5, "reason": "矩阵：等待鉴定结果"}),
        ),
    ];
    for (role, path, body) in made {
        // Only a case's handling officers add its people: the demo officer handles the demo cases.
        let token = if role == Role::Officer {
            demo_officer_token(app).await
        } else {
            account_token(app, role, true, org_id).await
        };
        let r = client()
            .post(format!("{}{path}", app.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert!(
            status.is_success(),
            "making a fixture: POST {path} as {role}: {status} {}",
            r.text().await.unwrap()
        );
    }
    (lng, lat)
}

async fn demo_officer_token(app: &TestApp) -> String {
    let id = users::by_username(&app.db, "officer")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut tx = app.db.begin().await.unwrap();
    sessions::create_token(&mut tx, &id, "matrix", "pat_matrix_demo_officer", None)
        .await
        .unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    "pat_matrix_demo_officer".into()
}
