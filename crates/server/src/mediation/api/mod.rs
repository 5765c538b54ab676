//! 矛盾纠纷化解's JSON API: disputes and 排查 campaigns.

pub mod disputes;
pub mod screening;
