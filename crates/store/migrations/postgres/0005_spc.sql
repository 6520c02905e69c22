-- SPC over supplier characteristics (issue 6). A series is one supplier × material × characteristic.

-- Each series' monitoring state (Phase I baseline or frozen limits, run-rule window, CUSUM sums), as JSON.
-- Derived from the CoAs and rebuilt by a recompute, so it is rewritten in place; `version` makes concurrent
-- writers of one series conflict instead of losing a point.
CREATE TABLE spc_series (
    supplier_id    TEXT NOT NULL,
    material_id    TEXT NOT NULL,
    characteristic TEXT NOT NULL,
    state          JSONB NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 1),
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (supplier_id, material_id, characteristic)
);

-- Signals raised on a new point: append-only history; one per CoA, characteristic and rule.
CREATE TABLE spc_alarms (
    id              TEXT PRIMARY KEY,
    supplier_id     TEXT NOT NULL,
    material_id     TEXT NOT NULL,
    characteristic  TEXT NOT NULL,
    coa_id          TEXT NOT NULL REFERENCES coas(id),
    lot_number      TEXT NOT NULL,
    manufactured_on DATE NOT NULL,
    rule            TEXT NOT NULL,
    detail          TEXT NOT NULL,
    value           DOUBLE PRECISION NOT NULL,
    raised_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (coa_id, characteristic, rule)
);
CREATE INDEX spc_alarms_by_supplier ON spc_alarms(supplier_id, id);

-- An operator's acknowledgement closes an alarm; it is a row of its own, so the alarm stays as raised.
CREATE TABLE spc_alarm_acks (
    alarm_id        TEXT PRIMARY KEY REFERENCES spc_alarms(id),
    actor_id        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL
);

-- Scorecards read one supplier's CoAs.
CREATE INDEX coas_by_supplier ON coas(supplier_id, id);

CREATE TRIGGER spc_alarms_append_only BEFORE UPDATE OR DELETE ON spc_alarms
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
CREATE TRIGGER spc_alarm_acks_append_only BEFORE UPDATE OR DELETE ON spc_alarm_acks
    FOR EACH ROW EXECUTE FUNCTION voltpass_append_only();
