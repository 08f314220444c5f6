-- The /stats result cache's change log (every node; decision 0033): each write that can change
-- a figure appends what it touched once it has committed, so every process serving the same
-- database invalidates exactly the cached answers that depend on it, not only the process that
-- wrote. A row names a centre and a fiscal year (that year's facts of the centre), a centre alone
-- (everything of the centre), or neither (master data: every answer). Writers prune rows older
-- than a day but never the newest (the next number counts on from it); a process that has not
-- read the log for half a day drops its whole cache.

CREATE TABLE stats_changes (
    seq          INTEGER PRIMARY KEY,  -- max + 1: the newest row is never pruned, so never reused
    center       TEXT,
    fiscal_year  INTEGER,
    at           TEXT NOT NULL,
    CHECK (fiscal_year IS NULL OR center IS NOT NULL)
);
