-- Record-level extracts an integrator token may receive (decision 0019): chosen by the
-- prefecture when the token is made. Tokens made before this migration receive none, which is
-- what the default gives them.

ALTER TABLE api_tokens ADD COLUMN extracts TEXT NOT NULL DEFAULT 'none'
    CHECK (extracts IN ('none', 'coarsened', 'detailed'));
