-- Dynamic data, authorisations, signatures and the audit log (issue 4).

-- Annex VII readings. (passport, metric, time, source) names a reading: a resent one is a duplicate and ignored.
CREATE TABLE readings (
    passport_id TEXT NOT NULL,
    metric      TEXT NOT NULL,
    at_ms       BIGINT NOT NULL,
    source      TEXT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    note        TEXT,
    actor_id    TEXT NOT NULL,
    PRIMARY KEY (passport_id, metric, at_ms, source)
);

-- Readings that failed plausibility or parsing: kept with the reason, never silently dropped.
CREATE TABLE rejected_readings (
    id          TEXT PRIMARY KEY,
    passport_id TEXT,
    channel     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rejected_readings_by_passport ON rejected_readings(passport_id);

-- Written authorisations (Art. 77(4)): the grantor operator lets the grantee update attribute groups until a date.
CREATE TABLE grants (
    id          TEXT PRIMARY KEY,
    grantor     TEXT NOT NULL,
    grantee     TEXT NOT NULL REFERENCES actors(id),
    passports   JSONB NOT NULL,
    groups      JSONB NOT NULL,
    valid_until TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_by  TEXT
);
CREATE INDEX grants_by_grantee ON grants(grantee);

-- Ed25519 issuer keys, per operator (and one for the server). Retired keys stay: old signatures must verify.
CREATE TABLE issuer_keys (
    key_id           TEXT PRIMARY KEY,
    operator         TEXT NOT NULL,
    public_multibase TEXT NOT NULL,
    secret_hex       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    retired_at       TIMESTAMPTZ
);

CREATE TABLE version_signatures (
    passport_id TEXT NOT NULL,
    version     BIGINT NOT NULL,
    key_id      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    PRIMARY KEY (passport_id, version)
);

-- Every write, grant, status change and login failure, hash-chained.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT,
    hash      TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,
    hash      TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);

CREATE TRIGGER readings_append_only BEFORE UPDATE OR DELETE ON readings
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER version_signatures_append_only BEFORE UPDATE OR DELETE ON version_signatures
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER issuer_keys_no_delete BEFORE DELETE ON issuer_keys
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER grants_no_delete BEFORE DELETE ON grants
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
