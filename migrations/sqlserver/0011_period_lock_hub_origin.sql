-- As in migrations/sqlite/0011_period_lock_hub_origin.sql: the column a centre node uses to
-- mirror the hub's locks. On the hub it stays NULL; it is here so both schemas keep the same
-- columns (and `attaka migrate-hub` copies rows as they are).
ALTER TABLE period_locks ADD hub_lock_id BIGINT NULL;
GO
CREATE UNIQUE INDEX period_locks_hub ON period_locks (hub_lock_id, locked_at)
    WHERE hub_lock_id IS NOT NULL;

-- At most one active lock per scope and period among the node's own locks.
DROP INDEX period_locks_active ON period_locks;
CREATE UNIQUE INDEX period_locks_active
    ON period_locks (scope_level, scope_code, period, hub_lock_id)
    WHERE unlocked_at IS NULL;
