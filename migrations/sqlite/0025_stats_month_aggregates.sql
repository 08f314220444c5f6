-- Month aggregates of the facts, for /stats over months, quarters, half-years, free ranges and
-- monthly trends (decision 0030): the year aggregates of 0010 with the month instead of the
-- fiscal year, `month` = yyyymm as an integer (202404 for April 2024). Quarter, month and
-- fiscal year all follow from it. A range that is not whole months reads its whole months here
-- and its edge days from the facts, in one stream, so distinct people stay exact. The year
-- tables stay: whole fiscal years keep reading them (a person counts once a year there, not
-- once a month).
-- Triggers keep these tables in the same transaction as every write to the facts, as 0010's
-- keep the year tables, with the same caveat: writers must not use REPLACE on their sources
-- (SQLite fires no delete trigger for rows REPLACE removes unless recursive triggers are on).

-- Registered participations by person and snapshot, per month.
CREATE TABLE stats_person_months (
    month            INTEGER NOT NULL,
    center           TEXT NOT NULL,
    site             TEXT NOT NULL,  -- '' for the centre itself
    function         TEXT NOT NULL,
    common_id        TEXT NOT NULL,
    sex              TEXT NOT NULL,
    age_band         TEXT NOT NULL,
    reporting_group  TEXT NOT NULL,
    care_level       TEXT NOT NULL,
    household        TEXT NOT NULL,
    participations   INTEGER NOT NULL,
    PRIMARY KEY (center, month, site, function, common_id, sex, age_band, reporting_group,
                 care_level, household)
) WITHOUT ROWID;

-- The key leads with the centre, so one centre's months are a short range (a question about
-- one centre reads only its rows). Prefecture-wide months read this index instead: as the
-- table is WITHOUT ROWID it holds every key column too, so it answers every month question
-- alone, in month order.
CREATE INDEX stats_person_months_people ON stats_person_months (month, common_id, participations);

-- The same, once per category of the participation (categories are multi-valued).
CREATE TABLE stats_person_month_categories (
    month            INTEGER NOT NULL,
    center           TEXT NOT NULL,
    site             TEXT NOT NULL,
    function         TEXT NOT NULL,
    common_id        TEXT NOT NULL,
    sex              TEXT NOT NULL,
    age_band         TEXT NOT NULL,
    reporting_group  TEXT NOT NULL,
    care_level       TEXT NOT NULL,
    household        TEXT NOT NULL,
    category         TEXT NOT NULL,
    participations   INTEGER NOT NULL,
    PRIMARY KEY (center, month, site, function, common_id, sex, age_band, reporting_group,
                 care_level, household, category)
) WITHOUT ROWID;

-- Activities and unregistered headcounts per month, centre, site and function.
CREATE TABLE stats_activity_months (
    month            INTEGER NOT NULL,
    center                 TEXT NOT NULL,
    site                   TEXT NOT NULL,
    function               TEXT NOT NULL,
    activities             INTEGER NOT NULL,
    unregistered_elderly   INTEGER NOT NULL,
    unregistered_disabled  INTEGER NOT NULL,
    unregistered_child     INTEGER NOT NULL,
    unregistered_other     INTEGER NOT NULL,
    PRIMARY KEY (center, month, site, function)
) WITHOUT ROWID;

INSERT INTO stats_activity_months
SELECT CAST(substr(date, 1, 4) || substr(date, 6, 2) AS INTEGER), center, coalesce(site, ''), function, count(*), sum(unregistered_elderly),
       sum(unregistered_disabled), sum(unregistered_child), sum(unregistered_other)
FROM activities GROUP BY 1, 2, 3, 4;

INSERT INTO stats_person_months
SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, count(*)
FROM participations p JOIN activities a ON a.id = p.activity_id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;

INSERT INTO stats_person_month_categories
SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, p.common_id, p.sex, p.age_band,
       p.reporting_group, p.care_level, p.household, pc.category, count(*)
FROM participation_categories pc
  JOIN participations p ON p.activity_id = pc.activity_id AND p.common_id = pc.common_id
  JOIN activities a ON a.id = p.activity_id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;

-- Activities: their own row, and when they move (month, centre, site or function) their
-- participations move with them. Deleting one takes its participations' contributions out
-- first: the cascade that deletes them runs after the activity is gone.

CREATE TRIGGER activities_stats_months_insert AFTER INSERT ON activities
BEGIN
    INSERT INTO stats_activity_months
    VALUES (CAST(substr(new.date, 1, 4) || substr(new.date, 6, 2) AS INTEGER), new.center, coalesce(new.site, ''), new.function, 1,
            new.unregistered_elderly, new.unregistered_disabled, new.unregistered_child,
            new.unregistered_other)
    ON CONFLICT DO UPDATE SET activities = activities + 1,
        unregistered_elderly = unregistered_elderly + excluded.unregistered_elderly,
        unregistered_disabled = unregistered_disabled + excluded.unregistered_disabled,
        unregistered_child = unregistered_child + excluded.unregistered_child,
        unregistered_other = unregistered_other + excluded.unregistered_other;
END;

CREATE TRIGGER activities_stats_months_delete BEFORE DELETE ON activities
BEGIN
    UPDATE stats_activity_months SET activities = activities - 1,
        unregistered_elderly = unregistered_elderly - old.unregistered_elderly,
        unregistered_disabled = unregistered_disabled - old.unregistered_disabled,
        unregistered_child = unregistered_child - old.unregistered_child,
        unregistered_other = unregistered_other - old.unregistered_other
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function;
    DELETE FROM stats_activity_months
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function AND activities = 0;
    UPDATE stats_person_months SET participations = participations - 1
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function
      AND (common_id, sex, age_band, reporting_group, care_level, household) IN
          (SELECT common_id, sex, age_band, reporting_group, care_level, household
           FROM participations WHERE activity_id = old.id);
    DELETE FROM stats_person_months
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function AND participations = 0;
    UPDATE stats_person_month_categories SET participations = participations - 1
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function
      AND (common_id, sex, age_band, reporting_group, care_level, household, category) IN
          (SELECT p.common_id, p.sex, p.age_band, p.reporting_group, p.care_level, p.household, pc.category
           FROM participations p JOIN participation_categories pc
             ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
           WHERE p.activity_id = old.id);
    DELETE FROM stats_person_month_categories
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function AND participations = 0;
END;

CREATE TRIGGER activities_stats_months_update AFTER UPDATE OF date, center, site, function,
    unregistered_elderly, unregistered_disabled, unregistered_child, unregistered_other ON activities
BEGIN
    UPDATE stats_activity_months SET activities = activities - 1,
        unregistered_elderly = unregistered_elderly - old.unregistered_elderly,
        unregistered_disabled = unregistered_disabled - old.unregistered_disabled,
        unregistered_child = unregistered_child - old.unregistered_child,
        unregistered_other = unregistered_other - old.unregistered_other
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function;
    DELETE FROM stats_activity_months
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function AND activities = 0;
    INSERT INTO stats_activity_months
    VALUES (CAST(substr(new.date, 1, 4) || substr(new.date, 6, 2) AS INTEGER), new.center, coalesce(new.site, ''), new.function, 1,
            new.unregistered_elderly, new.unregistered_disabled, new.unregistered_child,
            new.unregistered_other)
    ON CONFLICT DO UPDATE SET activities = activities + 1,
        unregistered_elderly = unregistered_elderly + excluded.unregistered_elderly,
        unregistered_disabled = unregistered_disabled + excluded.unregistered_disabled,
        unregistered_child = unregistered_child + excluded.unregistered_child,
        unregistered_other = unregistered_other + excluded.unregistered_other;
END;

CREATE TRIGGER activities_stats_months_move AFTER UPDATE OF date, center, site, function ON activities
WHEN CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) IS NOT CAST(substr(new.date, 1, 4) || substr(new.date, 6, 2) AS INTEGER) OR old.center IS NOT new.center
  OR old.site IS NOT new.site OR old.function IS NOT new.function
BEGIN
    UPDATE stats_person_months SET participations = participations - 1
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function
      AND (common_id, sex, age_band, reporting_group, care_level, household) IN
          (SELECT common_id, sex, age_band, reporting_group, care_level, household
           FROM participations WHERE activity_id = old.id);
    DELETE FROM stats_person_months
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function AND participations = 0;
    INSERT INTO stats_person_months
    SELECT CAST(substr(new.date, 1, 4) || substr(new.date, 6, 2) AS INTEGER), new.center, coalesce(new.site, ''), new.function, common_id, sex, age_band,
           reporting_group, care_level, household, 1
    FROM participations WHERE activity_id = new.id
    ON CONFLICT DO UPDATE SET participations = participations + 1;
    UPDATE stats_person_month_categories SET participations = participations - 1
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function
      AND (common_id, sex, age_band, reporting_group, care_level, household, category) IN
          (SELECT p.common_id, p.sex, p.age_band, p.reporting_group, p.care_level, p.household, pc.category
           FROM participations p JOIN participation_categories pc
             ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
           WHERE p.activity_id = old.id);
    DELETE FROM stats_person_month_categories
    WHERE month = CAST(substr(old.date, 1, 4) || substr(old.date, 6, 2) AS INTEGER) AND center = old.center AND site = coalesce(old.site, '')
      AND function = old.function AND participations = 0;
    INSERT INTO stats_person_month_categories
    SELECT CAST(substr(new.date, 1, 4) || substr(new.date, 6, 2) AS INTEGER), new.center, coalesce(new.site, ''), new.function, p.common_id, p.sex,
           p.age_band, p.reporting_group, p.care_level, p.household, pc.category, 1
    FROM participations p JOIN participation_categories pc
      ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
    WHERE p.activity_id = new.id
    ON CONFLICT DO UPDATE SET participations = participations + 1;
END;

-- Participations. A participation's categories are written after it, so they count through
-- their own trigger; deleting a participation takes its categories' contributions out first.

CREATE TRIGGER participations_stats_months_insert AFTER INSERT ON participations
BEGIN
    INSERT INTO stats_person_months
    SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, new.common_id, new.sex,
           new.age_band, new.reporting_group, new.care_level, new.household, 1
    FROM activities a WHERE a.id = new.activity_id
    ON CONFLICT DO UPDATE SET participations = participations + 1;
END;

CREATE TRIGGER participations_stats_months_delete BEFORE DELETE ON participations
BEGIN
    UPDATE stats_person_month_categories SET participations = participations - 1
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND sex = old.sex AND age_band = old.age_band
      AND reporting_group = old.reporting_group AND care_level = old.care_level
      AND household = old.household
      AND category IN (SELECT category FROM participation_categories
                       WHERE activity_id = old.activity_id AND common_id = old.common_id);
    DELETE FROM stats_person_month_categories
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND participations = 0;
    UPDATE stats_person_months SET participations = participations - 1
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND sex = old.sex AND age_band = old.age_band
      AND reporting_group = old.reporting_group AND care_level = old.care_level
      AND household = old.household;
    DELETE FROM stats_person_months
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND participations = 0;
END;

CREATE TRIGGER participations_stats_months_update AFTER UPDATE ON participations
BEGIN
    UPDATE stats_person_months SET participations = participations - 1
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND sex = old.sex AND age_band = old.age_band
      AND reporting_group = old.reporting_group AND care_level = old.care_level
      AND household = old.household;
    DELETE FROM stats_person_months
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND participations = 0;
    INSERT INTO stats_person_months
    SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, new.common_id, new.sex,
           new.age_band, new.reporting_group, new.care_level, new.household, 1
    FROM activities a WHERE a.id = new.activity_id
    ON CONFLICT DO UPDATE SET participations = participations + 1;
    UPDATE stats_person_month_categories SET participations = participations - 1
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND sex = old.sex AND age_band = old.age_band
      AND reporting_group = old.reporting_group AND care_level = old.care_level
      AND household = old.household
      AND category IN (SELECT category FROM participation_categories
                       WHERE activity_id = old.activity_id AND common_id = old.common_id);
    DELETE FROM stats_person_month_categories
    WHERE (month, center, site, function) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function
           FROM activities a WHERE a.id = old.activity_id)
      AND common_id = old.common_id AND participations = 0;
    INSERT INTO stats_person_month_categories
    SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, new.common_id, new.sex,
           new.age_band, new.reporting_group, new.care_level, new.household, pc.category, 1
    FROM activities a JOIN participation_categories pc
      ON pc.activity_id = new.activity_id AND pc.common_id = new.common_id
    WHERE a.id = new.activity_id
    ON CONFLICT DO UPDATE SET participations = participations + 1;
END;

-- Categories of a participation: counted when written; a direct delete (not the cascade from
-- its participation, which has already taken them out) takes them out.

CREATE TRIGGER participation_categories_stats_months_insert AFTER INSERT ON participation_categories
BEGIN
    INSERT INTO stats_person_month_categories
    SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, p.common_id, p.sex, p.age_band,
           p.reporting_group, p.care_level, p.household, new.category, 1
    FROM participations p JOIN activities a ON a.id = p.activity_id
    WHERE p.activity_id = new.activity_id AND p.common_id = new.common_id
    ON CONFLICT DO UPDATE SET participations = participations + 1;
END;

CREATE TRIGGER participation_categories_stats_months_delete AFTER DELETE ON participation_categories
BEGIN
    UPDATE stats_person_month_categories SET participations = participations - 1
    WHERE (month, center, site, function, common_id, sex, age_band, reporting_group,
           care_level, household) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, p.common_id, p.sex,
                  p.age_band, p.reporting_group, p.care_level, p.household
           FROM participations p JOIN activities a ON a.id = p.activity_id
           WHERE p.activity_id = old.activity_id AND p.common_id = old.common_id)
      AND category = old.category;
    DELETE FROM stats_person_month_categories
    WHERE (month, center, site, function, common_id) =
          (SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, p.common_id
           FROM participations p JOIN activities a ON a.id = p.activity_id
           WHERE p.activity_id = old.activity_id AND p.common_id = old.common_id)
      AND participations = 0;
END;

