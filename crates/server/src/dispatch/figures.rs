//! 指挥调度 figures for the dashboard: 警情 by category, the response clocks against their targets and
//! 回访 satisfaction.

use crate::config::Config;
use crate::figures::{FigureDef, KeyNames, Shape};
use pingan_domain::Permission;
use pingan_store::kpi::{ClockTargets, Measure};

pub fn figures(config: &Config) -> Vec<FigureDef> {
    let t = &config.dispatch.targets;
    let targets = ClockTargets {
        dispatch: t.dispatch_seconds,
        arrival_urban: t.arrival_seconds_urban,
        arrival_suburban: t.arrival_seconds_suburban,
        arrival_rural: t.arrival_seconds_rural,
    };
    let def = |key, shape, keys| FigureDef {
        key,
        group: "incidents",
        permission: Permission::IncidentRead,
        shape,
        keys,
    };
    vec![
        def(
            "incidents.received",
            Shape::Count {
                measure: Measure::IncidentsReceived,
                breakdown: true,
            },
            KeyNames::IncidentType,
        ),
        def(
            "incidents.dispatch_clock",
            Shape::Clock {
                measured: Measure::DispatchClock,
                on_target: Measure::DispatchOnTarget(targets),
            },
            KeyNames::IncidentType,
        ),
        def(
            "incidents.arrival_clock",
            Shape::Clock {
                measured: Measure::ArrivalClock,
                on_target: Measure::ArrivalOnTarget(targets),
            },
            KeyNames::IncidentType,
        ),
        def(
            "incidents.satisfaction",
            Shape::Ratio {
                num: Measure::Satisfied,
                den: Measure::CalledBack,
                per_hundred: false,
            },
            KeyNames::Locale("dispatch.sat."),
        ),
    ]
}
