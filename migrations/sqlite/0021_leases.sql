-- Leases (every node): which process runs a job that must run once however many processes serve
-- the same database (the nightly jobs, the watch, the alert mailer). A holder takes or renews a
-- lease by writing first — an UPDATE that succeeds only when the lease expired or is its own,
-- then an INSERT when there was no row — so the database decides, on SQLite and SQL Server alike.

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
