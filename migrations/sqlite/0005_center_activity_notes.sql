-- The free-text note of an activity: identity-grade (it may name people), so it lives on centre
-- nodes only (the runner skips files named *_center_* on the hub) and is never synchronised.

CREATE TABLE center_activity_notes (
    activity_id  TEXT PRIMARY KEY REFERENCES activities (id) ON DELETE CASCADE,
    note         TEXT NOT NULL
);
