use super::*;
use pingan_domain::{AreaCode, OrgKind, Scope, ScopeGrant, ScopeKind};
use pingan_store::areas::{self, NewArea};
use pingan_store::{StoreError, orgs};

fn area(code: &str, parent: Option<&str>, name: &str) -> NewArea {
    NewArea {
        code: AreaCode::parse(code).unwrap(),
        parent: parent.map(|p| AreaCode::parse(p).unwrap()),
        name: name.into(),
        area_type: "urban".into(),
        valid_from: "2023-01-01".into(),
    }
}

pub async fn seed_tree(db: &pingan_store::Db) {
    let mut tx = db.begin().await.unwrap();
    for a in [
        area("330681", None, "诸暨市"),
        area("330681001", Some("330681"), "暨阳街道"),
        area("330681109", Some("330681"), "枫桥镇"),
        area("330681001001", Some("330681001"), "城西社区"),
        area("330681109201", Some("330681109"), "枫源村"),
    ] {
        areas::insert(&mut tx, &a).await.unwrap();
    }
    tx.commit_audited(vec![]).await.unwrap();
}

fn area_scope(path: &str) -> Scope {
    Scope::new(vec![ScopeGrant {
        kind: ScopeKind::Area,
        path: path.into(),
    }])
}

both!(scope_filters_in_the_query, |t: TestDb| async move {
    seed_tree(&t.db).await;
    let fengqiao = area_scope("/330681/330681109/");
    let all = areas::list(&t.db, &fengqiao, None, None).await.unwrap();
    let codes: Vec<_> = all.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(codes, ["330681109", "330681109201"]);
    assert!(
        areas::get(&t.db, &fengqiao, "330681001")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        areas::get(&t.db, &fengqiao, "330681001001")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        areas::get(&t.db, &fengqiao, "330681109201")
            .await
            .unwrap()
            .unwrap()
            .name,
        "枫源村"
    );
    // An empty scope sees nothing; the district scope sees everything.
    assert!(
        areas::list(&t.db, &Scope::default(), None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        areas::list(&t.db, &area_scope("/330681/"), None, None)
            .await
            .unwrap()
            .len(),
        5
    );
    let children = areas::list(&t.db, &area_scope("/330681/"), Some("330681"), None)
        .await
        .unwrap();
    assert_eq!(children.len(), 2);
});

both!(bad_area_codes_write_nothing, |t: TestDb| async move {
    seed_tree(&t.db).await;
    let mut tx = t.db.begin().await.unwrap();
    // A village under the wrong township.
    let err = areas::insert(&mut tx, &area("330681001201", Some("330681109"), "错村"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    // A township whose parent does not exist.
    let err = areas::insert(&mut tx, &area("330682001", Some("330682"), "外县"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    tx.rollback().await.unwrap();
    // Duplicate code is a conflict.
    let mut tx = t.db.begin().await.unwrap();
    let err = areas::insert(&mut tx, &area("330681109", Some("330681"), "枫桥镇"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    tx.rollback().await.unwrap();
    assert_eq!(
        areas::list(&t.db, &area_scope("/"), None, None)
            .await
            .unwrap()
            .len(),
        5
    );
});

both!(org_tree_paths_and_scope, |t: TestDb| async move {
    seed_tree(&t.db).await;
    let mut tx = t.db.begin().await.unwrap();
    let bureau = orgs::insert(
        &mut tx,
        &orgs::NewOrg {
            parent_id: None,
            name: "诸暨市公安局".into(),
            kind: OrgKind::Bureau,
            area_code: Some("330681".into()),
        },
    )
    .await
    .unwrap();
    let station = orgs::insert(
        &mut tx,
        &orgs::NewOrg {
            parent_id: Some(bureau.id.clone()),
            name: "枫桥派出所".into(),
            kind: OrgKind::Station,
            area_code: Some("330681109".into()),
        },
    )
    .await
    .unwrap();
    let other = orgs::insert(
        &mut tx,
        &orgs::NewOrg {
            parent_id: Some(bureau.id.clone()),
            name: "暨阳派出所".into(),
            kind: OrgKind::Station,
            area_code: Some("330681001".into()),
        },
    )
    .await
    .unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    assert!(station.path.starts_with(&bureau.path));
    assert_eq!(station.area_path.as_deref(), Some("/330681/330681109/"));
    let s = area_scope("/330681/330681109/");
    let visible: Vec<_> = orgs::list(&t.db, &s)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(visible, ["枫桥派出所"]);
    assert!(orgs::get(&t.db, &s, &other.id).await.unwrap().is_none());
    let by_org = Scope::new(vec![ScopeGrant {
        kind: ScopeKind::Org,
        path: bureau.path.clone(),
    }]);
    assert_eq!(orgs::list(&t.db, &by_org).await.unwrap().len(), 3);
});
