#include "auth/roles.h"

namespace siyu::auth {

const char* RoleName(Role role) {
    switch (role) {
        case Role::kOwner:
            return "owner";
        case Role::kAdmin:
            return "admin";
        case Role::kOperator:
            return "operator";
        case Role::kAnalyst:
            return "analyst";
        case Role::kStoreManager:
            return "store_manager";
        case Role::kGuide:
            return "guide";
    }
    return "guide";
}

std::optional<Role> ParseRole(std::string_view name) {
    for (Role r : kAllRoles) {
        if (name == RoleName(r)) return r;
    }
    return std::nullopt;
}

}  // namespace siyu::auth
