#include "api/routes.h"
#include "base/strings.h"

namespace siyu::api {

namespace {

const char kSchemas[] = R"json({
  "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
    "required": ["code", "message"], "properties": {
      "code": {"type": "string", "enum": ["invalid_json", "invalid_argument", "unknown_field", "unauthenticated",
        "forbidden", "not_found", "method_not_allowed", "already_exists", "failed_precondition",
        "payload_too_large", "too_many_requests", "unavailable", "internal"]},
      "message": {"type": "string"}, "field": {"type": "string", "nullable": true},
      "request_id": {"type": "string"}}}}},
  "LoginInput": {"type": "object", "required": ["email", "password"], "additionalProperties": false, "properties": {
    "email": {"type": "string"}, "password": {"type": "string"}, "tenant_id": {"type": "integer"}}},
  "SwitchTenantInput": {"type": "object", "required": ["tenant_id"], "additionalProperties": false,
    "properties": {"tenant_id": {"type": "integer"}}},
  "SessionInfo": {"type": "object", "properties": {
    "user": {"type": "object", "nullable": true, "properties": {"id": {"type": "integer"},
      "email": {"type": "string"}, "name": {"type": "string"}}},
    "api_key": {"type": "object", "nullable": true, "properties": {"id": {"type": "integer"},
      "name": {"type": "string"}}},
    "tenant": {"$ref": "#/components/schemas/Tenant"}, "role": {"$ref": "#/components/schemas/Role"},
    "permissions": {"type": "array", "items": {"type": "string"}},
    "store_ids": {"type": "array", "items": {"type": "integer"}},
    "tenants": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"},
      "name": {"type": "string"}, "role": {"$ref": "#/components/schemas/Role"}, "demo": {"type": "boolean"}}}}}},
  "Role": {"type": "string", "enum": ["owner", "admin", "operator", "analyst", "store_manager", "guide"]},
  "Tenant": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
    "time_zone": {"type": "string", "example": "Asia/Shanghai"}, "currency": {"type": "string", "example": "CNY"},
    "demo": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"}}},
  "TenantPatch": {"type": "object", "additionalProperties": false, "properties": {"name": {"type": "string"},
    "time_zone": {"type": "string"}, "currency": {"type": "string"}}},
  "User": {"type": "object", "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
    "name": {"type": "string"}, "role": {"$ref": "#/components/schemas/Role"},
    "store_ids": {"type": "array", "items": {"type": "integer"}}, "disabled": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "last_login_at": {"type": "string", "format": "date-time", "nullable": true},
    "password": {"type": "string", "description": "only on create, when the password was generated"}}},
  "UserInput": {"type": "object", "required": ["email", "name", "role"], "additionalProperties": false,
    "properties": {"email": {"type": "string"}, "name": {"type": "string"},
    "role": {"$ref": "#/components/schemas/Role"}, "password": {"type": "string", "minLength": 8, "maxLength": 128},
    "store_ids": {"type": "array", "items": {"type": "integer"}}}},
  "UserPatch": {"type": "object", "additionalProperties": false, "properties": {"name": {"type": "string"},
    "role": {"$ref": "#/components/schemas/Role"}, "store_ids": {"type": "array", "items": {"type": "integer"}},
    "disabled": {"type": "boolean"}, "password": {"type": "string", "minLength": 8, "maxLength": 128}}},
  "UserPage": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
    "next_cursor": {"type": "string", "nullable": true}}},
  "ApiKey": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
    "kind": {"type": "string", "enum": ["secret", "write"]}, "role": {"type": "string", "nullable": true},
    "prefix": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "last_used_at": {"type": "string", "format": "date-time", "nullable": true},
    "revoked_at": {"type": "string", "format": "date-time", "nullable": true}}},
  "ApiKeyCreated": {"allOf": [{"$ref": "#/components/schemas/ApiKey"}, {"type": "object",
    "properties": {"key": {"type": "string", "description": "the secret, shown only in this answer"}}}]},
  "ApiKeyInput": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["secret", "write"], "default": "secret"},
    "role": {"$ref": "#/components/schemas/Role"}}},
  "ApiKeyList": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/ApiKey"}}}},
  "AuditEntry": {"type": "object", "properties": {"id": {"type": "integer"},
    "at": {"type": "string", "format": "date-time"},
    "actor_type": {"type": "string", "enum": ["user", "api_key", "cli", "system"]},
    "actor_id": {"type": "integer", "nullable": true}, "actor_name": {"type": "string"},
    "action": {"type": "string"}, "target_type": {"type": "string"}, "target_id": {"type": "string"},
    "ip": {"type": "string"}, "details": {"type": "object"}}},
  "AuditPage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/AuditEntry"}}, "next_cursor": {"type": "string", "nullable": true}}},
  "Store": {"type": "object", "properties": {"id": {"type": "integer"},
    "parent_id": {"type": "integer", "nullable": true}, "kind": {"type": "string", "enum": ["hq", "region", "store"]},
    "code": {"type": "string"}, "name": {"type": "string"}, "city": {"type": "string"},
    "latitude": {"type": "number", "nullable": true}, "longitude": {"type": "number", "nullable": true},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}},
  "StoreInput": {"type": "object", "additionalProperties": false, "properties": {
    "code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"}, "name": {"type": "string"},
    "kind": {"type": "string", "enum": ["hq", "region", "store"]}, "parent_id": {"type": "integer", "nullable": true},
    "city": {"type": "string"}, "latitude": {"type": "number", "nullable": true},
    "longitude": {"type": "number", "nullable": true}}},
  "StorePage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/Store"}}, "next_cursor": {"type": "string", "nullable": true}}},
  "Identifier": {"type": "object", "required": ["type", "value"], "properties": {
    "type": {"type": "string", "description": "user_id, anonymous_id, phone, email, member_no, wecom_external_userid, wechat_unionid, wechat_openid, taobao_ouid or custom:<name>"},
    "value": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}},
  "Customer": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string", "nullable": true},
    "phone": {"type": "string", "nullable": true, "description": "E.164; masked without the pii permission"},
    "email": {"type": "string", "nullable": true}, "gender": {"type": "string", "enum": ["male", "female", "unknown"]},
    "birthday": {"type": "string", "format": "date", "nullable": true},
    "store_id": {"type": "integer", "nullable": true}, "member_no": {"type": "string", "nullable": true},
    "traits": {"type": "object"}, "identifiers": {"type": "array", "items": {"$ref": "#/components/schemas/Identifier"}},
    "computed": {"$ref": "#/components/schemas/Computed"}, "merged_ids": {"type": "array", "items": {"type": "integer"}},
    "rfm": {"$ref": "#/components/schemas/Rfm"},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}},
  "CustomerInput": {"type": "object", "additionalProperties": false, "properties": {
    "name": {"type": "string", "nullable": true, "maxLength": 100}, "phone": {"type": "string", "nullable": true},
    "email": {"type": "string", "nullable": true}, "gender": {"type": "string", "enum": ["male", "female", "unknown"]},
    "birthday": {"type": "string", "format": "date", "nullable": true},
    "store_id": {"type": "integer", "nullable": true}, "member_no": {"type": "string", "nullable": true},
    "traits": {"type": "object"}, "identifiers": {"type": "array", "items": {"type": "object",
      "required": ["type", "value"], "properties": {"type": {"type": "string"}, "value": {"type": "string"}}}}}},
  "CustomerPage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/Customer"}}, "next_cursor": {"type": "string", "nullable": true}}},
  "Computed": {"type": "object", "properties": {"first_seen": {"type": "string", "format": "date-time", "nullable": true},
    "last_seen": {"type": "string", "format": "date-time", "nullable": true}, "order_count": {"type": "integer"},
    "total_spent": {"type": "integer", "description": "minor units, orders minus refunds"},
    "average_order_value": {"type": "integer"}, "last_order_at": {"type": "string", "format": "date-time", "nullable": true},
    "refund_count": {"type": "integer"}, "refund_total": {"type": "integer"},
    "lifecycle_stage": {"type": "string", "enum": ["prospect", "registered", "first_purchase", "repurchase", "loyal", "dormant"]}}},
  "Event": {"type": "object", "properties": {"id": {"type": "integer"}, "customer_id": {"type": "integer"},
    "message_id": {"type": "string"}, "type": {"type": "string"}, "event": {"type": "string"},
    "timestamp": {"type": "string", "format": "date-time"}, "received_at": {"type": "string", "format": "date-time"},
    "properties": {"type": "object"}, "context": {"type": "object"}, "revenue": {"type": "integer", "nullable": true},
    "currency": {"type": "string", "nullable": true}}},
  "EventPage": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
    "next_cursor": {"type": "string", "nullable": true}}},
  "Merge": {"type": "object", "properties": {"id": {"type": "integer"}, "survivor_id": {"type": "integer"},
    "merged_id": {"type": "integer"}, "reason": {"type": "string"}, "message_id": {"type": "string"},
    "at": {"type": "string", "format": "date-time"}, "undone_at": {"type": "string", "format": "date-time", "nullable": true}}},
  "MergeList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Merge"}}}},
  "UnmergeInput": {"type": "object", "additionalProperties": false, "properties": {"merge_id": {"type": "integer"}}},
  "Conflict": {"type": "object", "properties": {"id": {"type": "integer"}, "customer_id": {"type": "integer"},
    "other_customer_id": {"type": "integer"}, "identifier_type": {"type": "string"}, "message_id": {"type": "string"},
    "at": {"type": "string", "format": "date-time"}}},
  "ConflictPage": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Conflict"}},
    "next_cursor": {"type": "string", "nullable": true}}},
  "EventCounts": {"type": "object", "properties": {"from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"}, "data": {"type": "array", "items": {"type": "object", "properties": {
      "event": {"type": "string"}, "events": {"type": "integer"}, "customers": {"type": "integer"}}}}}},
  "ImportCsv": {"type": "string", "format": "binary",
    "description": "the CSV file itself (UTF-8, first line names the columns), plain or gzip; see docs/imports.md"},
  "ImportErrorsCsv": {"type": "string", "description": "CSV with the columns line, column, reason"},
  "ImportJob": {"type": "object", "properties": {"id": {"type": "integer"},
    "kind": {"type": "string", "enum": ["orders", "customers"]},
    "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
    "file_name": {"type": "string"}, "bytes": {"type": "integer"},
    "options": {"type": "object", "properties": {"time_zone": {"type": "string"}, "currency": {"type": "string"},
      "refund_prefix": {"type": "string"}, "map": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "progress": {"type": "object", "properties": {"phase": {"type": "string", "enum": ["", "scanning", "importing"]},
      "rows": {"type": "integer"}, "total_rows": {"type": "integer", "nullable": true},
      "written": {"type": "integer", "description": "orders or customers written so far"},
      "bytes": {"type": "integer"}, "percent": {"type": "integer", "minimum": 0, "maximum": 100}}},
    "counts": {"type": "object", "nullable": true, "description": "the result once succeeded",
      "properties": {"rows": {"type": "integer"}, "orders": {"type": "integer"}, "refunds": {"type": "integer"},
        "duplicates": {"type": "integer"}, "customers": {"type": "integer"}, "guest_orders": {"type": "integer"},
        "created": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
        "rejected_rows": {"type": "integer"}, "rejected_orders": {"type": "integer"},
        "duration_ms": {"type": "integer"}}},
    "error": {"type": "string", "nullable": true, "description": "why a failed import failed"},
    "error_count": {"type": "integer", "description": "rows reported; the first 10,000 are in the error report"},
    "errors_url": {"type": "string"}, "created_by": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"},
    "started_at": {"type": "string", "format": "date-time", "nullable": true},
    "finished_at": {"type": "string", "format": "date-time", "nullable": true}}},
  "ImportJobPage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/ImportJob"}}, "next_cursor": {"type": "string", "nullable": true}}},
  "IdentitySettings": {"type": "object", "additionalProperties": false, "properties": {
    "unique_types": {"type": "array", "items": {"type": "string"}, "example": ["user_id", "phone"]},
    "dormant_after_days": {"type": "integer", "minimum": 1, "maximum": 3650, "default": 180},
    "custom_types": {"type": "array", "items": {"type": "object", "required": ["type"], "properties": {
      "type": {"type": "string", "example": "custom:douyin_id"}, "label": {"type": "string"}}}}}},
  "Overview": {"type": "object", "properties": {"customers_total": {"type": "integer"},
    "customers_new": {"type": "integer"}, "from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"},
    "new_by_day": {"type": "array", "items": {"type": "object", "properties": {"date": {"type": "string"},
      "count": {"type": "integer"}}}},
    "by_store": {"type": "array", "items": {"type": "object", "properties": {
      "store_id": {"type": "integer", "nullable": true}, "name": {"type": "string"}, "count": {"type": "integer"}}}},
    "by_gender": {"type": "object", "properties": {"male": {"type": "integer"}, "female": {"type": "integer"},
      "unknown": {"type": "integer"}}}}},
  "SegmentRule": {"type": "object", "description": "a condition tree; the language is described in docs/segments.md",
    "example": {"and": [{"event": "Order Completed", "window": {"last_days": 30}}, {"tag": "has", "id": 12}]}},
  "Segment": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
    "description": {"type": "string"}, "rule": {"$ref": "#/components/schemas/SegmentRule"},
    "size": {"type": "integer", "description": "current members (store roles: of their stores)"},
    "created_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}}},
  "SegmentInput": {"type": "object", "required": ["name", "rule"], "additionalProperties": false, "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 100}, "description": {"type": "string", "maxLength": 1000},
    "rule": {"$ref": "#/components/schemas/SegmentRule"}}},
  "SegmentPage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/Segment"}}, "next_cursor": {"type": "string", "nullable": true}}},
  "SegmentPreviewInput": {"type": "object", "required": ["rule"], "additionalProperties": false,
    "properties": {"rule": {"$ref": "#/components/schemas/SegmentRule"}}},
  "CustomerSummary": {"type": "object", "properties": {"id": {"type": "integer"},
    "name": {"type": "string", "nullable": true},
    "phone": {"type": "string", "nullable": true, "description": "E.164; masked without the pii permission"},
    "email": {"type": "string", "nullable": true}, "gender": {"type": "string", "enum": ["male", "female", "unknown"]},
    "birthday": {"type": "string", "format": "date", "nullable": true},
    "store_id": {"type": "integer", "nullable": true}, "member_no": {"type": "string", "nullable": true},
    "created_at": {"type": "string", "format": "date-time"}}},
  "SegmentPreview": {"type": "object", "properties": {"count": {"type": "integer"},
    "sample": {"type": "array", "maxItems": 20, "items": {"$ref": "#/components/schemas/CustomerSummary"}}}},
  "SegmentMemberPage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/CustomerSummary"}}, "total": {"type": "integer"},
    "next_cursor": {"type": "string", "nullable": true}}},
  "SegmentCsv": {"type": "string", "description": "CSV, UTF-8 with a byte order mark, a header row naming the fields"},
  "SegmentSizes": {"type": "object", "properties": {"segment_id": {"type": "integer"},
    "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
    "data": {"type": "array", "items": {"type": "object", "properties": {"date": {"type": "string", "format": "date"},
      "size": {"type": "integer"}}}}}},
  "CustomerSegments": {"type": "object", "properties": {"customer_id": {"type": "integer"},
    "data": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"},
      "name": {"type": "string"}}}}}},
  "Rfm": {"type": "object", "nullable": true, "description": "null without an order in the RFM period",
    "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "recency_days": {"type": "integer"},
      "frequency": {"type": "integer"}, "monetary": {"type": "integer", "description": "minor units"}}},
  "RfmSettings": {"type": "object", "additionalProperties": false, "properties": {
    "period_days": {"type": "integer", "minimum": 1, "maximum": 3650, "default": 365},
    "recency_days": {"type": "number", "nullable": true, "description": "null: the tenant's mean"},
    "frequency": {"type": "number", "nullable": true, "description": "orders; null: the tenant's mean"},
    "monetary": {"type": "number", "nullable": true, "description": "minor units; null: the tenant's mean"}}},
  "RfmSummary": {"type": "object", "properties": {"period_days": {"type": "integer"},
    "customers_with_orders": {"type": "integer"}, "monetary_total": {"type": "integer"},
    "thresholds": {"type": "object", "properties": {"recency_days": {"type": "number"},
      "frequency": {"type": "number"}, "monetary": {"type": "number"},
      "source": {"type": "object", "additionalProperties": {"type": "string", "enum": ["setting", "mean"]}}}},
    "classes": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"},
      "name": {"type": "string"}, "customers": {"type": "integer"}, "share": {"type": "number"},
      "monetary": {"type": "integer"}, "monetary_share": {"type": "number"}}}}}}
})json";

// Tags, bulk tagging and questionnaires (docs/tags.md).
const char kTagSchemas[] = R"json({
  "TagGroup": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
    "color": {"type": "string", "nullable": true, "example": "#FF8800"}, "sort_order": {"type": "integer"},
    "wecom_group_id": {"type": "string", "nullable": true}, "tag_count": {"type": "integer"},
    "tags": {"type": "array", "description": "only when reading one group",
      "items": {"$ref": "#/components/schemas/Tag"}},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}},
  "TagGroupInput": {"type": "object", "additionalProperties": false, "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 50},
    "color": {"type": "string", "nullable": true, "pattern": "^#[0-9A-Fa-f]{6}$"}, "sort_order": {"type": "integer"},
    "wecom_group_id": {"type": "string", "nullable": true}}},
  "TagGroupList": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/TagGroup"}}}},
  "Tag": {"type": "object", "properties": {"id": {"type": "integer"}, "group_id": {"type": "integer"},
    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["manual", "rule"]},
    "color": {"type": "string", "nullable": true}, "sort_order": {"type": "integer"},
    "description": {"type": "string"},
    "rule": {"type": "object", "nullable": true, "description": "a segment rule (docs/segments.md); null for manual tags"},
    "wecom_tag_id": {"type": "string", "nullable": true},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}},
  "TagInput": {"type": "object", "additionalProperties": false, "properties": {"group_id": {"type": "integer"},
    "name": {"type": "string", "minLength": 1, "maxLength": 50},
    "color": {"type": "string", "nullable": true, "pattern": "^#[0-9A-Fa-f]{6}$"}, "sort_order": {"type": "integer"},
    "description": {"type": "string", "maxLength": 500},
    "rule": {"type": "object", "nullable": true, "description": "a segment rule: makes a rule tag"},
    "wecom_tag_id": {"type": "string", "nullable": true}}},
  "TagList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}}},
  "TagActor": {"type": "object", "properties": {"type": {"type": "string", "enum": ["user", "api_key", "cli", "system"]},
    "id": {"type": "integer", "nullable": true}, "name": {"type": "string"}}},
  "TagSource": {"type": "string", "enum": ["manual", "rule", "import", "questionnaire", "api"]},
  "CustomerTags": {"type": "object", "properties": {"customer_id": {"type": "integer"},
    "changed": {"type": "integer", "description": "after a change: customer-tag pairs added or removed"},
    "unchanged": {"type": "integer"},
    "data": {"type": "array", "items": {"type": "object", "properties": {"tag_id": {"type": "integer"},
      "name": {"type": "string"}, "group_id": {"type": "integer"}, "color": {"type": "string", "nullable": true},
      "kind": {"type": "string", "enum": ["manual", "rule"]}, "source": {"$ref": "#/components/schemas/TagSource"},
      "applied_by": {"allOf": [{"$ref": "#/components/schemas/TagActor"}], "nullable": true},
      "applied_at": {"type": "string", "format": "date-time", "nullable": true},
      "customer_id": {"type": "integer", "description": "the record holding the tag (differs after merges)"}}}}}},
  "TagIdsInput": {"type": "object", "required": ["tag_ids"], "additionalProperties": false, "properties": {
    "tag_ids": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "integer"}}}},
  "TagHistoryPage": {"type": "object", "properties": {"data": {"type": "array", "items": {"type": "object",
    "properties": {"id": {"type": "integer"}, "customer_id": {"type": "integer"}, "tag_id": {"type": "integer"},
      "tag_name": {"type": "string"}, "action": {"type": "string", "enum": ["added", "removed"]},
      "source": {"$ref": "#/components/schemas/TagSource"}, "actor": {"$ref": "#/components/schemas/TagActor"},
      "job_id": {"type": "integer", "nullable": true}, "at": {"type": "string", "format": "date-time"}}}},
    "next_cursor": {"type": "string", "nullable": true}}},
  "TagBulkInput": {"type": "object", "required": ["action", "tag_ids"], "additionalProperties": false,
    "properties": {"action": {"type": "string", "enum": ["add", "remove"]},
      "tag_ids": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "integer"}},
      "customer_ids": {"type": "array", "minItems": 1, "maxItems": 100000, "items": {"type": "integer"}},
      "segment_id": {"type": "integer", "description": "instead of customer_ids: the segment's members"}}},
  "TagBulkResult": {"oneOf": [{"type": "object", "description": "200: up to 1,000 customer ids, done at once",
      "properties": {"action": {"type": "string"}, "tag_ids": {"type": "array", "items": {"type": "integer"}},
        "customers": {"type": "integer"}, "changed": {"type": "integer"}, "unchanged": {"type": "integer"}}},
    {"$ref": "#/components/schemas/TagBulkJob"}]},
  "TagBulkJob": {"type": "object", "description": "202: a background job", "properties": {"id": {"type": "integer"},
    "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
    "action": {"type": "string", "enum": ["add", "remove"]}, "tag_ids": {"type": "array", "items": {"type": "integer"}},
    "segment_id": {"type": "integer", "nullable": true},
    "progress": {"type": "object", "properties": {"total": {"type": "integer"}, "processed": {"type": "integer"},
      "changed": {"type": "integer"}, "skipped": {"type": "integer"},
      "percent": {"type": "integer", "minimum": 0, "maximum": 100}}},
    "error": {"type": "string", "nullable": true}, "created_by": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"},
    "started_at": {"type": "string", "format": "date-time", "nullable": true},
    "finished_at": {"type": "string", "format": "date-time", "nullable": true}}},
  "Question": {"type": "object", "required": ["title", "choices"], "properties": {
    "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$", "description": "default q1, q2, ... by position"},
    "title": {"type": "string", "maxLength": 200}, "type": {"type": "string", "enum": ["single", "multiple"],
      "default": "single"}, "required": {"type": "boolean", "default": false},
    "choices": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "object", "required": ["label"],
      "properties": {"id": {"type": "string", "description": "default c1, c2, ... by position"},
        "label": {"type": "string", "maxLength": 100},
        "tag_ids": {"type": "array", "maxItems": 20, "items": {"type": "integer"}},
        "codes": {"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 64}}}}}}},
  "Questionnaire": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
    "description": {"type": "string"}, "questions": {"type": "array", "items": {"$ref": "#/components/schemas/Question"}},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}},
  "QuestionnaireInput": {"type": "object", "additionalProperties": false, "properties": {
    "name": {"type": "string", "maxLength": 100}, "description": {"type": "string", "maxLength": 1000},
    "questions": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/components/schemas/Question"}}}},
  "QuestionnairePage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/Questionnaire"}}, "next_cursor": {"type": "string", "nullable": true}}},
  "QuestionnaireAnswerInput": {"type": "object", "required": ["customer_id", "answers"], "additionalProperties": false,
    "properties": {"customer_id": {"type": "integer"}, "answers": {"type": "array", "items": {"type": "object",
      "required": ["question_id", "choice_ids"], "properties": {"question_id": {"type": "string"},
        "choice_ids": {"type": "array", "items": {"type": "string"}}}}}}},
  "QuestionnaireAnswer": {"type": "object", "properties": {"id": {"type": "integer"},
    "questionnaire_id": {"type": "integer"}, "questionnaire_name": {"type": "string"},
    "customer_id": {"type": "integer"}, "answers": {"type": "array", "items": {"type": "object", "properties": {
      "question_id": {"type": "string"}, "question": {"type": "string"},
      "choice_ids": {"type": "array", "items": {"type": "string"}},
      "choices": {"type": "array", "items": {"type": "string"}}}}},
    "tag_ids": {"type": "array", "items": {"type": "integer"}}, "codes": {"type": "array", "items": {"type": "string"}},
    "submitted_by": {"$ref": "#/components/schemas/TagActor"},
    "submitted_at": {"type": "string", "format": "date-time"}}},
  "QuestionnaireAnswerPage": {"type": "object", "properties": {"data": {"type": "array",
    "items": {"$ref": "#/components/schemas/QuestionnaireAnswer"}}, "next_cursor": {"type": "string", "nullable": true}}}
})json";

Json ErrorRef(const char* description) {
    return {{"description", description},
            {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

Json Schemas() {
    Json schemas = Json::parse(kSchemas);
    schemas.update(Json::parse(kTagSchemas));
    return schemas;
}

}  // namespace

Json BuildOpenApi(const http::Router& router) {
    Json paths = Json::object();
    for (const auto& route : router.routes()) {
        const http::RouteSpec& spec = route.spec;
        if (!StartsWith(spec.pattern, "/api/v1/")) continue;
        Json op = {
            {"summary", spec.summary}, {"tags", {spec.tag}}, {"operationId", ToLower(spec.method) + spec.pattern}};
        Json params = Json::array();
        for (const auto& seg : route.segments) {
            if (seg.size() > 2 && seg.front() == '{') {
                params.push_back({{"name", seg.substr(1, seg.size() - 2)},
                                  {"in", "path"},
                                  {"required", true},
                                  {"schema", {{"type", "integer"}}}});
            }
        }
        for (const auto& q : spec.query_params) {
            Json schema = q == "limit" ? Json{{"type", "integer"}, {"minimum", 1}, {"maximum", 200}, {"default", 50}}
                                       : Json{{"type", "string"}};
            params.push_back({{"name", q}, {"in", "query"}, {"required", false}, {"schema", schema}});
        }
        if (!params.empty()) op["parameters"] = params;
        if (!spec.request_schema.empty()) {
            op["requestBody"] = {
                {"required", true},
                {"content",
                 {{spec.request_media_type, {{"schema", {{"$ref", "#/components/schemas/" + spec.request_schema}}}}}}}};
        }
        Json responses = Json::object();
        std::string ok_code = spec.method == "POST" && spec.pattern.find("/auth/") == std::string::npos ? "201" : "200";
        if (spec.response_schema.empty()) {
            responses[spec.method == "GET" ? "200" : "204"] = {{"description", "done"}};
        } else {
            responses[ok_code] = {{"description", "success"},
                                  {"content",
                                   {{spec.response_media_type,
                                     {{"schema", {{"$ref", "#/components/schemas/" + spec.response_schema}}}}}}}};
        }
        responses["default"] = ErrorRef("an error; see docs/api.md for the codes");
        op["responses"] = responses;
        if (spec.public_route) {
            op["security"] = Json::array();
        } else if (!spec.permission.empty()) {
            op["x-siyu-permission"] = spec.permission;
        }
        paths[spec.pattern][ToLower(spec.method)] = op;
    }
    return {{"openapi", "3.0.3"},
            {"info",
             {{"title", "siyu API"},
              {"version", SIYU_VERSION},
              {"description", "Private-domain customer operations: tenants, users, stores, customers and segments."}}},
            {"servers", Json::array({{{"url", "/"}}})},
            {"security", Json::array({{{"bearerAuth", Json::array()}}, {{"cookieAuth", Json::array()}}})},
            {"paths", paths},
            {"components",
             {{"securitySchemes",
               {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"description", "a secret key, sk_..."}}},
                {"cookieAuth", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "siyu_session"}}}}},
              {"schemas", Schemas()}}}};
}

}  // namespace siyu::api
