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

use tiberius::ToSql;

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

pub(super) const INSERT_PERSONS: &str =
    "INSERT INTO persons (center, common_id, sex, birth_year_month, residence_municipality, care_level,
                          household, registered_on, ended_on, end_reason, created_at, updated_at)
     VALUES {rows}";
pub(super) const INSERT_PERSON_CATEGORIES: &str =
    "INSERT INTO person_categories (center, common_id, category) VALUES {rows}";
pub(super) const INSERT_PERSON_DISABILITIES: &str =
    "INSERT INTO person_disabilities (center, common_id, kind, grade) VALUES {rows}";
pub(super) const RAISE_COUNTER: &str = "UPDATE common_id_counters
     SET last_serial = CASE WHEN last_serial < @P2 THEN @P2 ELSE last_serial END WHERE center = @P1";
pub(super) const INSERT_COUNTER: &str =
    "INSERT INTO common_id_counters (center, last_serial) VALUES (@P1, @P2)";

/// The hub's activities have no title column (free text stays on the centre node).
pub(super) const INSERT_ACTIVITIES: &str =
    "INSERT INTO activities (id, center, site, date, fiscal_year, [function], start_time, end_time,
                             staff_count, volunteer_count, unregistered_elderly, unregistered_disabled,
                             unregistered_child, unregistered_other, created_at, updated_at)
     VALUES {rows}";
pub(super) const UPDATE_ACTIVITY: &str =
    "UPDATE activities SET site = @P3, date = @P4, fiscal_year = @P5, [function] = @P6, start_time = @P7,
            end_time = @P8, staff_count = @P9, volunteer_count = @P10, unregistered_elderly = @P11,
            unregistered_disabled = @P12, unregistered_child = @P13, unregistered_other = @P14,
            updated_at = @P15
     WHERE id = @P1 AND center = @P2";
pub(super) const INSERT_PARTICIPATIONS: &str =
    "INSERT INTO participations (activity_id, common_id, age_band, sex, reporting_group, care_level,
                                 household, visit_purpose, referral_destination)
     VALUES {rows}";
pub(super) const INSERT_PARTICIPATION_CATEGORIES: &str =
    "INSERT INTO participation_categories (activity_id, common_id, category) VALUES {rows}";
pub(super) const INSERT_PARTICIPATION_TOPICS: &str =
    "INSERT INTO participation_topics (activity_id, common_id, topic) VALUES {rows}";

/// Takes the contribution of the activities `{ids}` (as stored now) out of the aggregates:
/// their facts grouped by each aggregate's key, subtracted, and rows left at zero deleted.
pub(super) const TAKE_OUT: &str = "UPDATE y SET y.activities = y.activities - s.n,
    y.unregistered_elderly = y.unregistered_elderly - s.ue,
    y.unregistered_disabled = y.unregistered_disabled - s.ud,
    y.unregistered_child = y.unregistered_child - s.uc,
    y.unregistered_other = y.unregistered_other - s.uo
FROM stats_activity_years y
  JOIN (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, COUNT(*) AS n,
         SUM(a.unregistered_elderly) AS ue, SUM(a.unregistered_disabled) AS ud,
         SUM(a.unregistered_child) AS uc, SUM(a.unregistered_other) AS uo
       FROM activities a WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function]) s
    ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn;
UPDATE y SET y.participations = y.participations - s.n
FROM stats_person_years y
  JOIN (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household) s
    ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household;
UPDATE y SET y.participations = y.participations - s.n
FROM stats_person_year_categories y
  JOIN (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, pc.category, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id
         JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
       WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household, pc.category) s
    ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household AND y.category = s.category;
DELETE y FROM stats_activity_years y JOIN (SELECT DISTINCT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn
       FROM activities a WHERE a.id IN ({ids})) s ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn WHERE y.activities = 0;
DELETE y FROM stats_person_years y JOIN (SELECT DISTINCT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn
       FROM activities a WHERE a.id IN ({ids})) s ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn WHERE y.participations = 0;
DELETE y FROM stats_person_year_categories y JOIN (SELECT DISTINCT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn
       FROM activities a WHERE a.id IN ({ids})) s ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn WHERE y.participations = 0";

/// Puts the contribution of the activities `{ids}` (as stored now) into the aggregates: rows
/// already there are counted up, missing ones inserted (each key once: the facts are grouped).
pub(super) const PUT_BACK: &str = "UPDATE y SET y.activities = y.activities + s.n,
    y.unregistered_elderly = y.unregistered_elderly + s.ue,
    y.unregistered_disabled = y.unregistered_disabled + s.ud,
    y.unregistered_child = y.unregistered_child + s.uc,
    y.unregistered_other = y.unregistered_other + s.uo
FROM stats_activity_years y
  JOIN (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, COUNT(*) AS n,
         SUM(a.unregistered_elderly) AS ue, SUM(a.unregistered_disabled) AS ud,
         SUM(a.unregistered_child) AS uc, SUM(a.unregistered_other) AS uo
       FROM activities a WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function]) s
    ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn;
UPDATE y SET y.participations = y.participations + s.n
FROM stats_person_years y
  JOIN (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household) s
    ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household;
UPDATE y SET y.participations = y.participations + s.n
FROM stats_person_year_categories y
  JOIN (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, pc.category, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id
         JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
       WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household, pc.category) s
    ON y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household AND y.category = s.category;
INSERT INTO stats_activity_years (fiscal_year, center, site, [function], activities, unregistered_elderly,
                                  unregistered_disabled, unregistered_child, unregistered_other)
SELECT s.fiscal_year, s.center, s.site, s.fn, s.n, s.ue, s.ud, s.uc, s.uo
FROM (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, COUNT(*) AS n,
         SUM(a.unregistered_elderly) AS ue, SUM(a.unregistered_disabled) AS ud,
         SUM(a.unregistered_child) AS uc, SUM(a.unregistered_other) AS uo
       FROM activities a WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function]) s
WHERE NOT EXISTS (SELECT 1 FROM stats_activity_years y WHERE y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn);
INSERT INTO stats_person_years (fiscal_year, center, site, [function], common_id, sex, age_band,
                                reporting_group, care_level, household, participations)
SELECT s.fiscal_year, s.center, s.site, s.fn, s.common_id, s.sex, s.age_band, s.reporting_group, s.care_level,
       s.household, s.n
FROM (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household) s
WHERE NOT EXISTS (SELECT 1 FROM stats_person_years y WHERE y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household);
INSERT INTO stats_person_year_categories (fiscal_year, center, site, [function], common_id, sex, age_band,
                                          reporting_group, care_level, household, category, participations)
SELECT s.fiscal_year, s.center, s.site, s.fn, s.common_id, s.sex, s.age_band, s.reporting_group, s.care_level,
       s.household, s.category, s.n
FROM (SELECT a.fiscal_year, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, pc.category, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id
         JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
       WHERE a.id IN ({ids})
       GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household, pc.category) s
WHERE NOT EXISTS (SELECT 1 FROM stats_person_year_categories y WHERE y.fiscal_year = s.fiscal_year AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household AND y.category = s.category)";

/// [`TAKE_OUT`] for the month aggregates (migration 0025).
pub(super) const TAKE_OUT_MONTHS: &str = "UPDATE y SET y.activities = y.activities - s.n,
    y.unregistered_elderly = y.unregistered_elderly - s.ue,
    y.unregistered_disabled = y.unregistered_disabled - s.ud,
    y.unregistered_child = y.unregistered_child - s.uc,
    y.unregistered_other = y.unregistered_other - s.uo
FROM stats_activity_months y
  JOIN (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, COUNT(*) AS n,
         SUM(a.unregistered_elderly) AS ue, SUM(a.unregistered_disabled) AS ud,
         SUM(a.unregistered_child) AS uc, SUM(a.unregistered_other) AS uo
       FROM activities a WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function]) s
    ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn;
UPDATE y SET y.participations = y.participations - s.n
FROM stats_person_months y
  JOIN (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household) s
    ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household;
UPDATE y SET y.participations = y.participations - s.n
FROM stats_person_month_categories y
  JOIN (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, pc.category, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id
         JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
       WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household, pc.category) s
    ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household AND y.category = s.category;
DELETE y FROM stats_activity_months y JOIN (SELECT DISTINCT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn
       FROM activities a WHERE a.id IN ({ids})) s ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn WHERE y.activities = 0;
DELETE y FROM stats_person_months y JOIN (SELECT DISTINCT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn
       FROM activities a WHERE a.id IN ({ids})) s ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn WHERE y.participations = 0;
DELETE y FROM stats_person_month_categories y JOIN (SELECT DISTINCT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn
       FROM activities a WHERE a.id IN ({ids})) s ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn WHERE y.participations = 0";

/// [`PUT_BACK`] for the month aggregates (migration 0025).
pub(super) const PUT_BACK_MONTHS: &str = "UPDATE y SET y.activities = y.activities + s.n,
    y.unregistered_elderly = y.unregistered_elderly + s.ue,
    y.unregistered_disabled = y.unregistered_disabled + s.ud,
    y.unregistered_child = y.unregistered_child + s.uc,
    y.unregistered_other = y.unregistered_other + s.uo
FROM stats_activity_months y
  JOIN (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, COUNT(*) AS n,
         SUM(a.unregistered_elderly) AS ue, SUM(a.unregistered_disabled) AS ud,
         SUM(a.unregistered_child) AS uc, SUM(a.unregistered_other) AS uo
       FROM activities a WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function]) s
    ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn;
UPDATE y SET y.participations = y.participations + s.n
FROM stats_person_months y
  JOIN (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household) s
    ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household;
UPDATE y SET y.participations = y.participations + s.n
FROM stats_person_month_categories y
  JOIN (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, pc.category, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id
         JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
       WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household, pc.category) s
    ON y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household AND y.category = s.category;
INSERT INTO stats_activity_months (month, center, site, [function], activities, unregistered_elderly,
                                  unregistered_disabled, unregistered_child, unregistered_other)
SELECT s.month, s.center, s.site, s.fn, s.n, s.ue, s.ud, s.uc, s.uo
FROM (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, COUNT(*) AS n,
         SUM(a.unregistered_elderly) AS ue, SUM(a.unregistered_disabled) AS ud,
         SUM(a.unregistered_child) AS uc, SUM(a.unregistered_other) AS uo
       FROM activities a WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function]) s
WHERE NOT EXISTS (SELECT 1 FROM stats_activity_months y WHERE y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn);
INSERT INTO stats_person_months (month, center, site, [function], common_id, sex, age_band,
                                reporting_group, care_level, household, participations)
SELECT s.month, s.center, s.site, s.fn, s.common_id, s.sex, s.age_band, s.reporting_group, s.care_level,
       s.household, s.n
FROM (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household) s
WHERE NOT EXISTS (SELECT 1 FROM stats_person_months y WHERE y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household);
INSERT INTO stats_person_month_categories (month, center, site, [function], common_id, sex, age_band,
                                          reporting_group, care_level, household, category, participations)
SELECT s.month, s.center, s.site, s.fn, s.common_id, s.sex, s.age_band, s.reporting_group, s.care_level,
       s.household, s.category, s.n
FROM (SELECT (YEAR(a.date) * 100 + MONTH(a.date)) AS month, a.center, ISNULL(a.site, N'') AS site, a.[function] AS fn, p.common_id, p.sex,
         p.age_band, p.reporting_group, p.care_level, p.household, pc.category, COUNT(*) AS n
       FROM activities a JOIN participations p ON p.activity_id = a.id
         JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
       WHERE a.id IN ({ids})
       GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
                p.reporting_group, p.care_level, p.household, pc.category) s
WHERE NOT EXISTS (SELECT 1 FROM stats_person_month_categories y WHERE y.month = s.month AND y.center = s.center AND y.site = s.site AND y.[function] = s.fn
        AND y.common_id = s.common_id AND y.sex = s.sex AND y.age_band = s.age_band
        AND y.reporting_group = s.reporting_group AND y.care_level = s.care_level AND y.household = s.household AND y.category = s.category)";

/// Everything a centre contributes to the aggregates goes (its facts are being reset).
pub(super) const FORGET_CENTER: &str = "DELETE FROM stats_person_year_categories WHERE center = @P1;
DELETE FROM stats_person_years WHERE center = @P1;
DELETE FROM stats_activity_years WHERE center = @P1;
DELETE FROM stats_person_month_categories WHERE center = @P1;
DELETE FROM stats_person_months WHERE center = @P1;
DELETE FROM stats_activity_months WHERE center = @P1";

/// Every active lock (a bulk load checks its records against them: under the shared lock they
/// cannot change while it runs).
pub(super) const ACTIVE_LOCKS: &str =
    "SELECT id, scope_level, scope_code, period, locked_by, locked_at, unlocked_by,
     unlocked_at, hub_lock_id FROM period_locks WHERE unlocked_at IS NULL";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    INSERT_PERSONS,
    INSERT_PERSON_CATEGORIES,
    INSERT_PERSON_DISABILITIES,
    RAISE_COUNTER,
    INSERT_COUNTER,
    INSERT_ACTIVITIES,
    UPDATE_ACTIVITY,
    INSERT_PARTICIPATIONS,
    INSERT_PARTICIPATION_CATEGORIES,
    INSERT_PARTICIPATION_TOPICS,
    TAKE_OUT,
    PUT_BACK,
    TAKE_OUT_MONTHS,
    PUT_BACK_MONTHS,
    FORGET_CENTER,
    ACTIVE_LOCKS,
];

pub(super) async fn take_out(c: &mut Conn, activities: &[&str]) -> StoreResult<()> {
    if !activities.is_empty() {
        c.for_ids(TAKE_OUT, activities).await?;
        c.for_ids(TAKE_OUT_MONTHS, activities).await?;
    }
    Ok(())
}

pub(super) async fn put_back(c: &mut Conn, activities: &[&str]) -> StoreResult<()> {
    if !activities.is_empty() {
        c.for_ids(PUT_BACK, activities).await?;
        c.for_ids(PUT_BACK_MONTHS, activities).await?;
    }
    Ok(())
}

/// Inserts participations (with their categories and topics), of one activity or many: three
/// statements however many there are (up to SQL Server's limits per statement).
pub(super) async fn insert_participations(c: &mut Conn, rows: &[(&str, &Participation)]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let people: Vec<&str> = rows.iter().map(|(_, p)| p.common_id.as_str()).collect();
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(rows.len() * 9);
    let mut categories: Vec<&dyn ToSql> = Vec::new();
    let mut topics: Vec<&dyn ToSql> = Vec::new();
    for ((activity, p), person) in rows.iter().zip(&people) {
        let (s, d) = (&p.snapshot, &p.detail);
        values.extend([
            activity as &dyn ToSql,
            person,
            &s.age_band,
            &s.sex,
            &s.group,
            &s.care_level,
            &s.household,
            &d.visit_purpose,
            &d.referral_destination,
        ]);
        for category in &s.categories {
            categories.extend([activity as &dyn ToSql, person, category]);
        }
        for topic in &d.topics {
            topics.extend([activity as &dyn ToSql, person, topic]);
        }
    }
    c.insert_rows(INSERT_PARTICIPATIONS, 9, &values).await?;
    if !categories.is_empty() {
        c.insert_rows(INSERT_PARTICIPATION_CATEGORIES, 3, &categories)
            .await?;
    }
    if !topics.is_empty() {
        c.insert_rows(INSERT_PARTICIPATION_TOPICS, 3, &topics).await?;
    }
    Ok(())
}

/// An activity's column values as stored, in the order of [`INSERT_ACTIVITIES`] (and, but for
/// the last, of [`UPDATE_ACTIVITY`]'s `@P1…@P15`).
pub(super) struct ActivityRow {
    pub(super) id: String,
    center: String,
    site: Option<String>,
    date: chrono::NaiveDate,
    fiscal_year: i32,
    function: String,
    start_time: Option<String>,
    end_time: Option<String>,
    counts: [i32; 6],
    now: chrono::NaiveDateTime,
}

impl ActivityRow {
    pub(super) fn of(a: &ActivityRecord, center: &str) -> ActivityRow {
        let u = &a.unregistered;
        ActivityRow {
            id: a.id.to_string(),
            center: center.to_owned(),
            site: a.site.clone(),
            date: a.date,
            fiscal_year: a.fiscal_year(),
            function: a.function.clone(),
            start_time: a.start_time.clone(),
            end_time: a.end_time.clone(),
            counts: [
                a.staff_count,
                a.volunteer_count,
                u.elderly,
                u.disabled,
                u.child,
                u.other,
            ]
            .map(i32::from),
            now: at(Utc::now()),
        }
    }

    /// `@P1…@P15` of [`UPDATE_ACTIVITY`]; with `updated_at` again, the 16 values of a row of
    /// [`INSERT_ACTIVITIES`].
    pub(super) fn values(&self, insert: bool) -> Vec<&dyn ToSql> {
        let mut v: Vec<&dyn ToSql> = vec![
            &self.id,
            &self.center,
            &self.site,
            &self.date,
            &self.fiscal_year,
            &self.function,
            &self.start_time,
            &self.end_time,
        ];
        v.extend(self.counts.iter().map(|n| n as &dyn ToSql));
        v.push(&self.now);
        if insert {
            v.push(&self.now);
        }
        v
    }
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

/// As on SQLite, any constraint a bulk row breaks reads as a taken ID.
fn taken(what: ConflictKind) -> impl Fn(StoreError) -> StoreError {
    move |e| {
        if is_unique_violation(&e) || is_constraint_violation(&e) {
            StoreError::Conflict(what)
        } else {
            e
        }
    }
}

/// Writes `people` (facts, categories, disabilities; the hub holds no identity) in one
/// transaction, and raises each issuing centre's common-ID counter past the highest serial
/// loaded. A person already there is `Conflict(CommonId)`.
pub async fn import_persons(c: &mut Conn, people: &[Person]) -> StoreResult<usize> {
    let stamps: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime)> = people
        .iter()
        .map(|p| (at(p.created_at), at(p.updated_at)))
        .collect();
    let ids: Vec<&str> = people.iter().map(|p| p.common_id.as_str()).collect();
    let mut persons: Vec<&dyn ToSql> = Vec::with_capacity(people.len() * 12);
    let mut categories: Vec<&dyn ToSql> = Vec::new();
    let mut disabilities: Vec<&dyn ToSql> = Vec::new();
    for ((p, (created, updated)), id) in people.iter().zip(&stamps).zip(&ids) {
        let f = &p.facts;
        persons.extend([
            &p.center as &dyn ToSql,
            id,
            &f.sex,
            &f.birth_year_month,
            &f.residence_municipality,
            &f.care_level,
            &f.household,
            &f.registered_on,
            &p.ended_on,
            &p.end_reason,
            created,
            updated,
        ]);
        for category in &f.categories {
            categories.extend([&p.center as &dyn ToSql, id, category]);
        }
        for d in &f.disabilities {
            disabilities.extend([&p.center as &dyn ToSql, id, &d.kind, &d.grade]);
        }
    }
    c.begin().await?;
    let r = async {
        lock_centers(c, people.iter().map(|p| p.center.as_str())).await?;
        if !persons.is_empty() {
            c.insert_rows(INSERT_PERSONS, 12, &persons)
                .await
                .map_err(taken(ConflictKind::CommonId))?;
        }
        if !categories.is_empty() {
            c.insert_rows(INSERT_PERSON_CATEGORIES, 3, &categories).await?;
        }
        if !disabilities.is_empty() {
            c.insert_rows(INSERT_PERSON_DISABILITIES, 4, &disabilities)
                .await?;
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
    let rows: Vec<ActivityRow> = records.iter().map(|r| ActivityRow::of(r, &r.center)).collect();
    let values: Vec<&dyn ToSql> = rows.iter().flat_map(|r| r.values(true)).collect();
    let participations: Vec<(&str, &Participation)> = rows
        .iter()
        .zip(records)
        .flat_map(|(row, r)| r.participations.iter().map(move |p| (row.id.as_str(), p)))
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    c.begin().await?;
    let r = async {
        c.lock(PERIOD_LOCKS, LockMode::Shared).await?;
        lock_centers(c, records.iter().map(|r| r.center.as_str())).await?;
        period_locks::ensure_all_unlocked(c, records.iter().map(|r| (r.center.as_str(), r.date))).await?;
        if !values.is_empty() {
            c.insert_rows(INSERT_ACTIVITIES, 16, &values)
                .await
                .map_err(taken(ConflictKind::ActivityId))?;
        }
        insert_participations(c, &participations).await?;
        put_back(c, &ids).await?;
        Ok(records.len())
    }
    .await;
    c.finish(r).await
}
