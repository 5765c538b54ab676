//! `pingan import areas FILE.csv|xlsx`: columns `code,name,level,parent_code` (the national statistics
//! layout) and optionally `area_type` (urban/suburban/rural) and `valid_from` (YYYY-MM-DD). Codes are
//! checked for length, level, and parent prefix; a parent must exist in the file or the database. A
//! district's own parent (a prefecture) lies outside the tree and is ignored. Existing codes are updated.

use super::{ImportActor, ImportError, ImportOptions, ImportReport, RowError, Table};
use pingan_domain::area::area_path;
use pingan_domain::{AreaCode, AreaLevel, Scope};
use pingan_store::{Db, areas};
use std::collections::{HashMap, HashSet};

/// A good row and the area it becomes.
pub struct Planned {
    pub row: usize,
    pub area: areas::NewArea,
}

fn err(row: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        unit: "row",
        row,
        column: column.into(),
        message: message.into(),
    }
}

/// Checks every row without touching the database: `existing` are the codes already stored, `today`
/// the default `valid_from`. Returns the good rows (parents first) and the bad ones by row.
pub fn plan(
    table: &Table,
    existing: &HashSet<String>,
    today: &str,
    scope: &Scope,
) -> Result<(Vec<Planned>, Vec<RowError>), ImportError> {
    let c_code = table.require("code")?;
    let c_name = table.require("name")?;
    let c_level = table.header.get("level").copied();
    let c_parent = table.header.get("parent_code").copied();
    let c_type = table.header.get("area_type").copied();
    let c_valid = table.header.get("valid_from").copied();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, r) in table.rows.iter().enumerate() {
        let row = i + 2;
        if r.iter().all(|c| c.is_empty()) {
            continue;
        }
        let code = match AreaCode::parse(table.cell(r, Some(c_code))) {
            Ok(c) => c,
            Err(e) => {
                bad.push(err(row, "code", e.to_string()));
                continue;
            }
        };
        if let Some(first) = seen.insert(code.to_string(), row) {
            bad.push(err(
                row,
                "code",
                format!("{code} already appears in row {first}"),
            ));
            continue;
        }
        let name = table.cell(r, Some(c_name));
        if name.is_empty() || name.chars().count() > 100 {
            bad.push(err(row, "name", "name must be 1–100 characters"));
            continue;
        }
        let level_text = table.cell(r, c_level);
        if !level_text.is_empty() {
            match AreaLevel::parse(level_text) {
                Some(l) if l == code.level() => {}
                Some(l) => {
                    bad.push(err(
                        row,
                        "level",
                        format!(
                            "level {} does not match the {}-digit code",
                            l.code(),
                            code.as_str().len()
                        ),
                    ));
                    continue;
                }
                None => {
                    bad.push(err(row, "level", format!("unknown level `{level_text}` (county/district, township/street, village/community)")));
                    continue;
                }
            }
        }
        let parent = match code.level() {
            AreaLevel::District => None,
            _ => {
                let p = table.cell(r, c_parent);
                let implied = code.implied_parent();
                if !p.is_empty() && Some(p) != implied.as_ref().map(|c| c.as_str()) {
                    bad.push(err(
                        row,
                        "parent_code",
                        format!(
                            "{code} must lie under {}, not {p}",
                            implied.map(|c| c.to_string()).unwrap_or_default()
                        ),
                    ));
                    continue;
                }
                implied
            }
        };
        let area_type = match table.cell(r, c_type) {
            "" => "urban".to_string(),
            t @ ("urban" | "suburban" | "rural") => t.to_string(),
            t => {
                bad.push(err(
                    row,
                    "area_type",
                    format!("`{t}` is not urban, suburban or rural"),
                ));
                continue;
            }
        };
        let valid_from = match table.cell(r, c_valid) {
            "" => today.to_string(),
            d if d.parse::<jiff::civil::Date>().is_ok() => d.to_string(),
            d => {
                bad.push(err(
                    row,
                    "valid_from",
                    format!("`{d}` is not a YYYY-MM-DD date"),
                ));
                continue;
            }
        };
        if !scope.covers_area_path(&area_path(&code)) {
            bad.push(err(row, "code", format!("{code} lies outside your scope")));
            continue;
        }
        good.push(Planned {
            row,
            area: areas::NewArea {
                code,
                parent,
                name: name.to_string(),
                area_type,
                valid_from,
            },
        });
    }
    // Parents must exist in the database or among the good rows; drop orphans (and their children).
    good.sort_by_key(|p| p.area.code.as_str().len());
    let mut known: HashSet<String> = existing.clone();
    let mut kept = Vec::new();
    for p in good {
        match &p.area.parent {
            Some(parent) if !known.contains(parent.as_str()) => {
                bad.push(err(
                    p.row,
                    "parent_code",
                    format!(
                        "parent {parent} is neither in the file (as a good row) nor in the database"
                    ),
                ));
            }
            _ => {
                known.insert(p.area.code.to_string());
                kept.push(p);
            }
        }
    }
    bad.sort_by_key(|e| e.row);
    Ok((kept, bad))
}

/// Checks every row, then writes all of them in one transaction (or none).
pub async fn import(
    db: &Db,
    table: &Table,
    opts: ImportOptions,
    actor: &ImportActor,
    scope: &Scope,
    mut progress: impl FnMut(usize),
) -> Result<ImportReport, ImportError> {
    let existing: HashSet<String> = areas::all_codes(db)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let today = pingan_domain::time::local_date(jiff::Timestamp::now());
    let (good, bad) = plan(table, &existing, &today, scope)?;
    if !bad.is_empty() && !opts.skip_bad && !opts.dry_run {
        return Err(ImportError::BadRows(bad));
    }
    let mut report = ImportReport {
        rows: table.rows.len(),
        skipped: bad,
        dry_run: opts.dry_run,
        ..Default::default()
    };
    for p in &good {
        if existing.contains(p.area.code.as_str()) {
            report.updated += 1
        } else {
            report.created += 1
        }
    }
    if opts.dry_run {
        return Ok(report);
    }
    let mut tx = db.begin().await?;
    for (i, p) in good.iter().enumerate() {
        let a = &p.area;
        if existing.contains(a.code.as_str()) {
            areas::update(
                &mut tx,
                a.code.as_str(),
                &a.name,
                &a.area_type,
                &a.valid_from,
            )
            .await?;
        } else {
            areas::insert(&mut tx, a).await?;
        }
        progress(i + 1);
    }
    let entry = actor.entry("area.import", "area", serde_json::json!({"created": report.created, "updated": report.updated, "skipped": report.skipped.len()}));
    tx.commit_audited(vec![entry]).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_domain::{ScopeGrant, ScopeKind};

    fn all() -> Scope {
        Scope::new(vec![ScopeGrant {
            kind: ScopeKind::Area,
            path: "/".into(),
        }])
    }

    #[test]
    fn rows_outside_the_scope_are_refused() {
        let t = table("code,name\n330681001001,江东社区\n330681109004,陈家社区\n");
        let existing: HashSet<String> =
            ["330681".into(), "330681001".into(), "330681109".into()].into();
        let fengqiao = Scope::new(vec![ScopeGrant {
            kind: ScopeKind::Area,
            path: "/330681/330681109/".into(),
        }]);
        let (good, bad) = plan(&t, &existing, "2026-01-01", &fengqiao).unwrap();
        assert_eq!(good.len(), 1);
        assert_eq!((bad[0].row, bad[0].column.as_str()), (2, "code"));
    }

    fn table(csv: &str) -> Table {
        Table::from_csv(csv.as_bytes()).unwrap()
    }

    #[test]
    fn rows_are_checked_and_located() {
        let t = table(
            "code,name,level,parent_code\n\
             330681,诸暨市,county,3306\n\
             330681109,枫桥镇,township,330681\n\
             330681109004,陈家社区,village,330681109\n\
             33068110900,坏码,village,330681109\n\
             330681001001,江东社区,village,330681001\n\
             330681109219,先进村委会,township,330681109\n\
             330681109004,重复,village,330681109\n",
        );
        let (good, bad) = plan(&t, &HashSet::new(), "2026-01-01", &all()).unwrap();
        let codes: Vec<_> = good.iter().map(|p| p.area.code.to_string()).collect();
        assert_eq!(codes, ["330681", "330681109", "330681109004"]);
        let located: Vec<_> = bad.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            located,
            [(5, "code"), (6, "parent_code"), (7, "level"), (8, "code")]
        );
    }

    #[test]
    fn parents_may_come_from_the_database() {
        let t = table("code,name\n330681109004,陈家社区\n");
        let existing: HashSet<String> = ["330681".into(), "330681109".into()].into();
        let (good, bad) = plan(&t, &existing, "2026-01-01", &all()).unwrap();
        assert_eq!((good.len(), bad.len()), (1, 0));
        assert!(
            matches!(plan(&table("name\nx\n"), &existing, "2026-01-01", &all()), Err(ImportError::MissingColumn(c)) if c == "code")
        );
    }
}
