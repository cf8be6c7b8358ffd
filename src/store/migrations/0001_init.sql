-- Tenants, accounts, access control, audit, stores and customers.
-- Every table but `users` (login identities shared across tenants) is keyed by tenant_id.

CREATE TABLE tenants (
    tenant_id   INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL DEFAULT 'Asia/Shanghai',
    currency    TEXT    NOT NULL DEFAULT 'CNY',
    demo        INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    tenant_id     INTEGER NOT NULL REFERENCES tenants(tenant_id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    role          TEXT    NOT NULL,
    store_ids     TEXT    NOT NULL DEFAULT '[]',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('secret', 'write')),
    role         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL DEFAULT '',
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_type  TEXT    NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    details     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant ON audit_log(tenant_id, id);

CREATE TABLE stores (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    parent_id   INTEGER REFERENCES stores(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('hq', 'region', 'store')),
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    city        TEXT    NOT NULL DEFAULT '',
    latitude    REAL,
    longitude   REAL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, code)
);
CREATE INDEX stores_parent ON stores(tenant_id, parent_id);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name        TEXT,
    phone       TEXT,
    email       TEXT,
    gender      TEXT    NOT NULL DEFAULT 'unknown',
    birthday    TEXT,
    store_id    INTEGER REFERENCES stores(id),
    member_no   TEXT,
    traits      TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    merged_into INTEGER
);
CREATE INDEX customers_tenant ON customers(tenant_id, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_created ON customers(tenant_id, created_at);
CREATE INDEX customers_store ON customers(tenant_id, store_id, id);

-- Every way of recognising a person: phone, email, member number, WeCom and WeChat ids, ...
-- (type, value) is unique per tenant; the CDP's identity resolution links them.
CREATE TABLE customer_identifiers (
    tenant_id   INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, type, value)
) WITHOUT ROWID;
CREATE INDEX customer_identifiers_customer ON customer_identifiers(customer_id);
CREATE INDEX customer_identifiers_value ON customer_identifiers(tenant_id, value);
