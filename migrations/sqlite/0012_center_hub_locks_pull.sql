-- When the centre node's sync sender last pulled the hub's period locks, and the last failure
-- to do so (cleared by the next success); shown in /api/v1/sync/status. Centre nodes only.
ALTER TABLE sync_state ADD COLUMN locks_pulled_at TEXT;
ALTER TABLE sync_state ADD COLUMN locks_error TEXT;
