-- SCRM core (docs/scrm.md): WeCom departments and staff, the staff–customer relationships
-- (customer owners), channel live codes with one WeCom contact way per staff member, scans,
-- the contact log that statistics read, loss alerts and corp tags pushed to WeCom.

CREATE TABLE wecom_departments (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,              -- WeCom department id
    name        TEXT    NOT NULL,
    parent_id   INTEGER,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE staff (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(tenant_id),
    userid         TEXT    NOT NULL,            -- WeCom member userid
    name           TEXT    NOT NULL,
    mobile         TEXT,
    department_ids TEXT    NOT NULL DEFAULT '[]',
    store_id       INTEGER REFERENCES stores(id),
    user_id        INTEGER REFERENCES users(id),  -- the console user this staff member signs in as
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'resigned')),
    source         TEXT    NOT NULL CHECK (source IN ('wecom', 'import', 'callback')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, userid)
);
CREATE INDEX staff_store ON staff(tenant_id, store_id);
CREATE INDEX staff_user ON staff(tenant_id, user_id);

-- One row per (staff, external contact) relationship; customer_id may later be merged
-- (readers follow customers.merged_into).
CREATE TABLE customer_owners (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL,
    staff_id        INTEGER NOT NULL REFERENCES staff(id),
    external_userid TEXT    NOT NULL,
    added_at        INTEGER NOT NULL,
    add_way         INTEGER,
    state           TEXT,
    live_code_id    INTEGER,
    remark          TEXT,
    status          TEXT    NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'deleted_by_staff', 'deleted_by_customer', 'transferred')),
    ended_at        INTEGER,
    UNIQUE (tenant_id, staff_id, external_userid)
);
CREATE INDEX customer_owners_customer ON customer_owners(tenant_id, customer_id);
CREATE INDEX customer_owners_staff ON customer_owners(tenant_id, staff_id, status, id);
CREATE INDEX customer_owners_external ON customer_owners(tenant_id, external_userid);
CREATE INDEX customer_owners_added ON customer_owners(tenant_id, staff_id, added_at);

-- Channel live codes (渠道活码). `key` is the public landing path /c/{key}.
CREATE TABLE live_codes (
    id                 INTEGER PRIMARY KEY,
    tenant_id          INTEGER NOT NULL REFERENCES tenants(tenant_id),
    key                TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    channel            TEXT    NOT NULL CHECK (channel IN ('poster', 'store', 'package', 'ad', 'event')),
    assign_mode        TEXT    NOT NULL CHECK (assign_mode IN ('round_robin', 'least_loaded', 'nearest_store')),
    daily_cap          INTEGER,                  -- adds per staff member per local day; NULL: none
    tag_ids            TEXT    NOT NULL DEFAULT '[]',
    welcome            TEXT    NOT NULL DEFAULT '{}',  -- {text, attachments: [...]}
    coupon_template_id INTEGER,
    skip_verify        INTEGER NOT NULL DEFAULT 1,
    valid_from         INTEGER,
    valid_to           INTEGER,                  -- exclusive
    status             TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    rr_next            INTEGER NOT NULL DEFAULT 0,  -- round robin: pool position tried next
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    deleted_at         INTEGER
);
CREATE INDEX live_codes_tenant ON live_codes(tenant_id, id) WHERE deleted_at IS NULL;

-- The staff pool of a live code: one WeCom contact way (type 1, state "lc<id>") per member.
CREATE TABLE live_code_staff (
    tenant_id    INTEGER NOT NULL,
    live_code_id INTEGER NOT NULL REFERENCES live_codes(id),
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    position     INTEGER NOT NULL,
    config_id    TEXT,
    qr_code      TEXT,
    sync_status  TEXT    NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'ready', 'failed', 'removing')),
    sync_error   TEXT,
    outbox_id    INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (live_code_id, staff_id)
);
CREATE INDEX live_code_staff_staff ON live_code_staff(tenant_id, staff_id);

-- Contact ways of staff removed from a pool or of deleted codes, until WeCom confirms the removal.
CREATE TABLE live_code_retired_ways (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL,
    live_code_id INTEGER NOT NULL,
    staff_id     INTEGER NOT NULL,
    config_id    TEXT    NOT NULL,
    removed_at   INTEGER
);

CREATE TABLE live_code_scans (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL,
    live_code_id INTEGER NOT NULL,
    staff_id     INTEGER,
    at           INTEGER NOT NULL,
    latitude     REAL,
    longitude    REAL
);
CREATE INDEX live_code_scans_code ON live_code_scans(tenant_id, live_code_id, at);
CREATE INDEX live_code_scans_at ON live_code_scans(tenant_id, at);

-- What each contact callback did, once per inbox row: statistics read adds and losses here.
CREATE TABLE scrm_contact_log (
    tenant_id       INTEGER NOT NULL,
    inbox_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('add', 'loss', 'edit', 'ignored')),
    staff_id        INTEGER,
    customer_id     INTEGER,
    external_userid TEXT    NOT NULL,
    live_code_id    INTEGER,
    at              INTEGER NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, inbox_id)
) WITHOUT ROWID;
CREATE INDEX scrm_contact_log_at ON scrm_contact_log(tenant_id, at);

-- Loss alerts (流失提醒): a customer deleted the staff member, or the staff member the customer.
CREATE TABLE wecom_loss_alerts (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    staff_id        INTEGER NOT NULL,
    customer_id     INTEGER,
    external_userid TEXT    NOT NULL,
    reason          TEXT    NOT NULL CHECK (reason IN ('deleted_by_staff', 'deleted_by_customer')),
    inbox_id        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    read_at         INTEGER,
    UNIQUE (tenant_id, inbox_id)
);
CREATE INDEX wecom_loss_alerts_staff ON wecom_loss_alerts(tenant_id, staff_id, id);

-- Siyu tags pushed to WeCom with add_corp_tag (one row per tag, so a tag is pushed once).
CREATE TABLE wecom_tag_pushes (
    tenant_id  INTEGER NOT NULL,
    tag_id     INTEGER NOT NULL,
    outbox_id  INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, tag_id)
);
