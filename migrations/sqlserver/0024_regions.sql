-- Regions (issue 16): the T-SQL twin of migrations/sqlite/0024_regions.sql. A municipality
-- belongs to at most one region at a time: the store refuses an overlapping membership in the
-- write's own transaction, under an application lock.
CREATE TABLE regions (
    code        NVARCHAR(32) NOT NULL PRIMARY KEY,
    name        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sort_order  INT NOT NULL CONSTRAINT regions_sort_order_default DEFAULT 0,
    valid_from  DATE NOT NULL,
    valid_to    DATE NULL,
    CONSTRAINT regions_dates CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE TABLE region_members (
    region        NVARCHAR(32) NOT NULL CONSTRAINT region_members_region_fk REFERENCES regions (code),
    municipality  NVARCHAR(16) NOT NULL CONSTRAINT region_members_municipality_fk REFERENCES municipalities (code),
    valid_from    DATE NOT NULL,
    valid_to      DATE NULL,
    CONSTRAINT region_members_pk PRIMARY KEY (region, municipality, valid_from),
    CONSTRAINT region_members_dates CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX region_members_municipality ON region_members (municipality, valid_from);
