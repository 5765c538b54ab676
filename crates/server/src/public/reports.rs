//! Residents' reports (群众报警 online) and tracking them by number: the checks a public report
//! passes before intake and what a resident may see of its progress. The report page, the API and
//! Open311 share these.

use crate::dispatch::intake::Report;
use crate::error::{ApiError, ApiResult, Problems};
use crate::state::AppState;
use crate::validate::{location, optional_text, phone, text, type_code};
use pingan_domain::incident::{Channel, Level, Status};
use pingan_store::{disputes, incidents};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type_code": "500100", "description": "路灯坏了，夜里有人摔倒",
    "address": "陈家社区路口", "lng": 120.415083, "lat": 29.61625, "contact_phone": "13800001111"}))]
pub struct ResidentReport {
    /// 6-digit type code (default 500100 求助).
    pub type_code: Option<String>,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    /// wgs84 (default), gcj02 (most phone maps in China) or bd09.
    pub crs: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Tracking {
    /// Keep this code to follow the report.
    pub tracking_code: String,
    /// received, dispatched, acknowledged, on_scene, resolved, reported_back, closed, merged, transferred, cancelled.
    pub status: String,
    pub status_zh: String,
    /// What the police tell the reporter (反馈), once given.
    pub feedback: Option<String>,
    /// UTC microseconds.
    pub received_at: i64,
    pub updated_at: i64,
    /// What has happened to the report so far, oldest first, in plain words — no staff names, no
    /// personal data. A report handed to mediation goes on with the dispute's steps.
    pub timeline: Vec<TrackStep>,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct TrackStep {
    /// UTC microseconds.
    pub at: i64,
    /// received, dispatched, on_scene, resolved, reported_back, closed, merged, cancelled,
    /// transferred_mediation, transferred_fire, transferred_station, transferred_agency,
    /// mediation_registered, mediation_escalated, mediation_agreed, mediation_failed,
    /// mediation_withdrawn, mediation_reopened, mediation_closed.
    pub step: String,
    pub text_zh: String,
}

pub fn status_zh(s: &str) -> &'static str {
    match s.parse::<Status>() {
        Ok(Status::Received) => "已受理",
        Ok(Status::Dispatched) => "已派警",
        Ok(Status::Acknowledged) => "民警已接警",
        Ok(Status::OnScene) => "民警已到场",
        Ok(Status::Resolved) => "已处置",
        Ok(Status::ReportedBack) => "已反馈",
        Ok(Status::Closed) => "已办结",
        Ok(Status::Merged) => "已合并处理",
        Ok(Status::Transferred) => "已移交相关部门",
        Ok(Status::Cancelled) => "已撤销",
        Err(_) => "处理中",
    }
}

/// A report's progress as its reporter may see it.
pub async fn tracking(db: &pingan_store::Db, r: &incidents::IncidentRow) -> ApiResult<Tracking> {
    let events = incidents::events(db, &r.id).await?;
    let dispute = match disputes::for_incident(db, &r.id).await? {
        Some(d) => {
            let ev = disputes::events(db, &d.id).await?;
            Some((d, ev))
        }
        None => None,
    };
    let timeline = timeline(r, &events, dispute.as_ref().map(|(d, e)| (d, e.as_slice())));
    let updated_at = timeline
        .last()
        .map_or(r.updated_at, |s| s.at.max(r.updated_at));
    Ok(Tracking {
        tracking_code: r.tracking_code.clone().unwrap_or_default(),
        status: r.status.clone(),
        status_zh: timeline
            .last()
            .map_or_else(|| status_zh(&r.status).into(), |s| s.text_zh.clone()),
        feedback: r.feedback_text.clone(),
        received_at: r.received_at,
        updated_at,
        timeline,
    })
}

/// The steps of a report: the incident's status changes (repeats and the officers' own
/// acknowledgements left out), then, when it went to mediation, the dispute's.
pub fn timeline(
    r: &incidents::IncidentRow,
    events: &[incidents::EventRow],
    dispute: Option<(&disputes::DisputeRow, &[disputes::EventRow])>,
) -> Vec<TrackStep> {
    let mut steps = vec![step(r.received_at, "received")];
    for e in events {
        let code = match e.to_status.as_str() {
            "dispatched" | "on_scene" | "resolved" | "reported_back" | "closed" | "merged"
            | "cancelled" => e.to_status.clone(),
            "transferred" => format!(
                "transferred_{}",
                r.transfer_target.as_deref().unwrap_or("agency")
            ),
            _ => continue,
        };
        if steps.iter().any(|s| s.step == code) {
            continue;
        }
        steps.push(step(e.at, &code));
    }
    if let Some((d, events)) = dispute {
        steps.push(step(d.registered_at, "mediation_registered"));
        for e in events {
            let code = match e.action.as_str() {
                "escalate" => "mediation_escalated",
                "agree" => "mediation_agreed",
                "fail" => "mediation_failed",
                "withdraw" => "mediation_withdrawn",
                "breach" => "mediation_reopened",
                "close" => "mediation_closed",
                _ => continue,
            };
            steps.push(step(e.at, code));
        }
    }
    steps
}

fn step(at: i64, code: &str) -> TrackStep {
    TrackStep {
        at,
        step: code.into(),
        text_zh: step_zh(code).into(),
    }
}

pub fn step_zh(code: &str) -> &'static str {
    match code {
        "received" => "已受理您的报警求助",
        "dispatched" => "已派出警力",
        "on_scene" => "民警已到达现场",
        "resolved" => "现场已处置",
        "reported_back" => "已反馈处理结果",
        "closed" => "已办结",
        "merged" => "与同一事件的其他报警合并处理",
        "cancelled" => "已撤销",
        "transferred_mediation" => "已移交人民调解",
        "transferred_fire" => "已移交消防救援",
        "transferred_station" => "已移交辖区派出所",
        "transferred_agency" => "已移交相关部门",
        "mediation_registered" => "人民调解委员会已受理",
        "mediation_escalated" => "已提交上一级调解组织",
        "mediation_agreed" => "双方已达成调解协议",
        "mediation_failed" => "调解未成，已引导通过其他途径解决",
        "mediation_withdrawn" => "当事人已撤回调解申请",
        "mediation_reopened" => "协议未履行，重新调解",
        "mediation_closed" => "调解已结案",
        _ => "处理中",
    }
}

/// Validates a resident's report (web form and API share it).
pub fn check_report(state: &AppState, req: ResidentReport, channel: Channel) -> ApiResult<Report> {
    // Every field is checked before answering, so the form shows all its problems at once.
    let mut problems = Problems::default();
    let place = problems.check(location(req.lng, req.lat, req.crs.as_deref()))?;
    let type_code = problems.check(type_code(
        "type_code",
        req.type_code.as_deref().unwrap_or("500100"),
    ))?;
    let description = problems.check(text("description", &req.description, 2000))?;
    let address = problems.check(text("address", &req.address, 200))?;
    let caller_name = problems.check(optional_text(
        "contact_name",
        req.contact_name.as_deref(),
        50,
    ))?;
    let caller_phone = problems.check(phone("contact_phone", req.contact_phone.as_deref()))?;
    problems.finish()?;
    let (
        Some((lng, lat)),
        Some(type_code),
        Some(description),
        Some(address),
        Some(caller_name),
        Some(caller_phone),
    ) = (
        place,
        type_code,
        description,
        address,
        caller_name,
        caller_phone,
    )
    else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a report value is missing without a problem noted"
        )));
    };
    Ok(Report {
        channel,
        type_code,
        level: Level::new(state.config.dispatch.public_report_level)
            .map_err(|e| ApiError::invalid("level", e.to_string()))?,
        description,
        address,
        lng,
        lat,
        caller_name,
        caller_phone,
        reporter_user_id: None,
        camera_code: None,
        snapshot_ref: None,
        event_type: None,
        reported_at: None,
    })
}
