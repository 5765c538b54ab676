//! 研判简报 as readers list and open them: the summary line of a brief and its parsed content.

use crate::analysis::brief::BriefContent;
use crate::error::{ApiError, ApiResult};
use pingan_store::analysis::BriefRow;
use serde::Serialize;
use utoipa::ToSchema;

/// A kept brief, without its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct BriefSummary {
    pub id: String,
    /// `district` or `station`.
    pub subject_kind: String,
    pub subject_id: String,
    pub subject_name: String,
    pub area_path: String,
    /// `daily` or `weekly`.
    pub period_kind: String,
    pub period_start: String,
    pub period_end: String,
    /// When it was composed (UTC µs).
    pub generated_at: Option<i64>,
}

pub fn summary(b: &BriefRow) -> BriefSummary {
    BriefSummary {
        id: b.id.clone(),
        subject_kind: b.subject_kind.clone(),
        subject_id: b.subject_id.clone(),
        subject_name: b.subject_name.clone(),
        area_path: b.area_path.clone(),
        period_kind: b.period_kind.clone(),
        period_start: b.period_start.clone(),
        period_end: b.period_end.clone(),
        generated_at: b.generated_at,
    }
}

pub fn parse_content(b: &BriefRow) -> ApiResult<BriefContent> {
    let raw = b.content.as_deref().ok_or(ApiError::NotFound)?;
    Ok(serde_json::from_str(raw).map_err(anyhow::Error::from)?)
}
