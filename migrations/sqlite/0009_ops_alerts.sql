-- Operational alert events (every node): a condition that needs the operator, raised once while
-- it lasts (one open row per event and subject) and cleared when it ends.

CREATE TABLE ops_alerts (
    id            INTEGER PRIMARY KEY,
    event         TEXT NOT NULL,      -- stable name, e.g. sync_backlog_stuck
    subject       TEXT NOT NULL,      -- what it is about, e.g. a centre code
    severity      TEXT NOT NULL CHECK (severity IN ('warn', 'error')),
    message       TEXT NOT NULL,
    raised_at     TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    cleared_at    TEXT
);
CREATE UNIQUE INDEX ops_alerts_open ON ops_alerts (event, subject) WHERE cleared_at IS NULL;
CREATE INDEX ops_alerts_raised ON ops_alerts (raised_at);
