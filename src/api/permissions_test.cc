#include "api/permissions.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace siyu::api {

// Reads docs/permissions.md's table and compares it, cell by cell, with the code.
TEST(Permissions, DocumentMatchesCode) {
    std::ifstream in(std::string(SIYU_SOURCE_DIR) + "/docs/permissions.md");
    ASSERT_TRUE(in.good());
    std::string line;
    std::vector<std::string> header;
    int rows = 0;
    auto cells = [](const std::string& l) {
        std::vector<std::string> out;
        std::stringstream ss(l);
        std::string cell;
        std::getline(ss, cell, '|');
        while (std::getline(ss, cell, '|')) {
            size_t b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
            out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
        }
        return out;
    };
    while (std::getline(in, line)) {
        if (line.rfind("| permission |", 0) == 0) {
            header = cells(line);
            continue;
        }
        if (header.empty() || line.rfind("|", 0) != 0 || line.rfind("|---", 0) == 0) continue;
        auto row = cells(line);
        ASSERT_EQ(row.size(), header.size()) << line;
        for (size_t i = 1; i < row.size(); ++i) {
            auto role = auth::ParseRole(header[i]);
            ASSERT_TRUE(role.has_value()) << header[i];
            EXPECT_EQ(row[i] == "✓", HasPermission(*role, row[0])) << row[0] << " / " << header[i];
        }
        ++rows;
    }
    EXPECT_EQ(rows, static_cast<int>(PermissionMatrix().size()));
}

TEST(Permissions, OwnerHoldsEverythingAndGuideCannotDelete) {
    EXPECT_EQ(PermissionsOf(auth::Role::kOwner).size(), PermissionMatrix().size());
    EXPECT_FALSE(HasPermission(auth::Role::kGuide, "customers.delete"));
    EXPECT_FALSE(HasPermission(auth::Role::kAnalyst, "pii"));
    EXPECT_FALSE(HasPermission(auth::Role::kOwner, "no.such.permission"));
}

}  // namespace siyu::api
