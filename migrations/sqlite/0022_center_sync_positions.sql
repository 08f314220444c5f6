-- The centre's delivery state (centre nodes only): the stream of the last acknowledgement, so the
-- centre can tell whether the hub's position (pulled with the period locks) is behind what the
-- hub once acknowledged (a hub restored from an older copy); and the last failed delivery with
-- its time, kept after later successes, so the stuck-backlog alert can name its cause.

ALTER TABLE sync_state ADD COLUMN acked_stream TEXT;
ALTER TABLE sync_state ADD COLUMN last_failure TEXT;
ALTER TABLE sync_state ADD COLUMN last_failure_at TEXT;
