//! SQL for master data and the organisation (municipalities, centres, sites).

use tiberius::Row;

use super::conn::{date, int, is_constraint_violation, opt_date, opt_int, opt_str, str, Conn, LockMode};
use crate::domain::codes::{CodeItem, Codes};
use crate::domain::org::{Center, Site};
use crate::domain::region::{Membership, Region};
use crate::store::{ConflictKind, Reference, StoreError, StoreResult};

pub(super) const CODE_ITEMS: &str =
    "SELECT list, code, label, sort_order, valid_from, valid_to, parent, rank, lower, upper
     FROM master_items
     WHERE @P1 IS NULL OR list = @P1
     ORDER BY list, sort_order, code";
pub(super) const MUNICIPALITIES: &str =
    "SELECT code, name, kana, sort_order FROM municipalities ORDER BY sort_order";
pub(super) const CENTERS: &str =
    "SELECT code, name, municipality, operator_body, opened_on, closed_on FROM centers ORDER BY code";
pub(super) const CENTER: &str =
    "SELECT code, name, municipality, operator_body, opened_on, closed_on FROM centers WHERE code = @P1";
pub(super) const UPDATE_CENTER: &str =
    "UPDATE centers SET name = @P2, municipality = @P3, operator_body = @P4, opened_on = @P5, closed_on = @P6
     WHERE code = @P1";
pub(super) const INSERT_CENTER: &str =
    "INSERT INTO centers (code, name, municipality, operator_body, opened_on, closed_on)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6)";
pub(super) const SITES: &str = "SELECT code, center, name, opened_on, closed_on FROM sites
     WHERE @P1 IS NULL OR center = @P1 ORDER BY code";
pub(super) const UPDATE_SITE: &str =
    "UPDATE sites SET name = @P3, opened_on = @P4, closed_on = @P5 WHERE code = @P1 AND center = @P2";
pub(super) const SITE_EXISTS: &str = "SELECT center FROM sites WHERE code = @P1";
pub(super) const INSERT_SITE: &str =
    "INSERT INTO sites (code, center, name, opened_on, closed_on) VALUES (@P1, @P2, @P3, @P4, @P5)";
pub(super) const REGIONS: &str =
    "SELECT code, name, sort_order, valid_from, valid_to FROM regions ORDER BY sort_order, code";
pub(super) const REGION_MEMBERS: &str =
    "SELECT region, municipality, valid_from, valid_to FROM region_members
     ORDER BY region, municipality, valid_from";
pub(super) const UPDATE_REGION: &str =
    "UPDATE regions SET name = @P2, sort_order = @P3, valid_from = @P4, valid_to = @P5 WHERE code = @P1";
pub(super) const INSERT_REGION: &str =
    "INSERT INTO regions (code, name, sort_order, valid_from, valid_to) VALUES (@P1, @P2, @P3, @P4, @P5)";
pub(super) const DELETE_REGION_MEMBERS: &str = "DELETE FROM region_members WHERE region = @P1";
pub(super) const INSERT_REGION_MEMBER: &str =
    "INSERT INTO region_members (region, municipality, valid_from, valid_to) VALUES (@P1, @P2, @P3, @P4)";
/// Serialises region writes: the check that no other region holds a municipality for the same
/// days and the write it allows happen under one exclusive lock.
const REGIONS_LOCK: &str = "attaka:regions";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    CODE_ITEMS,
    MUNICIPALITIES,
    CENTERS,
    CENTER,
    UPDATE_CENTER,
    INSERT_CENTER,
    SITES,
    UPDATE_SITE,
    SITE_EXISTS,
    INSERT_SITE,
    REGIONS,
    REGION_MEMBERS,
    UPDATE_REGION,
    INSERT_REGION,
    DELETE_REGION_MEMBERS,
    INSERT_REGION_MEMBER,
];

fn i32_of(v: Option<i64>) -> Option<i32> {
    v.and_then(|v| i32::try_from(v).ok())
}

fn code_item(r: &Row) -> StoreResult<CodeItem> {
    Ok(CodeItem {
        list: str(r, 0)?,
        code: str(r, 1)?,
        label: str(r, 2)?,
        sort_order: i32_of(Some(int(r, 3)?)).unwrap_or_default(),
        valid_from: opt_date(r, 4)?,
        valid_to: opt_date(r, 5)?,
        parent: opt_str(r, 6)?,
        rank: i32_of(opt_int(r, 7)?),
        lower: i32_of(opt_int(r, 8)?),
        upper: i32_of(opt_int(r, 9)?),
    })
}

pub async fn code_items(c: &mut Conn, list: Option<&str>) -> StoreResult<Vec<CodeItem>> {
    c.rows(CODE_ITEMS, &[&list])
        .await?
        .iter()
        .map(code_item)
        .collect()
}

pub async fn codes(c: &mut Conn) -> StoreResult<Codes> {
    let items = code_items(c, None).await?;
    let municipalities = municipalities(c).await?.into_iter().map(|m| m.0);
    Ok(Codes::new(items, municipalities))
}

pub async fn municipalities(c: &mut Conn) -> StoreResult<Vec<(String, String, String, i32)>> {
    c.rows(MUNICIPALITIES, &[])
        .await?
        .iter()
        .map(|r| {
            Ok((
                str(r, 0)?,
                str(r, 1)?,
                str(r, 2)?,
                i32_of(Some(int(r, 3)?)).unwrap_or_default(),
            ))
        })
        .collect()
}

fn center_row(r: &Row) -> StoreResult<Center> {
    Ok(Center {
        code: str(r, 0)?,
        name: str(r, 1)?,
        municipality: str(r, 2)?,
        operator_body: str(r, 3)?,
        opened_on: date(r, 4)?,
        closed_on: opt_date(r, 5)?,
    })
}

pub async fn centers(c: &mut Conn) -> StoreResult<Vec<Center>> {
    c.rows(CENTERS, &[]).await?.iter().map(center_row).collect()
}

pub async fn center(c: &mut Conn, code: &str) -> StoreResult<Center> {
    match c.row(CENTER, &[&code]).await? {
        Some(r) => center_row(&r),
        None => Err(StoreError::NotFound),
    }
}

/// Creates or changes a centre: UPDATE, then INSERT when no row changed, under an exclusive
/// application lock on the code, so two first writes of one centre never both insert (no MERGE:
/// Babelfish refuses it).
pub async fn upsert_center(c: &mut Conn, center: &Center) -> StoreResult<()> {
    c.begin().await?;
    let r = async {
        c.lock(&format!("attaka:center:{}", center.code), LockMode::Exclusive)
            .await?;
        let p: [&dyn tiberius::ToSql; 6] = [
            &center.code,
            &center.name,
            &center.municipality,
            &center.operator_body,
            &center.opened_on,
            &center.closed_on,
        ];
        if c.exec(UPDATE_CENTER, &p).await? == 0 {
            c.exec(INSERT_CENTER, &p).await?;
        }
        Ok(())
    }
    .await
    .map_err(|e| {
        if is_constraint_violation(&e) {
            StoreError::MissingReference(Reference::Municipality)
        } else {
            e
        }
    });
    c.finish(r).await
}

fn site_row(r: &Row) -> StoreResult<Site> {
    Ok(Site {
        code: str(r, 0)?,
        center: str(r, 1)?,
        name: str(r, 2)?,
        opened_on: date(r, 3)?,
        closed_on: opt_date(r, 4)?,
    })
}

pub async fn sites(c: &mut Conn, center: Option<&str>) -> StoreResult<Vec<Site>> {
    c.rows(SITES, &[&center]).await?.iter().map(site_row).collect()
}

/// Writes a site inside the caller's transaction, holding the site's application lock: changes
/// it when it is `site.center`'s, inserts it when the code is new, and leaves a site of another
/// centre as it is (as SQLite's `ON CONFLICT … DO UPDATE … WHERE` does). Returns the centre
/// that owns the code afterwards.
pub(super) async fn put_site(c: &mut Conn, site: &Site) -> StoreResult<String> {
    c.lock(&format!("attaka:site:{}", site.code), LockMode::Exclusive)
        .await?;
    let changed = c
        .exec(
            UPDATE_SITE,
            &[
                &site.code,
                &site.center,
                &site.name,
                &site.opened_on,
                &site.closed_on,
            ],
        )
        .await?;
    if changed > 0 {
        return Ok(site.center.clone());
    }
    if let Some(r) = c.row(SITE_EXISTS, &[&site.code]).await? {
        return str(&r, 0);
    }
    c.exec(
        INSERT_SITE,
        &[
            &site.code,
            &site.center,
            &site.name,
            &site.opened_on,
            &site.closed_on,
        ],
    )
    .await?;
    Ok(site.center.clone())
}

/// Creates or changes a site (the hub has no outbox).
pub async fn upsert_site(c: &mut Conn, site: &Site) -> StoreResult<()> {
    c.begin().await?;
    let r = put_site(c, site).await.map(|_| ()).map_err(|e| {
        if is_constraint_violation(&e) {
            StoreError::MissingReference(Reference::Center)
        } else {
            e
        }
    });
    c.finish(r).await
}

/// Every region with its memberships, by sort order and code.
pub async fn regions(c: &mut Conn) -> StoreResult<Vec<Region>> {
    let mut regions = c
        .rows(REGIONS, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(Region {
                code: str(r, 0)?,
                name: str(r, 1)?,
                sort_order: i32_of(Some(int(r, 2)?)).unwrap_or_default(),
                valid_from: date(r, 3)?,
                valid_to: opt_date(r, 4)?,
                members: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<Region>>>()?;
    for r in c.rows(REGION_MEMBERS, &[]).await? {
        let region = str(&r, 0)?;
        let m = Membership {
            municipality: str(&r, 1)?,
            valid_from: date(&r, 2)?,
            valid_to: opt_date(&r, 3)?,
        };
        if let Some(x) = regions.iter_mut().find(|x| x.code == region) {
            x.members.push(m);
        }
    }
    Ok(regions)
}

/// Creates or replaces a region and its memberships inside the caller's transaction, under the
/// regions' exclusive application lock: the check against the other regions' memberships reads
/// what stays true until the commit.
pub(super) async fn put_region(c: &mut Conn, region: &Region) -> StoreResult<Region> {
    c.lock(REGIONS_LOCK, LockMode::Exclusive).await?;
    let stored = regions(c).await?;
    if !crate::domain::region::clashes(region, &stored).is_empty() {
        return Err(StoreError::Conflict(ConflictKind::RegionMembership));
    }
    let p: [&dyn tiberius::ToSql; 5] = [
        &region.code,
        &region.name,
        &region.sort_order,
        &region.valid_from,
        &region.valid_to,
    ];
    if c.exec(UPDATE_REGION, &p).await? == 0 {
        c.exec(INSERT_REGION, &p).await?;
    }
    c.exec(DELETE_REGION_MEMBERS, &[&region.code]).await?;
    for m in &region.members {
        c.exec(
            INSERT_REGION_MEMBER,
            &[&region.code, &m.municipality, &m.valid_from, &m.valid_to],
        )
        .await
        .map_err(|e| {
            if is_constraint_violation(&e) {
                StoreError::MissingReference(Reference::Municipality)
            } else {
                e
            }
        })?;
    }
    Ok(region.clone())
}
