-- Accounts under attack (issue 13): usernames are case-insensitive, and an administrator's
-- reset makes the account choose its own password at the next login.
-- The username column keeps its binary collation (exact bytes, as SQLite stores them); the key
-- that must be unique is its lower-case form, a persisted computed column with its own index.
-- A database holding two usernames that differ only by case stops here: rename one of them
-- and start the node again.
ALTER TABLE accounts ADD username_key AS LOWER(username) PERSISTED;
GO
CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key);
GO
ALTER TABLE accounts ADD must_change_password BIT NOT NULL
    CONSTRAINT accounts_must_change_password_default DEFAULT 0;
GO
ALTER TABLE accounts ADD password_changed_at DATETIME2(6) NULL;
