-- API keys can expire and be revoked; a revoked key's row stays, for the record.
ALTER TABLE api_keys
    ADD COLUMN expires_at TIMESTAMPTZ,
    ADD COLUMN revoked_at TIMESTAMPTZ,
    ADD COLUMN revoked_by TEXT;
