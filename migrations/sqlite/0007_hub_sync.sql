-- Synchronisation on the hub (hub nodes only: the runner runs files named *_hub_* there only):
-- the centres' credentials and how far each centre's outbox has been applied.

-- A credential is shown once when issued and kept only as its SHA-256.
CREATE TABLE sync_credentials (
    id          INTEGER PRIMARY KEY,
    center      TEXT NOT NULL REFERENCES centers (code),
    token_hash  TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_by  INTEGER REFERENCES accounts (id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX sync_credentials_center ON sync_credentials (center);

-- Per centre: the stream being applied, its last applied entry, and the last batch received.
CREATE TABLE sync_centers (
    center          TEXT PRIMARY KEY REFERENCES centers (code),
    stream          TEXT NOT NULL,
    last_seq        INTEGER NOT NULL,
    last_batch_seq  INTEGER NOT NULL,
    last_batch_at   TEXT NOT NULL
);
