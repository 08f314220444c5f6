-- Facts, organisation, accounts and audit: the tables every node has (centre and hub).
-- Dates are ISO 8601 TEXT (YYYY-MM-DD); instants are RFC 3339 TEXT in UTC.

CREATE TABLE node_secrets (
    name        TEXT PRIMARY KEY,
    value       BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

-- Code lists that the prefecture may change: functions, categories, age bands, ...
CREATE TABLE master_items (
    list        TEXT NOT NULL,
    code        TEXT NOT NULL,
    label       TEXT NOT NULL,
    sort_order  INTEGER NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    parent      TEXT,     -- categories: their reporting group
    rank        INTEGER,  -- groups: precedence, lower wins
    lower       INTEGER,  -- age_bands: inclusive bounds
    upper       INTEGER,
    PRIMARY KEY (list, code)
);

CREATE TABLE municipalities (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kana        TEXT NOT NULL,
    sort_order  INTEGER NOT NULL
);

CREATE TABLE centers (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    municipality   TEXT NOT NULL REFERENCES municipalities (code),
    operator_body  TEXT NOT NULL,
    opened_on      TEXT NOT NULL,
    closed_on      TEXT,
    CHECK (closed_on IS NULL OR closed_on >= opened_on)
);
CREATE INDEX centers_municipality ON centers (municipality);

CREATE TABLE sites (
    code        TEXT PRIMARY KEY,
    center      TEXT NOT NULL REFERENCES centers (code),
    name        TEXT NOT NULL,
    opened_on   TEXT NOT NULL,
    closed_on   TEXT,
    CHECK (closed_on IS NULL OR closed_on >= opened_on)
);
CREATE INDEX sites_center ON sites (center);

-- The last serial issued for common IDs of each centre: serials are never reused.
CREATE TABLE common_id_counters (
    center       TEXT PRIMARY KEY REFERENCES centers (code),
    last_serial  INTEGER NOT NULL CHECK (last_serial BETWEEN 0 AND 999999)
);

-- A person's facts at one centre. No identity here: see person_private (centre nodes only).
CREATE TABLE persons (
    center                  TEXT NOT NULL REFERENCES centers (code),
    common_id               TEXT NOT NULL,
    sex                     TEXT NOT NULL,
    birth_year_month        TEXT NOT NULL,
    residence_municipality  TEXT NOT NULL REFERENCES municipalities (code),
    care_level              TEXT NOT NULL,
    household               TEXT NOT NULL,
    registered_on           TEXT NOT NULL,
    ended_on                TEXT,
    end_reason              TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    PRIMARY KEY (center, common_id),
    CHECK (ended_on IS NULL OR ended_on >= registered_on)
);
CREATE INDEX persons_common_id ON persons (common_id);

CREATE TABLE person_categories (
    center     TEXT NOT NULL,
    common_id  TEXT NOT NULL,
    category   TEXT NOT NULL,
    PRIMARY KEY (center, common_id, category),
    FOREIGN KEY (center, common_id) REFERENCES persons (center, common_id) ON DELETE CASCADE
);

CREATE TABLE person_disabilities (
    center     TEXT NOT NULL,
    common_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    grade      TEXT,
    PRIMARY KEY (center, common_id, kind),
    FOREIGN KEY (center, common_id) REFERENCES persons (center, common_id) ON DELETE CASCADE
);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    scope_level    TEXT NOT NULL,
    scope_code     TEXT,
    disabled       INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- A login session; its refresh tokens rotate within it. Logout revokes the session.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    session     TEXT NOT NULL REFERENCES sessions (id),
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    name         TEXT NOT NULL,
    scope_level  TEXT NOT NULL,
    scope_code   TEXT,
    created_by   INTEGER REFERENCES accounts (id),
    created_at   TEXT NOT NULL,
    expires_on   TEXT,
    revoked_at   TEXT
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT,
    account_id  INTEGER,
    role        TEXT,
    scope       TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    outcome     TEXT NOT NULL,
    client      TEXT,
    request_id  TEXT,
    detail      TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, at);
