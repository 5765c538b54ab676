//! Dashboard figures as each capability declares them. A capability adds its own figures in its
//! `figures.rs` (which records, what shape); the dashboard (`kpi`) computes and links them, so a
//! figure is never counted in two places.

use pingan_domain::Permission;
use pingan_store::kpi::Measure;

/// How a figure is computed from its measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A count, with 环比 and 同比 and their significance; `breakdown` lists it per key too.
    Count { measure: Measure, breakdown: bool },
    /// `num / den`: a percentage (`per_hundred` false) or "per 100" (true). `num` need not be a
    /// subset of `den` (破案率 counts cases solved in the period whenever they were filed).
    Ratio {
        num: Measure,
        den: Measure,
        per_hundred: bool,
    },
    /// Response clock: median and 90th percentile of the values (seconds), and how many were within
    /// their target.
    Clock {
        measured: Measure,
        on_target: Measure,
    },
    /// The mean of the values (scores).
    Mean { measure: Measure },
}

impl Shape {
    pub fn measures(&self) -> Vec<Measure> {
        match *self {
            Shape::Count { measure, .. } | Shape::Mean { measure } => vec![measure],
            Shape::Ratio { num, den, .. } => vec![num, den],
            Shape::Clock {
                measured,
                on_target,
            } => vec![measured, on_target],
        }
    }
}

/// How a figure's keys (categories) are named for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyNames {
    /// Incident type codes, named from the type table.
    IncidentType,
    /// A locale key prefix: the name of `key` is the text of `{prefix}{key}`.
    Locale(&'static str),
    /// Grid codes, named from the grid table.
    Grid,
    /// Role codes (the staff counted), named as roles are.
    Role,
}

/// One figure on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FigureDef {
    /// `group.name`, also the locale key `kpi_figure.<key>`.
    pub key: &'static str,
    /// The section it appears in (`kpi_group.<group>`).
    pub group: &'static str,
    /// Who may see it (and the records behind it).
    pub permission: Permission,
    pub shape: Shape,
    pub keys: KeyNames,
}
