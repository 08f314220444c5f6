-- Failure e-mail (every node): an alert's clearing is mailed once too. Alerts cleared before this
-- migration count as mailed, as 0014 did for raised ones.

ALTER TABLE ops_alerts ADD COLUMN cleared_notified_at TEXT;
UPDATE ops_alerts SET cleared_notified_at = cleared_at WHERE cleared_at IS NOT NULL;
CREATE INDEX ops_alerts_clear_unnotified ON ops_alerts (id)
    WHERE cleared_at IS NOT NULL AND cleared_notified_at IS NULL;
