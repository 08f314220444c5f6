-- The outbox of changes to facts, waiting for the prefecture hub (centre nodes only: the runner
-- skips files named *_center_* on the hub). Once synchronisation has started (sync_state has its
-- row), every change to persons, activities, participations and sites writes one row here in
-- the same transaction; the sender deletes nothing until the hub has acknowledged it.

CREATE TABLE sync_state (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    center             TEXT NOT NULL,
    stream             TEXT NOT NULL,      -- UUID; a new stream begins with a full snapshot
    started_at         TEXT NOT NULL,
    next_batch_seq     INTEGER NOT NULL DEFAULT 1,
    inflight_batch     INTEGER,            -- the batch being delivered: its number
    inflight_last_seq  INTEGER,            -- and its last entry (sent again as is until acknowledged)
    last_acked_seq     INTEGER NOT NULL DEFAULT 0,
    last_attempt_at    TEXT,
    last_success_at    TEXT,
    last_error         TEXT
);

CREATE TABLE sync_outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the hub applies in this order
    op          TEXT NOT NULL,                      -- upsert_person, delete_activity, ...
    payload     TEXT NOT NULL,                      -- the shared::dto::sync::SyncOp as JSON
    created_at  TEXT NOT NULL,
    sent_at     TEXT                                -- set when the hub acknowledged it
);
CREATE INDEX sync_outbox_pending ON sync_outbox (sent_at, seq);
