-- Dynamic sampling (issue 6): our own lab results against a lot's CoA, and the skip-lot state per
-- supplier-material that says which lots need them.

-- A lab result with its comparison against the CoA; append-only (a retest is a new row).
CREATE TABLE lab_results (
    id          TEXT PRIMARY KEY,
    coa_id      TEXT NOT NULL REFERENCES coas(id),
    supplier_id TEXT NOT NULL,
    material_id TEXT NOT NULL,
    lot_number  TEXT NOT NULL,
    results     JSONB NOT NULL,
    agreement   JSONB NOT NULL,
    agrees      BOOLEAN NOT NULL,
    entered_by  TEXT NOT NULL,
    entered_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX lab_results_by_coa ON lab_results(coa_id, id);

-- The skip-lot state machine of each supplier-material, as JSON: derived from the lots and lab results,
-- rewritten in place with a version like spc_series.
CREATE TABLE sampling_states (
    supplier_id TEXT NOT NULL,
    material_id TEXT NOT NULL,
    state       JSONB NOT NULL,
    version     BIGINT NOT NULL CHECK (version >= 1),
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (supplier_id, material_id)
);

CREATE TRIGGER lab_results_append_only BEFORE UPDATE OR DELETE ON lab_results
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();

-- The supplier documents (PDF CoAs) of a supplier-material, read for every batch of eCoAs stating a document
-- hash: without this a batch would scan all of the supplier's CoAs.
CREATE INDEX coas_documents ON coas(supplier_id, material_id, id) WHERE media_type = 'application/pdf';
