//! 交办督办 figures for the dashboard: the share of tasks assigned in the period and accepted whose
//! completion was submitted before the deadline in force (as the task figures count it).

use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_store::kpi::Measure;

pub fn figures() -> Vec<FigureDef> {
    vec![FigureDef {
        key: "tasks.on_time_rate",
        group: "tasks",
        permission: Permission::TaskRead,
        shape: Shape::Ratio {
            num: Measure::TasksOnTime,
            den: Measure::TasksAccepted,
            per_hundred: false,
        },
        keys: KeyNames::Locale("task_card."),
    }]
}
