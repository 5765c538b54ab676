//! `pingan user …` and `pingan crypto …`: what only the server host may do. The administrator roles
//! (系统管理员, 安全管理员, 审计员) are never granted through the API, so that the security
//! administrator cannot make themselves an auditor; they are provisioned here, audited as `cli`.

use anyhow::{Context, bail};
use clap::Subcommand;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::{Role, ScopeGrant, ScopeKind};
use pingan_server::Config;
use pingan_store::{now_micros, users};
use std::io::BufRead;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account of any role. The password is read from standard input (one line), so it
    /// stays out of the shell history; the owner must change it at the first login.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Role code, e.g. admin, security_admin, auditor, officer.
        #[arg(long)]
        role: String,
        /// Organisation id the account belongs to.
        #[arg(long)]
        org: String,
        /// Area subtree the account may see (repeatable), e.g. /330681/.
        #[arg(long = "area-scope", required = true)]
        area_scope: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum CryptoCommand {
    /// Values still sealed under an older key, per column (0 everywhere: the old key can be dropped).
    Status,
    /// Re-seal every value still under an older key now (servers also do it in the background).
    Rekey,
}

fn cli_entry(action: &str, object_id: &str, detail: String) -> AuditEntry {
    AuditEntry {
        at: now_micros(),
        actor_id: None,
        actor_name: "cli".into(),
        action: action.into(),
        object_type: "user".into(),
        object_id: Some(object_id.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail,
    }
}

pub async fn user(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            username,
            display_name,
            role,
            org,
            area_scope,
        } => {
            let role: Role = role.parse()?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            config
                .auth
                .password_policy()
                .check(&username, &password)
                .map_err(|e| anyhow::anyhow!("password: {e}"))?;
            let mut grants = Vec::new();
            for path in area_scope {
                if !pingan_domain::scope::is_valid_path(&path) {
                    bail!("--area-scope {path}: must look like /330681/ or /330681/330681109/");
                }
                grants.push(ScopeGrant {
                    kind: ScopeKind::Area,
                    path,
                });
            }
            let db = pingan_server::app::open_db(config).await?;
            if pingan_store::orgs::get_unscoped(&db, &org).await?.is_none() {
                bail!("--org {org}: no such organisation");
            }
            let hash = pingan_server::auth::hash_password(password).await?;
            let mut tx = db.begin().await?;
            let id = users::insert(
                &mut tx,
                &users::NewUser {
                    username: username.clone(),
                    display_name,
                    role,
                    org_id: Some(org),
                    mobile_sealed: None,
                    password_hash: hash.clone(),
                    grants: grants.clone(),
                },
            )
            .await?;
            // changed_at 0: the owner sets their own password at the first login.
            users::set_password_hash(
                &mut tx,
                &id,
                &hash,
                0,
                config.auth.password_policy().history,
            )
            .await?;
            let detail =
                serde_json::json!({"username": username, "role": role.code(), "scope": grants});
            tx.commit_audited(vec![cli_entry("user.create", &id, detail.to_string())])
                .await?;
            println!("created {} ({}) with id {id}", username, role.label_zh());
            if role.is_administrative() {
                println!(
                    "at the first login they change the password and enrol a TOTP authenticator"
                );
            } else {
                println!("at the first login they change the password");
            }
            Ok(())
        }
    }
}

pub async fn crypto(config: &Config, command: CryptoCommand) -> anyhow::Result<()> {
    let cipher = config.field_cipher()?;
    let db = pingan_server::app::open_db(config).await?;
    match command {
        CryptoCommand::Status => {
            println!("current field key: {}", cipher.current_id());
            let mut stale = 0;
            for (column, n) in pingan_server::rekey::status(&db, &cipher).await? {
                println!("{column}: {n} under an older key");
                stale += n;
            }
            if stale == 0 {
                println!("nothing is sealed under an older key: old keys may be removed");
            }
            Ok(())
        }
        CryptoCommand::Rekey => {
            let n = pingan_server::rekey::run(&db, &cipher, "cli", |column, n| {
                eprintln!("{column}: {n} re-sealed");
            })
            .await?;
            println!("re-sealed {n} values under key {}", cipher.current_id());
            Ok(())
        }
    }
}
