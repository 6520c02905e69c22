-- AAS registry entries registered through the API (issue 5). Generated twins are not stored: they are
-- derived from passports and models on read.
CREATE TABLE shell_descriptors (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX shell_descriptors_by_created ON shell_descriptors(created_at);

-- Discovery index: one row per specific asset id of a registered descriptor.
CREATE TABLE shell_descriptor_asset_ids (
    name          TEXT NOT NULL,
    value         TEXT NOT NULL,
    descriptor_id TEXT NOT NULL REFERENCES shell_descriptors(id) ON DELETE CASCADE,
    PRIMARY KEY (name, value, descriptor_id)
) WITHOUT ROWID;
CREATE INDEX shell_descriptor_asset_ids_by_descriptor ON shell_descriptor_asset_ids(descriptor_id);

-- createdAfter on generated twins.
CREATE INDEX passports_by_created ON passports(created_at, id);
