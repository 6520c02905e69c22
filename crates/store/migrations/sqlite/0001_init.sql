-- voltpass schema, SQLite. Keys are natural ids or UUIDv7 strings, never autoincrement.
CREATE TABLE actors (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    organisation TEXT,
    subrole      TEXT,
    created_at   TEXT NOT NULL
);

-- Only hashes of API keys are stored.
CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY,
    actor_id   TEXT NOT NULL REFERENCES actors(id),
    created_at TEXT NOT NULL
);

CREATE TABLE model_versions (
    model_id     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    document     TEXT NOT NULL,
    owner        TEXT,
    content_hash TEXT NOT NULL,
    prev_hash    TEXT,
    actor_id     TEXT NOT NULL REFERENCES actors(id),
    reason       TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (model_id, version)
);
CREATE INDEX model_versions_by_hash ON model_versions(content_hash);

-- Derived index of each passport's latest version (listing, uniqueness). History is in passport_versions.
CREATE TABLE passports (
    id            TEXT PRIMARY KEY,
    battery_id    TEXT NOT NULL,
    model_id      TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    category      TEXT NOT NULL,
    status        TEXT NOT NULL,
    manufacturer  TEXT NOT NULL,
    responsible   TEXT NOT NULL,
    version       INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    successor_id  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- One active passport per battery identifier; a successor (repurposed battery) may reuse it.
CREATE UNIQUE INDEX passports_active_battery ON passports(battery_id) WHERE successor_id IS NULL;
CREATE INDEX passports_by_model ON passports(model_id, id);
CREATE INDEX passports_by_category ON passports(category, id);
CREATE INDEX passports_by_status ON passports(status, id);
CREATE INDEX passports_by_manufacturer ON passports(manufacturer, id);
CREATE INDEX passports_by_battery ON passports(battery_id);

CREATE TABLE passport_versions (
    passport_id   TEXT NOT NULL,
    version       INTEGER NOT NULL,
    model_id      TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    item          TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    prev_hash     TEXT,
    actor_id      TEXT NOT NULL,
    reason        TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (passport_id, version)
);

-- History is never rewritten.
CREATE TRIGGER passport_versions_append_only_u BEFORE UPDATE ON passport_versions
BEGIN SELECT RAISE(ABORT, 'passport_versions is append-only'); END;
CREATE TRIGGER passport_versions_append_only_d BEFORE DELETE ON passport_versions
BEGIN SELECT RAISE(ABORT, 'passport_versions is append-only'); END;
CREATE TRIGGER model_versions_append_only_u BEFORE UPDATE ON model_versions
BEGIN SELECT RAISE(ABORT, 'model_versions is append-only'); END;
CREATE TRIGGER model_versions_append_only_d BEFORE DELETE ON model_versions
BEGIN SELECT RAISE(ABORT, 'model_versions is append-only'); END;
CREATE TRIGGER passports_no_delete BEFORE DELETE ON passports
BEGIN SELECT RAISE(ABORT, 'passports are never deleted'); END;
