-- The /stats result cache's change log (every node), as in migrations/sqlite/0026_stats_changes.sql:
-- each write that can change a figure appends what it touched, so every process serving the same
-- database invalidates exactly the cached answers that depend on it. A row names a centre and a
-- fiscal year, a centre alone (everything of the centre), or neither (master data: every answer).
-- IDENTITY may leave gaps after a rollback or a restart; readers treat a gap as nothing written
-- (the rows are appended after the writes they describe have committed, see
-- store/mssql/stats_changes.rs), and only rows pruned from under a reader make it drop its cache.

CREATE TABLE stats_changes (
    seq          BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    center       NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NULL,
    fiscal_year  INT NULL,
    at           DATETIME2(6) NOT NULL,
    CONSTRAINT stats_changes_year_of_a_center CHECK (fiscal_year IS NULL OR center IS NOT NULL)
);
