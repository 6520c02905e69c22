-- Genealogy (issue 7): units from material lot to pack, the edges between them, the events that made them.

-- Every traced unit; the id is its serial, batch or lot identifier, unique across kinds and never reused.
CREATE TABLE trace_units (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('lot', 'batch', 'cell', 'module', 'pack')),
    unit_type   TEXT,
    model       TEXT,
    line        TEXT,
    station     TEXT,
    produced_at TIMESTAMPTZ,
    quantity    DOUBLE PRECISION,
    base_uom    TEXT,
    supplier_id TEXT,
    material_id TEXT,
    lot_number  TEXT,
    passport_id TEXT,
    cell_count  BIGINT,
    attributes  JSONB,
    operator    TEXT,
    event_id    TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX trace_units_by_passport ON trace_units(passport_id) WHERE passport_id IS NOT NULL;

-- `input` went into `output`: material by quantity (in the input's base unit), or a whole unit.
-- Clustered by input for recalls; the output index serves upstream traces.
CREATE TABLE trace_edges (
    input_id    TEXT NOT NULL,
    output_id   TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    input_kind  TEXT NOT NULL,
    output_kind TEXT NOT NULL,
    quantity    DOUBLE PRECISION,
    PRIMARY KEY (input_id, output_id, event_id)
);
CREATE INDEX trace_edges_by_output ON trace_edges(output_id);
-- Material flowing between lots and batches: a few rows among millions of cell edges, followed by every recall.
CREATE INDEX trace_edges_into_batches ON trace_edges(input_id) WHERE output_kind = 'batch';

-- What has been taken from each lot and batch, by how many units and how many of them cells: running totals
-- derived from the edges.
CREATE TABLE trace_usage (
    unit_id   TEXT PRIMARY KEY,
    used      DOUBLE PRECISION NOT NULL,
    base_uom  TEXT,
    consumers BIGINT NOT NULL,
    cells     BIGINT NOT NULL
);

-- The lots and batches each module and pack holds through its cells (the recall shortcut).
CREATE TABLE trace_sources (
    source_id TEXT NOT NULL,
    unit_id   TEXT NOT NULL,
    cells     BIGINT NOT NULL,
    quantity  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (source_id, unit_id)
);
CREATE INDEX trace_sources_by_unit ON trace_sources(unit_id);

-- Every applied event, so a re-sent one is recognised.
CREATE TABLE trace_events (
    event_id   TEXT PRIMARY KEY,
    unit_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);

-- Events waiting for units not seen yet (`held`), or found to break a rule on a retry (`failed`).
CREATE TABLE trace_backlog (
    event_id   TEXT PRIMARY KEY,
    event      JSONB NOT NULL,
    missing    JSONB NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('held', 'failed')),
    reason     TEXT,
    actor_id   TEXT NOT NULL,
    operator   TEXT,
    first_seen TIMESTAMPTZ NOT NULL,
    last_tried TIMESTAMPTZ NOT NULL,
    attempts   BIGINT NOT NULL
);
CREATE INDEX trace_backlog_by_status ON trace_backlog(status, first_seen);

-- End-of-line test results of cells, modules and packs, as measured; append-only (a retest is a new row).
CREATE TABLE trace_results (
    event_id  TEXT PRIMARY KEY,
    unit_id   TEXT NOT NULL,
    tested_at TIMESTAMPTZ,
    results   JSONB NOT NULL,
    passed    BOOLEAN,
    actor_id  TEXT NOT NULL
);
CREATE INDEX trace_results_by_unit ON trace_results(unit_id, tested_at);

CREATE TRIGGER trace_units_append_only BEFORE UPDATE OR DELETE ON trace_units
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER trace_edges_append_only BEFORE UPDATE OR DELETE ON trace_edges
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER trace_sources_append_only BEFORE UPDATE OR DELETE ON trace_sources
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER trace_events_append_only BEFORE UPDATE OR DELETE ON trace_events
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER trace_results_append_only BEFORE UPDATE OR DELETE ON trace_results
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
