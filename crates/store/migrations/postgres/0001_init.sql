-- voltpass schema, PostgreSQL. Keys are natural ids or UUIDv7 strings, never SERIAL, so the schema runs on
-- Postgres-compatible distributed engines (passport id as distribution column).
CREATE TABLE actors (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    organisation TEXT,
    subrole      TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY,
    actor_id   TEXT NOT NULL REFERENCES actors(id),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE model_versions (
    model_id     TEXT NOT NULL,
    version      BIGINT NOT NULL,
    document     JSONB NOT NULL,
    owner        TEXT,
    content_hash TEXT NOT NULL,
    prev_hash    TEXT,
    actor_id     TEXT NOT NULL REFERENCES actors(id),
    reason       TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (model_id, version)
);
CREATE INDEX model_versions_by_hash ON model_versions(content_hash);

CREATE TABLE passports (
    id            TEXT PRIMARY KEY,
    battery_id    TEXT NOT NULL,
    model_id      TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    category      TEXT NOT NULL,
    status        TEXT NOT NULL,
    manufacturer  TEXT NOT NULL,
    responsible   TEXT NOT NULL,
    version       BIGINT NOT NULL,
    content_hash  TEXT NOT NULL,
    successor_id  TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX passports_active_battery ON passports(battery_id) WHERE successor_id IS NULL;
CREATE INDEX passports_by_model ON passports(model_id, id);
CREATE INDEX passports_by_category ON passports(category, id);
CREATE INDEX passports_by_status ON passports(status, id);
CREATE INDEX passports_by_manufacturer ON passports(manufacturer, id);
CREATE INDEX passports_by_battery ON passports(battery_id);

CREATE TABLE passport_versions (
    passport_id   TEXT NOT NULL,
    version       BIGINT NOT NULL,
    model_id      TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    item          JSONB NOT NULL,
    content_hash  TEXT NOT NULL,
    prev_hash     TEXT,
    actor_id      TEXT NOT NULL,
    reason        TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (passport_id, version)
);

CREATE FUNCTION voltpass_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER passport_versions_append_only BEFORE UPDATE OR DELETE ON passport_versions
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER model_versions_append_only BEFORE UPDATE OR DELETE ON model_versions
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER passports_no_delete BEFORE DELETE ON passports
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
