//! The demo district: real division codes of 诸暨市 (330681) — three townships/streets including 枫桥镇,
//! where the 枫桥经验 began — twelve villages/communities, forty grids with generated polygons,
//! the organisations that work there and one account per role. Deterministic for a given seed.
//!
//! Polygons are drawn on a jittered lattice per township: neighbouring grids share lattice points and
//! each shared edge is subdivided with the same seeded noise from both sides, so grids tile their village
//! and villages tile their township without gaps or overlaps (village outlines are not public data).

use crate::auth::hash_password;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::{AreaCode, GridCode, OrgKind, Role, ScopeGrant, ScopeKind};
use pingan_store::{Db, areas, grids, now_micros, orgs, users};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const DISTRICT: (&str, &str) = ("330681", "诸暨市");

struct Township {
    code: &'static str,
    name: &'static str,
    area_type: &'static str,
    /// South-west corner (lng, lat) and cell size in degrees.
    origin: (f64, f64),
    cell: (f64, f64),
    cols: usize,
    villages: [(&'static str, &'static str); 4],
}

const TOWNSHIPS: [Township; 3] = [
    Township {
        code: "330681001",
        name: "暨阳街道",
        area_type: "urban",
        origin: (120.215, 29.700),
        cell: (0.0055, 0.0050),
        cols: 6,
        villages: [
            ("330681001001", "江东社区"),
            ("330681001004", "金鸡山社区"),
            ("330681001005", "浣纱社区"),
            ("330681001006", "茅渚埠社区"),
        ],
    },
    Township {
        code: "330681002",
        name: "浣东街道",
        area_type: "suburban",
        origin: (120.255, 29.700),
        cell: (0.0080, 0.0070),
        cols: 6,
        villages: [
            ("330681002001", "东盛社区居委会"),
            ("330681002004", "东福社区"),
            ("330681002005", "和济社区"),
            ("330681002282", "白鱼潭古村"),
        ],
    },
    Township {
        code: "330681109",
        name: "枫桥镇",
        area_type: "rural",
        origin: (120.360, 29.600),
        cell: (0.0120, 0.0110),
        cols: 8,
        villages: [
            ("330681109002", "天竺社区居委会"),
            ("330681109004", "陈家社区"),
            ("330681109219", "先进村委会"),
            ("330681109229", "霞朗桥村委会"),
        ],
    },
];

const ROWS: usize = 2;
const EDGE_SEGMENTS: usize = 8;

/// A demo account as printed for the person running the demo.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
    /// The TOTP secret (base32) of an administrator account, which must use a second factor.
    pub totp_secret: Option<String>,
}

pub struct DemoSummary {
    pub created: bool,
    pub logins: Vec<DemoLogin>,
    pub areas: usize,
    pub grids: usize,
}

/// The lattice of one township: jittered points shared by all cells.
struct Lattice {
    seed: u64,
    index: usize,
    points: Vec<Vec<(f64, f64)>>,
}

impl Lattice {
    fn new(t: &Township, index: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((index as u64 + 1) * 0x9E37_79B9));
        let points = (0..=t.cols)
            .map(|i| {
                (0..=ROWS)
                    .map(|j| {
                        let interior = i > 0 && i < t.cols && j > 0 && j < ROWS;
                        let (jx, jy) = if interior {
                            (rng.gen_range(-0.18..0.18), rng.gen_range(-0.18..0.18))
                        } else {
                            (0.0, 0.0)
                        };
                        (
                            t.origin.0 + (i as f64 + jx) * t.cell.0,
                            t.origin.1 + (j as f64 + jy) * t.cell.1,
                        )
                    })
                    .collect()
            })
            .collect();
        Lattice {
            seed,
            index,
            points,
        }
    }

    /// Points from lattice node `a` to `b` (exclusive of `b`), with noise shared by both directions.
    fn edge(&self, a: (usize, usize), b: (usize, usize)) -> Vec<(f64, f64)> {
        let (lo, hi, reversed) = if a <= b { (a, b, false) } else { (b, a, true) };
        let key = (self.seed, self.index, lo, hi);
        let mut rng = ChaCha8Rng::seed_from_u64(hash_key(key));
        let p = self.points[lo.0][lo.1];
        let q = self.points[hi.0][hi.1];
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let amp = 0.06;
        let mut pts: Vec<(f64, f64)> = (0..=EDGE_SEGMENTS)
            .map(|k| {
                let t = k as f64 / EDGE_SEGMENTS as f64;
                let off = if k == 0 || k == EDGE_SEGMENTS {
                    0.0
                } else {
                    rng.gen_range(-amp..amp) * (t * (1.0 - t) * 4.0)
                };
                // Perpendicular offset (−dy, dx) scaled.
                (p.0 + dx * t - dy * off, p.1 + dy * t + dx * off)
            })
            .collect();
        if reversed {
            pts.reverse();
        }
        pts.pop();
        pts
    }

    /// Counter-clockwise ring around the block of cells [c0, c1) × [r0, r1).
    fn ring(&self, c0: usize, c1: usize, r0: usize, r1: usize) -> Vec<(f64, f64)> {
        let mut nodes = Vec::new();
        for i in c0..c1 {
            nodes.push(((i, r0), (i + 1, r0)));
        }
        for j in r0..r1 {
            nodes.push(((c1, j), (c1, j + 1)));
        }
        for i in (c0..c1).rev() {
            nodes.push(((i + 1, r1), (i, r1)));
        }
        for j in (r0..r1).rev() {
            nodes.push(((c0, j + 1), (c0, j)));
        }
        let mut ring: Vec<(f64, f64)> = nodes
            .into_iter()
            .flat_map(|(a, b)| self.edge(a, b))
            .collect();
        ring.push(ring[0]);
        ring
    }
}

fn hash_key(k: (u64, usize, (usize, usize), (usize, usize))) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in [
        k.0,
        k.1 as u64,
        k.2.0 as u64,
        k.2.1 as u64,
        k.3.0 as u64,
        k.3.1 as u64,
    ] {
        h ^= v;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn polygon_json(ring: &[(f64, f64)]) -> (String, [f64; 4]) {
    let coords: Vec<[f64; 2]> = ring.iter().map(|&(x, y)| [round7(x), round7(y)]).collect();
    let bbox = coords
        .iter()
        .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, c| {
            [
                b[0].min(c[0]),
                b[1].min(c[1]),
                b[2].max(c[0]),
                b[3].max(c[1]),
            ]
        });
    (
        serde_json::json!({"type": "Polygon", "coordinates": [coords]}).to_string(),
        bbox,
    )
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Village `v` (0..4) of a township covers this block of lattice cells: two villages per row.
fn village_block(t: &Township, v: usize) -> (usize, usize, usize, usize) {
    let half = t.cols / 2;
    let (c0, c1) = if v.is_multiple_of(2) {
        (0, half)
    } else {
        (half, t.cols)
    };
    let r = if v < 2 { 1 } else { 0 };
    (c0, c1, r, r + 1)
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

/// Creates the demo district once (when the database has no areas yet) and returns its logins.
pub async fn ensure(db: &Db, seed: u64) -> anyhow::Result<DemoSummary> {
    let summary = ensure_district(db, seed).await?;
    crate::demo_dispatch::ensure(db).await?;
    Ok(summary)
}

async fn ensure_district(db: &Db, seed: u64) -> anyhow::Result<DemoSummary> {
    let logins = logins(seed);
    let existing = areas::list(db, &root_scope(), None, None).await?.len();
    if existing > 0 {
        let grids = grids::count(db, &root_scope()).await? as usize;
        return Ok(DemoSummary {
            created: false,
            logins,
            areas: existing,
            grids,
        });
    }
    // Hash first: argon2 is slow on purpose, and the write transaction should stay short.
    let mut hashes = Vec::new();
    for l in &logins {
        hashes.push(hash_password(l.password.clone()).await?);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tx = db.begin().await?;
    let valid_from = "2023-01-01".to_string();
    let district = AreaCode::parse(DISTRICT.0)?;
    areas::insert(
        &mut tx,
        &areas::NewArea {
            code: district.clone(),
            parent: None,
            name: DISTRICT.1.into(),
            area_type: "urban".into(),
            valid_from: valid_from.clone(),
        },
    )
    .await?;
    let mut n_areas = 1;
    let mut n_grids = 0;
    for (ti, t) in TOWNSHIPS.iter().enumerate() {
        let tcode = AreaCode::parse(t.code)?;
        areas::insert(
            &mut tx,
            &areas::NewArea {
                code: tcode.clone(),
                parent: Some(district.clone()),
                name: t.name.into(),
                area_type: t.area_type.into(),
                valid_from: valid_from.clone(),
            },
        )
        .await?;
        n_areas += 1;
        let lattice = Lattice::new(t, ti, seed);
        let (g, bbox) = polygon_json(&lattice.ring(0, t.cols, 0, ROWS));
        areas::put_shape(&mut tx, t.code, &g, bbox).await?;
        for (vi, (vcode, vname)) in t.villages.iter().enumerate() {
            let vc = AreaCode::parse(vcode)?;
            areas::insert(
                &mut tx,
                &areas::NewArea {
                    code: vc.clone(),
                    parent: Some(tcode.clone()),
                    name: (*vname).into(),
                    area_type: t.area_type.into(),
                    valid_from: valid_from.clone(),
                },
            )
            .await?;
            n_areas += 1;
            let (c0, c1, r0, r1) = village_block(t, vi);
            let (g, bbox) = polygon_json(&lattice.ring(c0, c1, r0, r1));
            areas::put_shape(&mut tx, vcode, &g, bbox).await?;
            // Numbered west → east within the village's row.
            for (k, c) in (c0..c1).enumerate() {
                let code = GridCode::parse(&format!("{vcode}{:03}", k + 1))?;
                let dedicated = ti == 0 && vi == 0 && k == 0;
                let (geometry_json, bbox) = polygon_json(&lattice.ring(c, c + 1, r0, r1));
                grids::insert(
                    &mut tx,
                    &grids::NewGrid {
                        code,
                        name: if dedicated {
                            format!("{vname}江东农贸市场专属网格")
                        } else {
                            format!("{vname}第{}网格", k + 1)
                        },
                        kind: if dedicated {
                            "dedicated".into()
                        } else {
                            "basic".into()
                        },
                        geometry_json,
                        bbox,
                    },
                )
                .await?;
                n_grids += 1;
            }
        }
    }
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
                mobile: Some(mobile),
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
        object_type: "district".into(),
        object_id: Some(DISTRICT.0.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({"seed": seed, "areas": n_areas, "grids": n_grids, "users": ACCOUNTS.len()}).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;
    Ok(DemoSummary {
        created: true,
        logins,
        areas: n_areas,
        grids: n_grids,
    })
}

fn root_scope() -> pingan_domain::Scope {
    pingan_domain::Scope::new(vec![ScopeGrant {
        kind: ScopeKind::Area,
        path: "/".into(),
    }])
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

    #[test]
    fn neighbouring_grids_share_their_edge_exactly() {
        let t = &TOWNSHIPS[2];
        let l = Lattice::new(t, 2, 7);
        let left = l.ring(0, 1, 0, 1);
        let right = l.ring(1, 2, 0, 1);
        // The right edge of the left cell, walked upwards, is the left edge of the right cell walked down.
        let up = l.edge((1, 0), (1, 1));
        let mut down = l.edge((1, 1), (1, 0));
        down.push(l.points[1][0]);
        down.remove(0);
        down.insert(0, l.points[1][1]);
        let mut up_full = up.clone();
        up_full.push(l.points[1][1]);
        let mut rev = up_full.clone();
        rev.reverse();
        assert_eq!(rev, down);
        assert!(up.iter().all(|p| left.contains(p)));
        assert!(up.iter().skip(1).all(|p| right.contains(p)));
    }

    #[test]
    fn forty_grids() {
        let n: usize = TOWNSHIPS.iter().map(|t| t.cols * ROWS).sum();
        assert_eq!(n, 40);
        for t in &TOWNSHIPS {
            let covered: usize = (0..4)
                .map(|v| {
                    let b = village_block(t, v);
                    (b.1 - b.0) * (b.3 - b.2)
                })
                .sum();
            assert_eq!(covered, t.cols * ROWS);
        }
    }
}
