-- Accounts under attack (issue 13): usernames are case-insensitive, and an administrator's
-- reset makes the account choose its own password at the next login.
-- A database holding two usernames that differ only by case stops here: rename one of them
-- (UPDATE accounts SET username = ... WHERE id = ...) and start the node again.
CREATE UNIQUE INDEX accounts_username_nocase ON accounts (username COLLATE NOCASE);

ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN password_changed_at TEXT;
