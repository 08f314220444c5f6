-- Failure e-mail (every node), as in migrations/sqlite/0020_ops_alert_clear_mail.sql: an alert's
-- clearing is mailed once too. Alerts cleared before this migration count as mailed, as 0014 did
-- for raised ones. (The column is used in the next batch: T-SQL compiles a batch before it runs.)

ALTER TABLE ops_alerts ADD cleared_notified_at DATETIME2(6) NULL;
GO
UPDATE ops_alerts SET cleared_notified_at = cleared_at WHERE cleared_at IS NOT NULL;
CREATE INDEX ops_alerts_clear_unnotified ON ops_alerts (id)
    WHERE cleared_at IS NOT NULL AND cleared_notified_at IS NULL;
