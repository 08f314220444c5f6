-- Tamper evidence for the audit log (every node): each row carries the SHA-256 of the row
-- before it and its own (api/src/store/sqlite/audit.rs says exactly what is hashed), so a row
-- changed or removed breaks the chain at that point. Rows from before this migration have no
-- hash; the chain starts at the first row after it.
-- A purge of rows past their retention records the hash of the last row it removed, so the
-- chain's new first row still links to something.

ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

CREATE TABLE audit_purges (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    before       TEXT NOT NULL,      -- rows older than this were removed
    up_to_id     INTEGER NOT NULL,   -- the last removed row
    last_hash    TEXT,               -- its hash (null when it predates the chain)
    rows         INTEGER NOT NULL
);
