-- Synchronisation on the hub, as in migrations/sqlite/0007_hub_sync.sql: the centres'
-- credentials and how far each centre's outbox has been applied.

-- A credential is shown once when issued and kept only as its SHA-256.
CREATE TABLE sync_credentials (
    id          BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    center      NVARCHAR(16) NOT NULL
        CONSTRAINT sync_credentials_center_fk REFERENCES centers (code),
    token_hash  NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT sync_credentials_token_hash UNIQUE,
    prefix      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_by  BIGINT NULL CONSTRAINT sync_credentials_created_by_fk REFERENCES accounts (id),
    created_at  DATETIME2(6) NOT NULL,
    revoked_at  DATETIME2(6) NULL
);
CREATE INDEX sync_credentials_center ON sync_credentials (center);

-- Per centre: the stream being applied, its last applied entry, and the last batch received.
CREATE TABLE sync_centers (
    center          NVARCHAR(16) NOT NULL PRIMARY KEY
        CONSTRAINT sync_centers_center_fk REFERENCES centers (code),
    stream          NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL,
    last_seq        BIGINT NOT NULL,
    last_batch_seq  BIGINT NOT NULL,
    last_batch_at   DATETIME2(6) NOT NULL
);
