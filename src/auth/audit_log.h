#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::auth {

// Who does something, for the audit log.
struct Actor {
    std::string type = "system";  // user, api_key, cli, system
    std::optional<int64_t> id;
    std::string name;
    std::string ip;
};

struct AuditEntry {
    int64_t id = 0;
    int64_t tenant_id = 0;
    TimeMs at = 0;
    Actor actor;
    std::string action;
    std::string target_type;
    std::string target_id;
    std::string details = "{}";  // a JSON object
};

// Appends an entry inside the caller's write transaction, so the action and its record
// commit together.
Status AppendAudit(store::Connection& c, int64_t tenant_id, const Actor& actor, const std::string& action,
                   const std::string& target_type, const std::string& target_id, const std::string& details = "{}");

}  // namespace siyu::auth
