-- Fiscal-year aggregates of the facts, for /stats over whole fiscal years, as in
-- migrations/sqlite/0010_stats_year_aggregates.sql: one row per person, year, centre, site,
-- function and snapshot attributes instead of one per participation.
--
-- SQLite keeps them with row triggers. Here the store keeps them, in the same transaction as
-- every write to the facts (api/src/store/mssql/facts.rs: each activity's contribution is taken
-- out before it changes and put back after), because the hub writes facts in two places only
-- (sync batches and bulk loads) and because T-SQL has no BEFORE DELETE trigger: an AFTER
-- trigger of a cascaded delete finds the activity already gone.

-- Registered participations by person and snapshot, per fiscal year.
CREATE TABLE stats_person_years (
    fiscal_year      INT NOT NULL,
    center           NVARCHAR(16) NOT NULL,
    site             NVARCHAR(32) NOT NULL,  -- '' for the centre itself
    [function]       NVARCHAR(40) NOT NULL,
    common_id        NVARCHAR(32) NOT NULL,
    sex              NVARCHAR(40) NOT NULL,
    age_band         NVARCHAR(40) NOT NULL,
    reporting_group  NVARCHAR(40) NOT NULL,
    care_level       NVARCHAR(40) NOT NULL,
    household        NVARCHAR(40) NOT NULL,
    participations   INT NOT NULL,
    CONSTRAINT stats_person_years_pk PRIMARY KEY (fiscal_year, center, site, [function], common_id, sex,
        age_band, reporting_group, care_level, household)
);

-- Distinct people of a year (totals, trends) from a narrow index alone.
CREATE INDEX stats_person_years_people ON stats_person_years (fiscal_year, common_id, participations);

-- The same, once per category of the participation (categories are multi-valued).
CREATE TABLE stats_person_year_categories (
    fiscal_year      INT NOT NULL,
    center           NVARCHAR(16) NOT NULL,
    site             NVARCHAR(32) NOT NULL,
    [function]       NVARCHAR(40) NOT NULL,
    common_id        NVARCHAR(32) NOT NULL,
    sex              NVARCHAR(40) NOT NULL,
    age_band         NVARCHAR(40) NOT NULL,
    reporting_group  NVARCHAR(40) NOT NULL,
    care_level       NVARCHAR(40) NOT NULL,
    household        NVARCHAR(40) NOT NULL,
    category         NVARCHAR(40) NOT NULL,
    participations   INT NOT NULL,
    CONSTRAINT stats_person_year_categories_pk PRIMARY KEY (fiscal_year, center, site, [function], common_id,
        sex, age_band, reporting_group, care_level, household, category)
);

-- Activities and unregistered headcounts per fiscal year, centre, site and function.
CREATE TABLE stats_activity_years (
    fiscal_year            INT NOT NULL,
    center                 NVARCHAR(16) NOT NULL,
    site                   NVARCHAR(32) NOT NULL,
    [function]             NVARCHAR(40) NOT NULL,
    activities             INT NOT NULL,
    unregistered_elderly   INT NOT NULL,
    unregistered_disabled  INT NOT NULL,
    unregistered_child     INT NOT NULL,
    unregistered_other     INT NOT NULL,
    CONSTRAINT stats_activity_years_pk PRIMARY KEY (fiscal_year, center, site, [function])
);

-- Facts already there (none on a new database; kept so the step means the same as on SQLite).
INSERT INTO stats_activity_years
SELECT fiscal_year, center, ISNULL(site, N''), [function], COUNT(*), SUM(unregistered_elderly),
       SUM(unregistered_disabled), SUM(unregistered_child), SUM(unregistered_other)
FROM activities GROUP BY fiscal_year, center, ISNULL(site, N''), [function];

INSERT INTO stats_person_years
SELECT a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, COUNT(*)
FROM participations p JOIN activities a ON a.id = p.activity_id
GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
         p.reporting_group, p.care_level, p.household;

INSERT INTO stats_person_year_categories
SELECT a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, pc.category, COUNT(*)
FROM participation_categories pc
  JOIN participations p ON p.activity_id = pc.activity_id AND p.common_id = pc.common_id
  JOIN activities a ON a.id = p.activity_id
GROUP BY a.fiscal_year, a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
         p.reporting_group, p.care_level, p.household, pc.category;
