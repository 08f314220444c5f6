-- Facts, organisation, accounts and audit on the prefecture hub's SQL Server database: the T-SQL
-- twin of migrations/sqlite/0001_init.sql (same tables, columns and meaning).
--
-- Types: text is NVARCHAR (Japanese names), dates DATE, instants DATETIME2(6) in UTC (the store
-- keeps microseconds, as the SQLite store's RFC 3339 text does), flags BIT, generated keys
-- BIGINT IDENTITY. Lengths bound what the API validates (codes, names of at most 100
-- characters); free text nobody indexes is NVARCHAR(MAX).
--
-- Collation, chosen so text compares and sorts as on SQLite (whose BINARY collation compares
-- UTF-8 bytes, i.e. Unicode code points):
-- * Text that is shown or matched as a whole — names, kana, labels, usernames, tokens, audit
--   and alert text — is COLLATE Latin1_General_100_BIN2: a binary collation that compares
--   NVARCHAR by code point, so kana, width and case variants stay apart (ア ≠ あ ≠ ｱ, ガ ≠ カ,
--   'admin' ≠ 'Admin') and sort as on SQLite. Japanese_CI_AS and the like would make them equal.
-- * Codes and keys — centre, municipality, site and master-data codes, common IDs, activity and
--   session IDs — take the database's collation, because they are joined and referenced by
--   foreign keys, and Babelfish (4.2) cannot check a foreign key whose referenced column has a
--   collation other than the database's ("could not determine which collation to use"), while
--   SQL Server wants both sides of a key and of a join in one collation. Create the hub's
--   database on SQL Server with a binary collation (CREATE DATABASE attaka COLLATE
--   Latin1_General_100_BIN2; api/src/store/mssql/mod.rs) and the codes compare exactly as on
--   SQLite too. Under a case-insensitive database collation (Babelfish's only one) codes that
--   differ only in case or width would count as one; the API writes codes only in their
--   canonical form (C001, C001-S01, C001-000001-3, lower-case UUIDs), where the orders agree.
-- * Either way, as on every SQL Server collation, = ignores trailing spaces; the API trims what
--   it stores.
-- `function` is a reserved word in T-SQL: the column is written [function].

CREATE TABLE node_secrets (
    name        NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    value       VARBINARY(MAX) NOT NULL,
    created_at  DATETIME2(6) NOT NULL
);

-- Code lists that the prefecture may change: functions, categories, age bands, ...
CREATE TABLE master_items (
    list        NVARCHAR(40) NOT NULL,
    code        NVARCHAR(40) NOT NULL,
    label       NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sort_order  INT NOT NULL,
    valid_from  DATE NULL,
    valid_to    DATE NULL,
    parent      NVARCHAR(40) NULL,  -- categories: their reporting group
    rank        INT NULL,                                           -- groups: precedence, lower wins
    lower       INT NULL,                                           -- age_bands: inclusive bounds
    upper       INT NULL,
    CONSTRAINT master_items_pk PRIMARY KEY (list, code)
);

CREATE TABLE municipalities (
    code        NVARCHAR(16) NOT NULL PRIMARY KEY,
    name        NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL,
    kana        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sort_order  INT NOT NULL
);

CREATE TABLE centers (
    code           NVARCHAR(16) NOT NULL PRIMARY KEY,
    name           NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    municipality   NVARCHAR(16) NOT NULL
        CONSTRAINT centers_municipality_fk REFERENCES municipalities (code),
    operator_body  NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL,
    opened_on      DATE NOT NULL,
    closed_on      DATE NULL,
    CONSTRAINT centers_dates CHECK (closed_on IS NULL OR closed_on >= opened_on)
);
CREATE INDEX centers_municipality ON centers (municipality);

CREATE TABLE sites (
    code        NVARCHAR(32) NOT NULL PRIMARY KEY,
    center      NVARCHAR(16) NOT NULL
        CONSTRAINT sites_center_fk REFERENCES centers (code),
    name        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    opened_on   DATE NOT NULL,
    closed_on   DATE NULL,
    CONSTRAINT sites_dates CHECK (closed_on IS NULL OR closed_on >= opened_on)
);
CREATE INDEX sites_center ON sites (center);

-- The last serial issued for common IDs of each centre: serials are never reused.
CREATE TABLE common_id_counters (
    center       NVARCHAR(16) NOT NULL PRIMARY KEY
        CONSTRAINT common_id_counters_center_fk REFERENCES centers (code),
    last_serial  INT NOT NULL CONSTRAINT common_id_counters_serial CHECK (last_serial BETWEEN 0 AND 999999)
);

-- A person's facts at one centre. No identity on the hub (its schema has no place for it).
CREATE TABLE persons (
    center                  NVARCHAR(16) NOT NULL
        CONSTRAINT persons_center_fk REFERENCES centers (code),
    common_id               NVARCHAR(32) NOT NULL,
    sex                     NVARCHAR(40) NOT NULL,
    birth_year_month        NVARCHAR(7) NOT NULL,  -- YYYY-MM
    residence_municipality  NVARCHAR(16) NOT NULL
        CONSTRAINT persons_residence_fk REFERENCES municipalities (code),
    care_level              NVARCHAR(40) NOT NULL,
    household               NVARCHAR(40) NOT NULL,
    registered_on           DATE NOT NULL,
    ended_on                DATE NULL,
    end_reason              NVARCHAR(40) NULL,
    created_at              DATETIME2(6) NOT NULL,
    updated_at              DATETIME2(6) NOT NULL,
    CONSTRAINT persons_pk PRIMARY KEY (center, common_id),
    CONSTRAINT persons_dates CHECK (ended_on IS NULL OR ended_on >= registered_on)
);
CREATE INDEX persons_common_id ON persons (common_id);
-- The registry side of /stats: people registered in a period, or registered at its end.
CREATE INDEX persons_registered_on ON persons (registered_on) INCLUDE (ended_on);

CREATE TABLE person_categories (
    center     NVARCHAR(16) NOT NULL,
    common_id  NVARCHAR(32) NOT NULL,
    category   NVARCHAR(40) NOT NULL,
    CONSTRAINT person_categories_pk PRIMARY KEY (center, common_id, category),
    CONSTRAINT person_categories_person_fk FOREIGN KEY (center, common_id)
        REFERENCES persons (center, common_id) ON DELETE CASCADE
);

CREATE TABLE person_disabilities (
    center     NVARCHAR(16) NOT NULL,
    common_id  NVARCHAR(32) NOT NULL,
    kind       NVARCHAR(40) NOT NULL,
    grade      NVARCHAR(40) NULL,
    CONSTRAINT person_disabilities_pk PRIMARY KEY (center, common_id, kind),
    CONSTRAINT person_disabilities_person_fk FOREIGN KEY (center, common_id)
        REFERENCES persons (center, common_id) ON DELETE CASCADE
);

CREATE TABLE accounts (
    id             BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    username       NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT accounts_username UNIQUE,
    display_name   NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    password_hash  NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL,
    role           NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    scope_level    NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    scope_code     NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NULL,
    disabled       BIT NOT NULL CONSTRAINT accounts_disabled_default DEFAULT 0,
    failed_logins  BIGINT NOT NULL CONSTRAINT accounts_failed_logins_default DEFAULT 0,
    locked_until   DATETIME2(6) NULL,
    created_at     DATETIME2(6) NOT NULL,
    updated_at     DATETIME2(6) NOT NULL
);

-- A login session; its refresh tokens rotate within it. Logout revokes the session.
CREATE TABLE sessions (
    id          NVARCHAR(100) NOT NULL PRIMARY KEY,
    account_id  BIGINT NOT NULL CONSTRAINT sessions_account_fk REFERENCES accounts (id),
    created_at  DATETIME2(6) NOT NULL,
    revoked_at  DATETIME2(6) NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE refresh_tokens (
    token_hash  NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    session     NVARCHAR(100) NOT NULL
        CONSTRAINT refresh_tokens_session_fk REFERENCES sessions (id),
    issued_at   DATETIME2(6) NOT NULL,
    expires_at  DATETIME2(6) NOT NULL,
    used_at     DATETIME2(6) NULL
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session);

CREATE TABLE api_tokens (
    id           BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    token_hash   NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT api_tokens_token_hash UNIQUE,
    prefix       NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    name         NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    scope_level  NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    scope_code   NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NULL,
    created_by   BIGINT NULL CONSTRAINT api_tokens_created_by_fk REFERENCES accounts (id),
    created_at   DATETIME2(6) NOT NULL,
    expires_on   DATE NULL,
    revoked_at   DATETIME2(6) NULL
);

CREATE TABLE audit_log (
    id          BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    at          DATETIME2(6) NOT NULL,
    actor       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    account_id  BIGINT NULL,
    role        NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NULL,
    scope       NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL,
    action      NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    target      NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    outcome     NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL,
    client      NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    request_id  NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    detail      NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, at);
