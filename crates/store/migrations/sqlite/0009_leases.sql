-- Background jobs (audit checkpoints, held-event retries, roll-up recomputation) run on one server at a time
-- when several share a store: the server holding a job's lease runs it, and renews the lease while it lives.
-- Coordination state, not history: rows are updated in place.
CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
