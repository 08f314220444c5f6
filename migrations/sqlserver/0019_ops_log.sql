-- The operations log the maintenance contract reports on, as in migrations/sqlite/0019_ops_log.sql:
-- inquiries, incidents, changes and scheduled maintenance windows. No person data: free text is
-- refused by the node when it holds a common ID (domain/ops_log), codes are checked here.
-- Codes and free text are binary (Latin1_General_100_BIN2), as in ops_alerts: nothing here is
-- the target of a foreign key.

-- 問い合わせ: the 24-hour first-answer clock runs from received_at to first_answered_at.
CREATE TABLE ops_inquiries (
    id                 BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    received_at        DATETIME2(6) NOT NULL,
    source_kind        NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_inquiries_source_kind CHECK (source_kind IN (N'center', N'municipality', N'prefecture', N'other')),
    source_code        NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NULL,   -- a centre or municipality code, never a person
    channel            NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_inquiries_channel CHECK (channel IN (N'phone', N'email', N'web', N'visit', N'other')),
    category           NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_inquiries_category CHECK (category IN (N'usage', N'account', N'data', N'failure', N'request', N'other')),
    summary            NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    answer             NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    first_answered_at  DATETIME2(6) NULL,
    closed_at          DATETIME2(6) NULL,
    work_minutes       BIGINT NOT NULL CONSTRAINT ops_inquiries_work_minutes_default DEFAULT 0
        CONSTRAINT ops_inquiries_work_minutes CHECK (work_minutes >= 0),
    recorded_by        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at         DATETIME2(6) NOT NULL,
    updated_at         DATETIME2(6) NOT NULL
);
CREATE INDEX ops_inquiries_received ON ops_inquiries (received_at);

-- 障害・セキュリティ事故: the 12-hour triage clock runs from detected_at to triaged_at. One
-- opened by an alert event keeps the event and subject; the same alert raised again while the
-- incident is unresolved joins it (alert_count) instead of opening another.
CREATE TABLE ops_incidents (
    id             BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    detected_at    DATETIME2(6) NOT NULL,
    kind           NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_incidents_kind CHECK (kind IN (N'failure', N'security')),
    origin         NVARCHAR(10) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_incidents_origin CHECK (origin IN (N'alert', N'manual')),
    alert_event    NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL,
    alert_subject  NVARCHAR(700) COLLATE Latin1_General_100_BIN2 NULL,
    alert_count    BIGINT NOT NULL CONSTRAINT ops_incidents_alert_count_default DEFAULT 0,
    summary        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    triaged_at     DATETIME2(6) NULL,
    resolved_at    DATETIME2(6) NULL,
    cause          NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    impact         NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    handling       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    work_minutes   BIGINT NOT NULL CONSTRAINT ops_incidents_work_minutes_default DEFAULT 0
        CONSTRAINT ops_incidents_work_minutes CHECK (work_minutes >= 0),
    recorded_by    NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at     DATETIME2(6) NOT NULL,
    updated_at     DATETIME2(6) NOT NULL
);
CREATE INDEX ops_incidents_detected ON ops_incidents (detected_at);
CREATE INDEX ops_incidents_alert ON ops_incidents (alert_event, alert_subject) WHERE resolved_at IS NULL;

-- Which incident each alert event went into (none for events that open no incident). Unlike
-- SQLite, no foreign key: attaka migrate-hub fills the tables in the order these files create
-- them (ops_alerts before ops_incidents) and empties them in the reverse order; the store
-- writes the incident before the alert that names it, in one transaction (store/mssql/alerts.rs).
ALTER TABLE ops_alerts ADD incident_id BIGINT NULL;

-- 変更: a version upgrade or migrations applied are recorded by the node at start (origin
-- auto, one row per auto_key, so several processes starting at once record it once). SQL
-- Server's UNIQUE allows one NULL only, hence the filtered unique index for the manual rows.
CREATE TABLE ops_changes (
    id            BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    changed_at    DATETIME2(6) NOT NULL,
    kind          NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_changes_kind CHECK (kind IN (N'release', N'schema', N'config', N'data', N'infrastructure', N'other')),
    summary       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    reason        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    impact        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    work_minutes  BIGINT NOT NULL CONSTRAINT ops_changes_work_minutes_default DEFAULT 0
        CONSTRAINT ops_changes_work_minutes CHECK (work_minutes >= 0),
    origin        NVARCHAR(10) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_changes_origin CHECK (origin IN (N'auto', N'manual')),
    auto_key      NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NULL,
    recorded_by   NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at    DATETIME2(6) NOT NULL,
    updated_at    DATETIME2(6) NOT NULL
);
CREATE UNIQUE INDEX ops_changes_auto_key ON ops_changes (auto_key) WHERE auto_key IS NOT NULL;
CREATE INDEX ops_changes_at ON ops_changes (changed_at);

-- 計画停止: announced (recorded) before it starts; its time is left out of the contract's 稼働率.
CREATE TABLE ops_maintenance (
    id            BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    starts_at     DATETIME2(6) NOT NULL,
    ends_at       DATETIME2(6) NOT NULL,
    summary       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    work_minutes  BIGINT NOT NULL CONSTRAINT ops_maintenance_work_minutes_default DEFAULT 0
        CONSTRAINT ops_maintenance_work_minutes CHECK (work_minutes >= 0),
    announced_at  DATETIME2(6) NOT NULL,
    cancelled_at  DATETIME2(6) NULL,
    recorded_by   NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT ops_maintenance_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT ops_maintenance_announced_ahead CHECK (announced_at <= starts_at)
);
CREATE INDEX ops_maintenance_starts ON ops_maintenance (starts_at);
