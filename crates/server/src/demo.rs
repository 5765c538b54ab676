//! The demo district, assembled from each capability's demo data in the order they build on each
//! other: the grid's areas and grids, the accounts that work there, then dispatch, mediation,
//! 信息研判's history and cases. Deterministic for a given seed; each part is created once.

use crate::Config;
pub use crate::accounts::demo::{DemoLogin, ensure_second_factors, logins};
use pingan_domain::crypto::FieldCipher;
use pingan_store::Db;

/// What `ensure` printed for the person running the demo.
pub struct DemoSummary {
    /// Whether the district was created by this call.
    pub created: bool,
    pub logins: Vec<DemoLogin>,
    pub areas: usize,
    pub grids: usize,
}

/// The district, its accounts and the dispatch demo (units, cameras): what every test starts from.
pub async fn ensure(db: &Db, cipher: &FieldCipher, seed: u64) -> anyhow::Result<DemoSummary> {
    let district = crate::grid::demo::ensure(db, seed).await?;
    crate::accounts::demo::ensure(db, cipher, seed).await?;
    crate::dispatch::demo::ensure(db, cipher).await?;
    Ok(DemoSummary {
        created: district.created,
        logins: logins(seed),
        areas: district.areas,
        grids: district.grids,
    })
}

/// Everything `pingan demo` shows: `ensure`, then disputes, a year of closed incidents for 信息研判
/// (returns how many were added), cases and patrol zones and plans, and the administrators' second
/// factors.
pub async fn ensure_all(
    db: &Db,
    config: &Config,
    seed: u64,
) -> anyhow::Result<(DemoSummary, usize)> {
    let cipher = config.field_cipher()?;
    let summary = ensure(db, &cipher, seed).await?;
    crate::mediation::demo::ensure(db, config).await?;
    let history = crate::analysis::demo::ensure(db).await?;
    crate::cases::demo::ensure(db, config).await?;
    crate::patrol::demo::ensure(db, config).await?;
    crate::cameras::demo::ensure(db, config).await?;
    crate::teams::demo::ensure(db, config).await?;
    crate::meetings::demo::ensure(db, config).await?;
    crate::tasks::demo::ensure(db, config).await?;
    crate::risks::demo::ensure(db, config).await?;
    crate::visits::demo::ensure(db, config).await?;
    crate::publicity::demo::ensure(db, config).await?;
    crate::training::demo::ensure(db, config).await?;
    crate::public_alerts::demo::ensure(db, config).await?;
    crate::assessment::demo::ensure(db, config).await?;
    crate::sharing::demo::ensure(db, config).await?;
    ensure_second_factors(db, &cipher, seed).await?;
    Ok((summary, history))
}
