//! The demo's organisations and one account per role (plus a village mediator and a township leader
//! for the mediation tiers), with passwords and administrators' second factors derived from the seed.

use crate::auth::{Actor, hash_password};
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::crypto::FieldCipher;
use pingan_domain::{OrgKind, Role, ScopeGrant, ScopeKind};
use pingan_store::{Db, grids, now_micros, orgs, users};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A demo account as printed for the person running the demo.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
    /// The TOTP secret (base32) of an administrator account, which must use a second factor.
    pub totp_secret: Option<String>,
}

struct Account {
    username: &'static str,
    role: Role,
    display_name: &'static str,
    /// Key into the organisations created below.
    org: &'static str,
    /// Area scope path, or "/" for the whole system.
    area_scope: &'static str,
}

const ACCOUNTS: [Account; 16] = [
    Account {
        username: "admin",
        role: Role::Admin,
        display_name: "系统管理员",
        org: "bureau",
        area_scope: "/",
    },
    Account {
        username: "secadmin",
        role: Role::SecurityAdmin,
        display_name: "安全管理员",
        org: "bureau",
        area_scope: "/",
    },
    Account {
        username: "auditor",
        role: Role::Auditor,
        display_name: "审计员",
        org: "bureau",
        area_scope: "/",
    },
    Account {
        username: "dispatcher",
        role: Role::Dispatcher,
        display_name: "王调度",
        org: "command",
        area_scope: "/330681/",
    },
    Account {
        username: "chief",
        role: Role::StationChief,
        display_name: "陈所长",
        org: "fq_station",
        area_scope: "/330681/330681109/",
    },
    Account {
        username: "officer",
        role: Role::Officer,
        display_name: "李警官",
        org: "fq_station",
        area_scope: "/330681/330681109/",
    },
    Account {
        username: "auxiliary",
        role: Role::Auxiliary,
        display_name: "赵辅警",
        org: "fq_station",
        area_scope: "/330681/330681109/",
    },
    Account {
        username: "gridworker",
        role: Role::GridWorker,
        display_name: "周网格",
        org: "chenjia",
        area_scope: "/330681/330681109/330681109004/",
    },
    Account {
        username: "mediator",
        role: Role::Mediator,
        display_name: "孙调解",
        org: "fq_mediation",
        area_scope: "/330681/330681109/",
    },
    Account {
        username: "villagemediator",
        role: Role::Mediator,
        display_name: "陈村调解",
        org: "chenjia",
        area_scope: "/330681/330681109/330681109004/",
    },
    Account {
        username: "townleader",
        role: Role::Leader,
        display_name: "枫桥镇综治中心主任",
        org: "fq_gov",
        area_scope: "/330681/330681109/",
    },
    Account {
        username: "volunteer",
        role: Role::Volunteer,
        display_name: "钱队员",
        org: "fq_volunteers",
        area_scope: "/330681/330681109/",
    },
    Account {
        username: "coordinator",
        role: Role::Coordinator,
        display_name: "吴综治",
        org: "zongzhi",
        area_scope: "/330681/",
    },
    Account {
        username: "legal",
        role: Role::LegalSupervisor,
        display_name: "郑法制",
        org: "bureau",
        area_scope: "/330681/",
    },
    Account {
        username: "leader",
        role: Role::Leader,
        display_name: "冯局长",
        org: "bureau",
        area_scope: "/330681/",
    },
    Account {
        username: "partner",
        role: Role::Partner,
        display_name: "蒋协作",
        org: "fire",
        area_scope: "/330681/",
    },
];

/// The demo accounts for `seed`; passwords are derived from the seed, so a rerun prints the same ones.
pub fn logins(seed: u64) -> Vec<DemoLogin> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(7));
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    ACCOUNTS
        .iter()
        .map(|a| {
            let word: String = (0..5)
                .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())] as char)
                .collect();
            let n: u32 = rng.gen_range(10..100);
            DemoLogin {
                username: a.username.into(),
                password: format!("Pingan-{word}-{n}"),
                role: a.role,
                totp_secret: a
                    .role
                    .is_administrative()
                    .then(|| demo_totp_secret(seed, a.username)),
            }
        })
        .collect()
}

/// Derived from the seed (a separate stream, so the passwords stay as they were).
fn demo_totp_secret(seed: u64, username: &str) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(
        seed ^ username.bytes().fold(0x9e37_79b9_7f4a_7c15, |h: u64, b| {
            h.rotate_left(5) ^ u64::from(b)
        }),
    );
    let bytes: Vec<u8> = (0..20).map(|_| rng.r#gen::<u8>()).collect();
    pingan_domain::totp::TotpSecret::from_bytes(&bytes).to_base32()
}

/// Enrols the demo administrators' second factor (sealed with the server's field key), so the printed
/// secrets work from the first login. Accounts that already have one keep it.
pub async fn ensure_second_factors(
    db: &Db,
    cipher: &pingan_domain::crypto::FieldCipher,
    seed: u64,
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    for l in logins(seed) {
        let Some(secret) = &l.totp_secret else {
            continue;
        };
        let Some(u) = users::by_username(db, &l.username).await? else {
            continue;
        };
        if u.totp_sealed.is_some() {
            continue;
        }
        users::set_totp_pending(
            &mut tx,
            &u.id,
            &cipher.seal(crate::auth::TOTP_COLUMN, secret),
        )
        .await?;
        // Step 0: no code used yet; the factor is in force from now.
        users::use_totp_step(&mut tx, &u.id, 0, now_micros()).await?;
    }
    tx.commit_audited(vec![]).await?;
    Ok(())
}

/// Creates the demo district once/// Creates the organisations and accounts once (when the database has no users yet). The district's
/// grids must exist: the demo grid worker is put in charge of 陈家社区's.
pub async fn ensure(db: &Db, cipher: &FieldCipher, seed: u64) -> anyhow::Result<bool> {
    if users::by_username(db, ACCOUNTS[0].username)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let logins = logins(seed);
    // Hash first: argon2 is slow on purpose, and the write transaction should stay short.
    let mut hashes = Vec::new();
    for l in &logins {
        hashes.push(hash_password(l.password.clone()).await?);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tx = db.begin().await?;
    let org_ids = create_orgs(&mut tx).await?;
    for (a, hash) in ACCOUNTS.iter().zip(hashes) {
        let org_id = org_ids
            .iter()
            .find(|(k, _)| *k == a.org)
            .map(|(_, id)| id.clone());
        let mut grants = vec![ScopeGrant {
            kind: ScopeKind::Area,
            path: a.area_scope.into(),
        }];
        if a.area_scope == "/" {
            grants.push(ScopeGrant {
                kind: ScopeKind::Org,
                path: "/".into(),
            });
        }
        let mobile = format!("139{:08}", rng.gen_range(0..100_000_000u32));
        let user_id = users::insert(
            &mut tx,
            &users::NewUser {
                username: a.username.into(),
                display_name: a.display_name.into(),
                role: a.role,
                org_id,
                mobile_sealed: Some(cipher.seal(crate::rekey::MOBILE, &mobile)),
                password_hash: hash,
                grants,
            },
        )
        .await?;
        if a.role == Role::GridWorker {
            // The demo grid worker leads every grid of 陈家社区.
            for n in 1..=4 {
                grids::set_workers(&mut tx, &format!("330681109004{n:03}"), &user_id, &[]).await?;
            }
        }
    }
    let entry = AuditEntry {
        at: now_micros(),
        actor_id: None,
        actor_name: "system".into(),
        action: "demo.create".into(),
        object_type: "accounts".into(),
        object_id: None,
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({"seed": seed, "users": ACCOUNTS.len()}).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;
    Ok(true)
}

async fn create_orgs(tx: &mut pingan_store::Tx) -> anyhow::Result<Vec<(&'static str, String)>> {
    // (key, parent key, name, kind, area)
    const ORGS: &[(&str, Option<&str>, &str, OrgKind, &str)] = &[
        ("bureau", None, "诸暨市公安局", OrgKind::Bureau, "330681"),
        (
            "command",
            Some("bureau"),
            "诸暨市公安局指挥中心",
            OrgKind::CommandCentre,
            "330681",
        ),
        (
            "jy_station",
            Some("bureau"),
            "暨阳派出所",
            OrgKind::Station,
            "330681001",
        ),
        (
            "jd_post",
            Some("jy_station"),
            "江东社区警务室",
            OrgKind::CommunityPolicePost,
            "330681001001",
        ),
        (
            "hd_station",
            Some("bureau"),
            "浣东派出所",
            OrgKind::Station,
            "330681002",
        ),
        (
            "fq_station",
            Some("bureau"),
            "枫桥派出所",
            OrgKind::Station,
            "330681109",
        ),
        (
            "cj_post",
            Some("fq_station"),
            "陈家社区警务室",
            OrgKind::CommunityPolicePost,
            "330681109004",
        ),
        (
            "zongzhi",
            None,
            "诸暨市社会治理中心（综治中心）",
            OrgKind::CoordinationCentre,
            "330681",
        ),
        (
            "fq_zongzhi",
            Some("zongzhi"),
            "枫桥镇综治中心",
            OrgKind::CoordinationCentre,
            "330681109",
        ),
        (
            "fq_justice",
            None,
            "枫桥司法所",
            OrgKind::JusticeOffice,
            "330681109",
        ),
        (
            "fq_mediation",
            Some("fq_justice"),
            "枫桥镇人民调解委员会",
            OrgKind::MediationCommittee,
            "330681109",
        ),
        (
            "fq_gov",
            None,
            "枫桥镇人民政府",
            OrgKind::TownshipGovernment,
            "330681109",
        ),
        (
            "chenjia",
            Some("fq_gov"),
            "陈家社区居委会",
            OrgKind::VillageCommittee,
            "330681109004",
        ),
        (
            "fq_volunteers",
            Some("fq_gov"),
            "枫桥镇平安志愿者服务队",
            OrgKind::VolunteerTeam,
            "330681109",
        ),
        (
            "fire",
            None,
            "诸暨市消防救援大队",
            OrgKind::PartnerAgency,
            "330681",
        ),
    ];
    let mut ids: Vec<(&'static str, String)> = Vec::new();
    for (key, parent, name, kind, area) in ORGS {
        let parent_id =
            parent.and_then(|p| ids.iter().find(|(k, _)| *k == p).map(|(_, id)| id.clone()));
        let row = orgs::insert(
            tx,
            &orgs::NewOrg {
                parent_id,
                name: (*name).into(),
                kind: *kind,
                area_code: Some((*area).into()),
            },
        )
        .await?;
        ids.push((key, row.id));
    }
    Ok(ids)
}

/// A demo user as an actor, for the capabilities' demo data that is recorded in someone's name.
pub async fn actor(db: &Db, username: &str) -> anyhow::Result<Actor> {
    let u = users::by_username(db, username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {username} missing"))?;
    let (u, scope) = users::with_scope(db, &u.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {username} missing"))?;
    Ok(Actor {
        role: u.role().ok_or_else(|| anyhow::anyhow!("bad role"))?,
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        scope,
        org_id: u.org_id,
        session_hash: None,
        token_id: None,
        ip: None,
        stage: crate::auth::SessionStage::Full,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_deterministic_and_meet_the_policy() {
        let a = logins(7);
        // One account per role, plus a village mediator and a township leader for the mediation tiers.
        assert_eq!(a.len(), Role::ALL.len() + 2);
        for r in Role::ALL {
            assert!(
                a.iter().any(|l| l.role == r),
                "no demo account for {}",
                r.code()
            );
        }
        assert_eq!(a[0].password, logins(7)[0].password);
        assert_ne!(a[0].password, logins(8)[0].password);
        let policy = pingan_domain::password::PasswordPolicy::default();
        for l in &a {
            policy.check(&l.username, &l.password).unwrap();
        }
        // One account per role.
        for r in Role::ALL {
            assert!(a.iter().any(|l| l.role == r), "{r}");
        }
    }
}
