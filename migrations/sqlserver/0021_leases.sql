-- Leases (every node), as in migrations/sqlite/0021_leases.sql: which process runs a job that
-- must run once however many processes serve the same database (the nightly jobs, the watch,
-- the alert mailer). A holder takes or renews a lease by writing first — an UPDATE that succeeds
-- only when the lease expired or is its own, then an INSERT when there was no row, which the
-- primary key refuses to all but one — so the database decides (store/mssql/leases.rs).

CREATE TABLE leases (
    name        NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    holder      NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    expires_at  DATETIME2(6) NOT NULL
);
