//! 入户走访 figures for the dashboard: household coverage, the share of the households registered by
//! the end of the period that were visited in it.

use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_store::kpi::Measure;

pub fn figures() -> Vec<FigureDef> {
    vec![FigureDef {
        key: "visits.coverage",
        group: "visits",
        permission: Permission::GridRead,
        shape: Shape::Ratio {
            num: Measure::HouseholdsVisited,
            den: Measure::Households,
            per_hundred: false,
        },
        keys: KeyNames::Grid,
    }]
}
