-- Analytics (issue 8): the models predictions are made with, what they said, and units held back.

-- A model by name and version, with the hash of the data it was trained on; a prediction names it.
CREATE TABLE analytics_models (
    name                 TEXT NOT NULL,
    version              TEXT NOT NULL,
    training_data_sha256 TEXT NOT NULL,
    model                JSONB NOT NULL,
    registered_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, version)
);

-- Every prediction and screening result: a cycle life or state of health of a passport, an end-of-line
-- screening score of a unit. Append-only; a new run is new rows.
CREATE TABLE analytics_results (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('cycle-life', 'state-of-health', 'eol-screening')),
    subject       TEXT NOT NULL,
    line          TEXT,
    run_id        TEXT NOT NULL,
    model_name    TEXT NOT NULL,
    model_version TEXT NOT NULL,
    input_sha256  TEXT NOT NULL,
    output        JSONB NOT NULL,
    flagged       BOOLEAN NOT NULL,
    actor_id      TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX analytics_results_by_subject ON analytics_results(subject, kind, created_at);
CREATE INDEX analytics_results_by_run ON analytics_results(run_id);

-- Units put on hold (they must not go into a module or pack) and released; the latest row of a unit says.
CREATE TABLE unit_holds (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id   TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('hold', 'release')),
    reason    TEXT NOT NULL,
    result_id TEXT,
    actor_id  TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX unit_holds_by_unit ON unit_holds(unit_id, seq);

CREATE TRIGGER analytics_models_append_only BEFORE UPDATE OR DELETE ON analytics_models
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER analytics_results_append_only BEFORE UPDATE OR DELETE ON analytics_results
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER unit_holds_append_only BEFORE UPDATE OR DELETE ON unit_holds
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
