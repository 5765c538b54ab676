//! 矛盾纠纷化解 figures for the dashboard: disputes registered, the share resolved (agreed) before the
//! period ended, 民转刑 alerts, and per tier the share of the disputes agreed there in the period
//! that were agreed within the tier's time (小事不出村、大事不出镇 kept to the clock).

use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_domain::dispute::Tier;
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
    .into_iter()
    .chain(Tier::ALL.iter().map(|&t| {
        def(
            match t {
                Tier::Grid => "disputes.on_time_grid",
                Tier::Village => "disputes.on_time_village",
                Tier::Township => "disputes.on_time_township",
                Tier::District => "disputes.on_time_district",
            },
            Shape::Ratio {
                num: Measure::DisputesAgreedOnTimeAt(t),
                den: Measure::DisputesAgreedAt(t),
                per_hundred: false,
            },
        )
    }))
    .collect()
}
