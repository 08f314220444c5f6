-- Operational alert events, as in migrations/sqlite/0009_ops_alerts.sql: a condition that needs
-- the operator, raised once while it lasts (one open row per event and subject) and cleared
-- when it ends.

CREATE TABLE ops_alerts (
    id            BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    event         NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL,   -- stable name, e.g. sync_backlog_stuck
    subject       NVARCHAR(700) COLLATE Latin1_General_100_BIN2 NOT NULL,   -- what it is about, e.g. a centre code
    severity      NVARCHAR(10) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT ops_alerts_severity CHECK (severity IN (N'warn', N'error')),
    message       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    raised_at     DATETIME2(6) NOT NULL,
    last_seen_at  DATETIME2(6) NOT NULL,
    cleared_at    DATETIME2(6) NULL
);
CREATE UNIQUE INDEX ops_alerts_open ON ops_alerts (event, subject) WHERE cleared_at IS NULL;
CREATE INDEX ops_alerts_raised ON ops_alerts (raised_at);
