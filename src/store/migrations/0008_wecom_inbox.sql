-- WeCom: each tenant's connection settings and the durable inbox of decrypted callbacks.
-- See docs/wecom.md.

-- One row per tenant. Secrets are sealed with the process's SecretBox ("v1:..."); NULL: not set.
CREATE TABLE wecom_configs (
    tenant_id      INTEGER PRIMARY KEY REFERENCES tenants(tenant_id),
    corp_id        TEXT    NOT NULL,
    agent_id       INTEGER,
    contact_secret TEXT,                         -- 客户联系 secret, sealed
    agent_secret   TEXT,                         -- self-built application secret, sealed
    token          TEXT,                         -- callback Token, sealed
    aes_key        TEXT,                         -- callback EncodingAESKey, sealed
    api_base_url   TEXT    NOT NULL DEFAULT 'https://qyapi.weixin.qq.com',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Every decrypted callback, stored before the endpoint answers. A message WeCom delivers again
-- (same tenant, same plaintext) is counted in `duplicates` and not stored twice.
-- status: pending (waiting, or backing off until next_attempt_at) | done | failed.
-- lane: the ordering key (chat:<ChatId>, ext:<ExternalUserID> or ''): rows of one tenant and
-- lane are processed one at a time in id order.
CREATE TABLE wecom_inbox (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(tenant_id),
    digest          TEXT    NOT NULL,            -- SHA-256 hex of the decrypted message
    event           TEXT    NOT NULL,            -- <Event>, '' for plain messages
    change_type     TEXT    NOT NULL,            -- <ChangeType>, may be ''
    lane            TEXT    NOT NULL,
    xml             TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    duplicates      INTEGER NOT NULL DEFAULT 0,
    note            TEXT,                        -- e.g. 'ignored' when no handler is registered
    error           TEXT,                        -- the last failure
    received_at     INTEGER NOT NULL,
    processed_at    INTEGER,
    UNIQUE (tenant_id, digest)
);
CREATE INDEX wecom_inbox_pending ON wecom_inbox(id) WHERE status = 'pending';
CREATE INDEX wecom_inbox_status ON wecom_inbox(tenant_id, status, id);
CREATE INDEX wecom_inbox_recent ON wecom_inbox(tenant_id, id);
