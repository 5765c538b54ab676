//! Dispute mediation (矛盾纠纷排查化解) in the server: registration with its grade suggestion and sealed
//! party identity (`register`), the steps people take (`steps`), the tier clock and the 民转刑 watch
//! (`clock`), and the views the API and pages share (here).

pub mod api;
pub mod clock;
pub mod demo;
pub mod detail;
pub mod figures;
pub mod pages;
pub mod raised;
pub mod register;
pub mod screening;
pub mod steps;
pub mod types;

use crate::error::ApiResult;
use crate::state::AppState;
use pingan_domain::dispute::{GradeReason, RiskFactors, Tier};
use pingan_store::Tx;
use pingan_store::disputes::{self, DisputeRow, PartyRow};
use serde::Serialize;
use utoipa::ToSchema;

/// Actor of what the system does by itself (clock escalations, the 民转刑 watch).
pub const SYSTEM_ACTOR: &str = "system:mediation";

/// A dispute as the API shows it: grade and tier with their names, the clock, no party identity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dispute {
    pub id: String,
    pub number: String,
    pub type_code: String,
    pub type_name: String,
    pub source: String,
    pub incident_id: Option<String>,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    pub area_path: String,
    pub people_involved: i64,
    pub amount_yuan: Option<i64>,
    pub factors: RiskFactors,
    pub suggested_grade: String,
    /// Why the suggestion is what it is.
    pub reasons: Vec<GradeReason>,
    pub grade: String,
    /// 红, 橙 …
    pub grade_name: String,
    /// Why the registrar overrode the suggestion.
    pub grade_reason: Option<String>,
    /// mediating, agreed, closed, transferred or withdrawn.
    pub status: String,
    /// grid, village, township or district.
    pub tier: String,
    pub tier_label: String,
    /// UTC microseconds.
    pub tier_since: i64,
    /// When the tier's time runs out (UTC microseconds), extensions included.
    pub tier_due: i64,
    pub extension_days: i64,
    /// Seconds left at this tier (negative once overdue); only while mediating.
    pub seconds_left: Option<i64>,
    pub overdue: bool,
    pub transfer_to: Option<String>,
    pub outcome_note: Option<String>,
    pub registered_at: i64,
    pub registered_by: String,
    pub agreed_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub reopened: i64,
}

/// A party with identity masked (张*, 138****5678, 330681********123X).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DisputeParty)]
pub struct Party {
    pub id: String,
    pub seq: i64,
    /// person or organisation.
    pub kind: String,
    /// applicant (申请人), respondent (被申请人) or party.
    pub role: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub vulnerable: bool,
}

pub fn party_view(p: &PartyRow) -> Party {
    Party {
        id: p.id.clone(),
        seq: p.seq,
        kind: p.kind.clone(),
        role: p.role.clone(),
        name: p.name_masked.clone(),
        id_number: p.id_masked.clone(),
        phone: p.phone_masked.clone(),
        vulnerable: p.vulnerable,
    }
}

/// Dispute type names for display.
pub async fn type_names(state: &AppState) -> ApiResult<Vec<disputes::TypeRow>> {
    Ok(disputes::types(&state.db).await?)
}

/// A dispute's names in the reader's language, for pages (the API answers in Chinese).
pub fn in_language(
    state: &AppState,
    types: &[disputes::TypeRow],
    d: &mut Dispute,
    lang: crate::i18n::Lang,
) {
    if lang == crate::i18n::Lang::ZhCn {
        return;
    }
    if let Some(t) = types.iter().find(|t| t.code == d.type_code) {
        d.type_name = t.name_en.clone();
    }
    if let Some(g) = state.config.mediation.grading.grade(&d.grade) {
        d.grade_name = g.name_en.clone();
    }
    d.tier_label = state
        .i18n
        .t(lang, &format!("mediation.tier_{}", d.tier))
        .to_string();
}

pub fn view(state: &AppState, types: &[disputes::TypeRow], r: DisputeRow) -> Dispute {
    let rules = &state.config.mediation.grading;
    let factors: RiskFactors = serde_json::from_str(&r.factors).unwrap_or_default();
    let reasons = rules.suggest(&factors).reasons;
    let now = state.now();
    let mediating = r.status() == pingan_domain::dispute::Status::Mediating;
    let tier = r.tier();
    Dispute {
        type_name: types
            .iter()
            .find(|t| t.code == r.type_code)
            .map(|t| t.name_zh.clone())
            .unwrap_or_else(|| r.type_code.clone()),
        grade_name: rules
            .grade(&r.grade)
            .map(|g| format!("{}（{}）", g.name_zh, g.label_zh))
            .unwrap_or_else(|| r.grade.clone()),
        tier_label: tier.label_zh().into(),
        seconds_left: mediating.then(|| (r.tier_due - now) / 1_000_000),
        overdue: mediating && now >= r.tier_due,
        reasons,
        factors,
        id: r.id,
        number: r.number,
        type_code: r.type_code,
        source: r.source,
        incident_id: r.incident_id,
        title: r.title,
        description: r.description,
        address: r.address,
        lng: r.lng,
        lat: r.lat,
        grid_code: r.grid_code,
        village_code: r.village_code,
        area_path: r.area_path,
        people_involved: r.people_involved,
        amount_yuan: r.amount_yuan,
        suggested_grade: r.suggested_grade,
        grade: r.grade,
        grade_reason: r.grade_reason,
        status: r.status,
        tier: r.tier,
        tier_since: r.tier_since,
        tier_due: r.tier_due,
        extension_days: r.extension_days,
        transfer_to: r.transfer_to,
        outcome_note: r.outcome_note,
        registered_at: r.registered_at,
        registered_by: r.registered_by,
        agreed_at: r.agreed_at,
        failed_at: r.failed_at,
        withdrawn_at: r.withdrawn_at,
        closed_at: r.closed_at,
        reopened: r.reopened,
    }
}

/// Notifies the people responsible for `row` at `tier`; for the most severe grade also the township's
/// leaders (a red dispute reaches the township leader at once). Queued in `tx`.
pub async fn notify_tier(
    state: &AppState,
    tx: &mut Tx,
    row: &DisputeRow,
    tier: Tier,
    at: i64,
    kind: &str,
    (message, message_en): (&str, &str),
) -> ApiResult<()> {
    let mut users: Vec<String> = disputes::responsible_users(
        &state.db,
        &tier.area_path_of(&row.area_path),
        tier.responsible_roles(),
    )
    .await?
    .into_iter()
    .map(|(id, _)| id)
    .collect();
    if state.config.mediation.grading.most_severe().code == row.grade {
        for (id, _) in disputes::responsible_users(
            &state.db,
            &Tier::Township.area_path_of(&row.area_path),
            &["leader", "coordinator"],
        )
        .await?
        {
            if !users.contains(&id) {
                users.push(id);
            }
        }
    }
    crate::notifications::send(
        tx,
        &users,
        at,
        &crate::notifications::Notice {
            kind,
            object: ("dispute", &row.id),
            message,
            message_en,
        },
    );
    Ok(())
}
