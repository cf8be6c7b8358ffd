-- Per-tenant identity settings: which identifier types are unique, the dormancy window, and the
-- custom identifier types a tenant declares.

CREATE TABLE identity_settings (
    tenant_id          INTEGER PRIMARY KEY,
    unique_types       TEXT    NOT NULL DEFAULT '["user_id","phone"]',
    dormant_after_days INTEGER NOT NULL DEFAULT 180,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE identifier_types (
    tenant_id  INTEGER NOT NULL,
    type       TEXT    NOT NULL,  -- custom:<name>
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, type)
) WITHOUT ROWID;
