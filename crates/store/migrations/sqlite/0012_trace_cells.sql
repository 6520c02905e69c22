-- Cells are the genealogy's millions, so the ingest stores each in one row: the edges of the event that made it
-- (its lots and batches) and the assembly it went into sit inline, instead of a unit row, an edge row per input
-- and per assembly, their output index entries and an applied-event row (eight B-tree inserts became three).
-- Cells written before this migration stay in `trace_units` with their edges in `trace_edges`; edges into a cell
-- from later `consumed` events, and edges a restore writes, go to `trace_edges` too. Reads take both forms.
CREATE TABLE trace_cells (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    event_id       TEXT NOT NULL UNIQUE,
    unit_type      TEXT,
    model          TEXT,
    line           TEXT,
    station        TEXT,
    produced_at    TEXT,
    quantity       REAL,
    base_uom       TEXT,
    supplier_id    TEXT,
    material_id    TEXT,
    lot_number     TEXT,
    passport_id    TEXT,
    attributes     TEXT,
    operator       TEXT,
    created_by     TEXT NOT NULL,
    applied_at     TEXT NOT NULL,
    -- The producing event's edges: a JSON array of [input id, input kind, quantity or null].
    inputs         TEXT NOT NULL DEFAULT '[]',
    -- The module or pack it went into, its kind and the event that assembled it: set once.
    assembled_into TEXT,
    assembly_kind  TEXT CHECK (assembly_kind IN ('module', 'pack')),
    assembly_event TEXT
);

-- The cells whose inline edges name a unit: a lot or batch as their `input`, a module or pack as their `assembly`.
-- One row per unit, role and write, listing the cells' `seq` as a JSON array: a recall lists a batch's cells, and
-- an upstream trace a module's, without an index entry per edge.
CREATE TABLE trace_cell_links (
    unit_id   TEXT NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('input', 'assembly')),
    first_seq INTEGER NOT NULL,
    seqs      TEXT NOT NULL,
    PRIMARY KEY (unit_id, role, first_seq)
) WITHOUT ROWID;

-- Append-only, but for the assembly, which is set once.
CREATE TRIGGER trace_cells_append_only_u BEFORE UPDATE ON trace_cells
WHEN OLD.assembled_into IS NOT NULL OR NEW.assembled_into IS NULL OR NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id
    OR NEW.event_id IS NOT OLD.event_id OR NEW.unit_type IS NOT OLD.unit_type OR NEW.model IS NOT OLD.model
    OR NEW.line IS NOT OLD.line OR NEW.station IS NOT OLD.station OR NEW.produced_at IS NOT OLD.produced_at
    OR NEW.quantity IS NOT OLD.quantity OR NEW.base_uom IS NOT OLD.base_uom OR NEW.supplier_id IS NOT OLD.supplier_id
    OR NEW.material_id IS NOT OLD.material_id OR NEW.lot_number IS NOT OLD.lot_number
    OR NEW.passport_id IS NOT OLD.passport_id OR NEW.attributes IS NOT OLD.attributes
    OR NEW.operator IS NOT OLD.operator OR NEW.created_by IS NOT OLD.created_by
    OR NEW.applied_at IS NOT OLD.applied_at OR NEW.inputs IS NOT OLD.inputs
BEGIN SELECT RAISE(ABORT, 'trace_cells is append-only (a cell''s assembly is set once)'); END;
CREATE TRIGGER trace_cells_append_only_d BEFORE DELETE ON trace_cells
BEGIN SELECT RAISE(ABORT, 'trace_cells is append-only'); END;
CREATE TRIGGER trace_cell_links_append_only_u BEFORE UPDATE ON trace_cell_links
BEGIN SELECT RAISE(ABORT, 'trace_cell_links is append-only'); END;
CREATE TRIGGER trace_cell_links_append_only_d BEFORE DELETE ON trace_cell_links
BEGIN SELECT RAISE(ABORT, 'trace_cell_links is append-only'); END;
