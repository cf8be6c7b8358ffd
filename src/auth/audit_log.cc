#include "auth/audit_log.h"

namespace siyu::auth {

Status AppendAudit(store::Connection& c, int64_t tenant_id, const Actor& actor, const std::string& action,
                   const std::string& target_type, const std::string& target_id, const std::string& details) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO audit_log(tenant_id, at, actor_type, actor_id, actor_name, "
                                               "action, target_type, target_id, ip, details) "
                                               "VALUES (?,?,?,?,?,?,?,?,?,?)"));
    return stmt.Bind(1, tenant_id)
        .Bind(2, NowMs())
        .Bind(3, actor.type)
        .Bind(4, actor.id)
        .Bind(5, actor.name)
        .Bind(6, action)
        .Bind(7, target_type)
        .Bind(8, target_id)
        .Bind(9, actor.ip)
        .Bind(10, details)
        .Run();
}

}  // namespace siyu::auth
