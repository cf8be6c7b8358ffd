-- Tags: groups and tag definitions (manual tags and rule tags), the tags customers hold now,
-- every change to them, questionnaires whose answers tag customers, and background bulk
-- tagging jobs. See docs/tags.md.

CREATE TABLE tag_groups (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name           TEXT    NOT NULL,
    color          TEXT,                        -- #RRGGBB
    sort_order     INTEGER NOT NULL DEFAULT 0,
    wecom_group_id TEXT,                        -- WeCom corp tag group id, once synchronised
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER
);
CREATE UNIQUE INDEX tag_groups_name ON tag_groups(tenant_id, name) WHERE deleted_at IS NULL;

CREATE TABLE tags (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(tenant_id),
    group_id     INTEGER NOT NULL REFERENCES tag_groups(id),
    name         TEXT    NOT NULL,
    color        TEXT,
    sort_order   INTEGER NOT NULL DEFAULT 0,
    description  TEXT    NOT NULL DEFAULT '',
    rule         TEXT,                          -- a segment rule (JSON): members follow it; NULL: tagged explicitly
    wecom_tag_id TEXT,                          -- WeCom corp tag id, once synchronised
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE UNIQUE INDEX tags_name ON tags(group_id, name) WHERE deleted_at IS NULL;
CREATE INDEX tags_tenant ON tags(tenant_id, group_id) WHERE deleted_at IS NULL;
CREATE INDEX tags_rule ON tags(tenant_id) WHERE rule IS NOT NULL AND deleted_at IS NULL;

-- The explicit tags each customer row holds now (rule tag members live in the engine). A
-- merged customer keeps its rows; they count for its survivor.
CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    tag_id      INTEGER NOT NULL REFERENCES tags(id),
    tenant_id   INTEGER NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('manual', 'rule', 'import', 'questionnaire', 'api')),
    actor_type  TEXT    NOT NULL DEFAULT 'system',
    actor_id    INTEGER,
    actor_name  TEXT    NOT NULL DEFAULT '',
    applied_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags(tenant_id, tag_id, customer_id);

-- Every tag added to or removed from a customer, newest last.
CREATE TABLE tag_history (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    tag_id      INTEGER NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('added', 'removed')),
    source      TEXT    NOT NULL CHECK (source IN ('manual', 'rule', 'import', 'questionnaire', 'api')),
    actor_type  TEXT    NOT NULL DEFAULT 'system',
    actor_id    INTEGER,
    actor_name  TEXT    NOT NULL DEFAULT '',
    job_id      INTEGER,                        -- the bulk job that made the change
    at          INTEGER NOT NULL
);
CREATE INDEX tag_history_customer ON tag_history(customer_id, id);

-- Questionnaires: questions with choices, each choice mapped to tags and free codes. The
-- questions are one JSON array (see docs/tags.md).
CREATE TABLE questionnaires (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    questions   TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE INDEX questionnaires_tenant ON questionnaires(tenant_id, id) WHERE deleted_at IS NULL;

CREATE TABLE questionnaire_answers (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL,
    questionnaire_id INTEGER NOT NULL REFERENCES questionnaires(id),
    customer_id      INTEGER NOT NULL REFERENCES customers(id),
    answers          TEXT    NOT NULL,          -- [{"question_id","choice_ids":[..]}]
    tag_ids          TEXT    NOT NULL DEFAULT '[]',  -- the tags the answers mapped to
    codes            TEXT    NOT NULL DEFAULT '[]',
    actor_type       TEXT    NOT NULL DEFAULT 'system',
    actor_id         INTEGER,
    actor_name       TEXT    NOT NULL DEFAULT '',
    submitted_at     INTEGER NOT NULL
);
CREATE INDEX questionnaire_answers_customer ON questionnaire_answers(customer_id, id);
CREATE INDEX questionnaire_answers_questionnaire ON questionnaire_answers(questionnaire_id, id);

-- Bulk tagging in the background (POST /api/v1/tags/bulk above 1,000 customers or for a segment).
CREATE TABLE tag_bulk_jobs (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    action      TEXT    NOT NULL CHECK (action IN ('add', 'remove')),
    tag_ids     TEXT    NOT NULL,               -- JSON array
    segment_id  INTEGER,
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    total       INTEGER NOT NULL DEFAULT 0,     -- customers to process
    processed   INTEGER NOT NULL DEFAULT 0,
    changed     INTEGER NOT NULL DEFAULT 0,     -- customer-tag pairs added or removed
    skipped     INTEGER NOT NULL DEFAULT 0,     -- customers unknown, deleted or not visible to the caller
    error       TEXT,
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
);
CREATE INDEX tag_bulk_jobs_tenant ON tag_bulk_jobs(tenant_id, id);
