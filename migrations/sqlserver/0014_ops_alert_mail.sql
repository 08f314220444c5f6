-- Failure e-mail (every node), as in migrations/sqlite/0014_ops_alert_mail.sql: when each alert
-- was mailed to the operator. Alerts from before this migration count as mailed.
-- (The column is used in the next batch: T-SQL compiles a batch before it runs, hence GO.)

ALTER TABLE ops_alerts ADD notified_at DATETIME2(6) NULL;
GO
UPDATE ops_alerts SET notified_at = raised_at;
CREATE INDEX ops_alerts_unnotified ON ops_alerts (id) WHERE notified_at IS NULL;
