//! 分片布警 figures for the dashboard: the share of plan posts checked in (必到点打卡率), over the
//! post-days recorded once each day's windows closed (`tally`), by how each was checked in.

use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_store::kpi::Measure;

pub fn figures() -> Vec<FigureDef> {
    vec![FigureDef {
        key: "patrol.checkin_rate",
        group: "patrol",
        permission: Permission::PatrolRead,
        shape: Shape::Ratio {
            num: Measure::PostDaysCheckedIn,
            den: Measure::PostDays,
            per_hundred: false,
        },
        keys: KeyNames::Locale("patrol_checkin_method."),
    }]
}
