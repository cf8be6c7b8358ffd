-- WeCom customer groups, group live codes, per-item codes, transfers and mass sends
-- (docs/groups-and-mass-send.md). Times are UTC ms. Staff are referred to by their WeCom
-- userid (and staff.id when known), customers by customers.id (readers follow merged_into).

-- Inbox callbacks a scrm handler has applied: a handler that runs twice for one inbox row
-- finds its row here and changes nothing.
CREATE TABLE scrm_inbox_applied (
    tenant_id  INTEGER NOT NULL,
    inbox_id   INTEGER NOT NULL,
    handler    TEXT    NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, inbox_id, handler)
) WITHOUT ROWID;

-- One row per WeCom customer group (客户群).
CREATE TABLE wecom_groups (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(tenant_id),
    chat_id         TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    owner_userid    TEXT,
    owner_staff_id  INTEGER,
    notice          TEXT,
    member_count    INTEGER NOT NULL DEFAULT 0,   -- every member (staff and customers)
    customer_count  INTEGER NOT NULL DEFAULT 0,   -- external members (type 2)
    status          TEXT    NOT NULL DEFAULT 'active',  -- active | dismissed
    created_at      INTEGER,                      -- WeCom's create_time
    dismissed_at    INTEGER,
    synced_at       INTEGER,
    updated_at      INTEGER NOT NULL,
    UNIQUE (tenant_id, chat_id)
);
CREATE INDEX wecom_groups_owner ON wecom_groups(tenant_id, owner_userid);

-- Current members of a group.
CREATE TABLE wecom_group_members (
    group_id    INTEGER NOT NULL REFERENCES wecom_groups(id),
    tenant_id   INTEGER NOT NULL,
    member_id   TEXT    NOT NULL,   -- userid (type 1) or external_userid (type 2)
    type        INTEGER NOT NULL,   -- 1 staff, 2 customer
    customer_id INTEGER,
    unionid     TEXT,
    name        TEXT,
    join_time   INTEGER,
    join_scene  INTEGER,            -- 1 invited directly, 2 invited by link, 3 scanned the group QR code
    invitor     TEXT,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX wecom_group_members_customer ON wecom_group_members(tenant_id, customer_id);
CREATE INDEX wecom_group_members_member ON wecom_group_members(tenant_id, member_id);

-- Membership history: every join and leave siyu learned of.
CREATE TABLE wecom_group_history (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    group_id    INTEGER NOT NULL REFERENCES wecom_groups(id),
    member_id   TEXT    NOT NULL,
    type        INTEGER NOT NULL,
    customer_id INTEGER,
    action      TEXT    NOT NULL,   -- joined | left
    join_scene  INTEGER,
    quit_scene  INTEGER,            -- 0 left by themselves, 1 removed by the owner
    invitor     TEXT,
    at          INTEGER NOT NULL,
    inbox_id    INTEGER
);
CREATE INDEX wecom_group_history_group ON wecom_group_history(group_id, id);
CREATE INDEX wecom_group_history_customer ON wecom_group_history(tenant_id, customer_id);

-- Group live codes (群活码): public /g/{key} sends the scanner to the first group below its limit.
CREATE TABLE group_live_codes (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(tenant_id),
    key          TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    member_limit INTEGER NOT NULL DEFAULT 200,
    scans        INTEGER NOT NULL DEFAULT 0,
    full_scans   INTEGER NOT NULL DEFAULT 0,   -- scans that found every group full
    all_full_at  INTEGER,                      -- set while every group is full (the alert)
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE INDEX group_live_codes_tenant ON group_live_codes(tenant_id, id);

CREATE TABLE group_live_code_groups (
    code_id   INTEGER NOT NULL REFERENCES group_live_codes(id),
    position  INTEGER NOT NULL,
    group_id  INTEGER NOT NULL REFERENCES wecom_groups(id),
    qr_url    TEXT    NOT NULL,   -- the group's own QR image, uploaded or pasted by the operator
    scans     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (code_id, position)
) WITHOUT ROWID;

-- Unique per-item codes (一物一码).
CREATE TABLE item_code_batches (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name        TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    target_type TEXT    NOT NULL,   -- live_code | url
    target      TEXT    NOT NULL,   -- the live code's key, or the URL
    live_code_id INTEGER,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX item_code_batches_tenant ON item_code_batches(tenant_id, id);

CREATE TABLE item_codes (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL,
    batch_id         INTEGER NOT NULL REFERENCES item_code_batches(id),
    code             TEXT    NOT NULL UNIQUE,
    scans            INTEGER NOT NULL DEFAULT 0,
    first_scanned_at INTEGER,
    last_scanned_at  INTEGER
);
CREATE INDEX item_codes_batch ON item_codes(batch_id, id);

-- Transfers of customers (and groups) from one staff member to another.
CREATE TABLE wecom_transfers (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(tenant_id),
    kind            TEXT    NOT NULL,   -- on_job (在职转接) | resigned (离职继承)
    handover_userid TEXT    NOT NULL,
    takeover_userid TEXT    NOT NULL,
    transfer_msg    TEXT,
    include_groups  INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL DEFAULT 'running',  -- running | finished
    created_at      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL,
    polled_at       INTEGER
);
CREATE INDEX wecom_transfers_tenant ON wecom_transfers(tenant_id, id);

CREATE TABLE wecom_transfer_customers (
    transfer_id     INTEGER NOT NULL REFERENCES wecom_transfers(id),
    tenant_id       INTEGER NOT NULL,
    external_userid TEXT    NOT NULL,
    customer_id     INTEGER,
    status          TEXT    NOT NULL DEFAULT 'submitting',  -- submitting | waiting | accepted | refused | limit | failed
    errcode         INTEGER,
    errmsg          TEXT,
    takeover_time   INTEGER,
    submissions     INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (transfer_id, external_userid)
) WITHOUT ROWID;
CREATE INDEX wecom_transfer_customers_external ON wecom_transfer_customers(tenant_id, external_userid);

CREATE TABLE wecom_transfer_groups (
    transfer_id INTEGER NOT NULL REFERENCES wecom_transfers(id),
    chat_id     TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'submitting',  -- submitting | done | failed
    errcode     INTEGER,
    errmsg      TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (transfer_id, chat_id)
) WITHOUT ROWID;

-- Mass sends (群发) to a segment through add_msg_template.
CREATE TABLE mass_sends (
    id                    INTEGER PRIMARY KEY,
    tenant_id             INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name                  TEXT    NOT NULL,
    segment_id            INTEGER NOT NULL,
    text                  TEXT    NOT NULL DEFAULT '',   -- as sent (links replaced)
    original_text         TEXT    NOT NULL DEFAULT '',
    attachments           TEXT    NOT NULL DEFAULT '[]', -- as sent (links replaced)
    scheduled_at          INTEGER,
    status                TEXT    NOT NULL,   -- scheduled | sending | sent | failed
    month                 TEXT,               -- "YYYY-MM" in the tenant's zone, set when dispatched
    target_count          INTEGER NOT NULL DEFAULT 0,
    skipped_monthly_limit INTEGER NOT NULL DEFAULT 0,
    skipped_no_owner      INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    created_by            TEXT    NOT NULL DEFAULT '',
    dispatched_at         INTEGER,
    polled_at             INTEGER,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX mass_sends_tenant ON mass_sends(tenant_id, id);
CREATE INDEX mass_sends_due ON mass_sends(status, scheduled_at);

-- One add_msg_template call: one sender, up to 10,000 external_userids.
CREATE TABLE mass_send_chunks (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    mass_send_id    INTEGER NOT NULL REFERENCES mass_sends(id),
    staff_id        INTEGER,
    userid          TEXT    NOT NULL,
    target_count    INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',  -- pending | created | failed
    msgid           TEXT,
    fail_list       TEXT    NOT NULL DEFAULT '[]',
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX mass_send_chunks_send ON mass_send_chunks(mass_send_id, id);

CREATE TABLE mass_send_targets (
    mass_send_id    INTEGER NOT NULL REFERENCES mass_sends(id),
    tenant_id       INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL,
    external_userid TEXT    NOT NULL,
    chunk_id        INTEGER NOT NULL,
    month           TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',  -- pending | unsent | sent | not_friend | already_received | failed
    send_time       INTEGER,
    PRIMARY KEY (mass_send_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX mass_send_targets_chunk ON mass_send_targets(chunk_id);
CREATE INDEX mass_send_targets_customer ON mass_send_targets(tenant_id, customer_id, month);

-- Mass messages siyu addressed to a customer per calendar month of the tenant's zone; WeCom
-- delivers at most four a month.
CREATE TABLE mass_send_monthly (
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    month       TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, month)
) WITHOUT ROWID;

-- Tracked short links: /l/{code} → url.
CREATE TABLE short_links (
    code         TEXT    PRIMARY KEY,
    tenant_id    INTEGER NOT NULL,
    url          TEXT    NOT NULL,
    mass_send_id INTEGER,
    clicks       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX short_links_send ON short_links(mass_send_id);

CREATE TABLE short_link_clicks (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    code            TEXT    NOT NULL,
    mass_send_id    INTEGER,
    external_userid TEXT,
    customer_id     INTEGER,
    clicker         TEXT    NOT NULL,   -- external_userid, or the anonymous id
    at              INTEGER NOT NULL
);
CREATE INDEX short_link_clicks_send ON short_link_clicks(mass_send_id, clicker);
