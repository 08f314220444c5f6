-- Centres re-sending because the hub was behind them, as in
-- migrations/sqlite/0023_hub_sync_resends.sql: found when a centre's pull of the period locks
-- reports an acknowledged position the hub does not hold (the hub was restored from an older
-- copy). Open (caught_up_at null) until the centre reports it is level again with nothing
-- waiting. The open rows make the alert `sync_hub_behind`, which names the centres.
-- (0022_center_sync_positions is centre-only: the hub never runs it, so it has no twin here.)

CREATE TABLE sync_resends (
    center        NVARCHAR(16) NOT NULL PRIMARY KEY
        CONSTRAINT sync_resends_center_fk REFERENCES centers (code),
    detected_at   DATETIME2(6) NOT NULL,
    acked_stream  NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL,   -- what the centre had been acknowledged
    acked_seq     BIGINT NOT NULL,
    hub_stream    NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NULL,       -- what the hub held then
    hub_seq       BIGINT NOT NULL,
    caught_up_at  DATETIME2(6) NULL
);
