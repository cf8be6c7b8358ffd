-- CSV imports started through the API (POST /api/v1/imports) and the problems found in their rows.

CREATE TABLE import_jobs (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    kind        TEXT    NOT NULL CHECK (kind IN ('orders', 'customers')),
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    file_name   TEXT    NOT NULL DEFAULT '',
    bytes       INTEGER NOT NULL DEFAULT 0,      -- size of the uploaded body
    options     TEXT    NOT NULL DEFAULT '{}',   -- currency, time zone, column mapping as used
    phase       TEXT    NOT NULL DEFAULT '',     -- scanning or importing while running
    rows_done   INTEGER NOT NULL DEFAULT 0,
    rows_total  INTEGER,                         -- known once an orders file has been scanned
    written     INTEGER NOT NULL DEFAULT 0,      -- orders or customers written so far
    bytes_done  INTEGER NOT NULL DEFAULT 0,
    counts      TEXT,                            -- the result (JSON object) once finished
    error       TEXT,                            -- why a failed job failed
    error_count INTEGER NOT NULL DEFAULT 0,      -- rows reported, also beyond those stored
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
);
CREATE INDEX import_jobs_tenant ON import_jobs(tenant_id, id);

-- The first 10,000 problems of each job, in the order they were found.
CREATE TABLE import_errors (
    job_id      INTEGER NOT NULL REFERENCES import_jobs(id),
    seq         INTEGER NOT NULL,
    line        INTEGER NOT NULL,
    column_name TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
