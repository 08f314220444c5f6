-- The uptime ledger (every node): one row per run of the server, from its start to the last
-- heartbeat it wrote. The gaps between runs are the outages; the monthly 稼働率 is computed
-- from these rows (api/src/domain/uptime.rs).

CREATE TABLE ops_uptime (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX ops_uptime_seen ON ops_uptime (last_seen_at);
