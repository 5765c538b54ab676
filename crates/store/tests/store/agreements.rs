//! Sharing agreements: stored and read back as the domain's agreement; approved once, revoked once,
//! each by a conditional update, and only approved ones in their days are in force.

use super::*;
use pingan_domain::sharing::{AgreementStatus, EventType};
use pingan_domain::{OrgKind, Role};
use pingan_store::sharing::{self, AgreementRow};
use pingan_store::{orgs, users};

async fn user(tx: &mut pingan_store::Tx, name: &str) -> String {
    users::insert(
        tx,
        &users::NewUser {
            username: name.into(),
            display_name: name.into(),
            role: Role::SecurityAdmin,
            org_id: None,
            mobile_sealed: None,
            password_hash: "$argon2id$fake".into(),
            grants: vec![],
        },
    )
    .await
    .unwrap()
}

both!(
    agreements_are_approved_and_revoked_once,
    |t: TestDb| async move {
        let db = &t.db;
        let mut tx = db.begin().await.unwrap();
        let partner = orgs::insert(
            &mut tx,
            &orgs::NewOrg {
                parent_id: None,
                name: "网格化服务管理中心".into(),
                kind: OrgKind::PartnerAgency,
                area_code: None,
            },
        )
        .await
        .unwrap();
        let (drafter, approver) = (
            user(&mut tx, "drafter").await,
            user(&mut tx, "approver").await,
        );
        let row = AgreementRow {
            id: pingan_store::new_id(),
            partner_org_id: partner.id.clone(),
            fields: r#"{"incident.received": ["number", "type_code", "grid_code"]}"#.into(),
            area_paths: "/330681/330681109/".into(),
            purpose: "网格事件联动处置".into(),
            legal_basis: None,
            valid_from: "2026-12-01".into(),
            valid_to: "2026-12-31".into(),
            status: AgreementStatus::Pending.code().into(),
            drafted_by: drafter.clone(),
            drafted_at: 1,
            approved_by: None,
            approved_at: None,
            revoked_by: None,
            revoked_at: None,
            revoke_reason: None,
            updated_at: 1,
        };
        sharing::insert(&mut tx, &row).await.unwrap();
        tx.commit_audited(vec![]).await.unwrap();

        let back = sharing::get(db, &row.id).await.unwrap().unwrap();
        assert_eq!(back, row);
        let a = back.agreement().unwrap();
        assert_eq!(
            a.fields[&EventType::IncidentReceived],
            ["number", "type_code", "grid_code"]
        );
        assert_eq!(a.status, AgreementStatus::Pending);
        assert!(
            sharing::in_force(db, "2026-12-10")
                .await
                .unwrap()
                .is_empty(),
            "pending: not in force"
        );

        let mut tx = db.begin().await.unwrap();
        assert!(
            sharing::approve(&mut tx, &row.id, &approver, 2)
                .await
                .unwrap()
        );
        assert!(
            !sharing::approve(&mut tx, &row.id, &approver, 3)
                .await
                .unwrap(),
            "approved once"
        );
        tx.commit_audited(vec![]).await.unwrap();
        assert_eq!(sharing::in_force(db, "2026-12-10").await.unwrap().len(), 1);
        assert!(
            sharing::in_force(db, "2027-01-01")
                .await
                .unwrap()
                .is_empty(),
            "expired"
        );

        let mut tx = db.begin().await.unwrap();
        assert!(
            sharing::revoke(&mut tx, &row.id, &approver, 4, "合作终止")
                .await
                .unwrap()
        );
        assert!(
            !sharing::revoke(&mut tx, &row.id, &approver, 5, "again")
                .await
                .unwrap()
        );
        tx.commit_audited(vec![]).await.unwrap();
        assert!(
            sharing::in_force(db, "2026-12-10")
                .await
                .unwrap()
                .is_empty(),
            "revoked"
        );
        let gone = sharing::get(db, &row.id).await.unwrap().unwrap();
        assert_eq!(
            (gone.status.as_str(), gone.revoke_reason.as_deref()),
            ("revoked", Some("合作终止"))
        );
        assert_eq!(sharing::of_partner(db, &partner.id).await.unwrap().len(), 1);

        // A stored value that does not read back is an error, not a guess.
        let mut bad = gone.clone();
        bad.fields = r#"{"incident.burgled": []}"#.into();
        assert!(bad.agreement().is_err());
    }
);
