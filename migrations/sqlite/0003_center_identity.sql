-- Personal identity: created on centre nodes only (the runner skips files named *_center_*
-- on the hub), so the hub's schema has no place for a name, kana, birth date, address,
-- phone or note.

CREATE TABLE person_private (
    center             TEXT NOT NULL,
    common_id          TEXT NOT NULL,
    family_name        TEXT NOT NULL,
    given_name         TEXT NOT NULL,
    family_kana        TEXT NOT NULL,
    given_kana         TEXT NOT NULL,
    kana_key           TEXT NOT NULL,  -- normalised フリガナ for search
    name_key           TEXT NOT NULL,  -- NFKC name without spaces, for search
    birth_date         TEXT NOT NULL,
    postal_code        TEXT,
    address            TEXT,
    phone              TEXT,
    emergency_contact  TEXT,
    notes              TEXT,
    PRIMARY KEY (center, common_id),
    FOREIGN KEY (center, common_id) REFERENCES persons (center, common_id) ON DELETE CASCADE
);
CREATE INDEX person_private_kana ON person_private (center, kana_key);
CREATE INDEX person_private_name ON person_private (center, name_key);
