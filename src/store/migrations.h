#pragma once

#include <string>
#include <vector>

namespace siyu::store {

struct Migration {
    int version;
    std::string name;
    std::string sql;
};

// The migrations compiled into this binary (src/store/migrations/NNNN_name.sql), in order.
const std::vector<Migration>& Migrations();

}  // namespace siyu::store
