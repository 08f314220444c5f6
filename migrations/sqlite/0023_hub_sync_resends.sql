-- Centres re-sending because the hub was behind them (hub only): found when a centre's pull of
-- the period locks reports an acknowledged position the hub does not hold (the hub was restored
-- from an older copy). Open (caught_up_at null) until the centre reports it is level again with
-- nothing waiting. The open rows make the alert `sync_hub_behind`, which names the centres.

CREATE TABLE sync_resends (
    center        TEXT PRIMARY KEY REFERENCES centers (code),
    detected_at   TEXT NOT NULL,
    acked_stream  TEXT NOT NULL,     -- what the centre had been acknowledged
    acked_seq     INTEGER NOT NULL,
    hub_stream    TEXT,              -- what the hub held then
    hub_seq       INTEGER NOT NULL,
    caught_up_at  TEXT
);
