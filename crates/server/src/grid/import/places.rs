//! `pingan import places FILE.csv|xlsx`: columns `name,kind,address,lng,lat` and optionally `crs`
//! (wgs84/gcj02/bd09), `credit_code`, `contact_name`, `contact_phone`. Each row goes through the same
//! checks as the API (`grid::places::check_place`): the grid is derived from the location and must lie in
//! the importer's scope. `export` writes the places to XLSX with contacts masked.

use super::{ImportActor, ImportError, ImportOptions, ImportReport, RowError, Table};
use crate::error::ApiError;
use crate::grid::places::{NewPlace, check_place};
use crate::rekey::{CONTACT_NAME, CONTACT_PHONE, open_sealed};
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
        match check_place(db, cipher, scope, req).await {
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
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let xl =
        |e: rust_xlsxwriter::XlsxError| ImportError::Read(out.display().to_string(), e.to_string());
    let header = [
        "name",
        "kind",
        "address",
        "lng",
        "lat",
        "grid_code",
        "credit_code",
        "contact_name",
        "contact_phone",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(xl)?;
    }
    for (i, p) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        ws.write_string(r, 0, &p.name).map_err(xl)?;
        ws.write_string(r, 1, &p.kind).map_err(xl)?;
        ws.write_string(r, 2, &p.address).map_err(xl)?;
        ws.write_number(r, 3, p.lng).map_err(xl)?;
        ws.write_number(r, 4, p.lat).map_err(xl)?;
        ws.write_string(r, 5, &p.grid_code).map_err(xl)?;
        ws.write_string(r, 6, p.credit_code.as_deref().unwrap_or(""))
            .map_err(xl)?;
        ws.write_string(
            r,
            7,
            open_sealed(cipher, CONTACT_NAME, p.contact_name_sealed.as_deref())
                .map_err(|e| ImportError::Read(p.id.clone(), e.to_string()))?
                .as_deref()
                .map(mask::mask_name)
                .unwrap_or_default(),
        )
        .map_err(xl)?;
        ws.write_string(
            r,
            8,
            open_sealed(cipher, CONTACT_PHONE, p.contact_phone_sealed.as_deref())
                .map_err(|e| ImportError::Read(p.id.clone(), e.to_string()))?
                .as_deref()
                .map(mask::mask_phone)
                .unwrap_or_default(),
        )
        .map_err(xl)?;
    }
    wb.save(out).map_err(xl)?;
    Ok(rows.len())
}
