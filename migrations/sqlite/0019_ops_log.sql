-- The operations log the maintenance contract reports on (every node; the prefecture hub's is
-- the contract's): inquiries, incidents, changes and scheduled maintenance windows. No person
-- data: free text is refused by the node when it holds a common ID (domain/ops_log), codes are
-- checked here. Times are RFC 3339 UTC with microseconds, as everywhere.

-- 問い合わせ: the 24-hour first-answer clock runs from received_at to first_answered_at.
CREATE TABLE ops_inquiries (
    id                 INTEGER PRIMARY KEY,
    received_at        TEXT NOT NULL,
    source_kind        TEXT NOT NULL CHECK (source_kind IN ('center', 'municipality', 'prefecture', 'other')),
    source_code        TEXT,               -- a centre or municipality code, never a person
    channel            TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'web', 'visit', 'other')),
    category           TEXT NOT NULL CHECK (category IN ('usage', 'account', 'data', 'failure', 'request', 'other')),
    summary            TEXT NOT NULL,
    answer             TEXT,
    first_answered_at  TEXT,
    closed_at          TEXT,
    work_minutes       INTEGER NOT NULL DEFAULT 0 CHECK (work_minutes >= 0),
    recorded_by        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX ops_inquiries_received ON ops_inquiries (received_at);

-- 障害・セキュリティ事故: the 12-hour triage clock runs from detected_at to triaged_at. One
-- opened by an alert event keeps the event and subject; the same alert raised again while the
-- incident is unresolved joins it (alert_count) instead of opening another.
CREATE TABLE ops_incidents (
    id             INTEGER PRIMARY KEY,
    detected_at    TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('failure', 'security')),
    origin         TEXT NOT NULL CHECK (origin IN ('alert', 'manual')),
    alert_event    TEXT,
    alert_subject  TEXT,
    alert_count    INTEGER NOT NULL DEFAULT 0,
    summary        TEXT NOT NULL,
    triaged_at     TEXT,
    resolved_at    TEXT,
    cause          TEXT,
    impact         TEXT,
    handling       TEXT,
    work_minutes   INTEGER NOT NULL DEFAULT 0 CHECK (work_minutes >= 0),
    recorded_by    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX ops_incidents_detected ON ops_incidents (detected_at);
CREATE INDEX ops_incidents_alert ON ops_incidents (alert_event, alert_subject) WHERE resolved_at IS NULL;

-- Which incident each alert event went into (none for events that open no incident).
ALTER TABLE ops_alerts ADD COLUMN incident_id INTEGER REFERENCES ops_incidents (id);

-- 変更: a version upgrade or migrations applied are recorded by the node at start (origin
-- auto, one row per auto_key, so several processes starting at once record it once).
CREATE TABLE ops_changes (
    id            INTEGER PRIMARY KEY,
    changed_at    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('release', 'schema', 'config', 'data', 'infrastructure', 'other')),
    summary       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    impact        TEXT NOT NULL,
    work_minutes  INTEGER NOT NULL DEFAULT 0 CHECK (work_minutes >= 0),
    origin        TEXT NOT NULL CHECK (origin IN ('auto', 'manual')),
    auto_key      TEXT UNIQUE,
    recorded_by   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX ops_changes_at ON ops_changes (changed_at);

-- 計画停止: announced (recorded) before it starts; its time is left out of the contract's 稼働率.
CREATE TABLE ops_maintenance (
    id            INTEGER PRIMARY KEY,
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL CHECK (ends_at > starts_at),
    summary       TEXT NOT NULL,
    work_minutes  INTEGER NOT NULL DEFAULT 0 CHECK (work_minutes >= 0),
    announced_at  TEXT NOT NULL CHECK (announced_at <= starts_at),
    cancelled_at  TEXT,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX ops_maintenance_starts ON ops_maintenance (starts_at);
