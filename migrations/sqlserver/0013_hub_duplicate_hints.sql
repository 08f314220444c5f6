-- The optional duplicate hint (hub only), as in migrations/sqlite/0013_hub_duplicate_hints.sql:
-- a keyed pseudonym per registration (HMAC-SHA256 under the prefecture's key, which only centre
-- nodes hold), so a centre can learn that a person it is about to register may already have a
-- common ID elsewhere. Rows go with the person's row and are all deleted when the hub starts
-- with the hint off.
CREATE TABLE duplicate_hints (
    center     NVARCHAR(16) NOT NULL,
    common_id  NVARCHAR(32) NOT NULL,
    match_key  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT duplicate_hints_match_key_length CHECK (LEN(match_key) = 64),
    CONSTRAINT duplicate_hints_pk PRIMARY KEY (center, common_id),
    CONSTRAINT duplicate_hints_person_fk FOREIGN KEY (center, common_id)
        REFERENCES persons (center, common_id) ON DELETE CASCADE
);
CREATE INDEX duplicate_hints_match_key ON duplicate_hints (match_key);
