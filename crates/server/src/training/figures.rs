//! 队伍建设 figures for the dashboard: attendances at training sessions (参训人次) by kind, and the
//! same per 100 staff of the units in view. The assessment's training-hours indicator reads these
//! two measures (hours credited over heads).

use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_store::kpi::Measure;

pub fn figures() -> Vec<FigureDef> {
    vec![
        FigureDef {
            key: "training.attendance",
            group: "training",
            permission: Permission::TrainingRead,
            shape: Shape::Count {
                measure: Measure::TrainingAttendance,
                breakdown: true,
            },
            keys: KeyNames::Locale("training_kind."),
        },
        FigureDef {
            key: "training.per_staff",
            group: "training",
            permission: Permission::TrainingRead,
            shape: Shape::Ratio {
                num: Measure::TrainingAttendance,
                den: Measure::Staff,
                per_hundred: true,
            },
            keys: KeyNames::Role,
        },
    ]
}
