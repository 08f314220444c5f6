-- Tamper evidence for the audit log, as in migrations/sqlite/0015_audit_chain.sql: each row
-- carries the SHA-256 of the row before it and its own (api/src/domain/audit.rs says exactly
-- what is hashed). A purge records the hash of the last row it removed.

ALTER TABLE audit_log ADD prev_hash NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE audit_log ADD hash NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL;

CREATE TABLE audit_purges (
    id           BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    at           DATETIME2(6) NOT NULL,
    before       DATETIME2(6) NOT NULL,   -- rows older than this were removed
    up_to_id     BIGINT NOT NULL,         -- the last removed row
    last_hash    NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL,  -- its hash (null when it predates the chain)
    rows         BIGINT NOT NULL
);
