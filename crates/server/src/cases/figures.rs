//! 执法监督 figures for the dashboard: 刑事立案 and 治安受案, 破案率 (see docs/GLOSSARY), 网上巡查 alerts
//! per 100 cases and the mean 案件评查 score.

use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_store::kpi::Measure;

pub fn figures() -> Vec<FigureDef> {
    let def = |key, shape, keys| FigureDef {
        key,
        group: "cases",
        permission: Permission::CaseRead,
        shape,
        keys,
    };
    let kind = KeyNames::Locale("cases.kind_");
    vec![
        def(
            "cases.criminal_filed",
            Shape::Count {
                measure: Measure::CriminalFiled,
                breakdown: false,
            },
            kind,
        ),
        def(
            "cases.administrative_accepted",
            Shape::Count {
                measure: Measure::AdministrativeAccepted,
                breakdown: false,
            },
            kind,
        ),
        def(
            "cases.solve_rate",
            Shape::Ratio {
                num: Measure::CriminalSolved,
                den: Measure::CriminalFiled,
                per_hundred: false,
            },
            kind,
        ),
        def(
            "cases.alerts_per_hundred",
            Shape::Ratio {
                num: Measure::CaseAlerts,
                den: Measure::CasesOpen,
                per_hundred: true,
            },
            KeyNames::Locale("cases.alert_"),
        ),
        def(
            "cases.review_score",
            Shape::Mean {
                measure: Measure::CaseReviews,
            },
            kind,
        ),
    ]
}
