//! 矛盾纠纷化解 figures for the dashboard: disputes registered, the share resolved (agreed) before the
//! period ended, and 民转刑 alerts.

use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_store::kpi::Measure;

pub fn figures() -> Vec<FigureDef> {
    let def = |key, shape| FigureDef {
        key,
        group: "disputes",
        permission: Permission::DisputeRead,
        shape,
        keys: KeyNames::Locale("mediation.tier_of."),
    };
    vec![
        def(
            "disputes.registered",
            Shape::Count {
                measure: Measure::DisputesRegistered,
                breakdown: true,
            },
        ),
        def(
            "disputes.resolution_rate",
            Shape::Ratio {
                num: Measure::DisputesResolved,
                den: Measure::DisputesRegistered,
                per_hundred: false,
            },
        ),
        def(
            "disputes.criminal_turns",
            Shape::Count {
                measure: Measure::CriminalTurns,
                breakdown: false,
            },
        ),
    ]
}
