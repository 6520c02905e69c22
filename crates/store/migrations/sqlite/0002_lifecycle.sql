-- Dynamic data, authorisations, signatures and the audit log (issue 4).

-- Annex VII readings. (passport, metric, time, source) names a reading: a resent one is a duplicate and ignored.
CREATE TABLE readings (
    passport_id TEXT NOT NULL,
    metric      TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    source      TEXT NOT NULL,
    value       REAL NOT NULL,
    note        TEXT,
    actor_id    TEXT NOT NULL,
    PRIMARY KEY (passport_id, metric, at_ms, source)
) WITHOUT ROWID;

-- Readings that failed plausibility or parsing: kept with the reason, never silently dropped.
CREATE TABLE rejected_readings (
    id          TEXT PRIMARY KEY,
    passport_id TEXT,
    channel     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX rejected_readings_by_passport ON rejected_readings(passport_id);

-- Written authorisations (Art. 77(4)): the grantor operator lets the grantee update attribute groups until a date.
CREATE TABLE grants (
    id          TEXT PRIMARY KEY,
    grantor     TEXT NOT NULL,
    grantee     TEXT NOT NULL REFERENCES actors(id),
    passports   TEXT NOT NULL,
    groups      TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    revoked_by  TEXT
);
CREATE INDEX grants_by_grantee ON grants(grantee);

-- Ed25519 issuer keys, per operator (and one for the server). Retired keys stay: old signatures must verify.
CREATE TABLE issuer_keys (
    key_id           TEXT PRIMARY KEY,
    operator         TEXT NOT NULL,
    public_multibase TEXT NOT NULL,
    secret_hex       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    retired_at       TEXT
);

CREATE TABLE version_signatures (
    passport_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    key_id      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    PRIMARY KEY (passport_id, version)
);

-- Every write, grant, status change and login failure, hash-chained.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT,
    hash      TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    hash      TEXT NOT NULL,
    at        TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);

CREATE TRIGGER readings_append_only_u BEFORE UPDATE ON readings
BEGIN SELECT RAISE(ABORT, 'readings is append-only'); END;
CREATE TRIGGER readings_append_only_d BEFORE DELETE ON readings
BEGIN SELECT RAISE(ABORT, 'readings is append-only'); END;
CREATE TRIGGER version_signatures_append_only_u BEFORE UPDATE ON version_signatures
BEGIN SELECT RAISE(ABORT, 'version_signatures is append-only'); END;
CREATE TRIGGER version_signatures_append_only_d BEFORE DELETE ON version_signatures
BEGIN SELECT RAISE(ABORT, 'version_signatures is append-only'); END;
CREATE TRIGGER audit_log_append_only_u BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_d BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_u BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_d BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER issuer_keys_no_delete BEFORE DELETE ON issuer_keys
BEGIN SELECT RAISE(ABORT, 'issuer keys are never deleted'); END;
CREATE TRIGGER grants_no_delete BEFORE DELETE ON grants
BEGIN SELECT RAISE(ABORT, 'grants are never deleted'); END;
