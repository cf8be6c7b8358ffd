#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/roles.h"

namespace siyu::api {

// The permission matrix: which role holds which permission. docs/permissions.md renders
// the same table; Permissions.DocumentMatchesCode keeps them equal.
struct PermissionRow {
    const char* permission;
    std::vector<auth::Role> roles;
};

const std::vector<PermissionRow>& PermissionMatrix();

bool HasPermission(auth::Role role, std::string_view permission);

// Every permission the role holds, in matrix order.
std::vector<std::string> PermissionsOf(auth::Role role);

}  // namespace siyu::api
