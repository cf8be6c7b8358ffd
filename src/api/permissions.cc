#include "api/permissions.h"

#include <algorithm>

namespace siyu::api {

using auth::Role;

const std::vector<PermissionRow>& PermissionMatrix() {
    static const std::vector<PermissionRow> kMatrix = {
        {"tenant.read",
         {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager, Role::kGuide}},
        {"tenant.write", {Role::kOwner, Role::kAdmin}},
        {"users.read", {Role::kOwner, Role::kAdmin}},
        {"users.write", {Role::kOwner, Role::kAdmin}},
        {"apikeys.manage", {Role::kOwner, Role::kAdmin}},
        {"audit.read", {Role::kOwner, Role::kAdmin}},
        {"stores.read",
         {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager, Role::kGuide}},
        {"stores.write", {Role::kOwner, Role::kAdmin}},
        {"customers.read",
         {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager, Role::kGuide}},
        {"customers.write", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kStoreManager, Role::kGuide}},
        {"customers.delete", {Role::kOwner, Role::kAdmin, Role::kOperator}},
        {"pii", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kStoreManager}},
        {"analytics.read", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst}},
        {"imports.manage", {Role::kOwner, Role::kAdmin, Role::kOperator}},
        {"tags.read", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager, Role::kGuide}},
        {"tags.manage", {Role::kOwner, Role::kAdmin, Role::kOperator}},
        {"tags.apply", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kStoreManager, Role::kGuide}},
        {"segments.read",
         {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager, Role::kGuide}},
        {"segments.manage", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst}},
        {"segments.export", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager}},
        {"loyalty.read",
         {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager, Role::kGuide}},
        {"loyalty.manage", {Role::kOwner, Role::kAdmin, Role::kOperator}},
        {"loyalty.operate", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kStoreManager, Role::kGuide}},
        {"loyalty.adjust", {Role::kOwner, Role::kAdmin}},
        {"coupons.issue", {Role::kOwner, Role::kAdmin, Role::kOperator}},
        {"coupons.redeem", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kStoreManager, Role::kGuide}},
        {"wecom.config", {Role::kOwner, Role::kAdmin}},
        {"wecom.read", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kStoreManager, Role::kGuide}},
        {"wecom.manage", {Role::kOwner, Role::kAdmin, Role::kOperator}},
        {"wecom.transfer", {Role::kOwner, Role::kAdmin, Role::kOperator, Role::kStoreManager}},
        {"wecom.mass_send", {Role::kOwner, Role::kAdmin, Role::kOperator}},
        {"webhooks.manage", {Role::kOwner, Role::kAdmin}},
    };
    return kMatrix;
}

bool HasPermission(Role role, std::string_view permission) {
    for (const auto& row : PermissionMatrix()) {
        if (row.permission == permission) {
            return std::find(row.roles.begin(), row.roles.end(), role) != row.roles.end();
        }
    }
    return false;
}

std::vector<std::string> PermissionsOf(Role role) {
    std::vector<std::string> out;
    for (const auto& row : PermissionMatrix()) {
        if (std::find(row.roles.begin(), row.roles.end(), role) != row.roles.end()) out.emplace_back(row.permission);
    }
    return out;
}

}  // namespace siyu::api
