//! A dispute as the people mediating it read it: parties, timeline, organisations, sessions, the
//! agreement, follow-ups, extensions and alerts; and the audited reveal of one party's identity.
//! The API and the dispute page both answer with this.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::mediation::steps::{self};
use crate::mediation::{self, Dispute, Party};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_store::disputes::{self};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: i64,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub tier: String,
    pub actor: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DisputeOrg)]
pub struct Org {
    pub org_name: String,
    pub org_kind: String,
    pub lead: bool,
    pub added_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub held_at: i64,
    pub place: String,
    pub attendees: String,
    pub notes: String,
    pub recorded_by: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AgreementTerm)]
pub struct Term {
    pub seq: i64,
    pub content: String,
    pub performer: String,
    pub due_date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Agreement {
    pub id: String,
    pub made_at: i64,
    pub form: String,
    pub facts: String,
    pub issues: String,
    pub responsibilities: String,
    pub mediator: String,
    pub committee: String,
    pub judicial_confirmation: bool,
    /// Apply for 司法确认 by then (UTC microseconds).
    pub confirm_by: Option<i64>,
    /// Set when a later agreement replaced this one (the dispute was reopened).
    pub superseded_at: Option<i64>,
    pub terms: Vec<Term>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUp {
    pub id: String,
    pub agreement_id: String,
    pub due_at: i64,
    pub done_at: Option<i64>,
    pub result: Option<String>,
    pub note: Option<String>,
    pub done_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Extension {
    pub id: String,
    pub tier: String,
    pub days: i64,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub approved: Option<bool>,
    pub decision_note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DisputeAlert)]
pub struct Alert {
    pub incident_id: String,
    pub at: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeDetail {
    #[serde(flatten)]
    pub dispute: Dispute,
    pub parties: Vec<Party>,
    pub orgs: Vec<Org>,
    pub sessions: Vec<Session>,
    pub agreements: Vec<Agreement>,
    pub followups: Vec<FollowUp>,
    pub extensions: Vec<Extension>,
    /// 民转刑 alerts.
    pub alerts: Vec<Alert>,
    /// Every step with who and when, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// Everything about one dispute the pages and API show; names in `lang` (the API answers in Chinese).
pub async fn detail(
    state: &AppState,
    row: disputes::DisputeRow,
    lang: crate::i18n::Lang,
) -> ApiResult<DisputeDetail> {
    let db = &state.db;
    let id = row.id.clone();
    let mut agreements = Vec::new();
    for a in disputes::agreements(db, &id).await? {
        let terms = disputes::terms(db, &a.id)
            .await?
            .into_iter()
            .map(|t| Term {
                seq: t.seq,
                content: t.content,
                performer: t.performer,
                due_date: t.due_date,
            })
            .collect();
        agreements.push(Agreement {
            id: a.id,
            made_at: a.made_at,
            form: a.form,
            facts: a.facts,
            issues: a.issues,
            responsibilities: a.responsibilities,
            mediator: a.mediator,
            committee: a.committee,
            judicial_confirmation: a.judicial_confirmation,
            confirm_by: a.confirm_by,
            superseded_at: a.superseded_at,
            terms,
        });
    }
    let types = mediation::type_names(state).await?;
    Ok(DisputeDetail {
        parties: disputes::parties(db, &id)
            .await?
            .iter()
            .map(mediation::party_view)
            .collect(),
        orgs: disputes::orgs(db, &id)
            .await?
            .into_iter()
            .map(|o| Org {
                org_name: o.org_name,
                org_kind: o.org_kind,
                lead: o.lead,
                added_at: o.added_at,
            })
            .collect(),
        sessions: disputes::sessions(db, &id)
            .await?
            .into_iter()
            .map(|s| Session {
                id: s.id,
                held_at: s.held_at,
                place: s.place,
                attendees: s.attendees,
                notes: s.notes,
                recorded_by: s.recorded_by,
            })
            .collect(),
        agreements,
        followups: disputes::followups(db, &id)
            .await?
            .into_iter()
            .map(|f| FollowUp {
                id: f.id,
                agreement_id: f.agreement_id,
                due_at: f.due_at,
                done_at: f.done_at,
                result: f.result,
                note: f.note,
                done_by: f.done_by,
            })
            .collect(),
        extensions: disputes::extensions(db, &id)
            .await?
            .into_iter()
            .map(|e| Extension {
                id: e.id,
                tier: e.tier,
                days: e.days,
                reason: e.reason,
                requested_by: e.requested_by,
                requested_at: e.requested_at,
                decided_by: e.decided_by,
                decided_at: e.decided_at,
                approved: e.approved,
                decision_note: e.decision_note,
            })
            .collect(),
        alerts: disputes::alerts(db, &id)
            .await?
            .into_iter()
            .map(|a| Alert {
                incident_id: a.incident_id,
                at: a.at,
                reason: a.reason,
            })
            .collect(),
        timeline: disputes::events(db, &id)
            .await?
            .into_iter()
            .map(|e| TimelineEntry {
                at: e.at,
                action: e.action,
                from_status: e.from_status,
                to_status: e.to_status,
                tier: e.tier,
                actor: e.actor_name,
                note: e.note,
            })
            .collect(),
        dispute: {
            let mut d = mediation::view(state, &types, row);
            mediation::in_language(state, &types, &mut d, lang);
            d
        },
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedParty {
    pub id: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// Decrypts one party's identity — for a stated purpose, with the right to see personal data, audited.
pub async fn reveal(
    state: &AppState,
    actor: &Actor,
    dispute_id: &str,
    party_id: &str,
    purpose: Option<&str>,
) -> ApiResult<RevealedParty> {
    actor.require(state, Permission::DisputeRead).await?;
    let row = steps::load(state, actor, dispute_id).await?;
    let p = disputes::parties(&state.db, &row.id)
        .await?
        .into_iter()
        .find(|p| p.id == party_id)
        .ok_or(ApiError::NotFound)?;
    actor
        .reveal_personal(
            state,
            "dispute",
            &row.id,
            &[
                "party.name",
                "party.id_number",
                "party.phone",
                "party.address",
            ],
            purpose,
        )
        .await?;
    let c = &state.cipher;
    let open = |col: &str, v: &Option<String>| -> ApiResult<Option<String>> {
        v.as_deref()
            .map(|s| c.open(col, s))
            .transpose()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("party {}: {e}", p.id)))
    };
    Ok(RevealedParty {
        id: p.id.clone(),
        name: c
            .open("dispute_parties.name", &p.name_sealed)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("party {}: {e}", p.id)))?,
        id_number: open("dispute_parties.id", &p.id_sealed)?,
        phone: open("dispute_parties.phone", &p.phone_sealed)?,
        address: open("dispute_parties.address", &p.address_sealed)?,
    })
}
