#pragma once

#include <optional>
#include <string_view>

namespace siyu::auth {

enum class Role { kOwner, kAdmin, kOperator, kAnalyst, kStoreManager, kGuide };

inline constexpr Role kAllRoles[] = {Role::kOwner,   Role::kAdmin,        Role::kOperator,
                                     Role::kAnalyst, Role::kStoreManager, Role::kGuide};

const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// Store-scoped roles only see customers of their own stores.
inline bool IsStoreScoped(Role role) { return role == Role::kStoreManager || role == Role::kGuide; }

}  // namespace siyu::auth
