-- Record-level extracts an integrator token may receive (decision 0019): chosen by the
-- prefecture when the token is made. Tokens made before this migration receive none, which is
-- what the default gives them.
ALTER TABLE api_tokens ADD extracts NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL
    CONSTRAINT api_tokens_extracts_default DEFAULT N'none'
    CONSTRAINT api_tokens_extracts_check CHECK (extracts IN (N'none', N'coarsened', N'detailed'));
