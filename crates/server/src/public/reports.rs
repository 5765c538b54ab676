//! Residents' reports (群众报警 online) and tracking them by number: the checks a public report
//! passes before intake and what a resident may see of its progress. The report page, the API and
//! Open311 share these.

use crate::dispatch::intake::Report;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::{location, optional_text, phone, text, type_code};
use pingan_domain::incident::{Channel, Level, Status};
use pingan_store::incidents;
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

pub fn tracking(r: &incidents::IncidentRow) -> Tracking {
    Tracking {
        tracking_code: r.tracking_code.clone().unwrap_or_default(),
        status: r.status.clone(),
        status_zh: status_zh(&r.status).into(),
        feedback: r.feedback_text.clone(),
        received_at: r.received_at,
        updated_at: r.updated_at,
    }
}

/// Validates a resident's report (web form and API share it).
pub fn check_report(state: &AppState, req: ResidentReport, channel: Channel) -> ApiResult<Report> {
    let (lng, lat) = location(req.lng, req.lat, req.crs.as_deref())?;
    Ok(Report {
        channel,
        type_code: type_code("type_code", req.type_code.as_deref().unwrap_or("500100"))?,
        level: Level::new(state.config.dispatch.public_report_level)
            .map_err(|e| ApiError::invalid("level", e.to_string()))?,
        description: text("description", &req.description, 2000)?,
        address: text("address", &req.address, 200)?,
        lng,
        lat,
        caller_name: optional_text("contact_name", req.contact_name.as_deref(), 50)?,
        caller_phone: phone("contact_phone", req.contact_phone.as_deref())?,
        reporter_user_id: None,
        camera_code: None,
        snapshot_ref: None,
        event_type: None,
        reported_at: None,
    })
}
