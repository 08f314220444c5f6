-- Month aggregates of the facts, as in migrations/sqlite/0025_stats_month_aggregates.sql (decision
-- 0030): the year aggregates of 0010 with `month` = yyyymm (202404 for April 2024) instead of the
-- fiscal year. The store keeps them beside the year tables in the same transaction as every
-- write to the facts (api/src/store/mssql/facts.rs), for the reasons 0010 gives.

-- Registered participations by person and snapshot, per month.
CREATE TABLE stats_person_months (
    month            INT NOT NULL,
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
    CONSTRAINT stats_person_months_pk PRIMARY KEY (center, month, site, [function], common_id, sex,
        age_band, reporting_group, care_level, household)
);

-- The key leads with the centre (one centre's months are a short range); prefecture-wide
-- months and distinct people read this index.
CREATE INDEX stats_person_months_people ON stats_person_months (month, common_id, participations);

-- The same, once per category of the participation (categories are multi-valued).
CREATE TABLE stats_person_month_categories (
    month            INT NOT NULL,
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
    CONSTRAINT stats_person_month_categories_pk PRIMARY KEY (center, month, site, [function], common_id,
        sex, age_band, reporting_group, care_level, household, category)
);

-- Activities and unregistered headcounts per month, centre, site and function.
CREATE TABLE stats_activity_months (
    month                  INT NOT NULL,
    center                 NVARCHAR(16) NOT NULL,
    site                   NVARCHAR(32) NOT NULL,
    [function]             NVARCHAR(40) NOT NULL,
    activities             INT NOT NULL,
    unregistered_elderly   INT NOT NULL,
    unregistered_disabled  INT NOT NULL,
    unregistered_child     INT NOT NULL,
    unregistered_other     INT NOT NULL,
    CONSTRAINT stats_activity_months_pk PRIMARY KEY (center, month, site, [function])
);

-- Facts already there (none on a new database; kept so the step means the same as on SQLite).
INSERT INTO stats_activity_months
SELECT (YEAR(date) * 100 + MONTH(date)), center, ISNULL(site, N''), [function], COUNT(*), SUM(unregistered_elderly),
       SUM(unregistered_disabled), SUM(unregistered_child), SUM(unregistered_other)
FROM activities GROUP BY (YEAR(date) * 100 + MONTH(date)), center, ISNULL(site, N''), [function];

INSERT INTO stats_person_months
SELECT (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, COUNT(*)
FROM participations p JOIN activities a ON a.id = p.activity_id
GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
         p.reporting_group, p.care_level, p.household;

INSERT INTO stats_person_month_categories
SELECT (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, pc.category, COUNT(*)
FROM participation_categories pc
  JOIN participations p ON p.activity_id = pc.activity_id AND p.common_id = pc.common_id
  JOIN activities a ON a.id = p.activity_id
GROUP BY (YEAR(a.date) * 100 + MONTH(a.date)), a.center, ISNULL(a.site, N''), a.[function], p.common_id, p.sex, p.age_band,
         p.reporting_group, p.care_level, p.household, pc.category;
