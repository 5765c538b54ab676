//! Pingan's domain: the words of grassroots safety work as Rust types, the rules between them, and the
//! validators that make invalid values unrepresentable. No I/O and no async here: storage and HTTP depend on
//! this crate, never the reverse.

pub mod area;
pub mod assessment;
pub mod audit;
pub mod calendar;
pub mod camera;
pub mod cap;
pub mod case;
pub mod case_alert;
pub mod case_review;
pub mod case_rules;
pub mod codes;
pub mod crypto;
pub mod dispute;
pub mod ids;
pub mod incident;
pub mod mask;
pub mod org;
pub mod password;
pub mod patrol;
pub mod patrol_effect;
pub mod period;
pub mod plausible;
pub mod publicity;
pub mod risk;
pub mod role;
pub mod roster;
pub mod scope;
pub mod sharing;
pub mod task;
pub mod team;
pub mod time;
pub mod totp;
pub mod training;
pub mod unit;
pub mod visit;

pub use area::{AreaCode, AreaLevel, GridCode};
pub use audit::{AuditEntry, AuditOutcome, ChainHash};
pub use ids::{CitizenId, CreditCode, Mobile, PhoneNumber};
pub use org::OrgKind;
pub use role::{Permission, Role};
pub use scope::{Scope, ScopeGrant, ScopeKind};
