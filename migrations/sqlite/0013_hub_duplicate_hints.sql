-- The optional duplicate hint (hub only): a keyed pseudonym per registration, so a centre can
-- learn that a person it is about to register may already have a common ID elsewhere.
--
-- match_key is HMAC-SHA256 under the prefecture's key (held by centre nodes only, never by the
-- hub) of the normalised フリガナ and birth date: the hub cannot recompute or reverse it. Rows
-- exist only while the prefecture has the hint enabled on the hub (`[duplicate_hint] enabled`),
-- go with the person's row (a centre's reset), and are all deleted when the hub starts with the
-- hint off.
CREATE TABLE duplicate_hints (
    center     TEXT NOT NULL,
    common_id  TEXT NOT NULL,
    match_key  TEXT NOT NULL CHECK (length(match_key) = 64),
    PRIMARY KEY (center, common_id),
    FOREIGN KEY (center, common_id) REFERENCES persons (center, common_id) ON DELETE CASCADE
);
CREATE INDEX duplicate_hints_match_key ON duplicate_hints (match_key);
