//! SQL for the facts the hub holds (people, activities, participations) as bulk loads and sync
//! batches write them, and for the fiscal-year aggregates (`stats_*_years`) kept beside them.
//!
//! SQLite keeps the aggregates with row triggers. Here the store keeps them in the writing
//! transaction: before an activity or its participations change, the activity's whole
//! contribution is taken out ([`TAKE_OUT`]); after, it is put back from what is stored then
//! ([`PUT_BACK`]). T-SQL has no BEFORE DELETE trigger, and an AFTER trigger of a cascaded delete
//! finds the activity gone, so triggers could not tell where a deleted participation counted.
//! The aggregate rows of a centre are written only under that centre's facts lock
//! ([`facts_lock`]), so "update, then insert what is missing" never races (no MERGE).

use std::collections::BTreeSet;

use chrono::Utc;

use super::conn::{at, is_constraint_violation, is_unique_violation, resource, Conn, LockMode};
use super::period_locks::{self, PERIOD_LOCKS};
use crate::domain::activity::{ActivityRecord, Participation};
use crate::domain::person::Person;
use crate::store::{ConflictKind, StoreError, StoreResult};

/// The application lock on one centre's facts and aggregate rows, held exclusively by whatever
/// writes them (a sync batch of the centre, a bulk load).
pub(super) fn facts_lock(center: &str) -> String {
    resource("attaka:facts", center)
}

pub(super) const INSERT_PERSON: &str =
    "INSERT INTO persons (center, common_id, sex, birth_year_month, residence_municipality, care_level,
                          household, registered_on, ended_on, end_reason, created_at, updated_at)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12)";
pub(super) const INSERT_PERSON_CATEGORY: &str =
    "INSERT INTO person_categories (center, common_id, category) VALUES (@P1, @P2, @P3)";
pub(super) const INSERT_PERSON_DISABILITY: &str =
    "INSERT INTO person_disabilities (center, common_id, kind, grade) VALUES (@P1, @P2, @P3, @P4)";
pub(super) const RAISE_COUNTER: &str = "UPDATE common_id_counters
     SET last_serial = CASE WHEN last_serial < @P2 THEN @P2 ELSE last_serial END WHERE center = @P1";
pub(super) const INSERT_COUNTER: &str =
    "INSERT INTO common_id_counters (center, last_serial) VALUES (@P1, @P2)";

/// The hub's activities have no title column (free text stays on the centre node).
pub(super) const INSERT_ACTIVITY: &str =
    "INSERT INTO activities (id, center, site, date, fiscal_year, [function], start_time, end_time,
                             staff_count, volunteer_count, unregistered_elderly, unregistered_disabled,
                             unregistered_child, unregistered_other, created_at, updated_at)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15, @P15)";
pub(super) const UPDATE_ACTIVITY: &str =
    "UPDATE activities SET site = @P3, date = @P4, fiscal_year = @P5, [function] = @P6, start_time = @P7,
            end_time = @P8, staff_count = @P9, volunteer_count = @P10, unregistered_elderly = @P11,
            unregistered_disabled = @P12, unregistered_child = @P13, unregistered_other = @P14,
            updated_at = @P15
     WHERE id = @P1 AND center = @P2";
pub(super) const INSERT_PARTICIPATION: &str =
    "INSERT INTO participations (activity_id, common_id, age_band, sex, reporting_group, care_level,
                                 household, visit_purpose, referral_destination)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9)";
pub(super) const INSERT_PARTICIPATION_CATEGORY: &str =
    "INSERT INTO participation_categories (activity_id, common_id, category) VALUES (@P1, @P2, @P3)";
pub(super) const INSERT_PARTICIPATION_TOPIC: &str =
    "INSERT INTO participation_topics (activity_id, common_id, topic) VALUES (@P1, @P2, @P3)";

/// Takes activity `@P1`'s contribution out of the aggregates (as it is stored now). Every join
/// is one to one: an activity has one key per year table row, each participation its own
/// person key (the common ID is part of it), each of its categories its own category key.
pub(super) const TAKE_OUT: &str = "UPDATE y SET y.activities = y.activities - 1,
    y.unregistered_elderly = y.unregistered_elderly - a.unregistered_elderly,
    y.unregistered_disabled = y.unregistered_disabled - a.unregistered_disabled,
    y.unregistered_child = y.unregistered_child - a.unregistered_child,
    y.unregistered_other = y.unregistered_other - a.unregistered_other
FROM stats_activity_years y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
WHERE a.id = @P1;
UPDATE y SET y.participations = y.participations - 1
FROM stats_person_years y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
  JOIN participations p ON p.activity_id = a.id AND y.common_id = p.common_id AND y.sex = p.sex
   AND y.age_band = p.age_band AND y.reporting_group = p.reporting_group
   AND y.care_level = p.care_level AND y.household = p.household
WHERE a.id = @P1;
UPDATE y SET y.participations = y.participations - 1
FROM stats_person_year_categories y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
  JOIN participations p ON p.activity_id = a.id AND y.common_id = p.common_id AND y.sex = p.sex
   AND y.age_band = p.age_band AND y.reporting_group = p.reporting_group
   AND y.care_level = p.care_level AND y.household = p.household
  JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
   AND y.category = pc.category
WHERE a.id = @P1;
DELETE y FROM stats_activity_years y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
WHERE a.id = @P1 AND y.activities = 0;
DELETE y FROM stats_person_years y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
WHERE a.id = @P1 AND y.participations = 0;
DELETE y FROM stats_person_year_categories y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
WHERE a.id = @P1 AND y.participations = 0";

/// Puts activity `@P1`'s contribution (as stored now) into the aggregates: rows already there
/// are counted up, missing ones inserted.
pub(super) const PUT_BACK: &str = "UPDATE y SET y.activities = y.activities + 1,
    y.unregistered_elderly = y.unregistered_elderly + a.unregistered_elderly,
    y.unregistered_disabled = y.unregistered_disabled + a.unregistered_disabled,
    y.unregistered_child = y.unregistered_child + a.unregistered_child,
    y.unregistered_other = y.unregistered_other + a.unregistered_other
FROM stats_activity_years y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
WHERE a.id = @P1;
INSERT INTO stats_activity_years (fiscal_year, center, site, [function], activities, unregistered_elderly,
                                  unregistered_disabled, unregistered_child, unregistered_other)
SELECT a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], 1, a.unregistered_elderly,
       a.unregistered_disabled, a.unregistered_child, a.unregistered_other
FROM activities a
WHERE a.id = @P1 AND NOT EXISTS (SELECT 1 FROM stats_activity_years y
  WHERE y.fiscal_year = a.fiscal_year AND y.center = a.center AND y.site = ISNULL(a.site, N'')
    AND y.[function] = a.[function]);
UPDATE y SET y.participations = y.participations + 1
FROM stats_person_years y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
  JOIN participations p ON p.activity_id = a.id AND y.common_id = p.common_id AND y.sex = p.sex
   AND y.age_band = p.age_band AND y.reporting_group = p.reporting_group
   AND y.care_level = p.care_level AND y.household = p.household
WHERE a.id = @P1;
INSERT INTO stats_person_years (fiscal_year, center, site, [function], common_id, sex, age_band,
                                reporting_group, care_level, household, participations)
SELECT a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, 1
FROM activities a JOIN participations p ON p.activity_id = a.id
WHERE a.id = @P1 AND NOT EXISTS (SELECT 1 FROM stats_person_years y
  WHERE y.fiscal_year = a.fiscal_year AND y.center = a.center AND y.site = ISNULL(a.site, N'')
    AND y.[function] = a.[function] AND y.common_id = p.common_id AND y.sex = p.sex
    AND y.age_band = p.age_band AND y.reporting_group = p.reporting_group
    AND y.care_level = p.care_level AND y.household = p.household);
UPDATE y SET y.participations = y.participations + 1
FROM stats_person_year_categories y
  JOIN activities a ON y.fiscal_year = a.fiscal_year AND y.center = a.center
   AND y.site = ISNULL(a.site, N'') AND y.[function] = a.[function]
  JOIN participations p ON p.activity_id = a.id AND y.common_id = p.common_id AND y.sex = p.sex
   AND y.age_band = p.age_band AND y.reporting_group = p.reporting_group
   AND y.care_level = p.care_level AND y.household = p.household
  JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
   AND y.category = pc.category
WHERE a.id = @P1;
INSERT INTO stats_person_year_categories (fiscal_year, center, site, [function], common_id, sex, age_band,
                                          reporting_group, care_level, household, category, participations)
SELECT a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, pc.category, 1
FROM activities a JOIN participations p ON p.activity_id = a.id
  JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
WHERE a.id = @P1 AND NOT EXISTS (SELECT 1 FROM stats_person_year_categories y
  WHERE y.fiscal_year = a.fiscal_year AND y.center = a.center AND y.site = ISNULL(a.site, N'')
    AND y.[function] = a.[function] AND y.common_id = p.common_id AND y.sex = p.sex
    AND y.age_band = p.age_band AND y.reporting_group = p.reporting_group
    AND y.care_level = p.care_level AND y.household = p.household AND y.category = pc.category)";

/// Everything a centre contributes to the aggregates goes (its facts are being reset).
pub(super) const FORGET_CENTER: &str = "DELETE FROM stats_person_year_categories WHERE center = @P1;
DELETE FROM stats_person_years WHERE center = @P1;
DELETE FROM stats_activity_years WHERE center = @P1";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    INSERT_PERSON,
    INSERT_PERSON_CATEGORY,
    INSERT_PERSON_DISABILITY,
    RAISE_COUNTER,
    INSERT_COUNTER,
    INSERT_ACTIVITY,
    UPDATE_ACTIVITY,
    INSERT_PARTICIPATION,
    INSERT_PARTICIPATION_CATEGORY,
    INSERT_PARTICIPATION_TOPIC,
    TAKE_OUT,
    PUT_BACK,
    FORGET_CENTER,
];

pub(super) async fn take_out(c: &mut Conn, activity: &str) -> StoreResult<()> {
    c.exec(TAKE_OUT, &[&activity]).await?;
    Ok(())
}

pub(super) async fn put_back(c: &mut Conn, activity: &str) -> StoreResult<()> {
    c.exec(PUT_BACK, &[&activity]).await?;
    Ok(())
}

pub(super) async fn insert_participation(c: &mut Conn, activity: &str, p: &Participation) -> StoreResult<()> {
    let (s, d, id) = (&p.snapshot, &p.detail, p.common_id.as_str());
    c.exec(
        INSERT_PARTICIPATION,
        &[
            &activity,
            &id,
            &s.age_band,
            &s.sex,
            &s.group,
            &s.care_level,
            &s.household,
            &d.visit_purpose,
            &d.referral_destination,
        ],
    )
    .await?;
    for category in &s.categories {
        c.exec(INSERT_PARTICIPATION_CATEGORY, &[&activity, &id, category])
            .await?;
    }
    for topic in &d.topics {
        c.exec(INSERT_PARTICIPATION_TOPIC, &[&activity, &id, topic])
            .await?;
    }
    Ok(())
}

/// The activity's row values, `@P1…@P15` of [`INSERT_ACTIVITY`] and [`UPDATE_ACTIVITY`].
pub(super) async fn write_activity(c: &mut Conn, sql: &str, a: &ActivityRecord) -> StoreResult<u64> {
    let (id, u) = (a.id.to_string(), &a.unregistered);
    let fiscal_year = a.fiscal_year();
    let (staff, volunteers) = (i32::from(a.staff_count), i32::from(a.volunteer_count));
    let (ue, ud, uc, uo) = (
        i32::from(u.elderly),
        i32::from(u.disabled),
        i32::from(u.child),
        i32::from(u.other),
    );
    c.exec(
        sql,
        &[
            &id,
            &a.center,
            &a.site,
            &a.date,
            &fiscal_year,
            &a.function,
            &a.start_time,
            &a.end_time,
            &staff,
            &volunteers,
            &ue,
            &ud,
            &uc,
            &uo,
            &at(Utc::now()),
        ],
    )
    .await
}

/// Takes the facts locks of `centers` in code order (one order for every writer: no deadlock).
pub(super) async fn lock_centers<'a>(
    c: &mut Conn,
    centers: impl IntoIterator<Item = &'a str>,
) -> StoreResult<()> {
    let sorted: BTreeSet<&str> = centers.into_iter().collect();
    for center in sorted {
        c.lock(&facts_lock(center), LockMode::Exclusive).await?;
    }
    Ok(())
}

/// Writes `people` (facts, categories, disabilities; the hub holds no identity) in one
/// transaction, and raises each issuing centre's common-ID counter past the highest serial
/// loaded. A person already there is `Conflict(CommonId)`.
pub async fn import_persons(c: &mut Conn, people: &[Person]) -> StoreResult<usize> {
    c.begin().await?;
    let r = async {
        lock_centers(c, people.iter().map(|p| p.center.as_str())).await?;
        for p in people {
            let (f, id) = (&p.facts, p.common_id.as_str());
            c.exec(
                INSERT_PERSON,
                &[
                    &p.center,
                    &id,
                    &f.sex,
                    &f.birth_year_month,
                    &f.residence_municipality,
                    &f.care_level,
                    &f.household,
                    &f.registered_on,
                    &p.ended_on,
                    &p.end_reason,
                    &at(p.created_at),
                    &at(p.updated_at),
                ],
            )
            .await
            .map_err(|e| {
                // As on SQLite, any constraint the row breaks reads as a taken ID.
                if is_unique_violation(&e) || is_constraint_violation(&e) {
                    StoreError::Conflict(ConflictKind::CommonId)
                } else {
                    e
                }
            })?;
            for category in &f.categories {
                c.exec(INSERT_PERSON_CATEGORY, &[&p.center, &id, category])
                    .await?;
            }
            for d in &f.disabilities {
                c.exec(INSERT_PERSON_DISABILITY, &[&p.center, &id, &d.kind, &d.grade])
                    .await?;
            }
        }
        // Only the issuing centre's own serials move its counter: a person registered at a
        // second centre keeps the number the first one issued.
        let mut highest: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
        for p in people {
            let issuer = p.common_id.center_code().to_string();
            if issuer == p.center {
                let h = highest.entry(issuer).or_default();
                *h = (*h).max(p.common_id.serial());
            }
        }
        for (center, serial) in highest {
            // Under the centre's facts lock: UPDATE, then INSERT when there was no row.
            let serial = i32::try_from(serial).unwrap_or(i32::MAX);
            if c.exec(RAISE_COUNTER, &[&center, &serial]).await? == 0 {
                c.exec(INSERT_COUNTER, &[&center, &serial]).await?;
            }
        }
        Ok(people.len())
    }
    .await;
    c.finish(r).await
}

/// Records many new activities in one transaction (bulk loads): each refused with
/// `PeriodLocked` in a locked period (the period-lock application lock is held shared, so a lock
/// taken meanwhile waits for this load or is seen by it), `Conflict(ActivityId)` when its ID
/// is taken.
pub async fn import_activities(c: &mut Conn, records: &[ActivityRecord]) -> StoreResult<usize> {
    c.begin().await?;
    let r = async {
        c.lock(PERIOD_LOCKS, LockMode::Shared).await?;
        lock_centers(c, records.iter().map(|r| r.center.as_str())).await?;
        for r in records {
            period_locks::ensure_unlocked(c, &r.center, r.date).await?;
            write_activity(c, INSERT_ACTIVITY, r).await.map_err(|e| {
                // As on SQLite, any constraint the row breaks reads as a taken ID.
                if is_unique_violation(&e) || is_constraint_violation(&e) {
                    StoreError::Conflict(ConflictKind::ActivityId)
                } else {
                    e
                }
            })?;
            let id = r.id.to_string();
            for p in &r.participations {
                insert_participation(c, &id, p).await?;
            }
            put_back(c, &id).await?;
        }
        Ok(records.len())
    }
    .await;
    c.finish(r).await
}
