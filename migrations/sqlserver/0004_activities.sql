-- Activities, participations and period locks, as in migrations/sqlite/0004_activities.sql.
-- No identity here: a participation names a person only by common ID, and keeps the person's
-- attributes as of the activity date. (The title column goes again in 0008 on the hub, as on
-- SQLite; the migrations keep the same steps on both.)

CREATE TABLE activities (
    id                     NVARCHAR(36) NOT NULL PRIMARY KEY,  -- UUID text
    center                 NVARCHAR(16) NOT NULL
        CONSTRAINT activities_center_fk REFERENCES centers (code),
    site                   NVARCHAR(32) NULL
        CONSTRAINT activities_site_fk REFERENCES sites (code),
    date                   DATE NOT NULL,
    fiscal_year            INT NOT NULL,
    [function]             NVARCHAR(40) NOT NULL,
    title                  NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NULL,
    start_time             NVARCHAR(5) NULL,  -- HH:MM
    end_time               NVARCHAR(5) NULL,
    staff_count            INT NOT NULL CONSTRAINT activities_staff CHECK (staff_count BETWEEN 0 AND 999),
    volunteer_count        INT NOT NULL CONSTRAINT activities_volunteers CHECK (volunteer_count BETWEEN 0 AND 999),
    -- Unregistered participants, by reporting group (their sex and age band are unknown).
    unregistered_elderly   INT NOT NULL CONSTRAINT activities_u_elderly CHECK (unregistered_elderly BETWEEN 0 AND 999),
    unregistered_disabled  INT NOT NULL CONSTRAINT activities_u_disabled CHECK (unregistered_disabled BETWEEN 0 AND 999),
    unregistered_child     INT NOT NULL CONSTRAINT activities_u_child CHECK (unregistered_child BETWEEN 0 AND 999),
    unregistered_other     INT NOT NULL CONSTRAINT activities_u_other CHECK (unregistered_other BETWEEN 0 AND 999),
    created_at             DATETIME2(6) NOT NULL,
    updated_at             DATETIME2(6) NOT NULL,
    CONSTRAINT activities_times CHECK (end_time IS NULL OR (start_time IS NOT NULL AND end_time > start_time))
);
CREATE INDEX activities_center_date ON activities (center, date);
CREATE INDEX activities_center_function_date ON activities (center, [function], date);
-- /stats and the extracts read activities by date first.
CREATE INDEX activities_date ON activities (date, center)
    INCLUDE (site, fiscal_year, [function], unregistered_elderly, unregistered_disabled,
             unregistered_child, unregistered_other);

-- One registered person's part in an activity, with their attributes as of its date.
CREATE TABLE participations (
    activity_id           NVARCHAR(36) NOT NULL
        CONSTRAINT participations_activity_fk REFERENCES activities (id) ON DELETE CASCADE,
    common_id             NVARCHAR(32) NOT NULL,
    age_band              NVARCHAR(40) NOT NULL,
    sex                   NVARCHAR(40) NOT NULL,
    reporting_group       NVARCHAR(40) NOT NULL,  -- elderly / disabled / child / other
    care_level            NVARCHAR(40) NOT NULL,
    household             NVARCHAR(40) NOT NULL,
    visit_purpose         NVARCHAR(40) NULL,      -- 訪問
    referral_destination  NVARCHAR(40) NULL,      -- つなぎ
    CONSTRAINT participations_pk PRIMARY KEY (activity_id, common_id)
);
CREATE INDEX participations_common_id ON participations (common_id);

CREATE TABLE participation_categories (
    activity_id  NVARCHAR(36) NOT NULL,
    common_id    NVARCHAR(32) NOT NULL,
    category     NVARCHAR(40) NOT NULL,
    CONSTRAINT participation_categories_pk PRIMARY KEY (activity_id, common_id, category),
    CONSTRAINT participation_categories_participation_fk FOREIGN KEY (activity_id, common_id)
        REFERENCES participations (activity_id, common_id) ON DELETE CASCADE
);

-- 相談 topics of a participation.
CREATE TABLE participation_topics (
    activity_id  NVARCHAR(36) NOT NULL,
    common_id    NVARCHAR(32) NOT NULL,
    topic        NVARCHAR(40) NOT NULL,
    CONSTRAINT participation_topics_pk PRIMARY KEY (activity_id, common_id, topic),
    CONSTRAINT participation_topics_participation_fk FOREIGN KEY (activity_id, common_id)
        REFERENCES participations (activity_id, common_id) ON DELETE CASCADE
);

-- A closed month or 年度: writes to activities dated in [from_date, to_date] of a centre in
-- scope are refused while unlocked_at is NULL. Rows are kept after unlocking, as history.
CREATE TABLE period_locks (
    id           BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    scope_level  NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT period_locks_level CHECK (scope_level IN (N'prefecture', N'municipality', N'center')),
    scope_code   NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NULL,
    period       NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,  -- 2024-05 or FY2024
    from_date    DATE NOT NULL,
    to_date      DATE NOT NULL,
    locked_by    NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL,
    locked_at    DATETIME2(6) NOT NULL,
    unlocked_by  NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NULL,
    unlocked_at  DATETIME2(6) NULL,
    -- A prefecture lock has no code, every other scope has one.
    CONSTRAINT period_locks_scope CHECK ((scope_level = N'prefecture' AND scope_code IS NULL)
                                         OR (scope_level <> N'prefecture' AND scope_code IS NOT NULL)),
    CONSTRAINT period_locks_dates CHECK (from_date <= to_date)
);
CREATE INDEX period_locks_dates ON period_locks (from_date, to_date);
-- At most one active lock per scope and period. (SQL Server's unique indexes count NULLs as
-- equal, which is SQLite's ifnull(scope_code, ''); the store also takes an exclusive
-- application lock before it checks and locks, so a server that counts NULLs apart keeps the
-- rule too.)
CREATE UNIQUE INDEX period_locks_active ON period_locks (scope_level, scope_code, period)
    WHERE unlocked_at IS NULL;
