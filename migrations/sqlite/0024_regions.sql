-- Regions (issue 16): the prefecture's regional offices (福祉保健所) and the municipalities each
-- covers, with periods. Master data maintained on the hub; the table exists on centre nodes too
-- (empty there) so that the statistics SQL is the same on both.
-- A municipality belongs to at most one region at a time: the store refuses an overlapping
-- membership in the write's own transaction (no interval constraint exists in SQL).
-- Membership periods are whole fiscal years (from an April 1st, to a March 31st or open),
-- checked by the domain: the year aggregates of the statistics then carry the region exactly.
CREATE TABLE regions (
    code        TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE TABLE region_members (
    region        TEXT NOT NULL REFERENCES regions (code),
    municipality  TEXT NOT NULL REFERENCES municipalities (code),
    valid_from    TEXT NOT NULL,
    valid_to      TEXT,
    PRIMARY KEY (region, municipality, valid_from),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX region_members_municipality ON region_members (municipality, valid_from);
