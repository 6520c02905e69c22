-- Supplier quality (issue 6): electronic Certificates of Analysis, incoming-quality decisions and material
-- specifications. All three are append-only: a re-sent CoA is a new revision, an override a new decision,
-- a changed specification a new version.

-- A CoA as received: the original bytes (immutable, hashed) and what was parsed from them (NULL for a PDF).
CREATE TABLE coas (
    id           TEXT PRIMARY KEY,
    supplier_id  TEXT NOT NULL,
    material_id  TEXT NOT NULL,
    lot_number   TEXT NOT NULL,
    revision     INTEGER NOT NULL CHECK (revision >= 1),
    content_hash TEXT NOT NULL,
    media_type   TEXT NOT NULL CHECK (media_type IN ('application/json', 'text/csv', 'application/pdf')),
    original     BLOB NOT NULL,
    parsed       TEXT,
    actor_id     TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    UNIQUE (supplier_id, material_id, lot_number, revision)
);
CREATE INDEX coas_by_material ON coas(material_id, id);

-- Incoming-quality decisions per CoA, numbered from 1; the latest is in force. An override is a new row.
CREATE TABLE coa_decisions (
    coa_id          TEXT NOT NULL REFERENCES coas(id),
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    outcome         TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'hold')),
    reasons         TEXT NOT NULL,
    spec_material   TEXT,
    spec_version    INTEGER,
    decided_by      TEXT NOT NULL,
    decided_at      TEXT NOT NULL,
    override_reason TEXT,
    PRIMARY KEY (coa_id, seq)
) WITHOUT ROWID;

-- Our specifications, per material, general (supplier_key '') or for one supplier, in versions.
CREATE TABLE material_specs (
    material_id  TEXT NOT NULL,
    supplier_key TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL CHECK (version >= 1),
    spec         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (material_id, supplier_key, version)
) WITHOUT ROWID;

CREATE TRIGGER coas_append_only_u BEFORE UPDATE ON coas
BEGIN SELECT RAISE(ABORT, 'coas is append-only'); END;
CREATE TRIGGER coas_append_only_d BEFORE DELETE ON coas
BEGIN SELECT RAISE(ABORT, 'coas is append-only'); END;
CREATE TRIGGER coa_decisions_append_only_u BEFORE UPDATE ON coa_decisions
BEGIN SELECT RAISE(ABORT, 'coa_decisions is append-only'); END;
CREATE TRIGGER coa_decisions_append_only_d BEFORE DELETE ON coa_decisions
BEGIN SELECT RAISE(ABORT, 'coa_decisions is append-only'); END;
CREATE TRIGGER material_specs_append_only_u BEFORE UPDATE ON material_specs
BEGIN SELECT RAISE(ABORT, 'material_specs is append-only'); END;
CREATE TRIGGER material_specs_append_only_d BEFORE DELETE ON material_specs
BEGIN SELECT RAISE(ABORT, 'material_specs is append-only'); END;
