-- Activities, participations and period locks: facts every node has (centre and hub).
-- No identity here: a participation names a person only by common ID, and keeps the person's
-- attributes as of the activity date, so later edits to the person never move a past figure.
-- The activity's free-text note lives in center_activity_notes (centre nodes only).

CREATE TABLE activities (
    id                     TEXT PRIMARY KEY,  -- UUID chosen by the client (idempotent create)
    center                 TEXT NOT NULL REFERENCES centers (code),
    site                   TEXT REFERENCES sites (code),
    date                   TEXT NOT NULL,
    fiscal_year            INTEGER NOT NULL,
    function               TEXT NOT NULL,
    title                  TEXT,              -- programme title, never a person's name
    start_time             TEXT,              -- HH:MM
    end_time               TEXT,
    staff_count            INTEGER NOT NULL CHECK (staff_count BETWEEN 0 AND 999),
    volunteer_count        INTEGER NOT NULL CHECK (volunteer_count BETWEEN 0 AND 999),
    -- Unregistered participants, by reporting group (their sex and age band are unknown).
    unregistered_elderly   INTEGER NOT NULL CHECK (unregistered_elderly BETWEEN 0 AND 999),
    unregistered_disabled  INTEGER NOT NULL CHECK (unregistered_disabled BETWEEN 0 AND 999),
    unregistered_child     INTEGER NOT NULL CHECK (unregistered_child BETWEEN 0 AND 999),
    unregistered_other     INTEGER NOT NULL CHECK (unregistered_other BETWEEN 0 AND 999),
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    CHECK (end_time IS NULL OR (start_time IS NOT NULL AND end_time > start_time))
);
CREATE INDEX activities_center_date ON activities (center, date);
CREATE INDEX activities_center_function_date ON activities (center, function, date);
CREATE INDEX activities_date ON activities (date, center);

-- One registered person's part in an activity, with their attributes as of its date.
CREATE TABLE participations (
    activity_id           TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    common_id             TEXT NOT NULL,
    age_band              TEXT NOT NULL,
    sex                   TEXT NOT NULL,
    reporting_group       TEXT NOT NULL,  -- elderly / disabled / child / other
    care_level            TEXT NOT NULL,
    household             TEXT NOT NULL,
    visit_purpose         TEXT,           -- 訪問
    referral_destination  TEXT,           -- つなぎ (and 相談 that led to a referral)
    PRIMARY KEY (activity_id, common_id)
);
CREATE INDEX participations_common_id ON participations (common_id);

CREATE TABLE participation_categories (
    activity_id  TEXT NOT NULL,
    common_id    TEXT NOT NULL,
    category     TEXT NOT NULL,
    PRIMARY KEY (activity_id, common_id, category),
    FOREIGN KEY (activity_id, common_id) REFERENCES participations (activity_id, common_id)
        ON DELETE CASCADE
);

-- 相談 topics of a participation.
CREATE TABLE participation_topics (
    activity_id  TEXT NOT NULL,
    common_id    TEXT NOT NULL,
    topic        TEXT NOT NULL,
    PRIMARY KEY (activity_id, common_id, topic),
    FOREIGN KEY (activity_id, common_id) REFERENCES participations (activity_id, common_id)
        ON DELETE CASCADE
);

-- A closed month or 年度: writes to activities dated in [from_date, to_date] of a centre in
-- scope are refused while unlocked_at is NULL. Rows are kept after unlocking, as history.
CREATE TABLE period_locks (
    id           INTEGER PRIMARY KEY,
    scope_level  TEXT NOT NULL CHECK (scope_level IN ('prefecture', 'municipality', 'center')),
    scope_code   TEXT,
    period       TEXT NOT NULL,  -- 2024-05 or FY2024
    from_date    TEXT NOT NULL,
    to_date      TEXT NOT NULL,
    locked_by    TEXT NOT NULL,
    locked_at    TEXT NOT NULL,
    unlocked_by  TEXT,
    unlocked_at  TEXT,
    CHECK ((scope_level = 'prefecture') = (scope_code IS NULL)),
    CHECK (from_date <= to_date)
);
CREATE INDEX period_locks_dates ON period_locks (from_date, to_date);
-- At most one active lock per scope and period.
CREATE UNIQUE INDEX period_locks_active ON period_locks (scope_level, ifnull(scope_code, ''), period)
    WHERE unlocked_at IS NULL;
