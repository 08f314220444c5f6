//! SQL for master data and the organisation (municipalities, centres, sites).

use rusqlite::{params, Connection, Row};

use super::{is_constraint, parse_date, parse_opt_date};
use crate::domain::audit::AuditDraft;
use crate::domain::codes::{CodeItem, Codes};
use crate::domain::org::{Center, Site};
use crate::domain::region::{Membership, Region};
use crate::domain::sync::Change;
use crate::store::{ConflictKind, Reference, StoreError, StoreResult};

fn code_item(r: &Row) -> rusqlite::Result<CodeItem> {
    Ok(CodeItem {
        list: r.get(0)?,
        code: r.get(1)?,
        label: r.get(2)?,
        sort_order: r.get(3)?,
        valid_from: parse_opt_date(r.get(4)?)?,
        valid_to: parse_opt_date(r.get(5)?)?,
        parent: r.get(6)?,
        rank: r.get(7)?,
        lower: r.get(8)?,
        upper: r.get(9)?,
    })
}

pub fn code_items(c: &mut Connection, list: Option<&str>) -> StoreResult<Vec<CodeItem>> {
    let mut stmt = c.prepare_cached(
        "SELECT list, code, label, sort_order, valid_from, valid_to, parent, rank, lower, upper
         FROM master_items
         WHERE ?1 IS NULL OR list = ?1
         ORDER BY list, sort_order, code",
    )?;
    let items = stmt.query_map([list], code_item)?.collect::<Result<_, _>>()?;
    Ok(items)
}

pub fn codes(c: &mut Connection) -> StoreResult<Codes> {
    let items = code_items(c, None)?;
    let municipalities = municipalities(c)?.into_iter().map(|m| m.0);
    Ok(Codes::new(items, municipalities))
}

pub fn municipalities(c: &mut Connection) -> StoreResult<Vec<(String, String, String, i32)>> {
    let mut stmt =
        c.prepare_cached("SELECT code, name, kana, sort_order FROM municipalities ORDER BY sort_order")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn center_row(r: &Row) -> rusqlite::Result<Center> {
    Ok(Center {
        code: r.get(0)?,
        name: r.get(1)?,
        municipality: r.get(2)?,
        operator_body: r.get(3)?,
        opened_on: parse_date(&r.get::<_, String>(4)?)?,
        closed_on: parse_opt_date(r.get(5)?)?,
    })
}

pub fn centers(c: &mut Connection) -> StoreResult<Vec<Center>> {
    let mut stmt = c.prepare_cached(
        "SELECT code, name, municipality, operator_body, opened_on, closed_on FROM centers ORDER BY code",
    )?;
    let rows = stmt.query_map([], center_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn center(c: &Connection, code: &str) -> StoreResult<Center> {
    let mut stmt = c.prepare_cached(
        "SELECT code, name, municipality, operator_body, opened_on, closed_on FROM centers WHERE code = ?1",
    )?;
    Ok(stmt.query_row([code], center_row)?)
}

pub fn upsert_center(c: &mut Connection, center: &Center) -> StoreResult<()> {
    c.execute(
        "INSERT INTO centers (code, name, municipality, operator_body, opened_on, closed_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (code) DO UPDATE SET
             name = excluded.name, municipality = excluded.municipality,
             operator_body = excluded.operator_body, opened_on = excluded.opened_on,
             closed_on = excluded.closed_on",
        params![
            center.code,
            center.name,
            center.municipality,
            center.operator_body,
            center.opened_on.to_string(),
            center.closed_on.map(|d| d.to_string()),
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::MissingReference(Reference::Municipality)
        } else {
            e.into()
        }
    })?;
    Ok(())
}

fn site_row(r: &Row) -> rusqlite::Result<Site> {
    Ok(Site {
        code: r.get(0)?,
        center: r.get(1)?,
        name: r.get(2)?,
        opened_on: parse_date(&r.get::<_, String>(3)?)?,
        closed_on: parse_opt_date(r.get(4)?)?,
    })
}

pub fn sites(c: &mut Connection, center: Option<&str>) -> StoreResult<Vec<Site>> {
    let mut stmt = c.prepare_cached(
        "SELECT code, center, name, opened_on, closed_on FROM sites
         WHERE ?1 IS NULL OR center = ?1 ORDER BY code",
    )?;
    let rows = stmt.query_map([center], site_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Creates or changes a site; on a centre node (`with_outbox`) the change also goes to the sync
/// outbox, in the same transaction.
pub fn upsert_site(c: &mut Connection, site: &Site, with_outbox: bool) -> StoreResult<()> {
    // Write lock first (BEGIN IMMEDIATE): the upsert and its outbox entry, which reads whether
    // the centre syncs, land together.
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO sites (code, center, name, opened_on, closed_on) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET
             name = excluded.name, opened_on = excluded.opened_on, closed_on = excluded.closed_on
         WHERE sites.center = excluded.center",
        params![
            site.code,
            site.center,
            site.name,
            site.opened_on.to_string(),
            site.closed_on.map(|d| d.to_string()),
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::MissingReference(Reference::Center)
        } else {
            e.into()
        }
    })?;
    if with_outbox {
        super::outbox::record(&tx, &site.center, |_| Ok(Change::UpsertSite(site.clone())))?;
    }
    tx.commit()?;
    Ok(())
}

/// Every region with its memberships, by sort order and code.
pub fn regions(c: &Connection) -> StoreResult<Vec<Region>> {
    let mut stmt = c.prepare_cached(
        "SELECT code, name, sort_order, valid_from, valid_to FROM regions ORDER BY sort_order, code",
    )?;
    let mut regions: Vec<Region> = stmt
        .query_map([], |r| {
            Ok(Region {
                code: r.get(0)?,
                name: r.get(1)?,
                sort_order: r.get(2)?,
                valid_from: parse_date(&r.get::<_, String>(3)?)?,
                valid_to: parse_opt_date(r.get(4)?)?,
                members: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = c.prepare_cached(
        "SELECT region, municipality, valid_from, valid_to FROM region_members
         ORDER BY region, municipality, valid_from",
    )?;
    let members = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Membership {
                    municipality: r.get(1)?,
                    valid_from: parse_date(&r.get::<_, String>(2)?)?,
                    valid_to: parse_opt_date(r.get(3)?)?,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (region, m) in members {
        if let Some(r) = regions.iter_mut().find(|r| r.code == region) {
            r.members.push(m);
        }
    }
    Ok(regions)
}

/// Creates or replaces a region and its memberships. The write lock is taken first (BEGIN
/// IMMEDIATE), so the check for a municipality held by another region reads what stays true
/// until the commit.
pub fn put_region(c: &mut Connection, region: &Region, audit: AuditDraft<Region>) -> StoreResult<Region> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored = regions(&tx)?;
    if !crate::domain::region::clashes(region, &stored).is_empty() {
        return Err(StoreError::Conflict(ConflictKind::RegionMembership));
    }
    tx.execute(
        "INSERT INTO regions (code, name, sort_order, valid_from, valid_to) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, sort_order = excluded.sort_order,
             valid_from = excluded.valid_from, valid_to = excluded.valid_to",
        params![
            region.code,
            region.name,
            region.sort_order,
            region.valid_from.to_string(),
            region.valid_to.map(|d| d.to_string()),
        ],
    )?;
    tx.execute("DELETE FROM region_members WHERE region = ?1", [&region.code])?;
    for m in &region.members {
        tx.execute(
            "INSERT INTO region_members (region, municipality, valid_from, valid_to) VALUES (?1, ?2, ?3, ?4)",
            params![
                region.code,
                m.municipality,
                m.valid_from.to_string(),
                m.valid_to.map(|d| d.to_string()),
            ],
        )
        .map_err(|e| {
            if is_constraint(&e) {
                StoreError::MissingReference(Reference::Municipality)
            } else {
                e.into()
            }
        })?;
    }
    super::audit::append(&tx, &audit.entry_for(region))?;
    tx.commit()?;
    Ok(region.clone())
}
