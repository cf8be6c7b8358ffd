-- The outbox of outbound calls (WeCom API, webhooks), webhook subscriptions with the cursor of
-- the event follower, and the log of WeCom API calls.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',  -- pending, done, dead
    attempts        INTEGER NOT NULL DEFAULT 0,          -- deliveries started
    max_attempts    INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    deadline_at     INTEGER NOT NULL DEFAULT 0,          -- 0: none
    lease_until     INTEGER NOT NULL DEFAULT 0,          -- in flight until then (0: not claimed)
    dedupe_key      TEXT,
    last_error      TEXT    NOT NULL DEFAULT '',
    result          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE UNIQUE INDEX outbox_dedupe ON outbox(tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_tenant_status ON outbox(tenant_id, status, id);

CREATE TABLE webhook_subscriptions (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL,
    url           TEXT    NOT NULL,
    events        TEXT    NOT NULL,          -- JSON array of event names, or ["*"]
    description   TEXT    NOT NULL DEFAULT '',
    secret_sealed TEXT    NOT NULL,          -- SecretBox-sealed signing secret
    active        INTEGER NOT NULL DEFAULT 1,
    from_event_id INTEGER NOT NULL,          -- events up to this id predate the subscription
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions(tenant_id, id);

-- The last event id the webhook follower has fanned out (one row).
CREATE TABLE webhook_cursor (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id INTEGER NOT NULL
);

CREATE TABLE wecom_api_calls (
    id        INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    app       TEXT    NOT NULL,              -- contact, agent
    path      TEXT    NOT NULL,
    errcode   INTEGER,                       -- NULL: no WeCom answer (transport error)
    errmsg    TEXT    NOT NULL DEFAULT '',
    ms        INTEGER NOT NULL
);
CREATE INDEX wecom_api_calls_tenant ON wecom_api_calls(tenant_id, id);
