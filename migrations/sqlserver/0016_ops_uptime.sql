-- The uptime ledger (every node), as in migrations/sqlite/0016_ops_uptime.sql: one row per run
-- of the server, from its start to the last heartbeat it wrote.

CREATE TABLE ops_uptime (
    id            BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    started_at    DATETIME2(6) NOT NULL,
    last_seen_at  DATETIME2(6) NOT NULL
);
CREATE INDEX ops_uptime_seen ON ops_uptime (last_seen_at);
