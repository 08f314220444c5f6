-- The programme title is free text that staff could fill with a person's name: it stays on the
-- centre node and is never synchronised, so the hub's activities have no column for it.

ALTER TABLE activities DROP COLUMN title;
