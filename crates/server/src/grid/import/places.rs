//! `pingan import places FILE.csv|xlsx`: columns `name,kind,address,lng,lat` and optionally `crs`
//! (wgs84/gcj02/bd09), `credit_code`, `contact_name`, `contact_phone`. Each row goes through the same
//! checks as the API (`grid::places::check_place`): the grid is derived from the location and must lie in
//! the importer's scope. `export` writes the places to XLSX with contacts masked.

use super::{ImportActor, ImportError, ImportOptions, ImportReport, RowError, Table};
use crate::error::ApiError;
use crate::grid::places::{NewPlace, check_place};
use crate::rekey::{CONTACT_NAME, CONTACT_PHONE, open_sealed};
use crate::xlsx::{Cell, Sheet};
use pingan_domain::crypto::FieldCipher;
use pingan_domain::{Scope, mask};
use pingan_store::{Db, places};

fn err(row: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        unit: "row",
        row,
        column: column.into(),
        message: message.into(),
    }
}

/// Places as entered, each with its row number.
pub type ReadRows = Vec<(usize, NewPlace)>;

/// Reads every row into a place as entered (the checks that need no database: columns, numbers).
/// Returns `(row, place)` for the readable rows and the errors of the others; blank rows are skipped.
pub fn read_rows(table: &Table) -> Result<(ReadRows, Vec<RowError>), ImportError> {
    let c_name = Some(table.require("name")?);
    let c_kind = Some(table.require("kind")?);
    let c_addr = Some(table.require("address")?);
    let c_lng = Some(table.require("lng")?);
    let c_lat = Some(table.require("lat")?);
    let opt = |c: &str| table.header.get(c).copied();
    let (c_crs, c_credit, c_cname, c_cphone) = (
        opt("crs"),
        opt("credit_code"),
        opt("contact_name"),
        opt("contact_phone"),
    );
    let mut read = Vec::new();
    let mut bad = Vec::new();
    for (i, r) in table.rows.iter().enumerate() {
        let row = i + 2;
        if r.iter().all(|c| c.is_empty()) {
            continue;
        }
        let num = |col: Option<usize>, name: &str| -> Result<f64, RowError> {
            let v = table.cell(r, col);
            v.parse::<f64>()
                .map_err(|_| err(row, name, format!("`{v}` is not a number")))
        };
        let (lng, lat) = match (num(c_lng, "lng"), num(c_lat, "lat")) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) => {
                bad.push(e);
                continue;
            }
        };
        let some = |c: Option<usize>| Some(table.cell(r, c).to_string()).filter(|s| !s.is_empty());
        read.push((
            row,
            NewPlace {
                name: table.cell(r, c_name).to_string(),
                kind: table.cell(r, c_kind).to_string(),
                address: table.cell(r, c_addr).to_string(),
                lng,
                lat,
                crs: some(c_crs),
                credit_code: some(c_credit),
                contact_name: some(c_cname),
                contact_phone: some(c_cphone),
            },
        ));
    }
    Ok((read, bad))
}

pub async fn import(
    db: &Db,
    cipher: &FieldCipher,
    table: &Table,
    opts: ImportOptions,
    actor: &ImportActor,
    scope: &Scope,
    mut progress: impl FnMut(usize),
) -> Result<ImportReport, ImportError> {
    let (read, mut bad) = read_rows(table)?;
    let mut good = Vec::new();
    for (row, req) in &read {
        match check_place(db, cipher, scope, req)
            .await
            .map_err(ApiError::first_problem)
        {
            Ok(p) => good.push(p),
            Err(ApiError::Validation(msg, field)) => {
                bad.push(err(*row, field.as_deref().unwrap_or("?"), msg))
            }
            Err(e) => return Err(ImportError::Read("places".into(), e.to_string())),
        }
    }
    // One error per row at most: sorting restores file order across both kinds of check.
    bad.sort_by_key(|e| e.row);
    if !bad.is_empty() && !opts.skip_bad && !opts.dry_run {
        return Err(ImportError::BadRows(bad));
    }
    let report = ImportReport {
        rows: table.rows.len(),
        created: good.len(),
        updated: 0,
        skipped: bad,
        dry_run: opts.dry_run,
    };
    if opts.dry_run {
        return Ok(report);
    }
    let mut tx = db.begin().await?;
    for (i, p) in good.iter().enumerate() {
        places::insert(&mut tx, p).await?;
        progress(i + 1);
    }
    let entry = actor.entry(
        "place.import",
        "place",
        serde_json::json!({"created": report.created, "skipped": report.skipped.len()}),
    );
    tx.commit_audited(vec![entry]).await?;
    Ok(report)
}

/// All places in `scope` as an XLSX workbook (contacts masked). Returns the number of places.
pub async fn export(
    db: &Db,
    cipher: &FieldCipher,
    scope: &Scope,
    out: &std::path::Path,
) -> Result<usize, ImportError> {
    let rows = places::list(db, scope, &places::PlaceFilter::default()).await?;
    let opened = |aad: &str, v: &Option<String>, id: &str| {
        open_sealed(cipher, aad, v.as_deref())
            .map_err(|e| ImportError::Read(id.to_string(), e.to_string()))
    };
    let mut lines = Vec::with_capacity(rows.len());
    for p in &rows {
        let name = opened(CONTACT_NAME, &p.contact_name_sealed, &p.id)?;
        let phone = opened(CONTACT_PHONE, &p.contact_phone_sealed, &p.id)?;
        lines.push(vec![
            Cell::from(p.name.as_str()),
            p.kind.as_str().into(),
            p.address.as_str().into(),
            p.lng.into(),
            p.lat.into(),
            p.grid_code.as_str().into(),
            p.credit_code.clone().unwrap_or_default().into(),
            name.as_deref()
                .map(mask::mask_name)
                .unwrap_or_default()
                .into(),
            phone
                .as_deref()
                .map(mask::mask_phone)
                .unwrap_or_default()
                .into(),
        ]);
    }
    let sheet = Sheet {
        name: "places",
        title: None,
        header: &[
            "name",
            "kind",
            "address",
            "lng",
            "lat",
            "grid_code",
            "credit_code",
            "contact_name",
            "contact_phone",
        ],
        rows: lines,
    };
    let bytes = sheet
        .to_bytes()
        .map_err(|e| ImportError::Read(out.display().to_string(), e.to_string()))?;
    std::fs::write(out, bytes)
        .map_err(|e| ImportError::Read(out.display().to_string(), e.to_string()))?;
    Ok(rows.len())
}
