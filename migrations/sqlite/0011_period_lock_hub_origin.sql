-- A centre node mirrors the period locks the prefecture made on the hub (its sync sender pulls
-- them from GET /api/v1/sync/period-locks). hub_lock_id is the lock's ID on the hub, NULL for a
-- lock made on this node; with locked_at (the hub's time of locking) it names the hub's lock
-- even after a hub is replaced and its IDs start again. On the hub it stays NULL.
ALTER TABLE period_locks ADD COLUMN hub_lock_id INTEGER;
CREATE UNIQUE INDEX period_locks_hub ON period_locks (hub_lock_id, locked_at)
    WHERE hub_lock_id IS NOT NULL;

-- At most one active lock per scope and period among the node's own locks. A hub lock of the
-- same scope and period may stand beside a local one: each is unlocked by its owner.
DROP INDEX period_locks_active;
CREATE UNIQUE INDEX period_locks_active
    ON period_locks (scope_level, ifnull(scope_code, ''), period, ifnull(hub_lock_id, 0))
    WHERE unlocked_at IS NULL;
